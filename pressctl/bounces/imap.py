"""IMAP mailboxes for ``pressctl bounces --imap`` and ``[bounces] imap``: one folder over one connection (the URL
and the login: :mod:`pressctl.bounces.imapurl`).

``imaps://user@host[:port]/FOLDER`` (TLS), ``imap://`` with STARTTLS required, plaintext only on loopback
(STARTTLS when offered) or with ``?tls=none``, certificates always verified (``?cafile=PATH`` for a private
CA), exactly as for SMTP URLs in :mod:`pressctl.send.transport`. The password comes from
``PRESSCTL_IMAP_PASSWORD`` or a prompt callback; XOAUTH2 (``?auth=xoauth2``, or whenever
``PRESSCTL_IMAP_OAUTH_TOKEN`` is set) sends that token. A user name with a line break or another control
character is refused (it would reach the server as IMAP commands). Messages are fetched with ``BODY.PEEK[]``
(no \\Seen flag set), those over ``max_bytes`` (their ``RFC822.SIZE``) never, and moved with ``UID MOVE``
(RFC 6851) or, where the server lacks it, ``UID COPY`` + ``\\Deleted`` + ``UID EXPUNGE`` (RFC 4315; plain
``EXPUNGE`` only without UIDPLUS). :meth:`ImapMailbox.watch` yields messages as they arrive, waiting with
IDLE (RFC 2177) when the server offers it and polling otherwise.

Why the standard library ``imaplib`` (not aioimaplib): it has verified STARTTLS and implicit TLS with an
``ssl.SSLContext``, AUTHENTICATE for XOAUTH2, UID MOVE, and decades of servers behind it; the reading is
sequential (one folder, one message at a time), so asyncio buys nothing here, and a caller in an event loop
runs the generator in a thread (``asyncio.to_thread``). The only thing imaplib lacks before Python 3.14 is
IDLE, done here in ~30 lines over its socket.

Passwords and tokens are kept out of every repr, error and log line: errors name host, port and user only,
and any server text quoted in an error is scrubbed of the secret.
"""

from __future__ import annotations

import contextlib
import imaplib
import re
import select
import socket
import ssl
import time
from collections.abc import Callable, Iterator

from pressctl.bounces.imapurl import (
    OAUTH_TOKEN_ENV,
    PASSWORD_ENV,
    ImapSettings,
    check_folder_name,
    xoauth2_string,
)
from pressctl.bounces.mailbox import DEFAULT_MAX_BYTES, Message, Unreadable
from pressctl.errors import InputError, TransportError

__all__ = ["ImapMailbox"]



# -- IMAP ---------------------------------------------------------------------------------------------------

_UIDVALIDITY = re.compile(rb"UIDVALIDITY (\d+)")
_UID = re.compile(rb"\bUID (\d+)")
_SIZE = re.compile(rb"\bRFC822\.SIZE (\d+)")


class ImapMailbox:
    """One IMAP folder. Use as a context manager: ``with ImapMailbox(settings) as box: for sid, raw in box.read()``.

    Source ids are ``UIDVALIDITY:UID``. ``ssl_context`` overrides the default (system CAs, or ``cafile``).
    """

    def __init__(
        self,
        settings: ImapSettings,
        *,
        ssl_context: ssl.SSLContext | None = None,
        sleep: Callable[[float], None] = time.sleep,
        max_bytes: int = DEFAULT_MAX_BYTES,
    ) -> None:
        self.settings = settings
        self.max_bytes = max_bytes
        self.description = settings.describe()
        self._context = ssl_context
        self._sleep = sleep
        self._imap: imaplib.IMAP4 | None = None
        self._uidvalidity = ""
        self._capabilities: frozenset[str] = frozenset()

    def __repr__(self) -> str:
        return f"ImapMailbox({self.description})"

    # -- connection -----------------------------------------------------------------------------------------

    def __enter__(self) -> ImapMailbox:
        self.open()
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _where(self) -> str:
        return f"IMAP {self.settings.username}@{self.settings.host}:{self.settings.port}"

    def _scrub(self, text: object) -> str:
        out = text.decode("utf-8", "replace") if isinstance(text, bytes) else str(text)
        for secret in (self.settings.password, self.settings.oauth_token):
            if secret:
                out = out.replace(secret, "***")
        return " ".join(out.split())[:300]

    def _tls_context(self) -> ssl.SSLContext:
        if self._context is None:
            self._context = ssl.create_default_context(cafile=self.settings.cafile)
        return self._context

    def open(self) -> None:
        s = self.settings
        if s.password is None and s.oauth_token is None:
            raise InputError(f"{self._where()}: no password or token", hint="call imap_credentials first")
        try:
            imap: imaplib.IMAP4
            if s.tls == "implicit":
                imap = imaplib.IMAP4_SSL(s.host, s.port, ssl_context=self._tls_context(), timeout=s.timeout)
            else:
                imap = imaplib.IMAP4(s.host, s.port, timeout=s.timeout)
                if s.tls in ("starttls", "opportunistic") and (
                    "STARTTLS" in imap.capabilities or s.tls == "starttls"
                ):
                    if "STARTTLS" not in imap.capabilities:
                        imap.shutdown()
                        raise TransportError(
                            "the server does not offer STARTTLS, and pressctl will not send a password in clear",
                            where=self._where(),
                            hint="use imaps:// if the server has it; ?tls=none only on a network you trust",
                        )
                    imap.starttls(self._tls_context())
        except ssl.SSLCertVerificationError as exc:
            raise TransportError(
                f"the server's certificate is not trusted ({self._scrub(exc.verify_message or exc)})",
                where=self._where(),
                hint="check the host name; for a private CA add ?cafile=/path/to/ca.pem to the URL",
            ) from None
        except (OSError, imaplib.IMAP4.error) as exc:
            raise TransportError(
                f"cannot connect ({self._scrub(exc) or type(exc).__name__})",
                where=self._where(),
                hint="check the host, the port and the network",
            ) from None
        self._imap = imap
        try:
            if s.auth == "xoauth2":
                token = s.oauth_token or ""
                imap.authenticate("XOAUTH2", lambda _challenge: xoauth2_string(s.username, token))
            else:
                imap.login(s.username, s.password or "")
        except (imaplib.IMAP4.error, OSError) as exc:
            self.close()
            hint = f"check the user name and {OAUTH_TOKEN_ENV if s.auth == 'xoauth2' else PASSWORD_ENV}"
            raise TransportError(f"login refused ({self._scrub(exc)})", where=self._where(), hint=hint) from None
        with contextlib.suppress(imaplib.IMAP4.error, OSError):  # servers announce more after login
            typ, data = imap.capability()
            if typ == "OK" and data and isinstance(data[-1], bytes):
                imap.capabilities = tuple(data[-1].decode("ascii", "replace").upper().split())
        self._capabilities = frozenset(c.upper() for c in imap.capabilities)
        try:
            self._select()
        except BaseException:
            self.close()
            raise

    def _select(self) -> None:
        imap = self._conn()
        folder = self.settings.folder
        try:
            typ, data = imap.select(_quote(folder))
        except (imaplib.IMAP4.error, OSError) as exc:
            raise TransportError(f"cannot open folder {folder!r} ({self._scrub(exc)})", where=self._where()) from None
        if typ != "OK":
            raise InputError(
                f"{self._where()}: no folder {folder!r} ({self._scrub(data[-1] if data else '')})",
                hint="give the folder in the URL's path, e.g. imaps://user@host/INBOX",
            )
        _typ, validity = imap.response("UIDVALIDITY")
        self._uidvalidity = (validity[0] or b"").decode() if validity and validity[0] else "0"

    def close(self) -> None:
        imap, self._imap = self._imap, None
        if imap is None:
            return
        with contextlib.suppress(imaplib.IMAP4.error, OSError):
            if imap.state == "SELECTED":
                imap.close()
        with contextlib.suppress(imaplib.IMAP4.error, OSError):
            imap.logout()

    def _conn(self) -> imaplib.IMAP4:
        if self._imap is None:
            raise TransportError("not connected", where=self._where())
        return self._imap

    def _check(self, what: str, typ: str, data: list[object]) -> None:
        if typ != "OK":
            detail = self._scrub(data[-1] if data else "") if data else ""
            raise TransportError(f"{what} failed ({detail})", where=self._where())

    # -- reading --------------------------------------------------------------------------------------------

    def uids(self, after: int = 0) -> list[int]:
        """UIDs in the folder, ascending; only those above ``after`` when given."""
        imap = self._conn()
        try:
            criteria = f"UID {after + 1}:*" if after else "ALL"
            typ, data = imap.uid("SEARCH", criteria)
        except (imaplib.IMAP4.error, OSError) as exc:
            raise TransportError(f"search failed ({self._scrub(exc)})", where=self._where()) from None
        self._check("search", typ, list(data))
        found = sorted(int(x) for chunk in data if chunk for x in chunk.split())
        return [u for u in found if u > after]  # "N:*" always includes the highest UID, even below N

    def fetch(self, uid: int) -> bytes | None:
        """The message's bytes (without setting \\Seen), or None when it has gone meanwhile."""
        imap = self._conn()
        try:
            typ, data = imap.uid("FETCH", str(uid), "(BODY.PEEK[])")
        except (imaplib.IMAP4.error, OSError) as exc:
            raise TransportError(f"fetch failed ({self._scrub(exc)})", where=self._where()) from None
        self._check("fetch", typ, list(data))
        for item in data:
            if isinstance(item, tuple) and len(item) == 2 and isinstance(item[1], bytes):
                return item[1]
        return None

    def sizes(self, uids: list[int]) -> dict[int, int]:
        """``RFC822.SIZE`` of each of ``uids`` (one command for the lot), so a huge message is never fetched."""
        if not uids:
            return {}
        imap = self._conn()
        try:
            typ, data = imap.uid("FETCH", f"{min(uids)}:{max(uids)}", "(RFC822.SIZE)")
        except (imaplib.IMAP4.error, OSError) as exc:
            raise TransportError(f"fetch failed ({self._scrub(exc)})", where=self._where()) from None
        self._check("fetch", typ, list(data))
        found: dict[int, int] = {}
        for item in data:
            line = item[0] if isinstance(item, tuple) else item
            if isinstance(line, bytes):
                uid, size = _UID.search(line), _SIZE.search(line)
                if uid and size:
                    found[int(uid.group(1))] = int(size.group(1))
        return found

    def _messages(self, uids: list[int], stop: Callable[[], bool] = lambda: False) -> Iterator[Message]:
        sizes = self.sizes(uids)
        for uid in uids:
            sid = f"{self._uidvalidity}:{uid}"
            size = sizes.get(uid, 0)
            if size > self.max_bytes:
                yield sid, Unreadable(f"{size:,} bytes, over the limit (inbound_bytes = {self.max_bytes} in [limits]); not read")
            else:
                raw = self.fetch(uid)
                if raw is not None:
                    yield sid, raw
            if stop():
                return

    def read(self) -> Iterator[Message]:
        yield from self._messages(self.uids())

    def move(self, source_id: str, folder: str) -> None:
        """UID MOVE, or UID COPY + \\Deleted + (UID) EXPUNGE; the target folder is created when missing."""
        validity, _, uid = source_id.partition(":")
        if validity != self._uidvalidity or not uid.isdigit():
            raise ValueError(f"not a source id of this folder: {source_id!r}")
        check_folder_name(folder, option="--move-to")
        imap = self._conn()
        target = _quote(folder)
        try:
            with contextlib.suppress(imaplib.IMAP4.error):
                imap.create(target)  # NO when it exists: fine
            if "MOVE" in self._capabilities:
                typ, data = imap.uid("MOVE", uid, target)
                self._check(f"moving to {folder!r}", typ, list(data))
                return
            typ, data = imap.uid("COPY", uid, target)
            self._check(f"copying to {folder!r}", typ, list(data))
            typ, data = imap.uid("STORE", uid, "+FLAGS.SILENT", "(\\Deleted)")
            self._check("flagging \\Deleted", typ, list(data))
            if "UIDPLUS" in self._capabilities:
                typ, data = imap.uid("EXPUNGE", uid)
            else:  # also expunges other \Deleted messages: what any mail client would do
                typ, data = imap.expunge()
            self._check("expunge", typ, list(data))
        except (imaplib.IMAP4.error, OSError) as exc:
            raise TransportError(f"moving to {folder!r} failed ({self._scrub(exc)})", where=self._where()) from None

    # -- watching -------------------------------------------------------------------------------------------

    def watch(
        self,
        *,
        stop: Callable[[], bool] = lambda: False,
        idle_timeout: float = 25 * 60,
        poll_interval: float = 60.0,
        use_idle: bool = True,
        sleep: Callable[[float], None] | None = None,
    ) -> Iterator[Message]:
        """Every message in the folder, then each new one as it arrives, until ``stop()`` is true.

        Waits with IDLE (re-issued every ``idle_timeout`` seconds; RFC 2177 asks for under 29 minutes) when
        the server offers it, else polls every ``poll_interval`` seconds. New messages are found by UID, so
        a wake-up that carries no news costs one SEARCH.
        """
        last = 0
        while not stop():
            uids = self.uids(after=last)
            if uids:
                last = max(uids)
            yield from self._messages(uids, stop)
            if stop():
                return
            if use_idle and "IDLE" in self._capabilities:
                self.idle(idle_timeout, stop=stop)
            else:
                (sleep or self._sleep)(poll_interval)
                if stop():
                    return
                try:
                    self._conn().noop()
                except (imaplib.IMAP4.error, OSError) as exc:
                    raise TransportError(f"connection lost ({self._scrub(exc)})", where=self._where()) from None

    def idle(self, timeout: float, *, stop: Callable[[], bool] = lambda: False) -> list[bytes]:
        """IDLE until the server reports something, ``timeout`` seconds pass or ``stop()`` turns true (looked
        at every second, so a watcher of several mailboxes stops promptly); returns the untagged lines."""
        imap = self._conn()
        tag = imap._new_tag()  # type: ignore[attr-defined]
        lines: list[bytes] = []
        try:
            imap.send(tag + b" IDLE\r\n")
            first = imap.readline()
            if not first.startswith(b"+"):
                raise TransportError(f"IDLE refused ({self._scrub(first)})", where=self._where())
            sock: socket.socket = imap.socket()
            pending = getattr(sock, "pending", lambda: 0)()
            if not pending:
                # Wait for the socket; data already buffered by imaplib is read right after DONE anyway.
                try:
                    deadline = time.monotonic() + timeout
                    while not stop() and (left := deadline - time.monotonic()) > 0:
                        if select.select([sock], [], [], min(left, 1.0))[0]:
                            break
                except BaseException:
                    # Interrupted (SIGTERM, Ctrl-C): leave IDLE first, or the LOGOUT that closes the
                    # connection would wait for an answer the server never gives while it idles.
                    with contextlib.suppress(imaplib.IMAP4.error, OSError):
                        imap.send(b"DONE\r\n")
                        while (line := imap.readline()) and not line.startswith(tag):
                            pass
                    raise
            imap.send(b"DONE\r\n")
            while True:
                line = imap.readline()
                if not line:
                    raise TransportError("connection closed during IDLE", where=self._where())
                if line.startswith(tag):
                    if not line[len(tag) :].lstrip().upper().startswith(b"OK"):
                        raise TransportError(f"IDLE failed ({self._scrub(line)})", where=self._where())
                    break
                lines.append(line.rstrip(b"\r\n"))
        except (imaplib.IMAP4.error, OSError) as exc:
            raise TransportError(f"connection lost during IDLE ({self._scrub(exc)})", where=self._where()) from None
        return lines


def _quote(folder: str) -> str:
    """An IMAP quoted string for a folder name (imaplib passes arguments as they are)."""
    if folder.isascii() and re.fullmatch(r"[A-Za-z0-9._/-]+", folder):
        return folder
    return '"' + folder.replace("\\", "\\\\").replace('"', '\\"') + '"'
