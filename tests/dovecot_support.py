"""A real Dovecot IMAP server on 127.0.0.1 for tests: its own instance, config and Maildir under a temp dir.

Usage::

    with DovecotServer(tmp_path) as imap:       # or the ``dovecot`` fixture in a test module
        imap.deliver(raw_bytes)                  # drop a message into the user's INBOX (Maildir new/)
        url = imap.url(tls="starttls")           # imap://press@127.0.0.1:PORT/INBOX?cafile=...
        ... PRESSCTL_IMAP_PASSWORD = imap.password ...

``dovecot -c FILE`` runs with a config of its own (never /etc/dovecot's): ``base_dir``, ``state_dir`` and the
log under the temp dir, IMAP on a free loopback port with STARTTLS (a trustme certificate for 127.0.0.1 and
localhost) and plaintext allowed (loopback), IMAPS on a second port, a passwd-file user ``press`` (mail stored as ``nobody``, in a 0755 temp dir of its own, removed on stop) whose
password also works as an XOAUTH2 token (Dovecot 2.3 checks an XOAUTH2 token against the passdb like a
password), and a Maildir++ mailbox at ``self.maildir`` (subfolders as ``.Name``). The master runs in the
foreground (``-F``) as the test's own child and is stopped with SIGTERM, waiting for it to exit. Skips with a reason when not root (Dovecot must
start as root) or when dovecot is not installed (Debian ``dovecot-imapd``).
"""

from __future__ import annotations

import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

import pytest
from wait_support import wait_for

__all__ = ["DovecotServer", "free_port"]

USER = "press"
PASSWORD = "hvsp-imap-test-secret"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _skip_reason() -> str | None:
    if shutil.which("dovecot") is None and not Path("/usr/sbin/dovecot").exists():
        return "dovecot is not installed (Debian package dovecot-imapd)"
    if os.geteuid() != 0:
        return "dovecot must be started as root"
    return None


class DovecotServer:
    def __init__(self, root: Path) -> None:
        reason = _skip_reason()
        if reason:
            pytest.skip(reason)
        import trustme

        # Not under pytest's 0700 temp dirs: the mail user (nobody) must reach the Maildir.
        self.root = Path(tempfile.mkdtemp(prefix="pressctl-dovecot-"))
        os.chmod(self.root, 0o755)
        self.tmp_root = Path(root)
        nobody = pwd.getpwnam("nobody")
        self.uid, self.gid = nobody.pw_uid, nobody.pw_gid
        self.maildir = self.root / "Maildir"
        self.user = USER
        self.password = PASSWORD
        self.host = "127.0.0.1"
        self.port = free_port()
        self.tls_port = free_port()
        self.ca = trustme.CA()
        self.cafile = self.root / "ca.pem"
        self._proc: subprocess.Popen[bytes] | None = None
        self._ca_obj: Any = self.ca

    # -- lifecycle -------------------------------------------------------------------------------------------

    def _write_config(self) -> Path:
        root = self.root
        for d in ("run", "state", "home", "Maildir/cur", "Maildir/new", "Maildir/tmp"):
            (root / d).mkdir(parents=True, exist_ok=True)
        os.chmod(root / "run", 0o755)
        for d in ("home", "Maildir", "Maildir/cur", "Maildir/new", "Maildir/tmp"):
            os.chown(root / d, self.uid, self.gid)
        cert = self.ca.issue_cert("127.0.0.1", "localhost")
        cert.private_key_pem.write_to_path(str(root / "key.pem"))
        cert.cert_chain_pems[0].write_to_path(str(root / "cert.pem"))
        self.ca.cert_pem.write_to_path(str(self.cafile))
        os.chmod(root / "key.pem", 0o600)
        (root / "passwd").write_text(f"{self.user}:{{PLAIN}}{self.password}::::::\n", encoding="ascii")
        conf = root / "dovecot.conf"
        conf.write_text(
            f"""\
base_dir = {root}/run
state_dir = {root}/state
log_path = {root}/dovecot.log
instance_name = pressctl-test-{root.name}
listen = 127.0.0.1
protocols = imap
ssl = yes
ssl_cert = <{root}/cert.pem
ssl_key = <{root}/key.pem
ssl_min_protocol = TLSv1.2
disable_plaintext_auth = no
auth_mechanisms = plain login xoauth2
mail_location = maildir:{self.maildir}
namespace inbox {{
  inbox = yes
  separator = .
}}
passdb {{
  driver = passwd-file
  args = scheme=PLAIN username_format=%u {root}/passwd
}}
userdb {{
  driver = static
  args = uid={self.uid} gid={self.gid} home={root}/home
}}
service imap-login {{
  inet_listener imap {{
    address = 127.0.0.1
    port = {self.port}
  }}
  inet_listener imaps {{
    address = 127.0.0.1
    port = {self.tls_port}
    ssl = yes
  }}
}}
service anvil {{
  chroot =
}}
# pytest's temp dirs are 0700 root: the auth processes read the passwd-file as root
service auth {{
  user = root
}}
service auth-worker {{
  user = root
}}
protocol imap {{
  mail_max_userip_connections = 50
  imap_idle_notify_interval = 1 secs
}}
""",
            encoding="utf-8",
        )
        return conf

    def start(self) -> None:
        self.conf = self._write_config()
        # -F: the master stays in the foreground as our child, so stopping it is ours to do, by its pid.
        self._out = (self.root / "dovecot.stderr").open("wb")
        self._proc = subprocess.Popen(
            ["dovecot", "-F", "-c", str(self.conf)], stdout=self._out, stderr=subprocess.STDOUT
        )
        proc = self._proc
        greeted: list[bool] = []

        def answers() -> bool:  # (or ended: then there is nothing to wait for)
            if proc.poll() is not None:
                return True
            try:
                with socket.create_connection((self.host, self.port), timeout=1) as s:
                    greeted.append(s.recv(100).startswith(b"* OK"))
            except OSError:
                return False
            return greeted[-1]

        if wait_for(answers, 20) and greeted and greeted[-1] and proc.poll() is None:
            return
        self.stop()
        raise RuntimeError(f"dovecot did not answer on {self.host}:{self.port}: {self.log()}")

    def stop(self) -> None:
        proc, self._proc = self._proc, None
        if proc is None:
            return
        if proc.poll() is None:
            proc.terminate()  # the master stops its children and exits
            try:
                proc.wait(15)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(5)
        self._out.close()
        shutil.rmtree(self.root, ignore_errors=True)

    def __enter__(self) -> DovecotServer:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def log(self) -> str:
        text = ""
        for name in ("dovecot.stderr", "dovecot.log"):
            path = self.root / name
            if path.exists():
                text += path.read_text(errors="replace")[-2000:]
        return text

    # -- helpers for tests ----------------------------------------------------------------------------------

    def deliver(self, raw: bytes, *, folder: str = "") -> Path:
        """Put a message into INBOX (or ``.folder``) the way an MDA does: write to tmp/, rename into new/."""
        box = self.maildir / (f".{folder}" if folder else "")
        for sub in ("", "cur", "new", "tmp"):
            if not (box / sub).is_dir():
                (box / sub).mkdir(parents=True)
                os.chown(box / sub, self.uid, self.gid)
        name = f"{time.time_ns()}.{uuid.uuid4().hex[:8]}.pressctl-test"
        (box / "tmp" / name).write_bytes(raw)
        os.chown(box / "tmp" / name, self.uid, self.gid)
        os.replace(box / "tmp" / name, box / "new" / name)
        return box / "new" / name

    def messages(self, folder: str = "") -> list[bytes]:
        """The bytes of every message in INBOX (or ``.folder``), as files on disk."""
        box = self.maildir / (f".{folder}" if folder else "")
        out = []
        for sub in ("cur", "new"):
            if (box / sub).is_dir():
                out.extend((box / sub / n).read_bytes() for n in sorted(os.listdir(box / sub)))
        return out

    def url(self, *, tls: str = "starttls", folder: str = "INBOX", auth: str = "") -> str:
        """An IMAP URL for this server: tls is "starttls", "implicit", "none" or "" (loopback default)."""
        query = [f"cafile={self.cafile}"]
        if auth:
            query.append(f"auth={auth}")
        if tls == "implicit":
            return f"imaps://{self.user}@{self.host}:{self.tls_port}/{folder}?" + "&".join(query)
        if tls:
            query.append(f"tls={tls}")
        return f"imap://{self.user}@{self.host}:{self.port}/{folder}?" + "&".join(query)
