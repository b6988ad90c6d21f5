"""A real Postfix smtpd for tests: its own instance (config dir, queue, data dir, log) under a temp dir,
listening on 127.0.0.1:<free port>. The machine's own Postfix (/etc/postfix) is never touched.

Usage (the ``postfix_relay`` fixture is a factory; every instance it starts is stopped at teardown, also
when the test fails)::

    def test_x(postfix_relay):
        relay = postfix_relay(connection_count_limit=2, message_rate_limit=20, rate_time_unit="10s")
        ... send to relay.host, relay.port (plain SMTP, no TLS, no AUTH) ...
        relay.wait_delivered()                      # the queue is empty: delivered or bounced
        relay.maildir("press")                      # Maildir of press@hvsp.test: list of Path
        relay.log()                                 # the instance's maillog text

Mail to the virtual domain ``hvsp.test`` (:data:`DOMAIN`) is delivered to Maildirs under
``relay.root / "mail" / DOMAIN / <user>/``; the mailboxes are :data:`MAILBOXES` plus any ``mailboxes=``
given. Unknown users of that domain are *accepted* at RCPT (``smtpd_reject_unlisted_recipient = no``) and
bounced after acceptance, so a real RFC 3464 DSN lands in the sender's Maildir when the sender is one of the
mailboxes (e.g. ``press@hvsp.test``). Mail to other domains is refused (relay access denied).

Limits (anvil) apply to loopback too: ``smtpd_client_event_limit_exceptions`` is emptied.

Postfix needs root (it drops to the ``postfix`` user); tests using the fixture are skipped with a reason
when not root or when Postfix is not installed (Debian package ``postfix``, see scripts/dev).
"""

from __future__ import annotations

import email
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from email.message import Message
from pathlib import Path

import pytest
from wait_support import wait_for

__all__ = ["DOMAIN", "MAILBOXES", "PostfixRelay", "postfix_relay", "postfix_unavailable"]

DOMAIN = "hvsp.test"
MAILBOXES = ("press", "newsdesk", "editor", "reporter")

POSTFIX = "/usr/sbin/postfix"
DAEMON_DIRECTORY = "/usr/lib/postfix/sbin"

_MASTER_CF = """\
{listen} inet n - n - - smtpd
pickup    unix  n       -       n       60      1       pickup
cleanup   unix  n       -       n       -       0       cleanup
qmgr      unix  n       -       n       300     1       qmgr
rewrite   unix  -       -       n       -       -       trivial-rewrite
bounce    unix  -       -       n       -       0       bounce
defer     unix  -       -       n       -       0       bounce
trace     unix  -       -       n       -       0       bounce
verify    unix  -       -       n       -       1       verify
flush     unix  n       -       n       1000?   0       flush
proxymap  unix  -       -       n       -       -       proxymap
proxywrite unix -       -       n       -       1       proxymap
smtp      unix  -       -       n       -       -       smtp
relay     unix  -       -       n       -       -       smtp
showq     unix  n       -       n       -       -       showq
error     unix  -       -       n       -       -       error
retry     unix  -       -       n       -       -       error
discard   unix  -       -       n       -       -       discard
local     unix  -       n       n       -       -       local
virtual   unix  -       n       n       -       -       virtual
lmtp      unix  -       -       n       -       -       lmtp
anvil     unix  -       -       n       -       1       anvil
scache    unix  -       -       n       -       1       scache
postlog   unix-dgram n  -       n       -       1       postlogd
"""


def postfix_unavailable() -> str | None:
    """Why a real Postfix cannot run here (None when it can)."""
    if not Path(POSTFIX).exists() or not Path(DAEMON_DIRECTORY, "smtpd").exists():
        return "Postfix is not installed (Debian package postfix; scripts/dev installs it)"
    if os.geteuid() != 0:
        return "a real Postfix instance needs root (CI runs as root)"
    try:
        pwd.getpwnam("postfix")
    except KeyError:
        return "the postfix user does not exist (install the Debian package postfix)"
    return None


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class PostfixRelay:
    """One running instance. Build it with the ``postfix_relay`` fixture; ``stop()`` is idempotent."""

    root: Path
    port: int
    host: str = "127.0.0.1"
    domain: str = DOMAIN
    mailboxes: tuple[str, ...] = MAILBOXES
    settings: dict[str, str] = field(default_factory=dict)
    running: bool = False

    @property
    def config_dir(self) -> Path:
        return self.root / "etc"

    @property
    def queue_dir(self) -> Path:
        return self.root / "queue"

    @property
    def url(self) -> str:
        return f"smtp://{self.host}:{self.port}?tls=none"

    def address(self, user: str) -> str:
        return f"{user}@{self.domain}"

    # -- lifecycle -------------------------------------------------------------------------------------
    def write_config(self) -> None:
        etc, mail = self.config_dir, self.root / "mail"
        for sub in (etc, self.queue_dir, self.root / "data", mail):
            sub.mkdir(parents=True, exist_ok=True)
        nobody = pwd.getpwnam("nobody")
        pf = pwd.getpwnam("postfix")
        # Maildirs belong to "nobody" (virtual delivery refuses root); the data dir to postfix.
        os.chown(mail, nobody.pw_uid, nobody.pw_gid)
        os.chown(self.root / "data", pf.pw_uid, pf.pw_gid)
        (etc / "vmailbox").write_text("".join(f"{self.address(u)} {self.domain}/{u}/\n" for u in self.mailboxes))
        main = {
            "compatibility_level": "3.6",
            "queue_directory": str(self.queue_dir),
            "data_directory": str(self.root / "data"),
            "daemon_directory": DAEMON_DIRECTORY,
            "command_directory": "/usr/sbin",
            "mail_owner": "postfix",
            "setgid_group": "postdrop",
            "syslog_name": f"pressctl-test-{self.port}",
            "maillog_file": str(self.root / "maillog"),
            "maillog_file_prefixes": str(self.root),
            "myhostname": "mx.hvsp.test",
            "mydomain": self.domain,
            "myorigin": self.domain,
            "mydestination": "",
            "inet_interfaces": "127.0.0.1",
            "inet_protocols": "ipv4",
            "mynetworks": "192.0.2.1/32",  # loopback is *not* trusted: relaying elsewhere is refused
            "alias_maps": "",
            "alias_database": "",
            "local_recipient_maps": "",
            "relayhost": "",
            "smtpd_relay_restrictions": "permit_mynetworks, reject_unauth_destination",
            "smtpd_recipient_restrictions": "",
            "smtpd_reject_unlisted_recipient": "no",
            "smtpd_client_event_limit_exceptions": "",
            "virtual_mailbox_domains": self.domain,
            "virtual_mailbox_base": str(mail),
            "virtual_mailbox_maps": f"texthash:{etc / 'vmailbox'}",
            "virtual_uid_maps": f"static:{nobody.pw_uid}",
            "virtual_gid_maps": f"static:{nobody.pw_gid}",
            "virtual_minimum_uid": "1",
            "smtputf8_enable": "yes",
            "biff": "no",
            "smtpd_tls_security_level": "none",
            "smtp_tls_security_level": "none",
            "smtpd_banner": "$myhostname ESMTP",
            "maximal_queue_lifetime": "1d",
            "bounce_queue_lifetime": "1d",
            "queue_run_delay": "1s",
            "minimal_backoff_time": "1s",
            "maximal_backoff_time": "2s",
            "notify_classes": "resource, software",
            "shlib_directory": "/usr/lib/postfix",
            "meta_directory": "/etc/postfix",
        }
        main.update(self.settings)
        (etc / "main.cf").write_text("".join(f"{k} = {v}\n" for k, v in main.items()))
        (etc / "master.cf").write_text(_MASTER_CF.format(listen=f"{self.host}:{self.port}"))

    def _postfix(self, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [POSTFIX, "-c", str(self.config_dir), *args], capture_output=True, text=True, check=check, timeout=60
        )

    def start(self) -> PostfixRelay:
        self.write_config()
        done = self._postfix("start", check=False)
        if done.returncode != 0:
            raise RuntimeError(f"postfix start failed: {done.stderr.strip()}\n{self.log()}")
        self.running = True

        def answers() -> bool:  # the master opens the listening socket itself, a moment after `start` returns
            try:
                with socket.create_connection((self.host, self.port), timeout=2) as sock:
                    return sock.recv(200).startswith(b"220")
            except OSError:
                return False

        if not wait_for(answers, 20, every=0.1):
            raise RuntimeError(f"postfix on port {self.port} did not answer\n{self.log()}")
        # The probe sent no mail and is closed: it counts for no limit but a connection *rate* limit.
        return self

    def stop(self) -> None:
        if self.running:
            self.running = False
            done = self._postfix("stop", check=False)
            if done.returncode != 0:  # last resort: never leave a master running after the tests
                self._postfix("abort", check=False)

    # -- results ---------------------------------------------------------------------------------------
    def queue_size(self) -> int:
        """Messages still in Postfix's queue (incoming, active, deferred, ...)."""
        count = 0
        for sub in ("incoming", "active", "deferred", "hold", "maildrop"):
            base = self.queue_dir / sub
            if base.is_dir():
                count += sum(len(files) for _d, _s, files in os.walk(base))
        return count

    def wait_delivered(self, *, timeout: float = 30.0, expect: Callable[[], bool] | None = None) -> None:
        """Wait until the queue is empty (everything delivered or bounced) and ``expect()`` holds.

        Raises ``AssertionError`` with the log's tail when it does not happen in ``timeout`` seconds.
        """

        def delivered() -> bool:
            if self.queue_size() == 0 and (expect is None or expect()):
                return True
            if self.queue_size():
                self._postfix("flush", check=False)
            return False

        if wait_for(delivered, timeout, every=0.2):
            return
        raise AssertionError(f"postfix queue not delivered in {timeout:g}s\n{self.log()[-3000:]}")

    def maildir(self, user: str) -> list[Path]:
        """Files in the Maildir of ``user@domain`` (new/ and cur/), oldest first."""
        base = self.root / "mail" / self.domain / user
        files = [p for sub in ("new", "cur") if (base / sub).is_dir() for p in (base / sub).iterdir()]
        return sorted(files, key=lambda p: (p.stat().st_mtime, p.name))

    def messages(self, user: str) -> list[Message]:
        return [email.message_from_bytes(p.read_bytes()) for p in self.maildir(user)]

    def log(self) -> str:
        path = self.root / "maillog"
        return path.read_text(errors="replace") if path.exists() else ""


@pytest.fixture
def postfix_relay() -> Iterator[Callable[..., PostfixRelay]]:
    """A factory: ``postfix_relay(**limits) -> PostfixRelay``, started; all are stopped at teardown.

    Keyword arguments: ``connection_count_limit``, ``message_rate_limit``, ``recipient_rate_limit``,
    ``rate_time_unit`` (e.g. ``"10s"``), ``message_size_limit`` (bytes), ``mailboxes`` (extra local parts),
    and ``settings`` (any other main.cf parameters).
    """
    why = postfix_unavailable()
    if why:
        pytest.skip(why)
    started: list[PostfixRelay] = []

    def make(
        *,
        connection_count_limit: int | None = None,
        message_rate_limit: int | None = None,
        recipient_rate_limit: int | None = None,
        rate_time_unit: str | None = None,
        message_size_limit: int | None = None,
        mailboxes: tuple[str, ...] = (),
        settings: dict[str, str] | None = None,
    ) -> PostfixRelay:
        extra: dict[str, str] = {}
        if connection_count_limit is not None:
            extra["smtpd_client_connection_count_limit"] = str(connection_count_limit)
        if message_rate_limit is not None:
            extra["smtpd_client_message_rate_limit"] = str(message_rate_limit)
        if recipient_rate_limit is not None:
            extra["smtpd_client_recipient_rate_limit"] = str(recipient_rate_limit)
        if rate_time_unit is not None:
            extra["anvil_rate_time_unit"] = rate_time_unit
        if message_size_limit is not None:
            extra["message_size_limit"] = str(message_size_limit)
        extra.update(settings or {})
        # Not under pytest's tmp dir: that is 0700 and Postfix's daemons (user postfix) must walk into it.
        root = Path(tempfile.mkdtemp(prefix="pressctl-postfix-"))
        os.chmod(root, 0o755)
        relay = PostfixRelay(
            root=root, port=_free_port(), mailboxes=MAILBOXES + tuple(mailboxes), settings=extra
        )
        started.append(relay)
        return relay.start()

    try:
        yield make
    finally:
        for relay in started:
            relay.stop()
        for relay in started:
            shutil.rmtree(relay.root, ignore_errors=True)
