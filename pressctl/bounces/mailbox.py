"""Where bounces and replies are read from: a Maildir, an mbox file or an IMAP folder.

Every reader yields ``(source id, raw bytes)`` pairs and can move a handled message away (``move``):

* :class:`MaildirReader` (``--maildir DIR``): ``cur/`` and ``new/``, oldest name first. Files are never
  changed, renamed or flagged unless ``move`` is called (then into the Maildir++ subfolder ``.FOLDER``).
* :class:`MboxReader` (``--mbox FILE``): read-only (no moving; an mbox cannot lose one message safely while
  a mail client may be appending).
* :class:`ImapMailbox` (``--imap URL``): ``imaps://user@host[:port]/FOLDER`` (TLS), ``imap://`` with STARTTLS
  required, plaintext only on loopback (STARTTLS when offered) or with ``?tls=none``, certificates always
  verified (``?cafile=PATH`` for a private CA), exactly as for SMTP URLs in :mod:`pressctl.send.transport`. The
  password comes from ``PRESSCTL_IMAP_PASSWORD`` or a prompt callback; XOAUTH2 (``?auth=xoauth2``, or
  whenever ``PRESSCTL_IMAP_OAUTH_TOKEN`` is set) sends that token. Messages are fetched with ``BODY.PEEK[]``
  (no \\Seen flag set) and moved with ``UID MOVE`` (RFC 6851) or, where the server lacks it,
  ``UID COPY`` + ``\\Deleted`` + ``UID EXPUNGE`` (RFC 4315; plain ``EXPUNGE`` only without UIDPLUS).
  :meth:`ImapMailbox.watch` yields messages as they arrive, waiting with IDLE (RFC 2177) when the server
  offers it and polling otherwise. :func:`poll` does the same for a Maildir or an mbox.

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
import os
import re
import select
import socket
import ssl
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Literal, Protocol
from urllib.parse import unquote

from pressctl.config import (
    TLS_WORDS,
    Tls,
    plain_scheme_tls,
    split_mail_url,
    url_query,
    url_timeout_and_cafile,
)
from pressctl.errors import InputError, TransportError

__all__ = [
    "OAUTH_TOKEN_ENV",
    "PASSWORD_ENV",
    "ImapMailbox",
    "ImapSettings",
    "MaildirReader",
    "MboxReader",
    "Reader",
    "check_folder_name",
    "imap_credentials",
    "parse_imap_url",
    "poll",
    "xoauth2_string",
]

PASSWORD_ENV = "PRESSCTL_IMAP_PASSWORD"
OAUTH_TOKEN_ENV = "PRESSCTL_IMAP_OAUTH_TOKEN"


class Reader(Protocol):
    """What ``pressctl bounces`` needs of a mailbox."""

    description: str

    def read(self) -> Iterator[tuple[str, bytes]]: ...

    def move(self, source_id: str, folder: str) -> None: ...


# -- Maildir and mbox ---------------------------------------------------------------------------------------


class MaildirReader:
    """``DIR/cur`` and ``DIR/new``; source ids are ``cur/NAME`` and ``new/NAME``."""

    def __init__(self, path: Path | str, *, option: str = "--maildir") -> None:
        self.path = Path(path)
        if not self.path.is_dir():
            raise InputError(f"{option} {self.path}: no such directory", hint="give the path to a Maildir")
        if not (self.path / "cur").is_dir() and not (self.path / "new").is_dir():
            raise InputError(
                f"{option} {self.path}: not a Maildir (it has neither cur/ nor new/)",
                hint="give the Maildir folder itself, the one holding cur/ and new/",
            )
        self.description = f"Maildir {self.path}"

    def read(self) -> Iterator[tuple[str, bytes]]:
        for sub in ("cur", "new"):
            folder = self.path / sub
            if not folder.is_dir():
                continue
            for name in sorted(os.listdir(folder)):
                if name.startswith("."):
                    continue
                try:
                    data = (folder / name).read_bytes()
                except (FileNotFoundError, IsADirectoryError):  # moved or deleted by a mail client meanwhile
                    continue
                yield f"{sub}/{name}", data

    def move(self, source_id: str, folder: str) -> None:
        """Into the Maildir++ subfolder ``.FOLDER`` (created), keeping the file name (and so its flags)."""
        sub, _, name = source_id.partition("/")
        if sub not in ("cur", "new") or not name or "/" in name or name.startswith("."):
            raise ValueError(f"not a source id of this Maildir: {source_id!r}")
        target = self.path / ("." + folder.strip("./").replace("/", "."))
        for part in ("cur", "new", "tmp"):
            (target / part).mkdir(parents=True, exist_ok=True)
        os.replace(self.path / sub / name, target / sub / name)


class MboxReader:
    """An mbox file, read only; source ids are ``mbox:N`` (the message's position, from 0)."""

    def __init__(self, path: Path | str, *, option: str = "--mbox") -> None:
        self.path = Path(path)
        if not self.path.is_file():
            raise InputError(f"{option} {self.path}: no such file", hint="give the path to an mbox file")
        with self.path.open("rb") as f:
            head = f.read(5)
        if head and head != b"From ":
            raise InputError(
                f"{option} {self.path}: not an mbox file (it does not start with a 'From ' line)",
                hint="for a Maildir use --maildir",
            )
        self.description = f"mbox {self.path}"

    def read(self) -> Iterator[tuple[str, bytes]]:
        import mailbox

        box = mailbox.mbox(self.path, create=False)
        try:
            for n, key in enumerate(box.iterkeys()):
                yield f"mbox:{n}", box.get_bytes(key)
        finally:
            box.close()

    def move(self, source_id: str, folder: str) -> None:
        raise InputError("--move-to works with IMAP and Maildir, not with an mbox file")


def poll(
    reader: Reader,
    *,
    interval: float = 60.0,
    stop: Callable[[], bool] = lambda: False,
    sleep: Callable[[float], None] = time.sleep,
) -> Iterator[tuple[str, bytes]]:
    """``--watch`` for a Maildir or an mbox: everything there now, then each message that appears, by
    re-reading every ``interval`` seconds until ``stop()``. A message a mail client renames (new/ to cur/)
    comes again under its new id; the caller's "already handled" memory (by Message-ID) absorbs that."""
    seen: set[str] = set()
    while not stop():
        present: set[str] = set()
        for sid, raw in reader.read():
            present.add(sid)
            if sid in seen:
                continue
            seen.add(sid)
            yield sid, raw
            if stop():
                return
        seen &= present  # forget what has gone, so the memory stays the size of the mailbox
        if stop():
            return
        sleep(interval)


# -- IMAP URL and credentials -------------------------------------------------------------------------------

Auth = Literal["password", "xoauth2"]


@dataclass(frozen=True)
class ImapSettings:
    """A parsed ``imap://`` / ``imaps://`` URL. ``password`` and ``oauth_token`` never show in repr."""

    host: str
    port: int
    tls: Tls
    username: str
    folder: str = "INBOX"
    auth: Auth = "password"
    cafile: str | None = None
    timeout: float = 60.0
    password: str | None = field(default=None, repr=False)
    oauth_token: str | None = field(default=None, repr=False)

    def describe(self) -> str:
        scheme = "imaps" if self.tls == "implicit" else "imap"
        extra = ", XOAUTH2" if self.auth == "xoauth2" else ""
        return f"{scheme}://{self.username}@{self.host}:{self.port}/{self.folder} ({TLS_WORDS[self.tls]}{extra})"


def parse_imap_url(url: str, *, option: str = "--imap") -> ImapSettings:
    """``imaps://user@host[:port][/FOLDER][?cafile=PATH&timeout=S&auth=xoauth2]`` or ``imap://...[?tls=...]``.

    Errors never repeat the URL: it might hold a password someone pasted into it.
    """
    example = "e.g. imaps://press@mail.hvsp.example/INBOX"
    parts, port = split_mail_url(
        url,
        option=option,
        kind="IMAP",
        schemes=("imap", "imaps"),
        shown="imaps:// or imap://",
        example=example,
        password_env=PASSWORD_ENV,
        default_port=993,
    )
    host = parts.hostname
    if not host:
        raise InputError(f"{option}: the URL has no host", hint=example)
    if not parts.username:
        raise InputError(f"{option}: the URL has no user name", hint=example)
    query = url_query(parts, option=option, known=("tls", "cafile", "timeout", "auth"))
    tls: Tls
    if parts.scheme == "imaps":
        if query.get("tls", "").lower() not in ("", "implicit"):
            raise InputError(f"{option}: imaps:// is always TLS", hint="for STARTTLS or none use imap://")
        tls = "implicit"
    else:
        tls = plain_scheme_tls(query.get("tls", ""), host, option=option)
    auth_text = query.get("auth", "password").lower()
    if auth_text not in ("password", "xoauth2"):
        raise InputError(f"{option}: auth={auth_text} is not known", hint="use auth=password or auth=xoauth2")
    auth: Auth = "xoauth2" if auth_text == "xoauth2" else "password"
    timeout, cafile = url_timeout_and_cafile(query, option=option)
    folder = unquote(parts.path.lstrip("/")) or "INBOX"
    check_folder_name(folder, option=option)
    return ImapSettings(
        host=host,
        port=port or (993 if tls == "implicit" else 143),
        tls=tls,
        username=unquote(parts.username),
        folder=folder,
        auth=auth,
        cafile=cafile,
        timeout=timeout,
    )


def check_folder_name(folder: str, *, option: str = "--imap") -> str:
    """A folder name pressctl can send as it is: ASCII (IMAP's modified UTF-7 is not done yet), no quotes,
    wildcards or line breaks. Returns it; raises :class:`InputError` otherwise."""
    if not folder.isascii():
        raise InputError(
            f"{option}: folder names with non-ASCII characters are not supported yet",
            hint="use an ASCII folder name, e.g. Processed or Press/Bounces",
        )
    if not folder or any(c in folder for c in '\r\n"*%\\') or len(folder) > 200:
        raise InputError(
            f"{option}: {folder[:40]!r} is not a folder name pressctl can use",
            hint="use letters, digits, spaces, dots, dashes and slashes",
        )
    return folder


def imap_credentials(
    settings: ImapSettings,
    *,
    environ: dict[str, str] | None = None,
    prompt: Callable[[str], str] | None = None,
) -> ImapSettings:
    """The settings with their secret: ``PRESSCTL_IMAP_OAUTH_TOKEN`` (XOAUTH2), ``PRESSCTL_IMAP_PASSWORD``
    or ``prompt("Password for USER at HOST: ")``. Raises :class:`InputError` when there is none to be had."""
    env = os.environ if environ is None else environ
    token = env.get(OAUTH_TOKEN_ENV) or None
    if settings.auth == "xoauth2" or token:
        if not token:
            raise InputError(
                f"--imap: XOAUTH2 needs an access token in {OAUTH_TOKEN_ENV}",
                hint="set it (e.g. from your identity provider's token command), or use auth=password",
            )
        return replace(settings, auth="xoauth2", oauth_token=token)
    password = env.get(PASSWORD_ENV) or None
    if password is None and prompt is not None:
        password = prompt(f"Password for {settings.username} at {settings.host}: ") or None
    if password is None:
        raise InputError(
            f"--imap: no password for {settings.username} at {settings.host}",
            hint=f"set {PASSWORD_ENV} in the environment, or run it in a terminal to be asked",
        )
    return replace(settings, password=password)


def xoauth2_string(user: str, token: str) -> bytes:
    """The SASL XOAUTH2 initial response (before base64, which imaplib adds)."""
    return f"user={user}\x01auth=Bearer {token}\x01\x01".encode()


# -- IMAP ---------------------------------------------------------------------------------------------------

_UIDVALIDITY = re.compile(rb"UIDVALIDITY (\d+)")


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
    ) -> None:
        self.settings = settings
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

    def read(self) -> Iterator[tuple[str, bytes]]:
        for uid in self.uids():
            raw = self.fetch(uid)
            if raw is not None:
                yield f"{self._uidvalidity}:{uid}", raw

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
    ) -> Iterator[tuple[str, bytes]]:
        """Every message in the folder, then each new one as it arrives, until ``stop()`` is true.

        Waits with IDLE (re-issued every ``idle_timeout`` seconds; RFC 2177 asks for under 29 minutes) when
        the server offers it, else polls every ``poll_interval`` seconds. New messages are found by UID, so
        a wake-up that carries no news costs one SEARCH.
        """
        last = 0
        while not stop():
            for uid in self.uids(after=last):
                last = max(last, uid)
                raw = self.fetch(uid)
                if raw is not None:
                    yield f"{self._uidvalidity}:{uid}", raw
                if stop():
                    return
            if stop():
                return
            if use_idle and "IDLE" in self._capabilities:
                self.idle(idle_timeout)
            else:
                self._sleep(poll_interval)
                try:
                    self._conn().noop()
                except (imaplib.IMAP4.error, OSError) as exc:
                    raise TransportError(f"connection lost ({self._scrub(exc)})", where=self._where()) from None

    def idle(self, timeout: float) -> list[bytes]:
        """IDLE until the server reports something or ``timeout`` seconds pass; returns the untagged lines."""
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
                    select.select([sock], [], [], timeout)
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
