"""pressctl.bounces.mailbox and .imap: Maildir and mbox readers, IMAP URLs and credentials (no server needed)."""

from __future__ import annotations

import mailbox as stdlib_mailbox
from pathlib import Path

import pytest

from pressctl.bounces.imap import ImapMailbox
from pressctl.bounces.imapurl import ImapSettings, imap_credentials, parse_imap_url, xoauth2_string
from pressctl.bounces.mailbox import MaildirReader, MboxReader, poll
from pressctl.errors import InputError, TransportError

DATA = Path(__file__).parent / "bounces_data"
SECRET = "s3cret-Harbour-pw"


def _maildir(tmp_path: Path) -> Path:
    box = tmp_path / "Maildir"
    for sub in ("cur", "new", "tmp"):
        (box / sub).mkdir(parents=True)
    (box / "new" / "1700000001.a.host").write_bytes((DATA / "dsn_postfix.eml").read_bytes())
    (box / "cur" / "1700000000.b.host:2,S").write_bytes((DATA / "ooo_en.eml").read_bytes())
    (box / "tmp" / "1700000002.c.host").write_bytes(b"half written")
    return box


def _snapshot(root: Path) -> dict[str, tuple[bytes, float]]:
    return {
        str(p.relative_to(root)): (p.read_bytes(), p.stat().st_mtime)
        for p in sorted(root.rglob("*"))
        if p.is_file()
    }


def test_maildir_reads_cur_and_new_and_changes_nothing(tmp_path: Path) -> None:
    box = _maildir(tmp_path)
    before = _snapshot(box)
    got = list(MaildirReader(box).read())
    assert [sid for sid, _ in got] == ["cur/1700000000.b.host:2,S", "new/1700000001.a.host"]
    assert got[1][1] == (DATA / "dsn_postfix.eml").read_bytes()
    assert _snapshot(box) == before  # not renamed into cur/, not flagged, tmp/ ignored


def test_maildir_move_to_a_maildirplus_subfolder(tmp_path: Path) -> None:
    box = _maildir(tmp_path)
    reader = MaildirReader(box)
    reader.move("new/1700000001.a.host", "Processed")
    assert (box / ".Processed" / "new" / "1700000001.a.host").is_file()
    assert [sid for sid, _ in reader.read()] == ["cur/1700000000.b.host:2,S"]
    with pytest.raises(ValueError):
        reader.move("../../etc/passwd", "Processed")


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda p: p / "missing", "no such directory"),
        (lambda p: p, "not a Maildir (it has neither cur/ nor new/)"),
    ],
)
def test_maildir_bad_paths_are_one_line_input_errors(tmp_path: Path, make, message: str) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(InputError) as err:
        MaildirReader(make(tmp_path))
    assert message in str(err.value)
    assert err.value.exit_code == 2


def test_mbox_reads_every_message_read_only(tmp_path: Path) -> None:
    path = tmp_path / "bounces.mbox"
    box = stdlib_mailbox.mbox(path)
    for name in ("dsn_postfix.eml", "reply_zh.eml"):
        box.add((DATA / name).read_bytes())
    box.close()
    before = path.read_bytes()
    got = list(MboxReader(path).read())
    assert [sid for sid, _ in got] == ["mbox:0", "mbox:1"]
    assert b"<5e6f708192a3b4c5d6e7f8091a2b3c4d@hvsp.example>" in got[0][1]
    assert "您好".encode() in got[1][1]
    assert path.read_bytes() == before
    with pytest.raises(InputError, match="not with an mbox"):
        MboxReader(path).move("mbox:0", "Processed")


def test_mbox_that_is_not_one(tmp_path: Path) -> None:
    path = tmp_path / "x.mbox"
    path.write_bytes(b"Subject: hi\n\nnot an mbox\n")
    with pytest.raises(InputError, match="not an mbox file"):
        MboxReader(path)
    with pytest.raises(InputError, match="no such file"):
        MboxReader(tmp_path / "nope.mbox")


# -- URLs -----------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("url", "host", "port", "tls", "folder"),
    [
        ("imaps://press@mail.hvsp.example/INBOX", "mail.hvsp.example", 993, "implicit", "INBOX"),
        ("imaps://press@mail.hvsp.example", "mail.hvsp.example", 993, "implicit", "INBOX"),
        ("imap://press@mail.hvsp.example/Bounces", "mail.hvsp.example", 143, "starttls", "Bounces"),
        ("imap://press@mail.hvsp.example:1143/INBOX?tls=none", "mail.hvsp.example", 1143, "none", "INBOX"),
        ("imap://press@127.0.0.1:1143/INBOX", "127.0.0.1", 1143, "opportunistic", "INBOX"),
        ("imap://press@localhost/INBOX?tls=starttls", "localhost", 143, "starttls", "INBOX"),
        ("imap://press%40hvsp.example@mail.hvsp.example/Press%20Replies", "mail.hvsp.example", 143, "starttls", "Press Replies"),
    ],
)
def test_imap_url(url: str, host: str, port: int, tls: str, folder: str) -> None:
    s = parse_imap_url(url)
    assert (s.host, s.port, s.tls, s.folder) == (host, port, tls, folder)


def test_imap_url_user_is_unquoted() -> None:
    assert parse_imap_url("imap://press%40hvsp.example@mail.hvsp.example/").username == "press@hvsp.example"


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("http://press@mail.hvsp.example/", "must start with imaps:// or imap://"),
        (f"imaps://press:{SECRET}@mail.hvsp.example/", "must not contain a password"),
        ("imaps://mail.hvsp.example/", "has no user name"),
        ("imaps:///INBOX", "has no host"),
        ("imap://press@mail.hvsp.example/?tls=maybe", "tls=maybe is not known"),
        ("imaps://press@mail.hvsp.example/?tls=none", "imaps:// is always TLS"),
        ("imap://press@mail.hvsp.example/?auth=kerberos", "auth=kerberos is not known"),
        ("imap://press@mail.hvsp.example/?colour=blue", "unknown URL option 'colour'"),
        ("imap://press@mail.hvsp.example/?cafile=/nonexistent.pem", "does not exist"),
        ("imap://press@mail.hvsp.example:0/", "port 0 is not a port"),
        ("imap://press@mail.hvsp.example/?timeout=soon", "timeout must be a number"),
        ("imap://press@mail.hvsp.example/%E5%9B%9E%E8%A6%86", "non-ASCII characters are not supported yet"),
        ("imap://press@mail.hvsp.example/Bad%22Name", "is not a folder name pressctl can use"),
        ("imap://press%0D%0AA1%20LOGOUT@mail.hvsp.example/", "user name contains a line break or control character"),
        ("imap://press%0Ax@mail.hvsp.example/", "user name contains a line break or control character"),
        ("imap://press%00@mail.hvsp.example/", "user name contains a line break or control character"),
    ],
)
def test_imap_url_errors_are_input_errors_without_the_url(url: str, message: str) -> None:
    with pytest.raises(InputError) as err:
        parse_imap_url(url)
    assert message in str(err.value)
    assert SECRET not in str(err.value)


# -- credentials ---------------------------------------------------------------------------------------------


def test_password_from_environment_never_in_repr() -> None:
    s = imap_credentials(parse_imap_url("imaps://press@mail.hvsp.example/"), environ={"PRESSCTL_IMAP_PASSWORD": SECRET})
    assert s.password == SECRET and s.auth == "password"
    assert SECRET not in repr(s)
    assert SECRET not in repr(ImapMailbox(s))
    assert SECRET not in s.describe()


def test_password_from_prompt() -> None:
    asked: list[str] = []

    def prompt(question: str) -> str:
        asked.append(question)
        return SECRET

    s = imap_credentials(parse_imap_url("imaps://press@mail.hvsp.example/"), environ={}, prompt=prompt)
    assert s.password == SECRET
    assert asked == ["Password for press at mail.hvsp.example: "]


def test_no_password_is_an_input_error() -> None:
    with pytest.raises(InputError, match=r"no password for press at mail\.hvsp\.example"):
        imap_credentials(parse_imap_url("imaps://press@mail.hvsp.example/"), environ={})


def test_oauth_token_switches_to_xoauth2_and_stays_secret() -> None:
    url = parse_imap_url("imaps://press@mail.hvsp.example/?auth=xoauth2")
    with pytest.raises(InputError, match="PRESSCTL_IMAP_OAUTH_TOKEN"):
        imap_credentials(url, environ={"PRESSCTL_IMAP_PASSWORD": "pw"})
    s = imap_credentials(parse_imap_url("imaps://press@mail.hvsp.example/"), environ={"PRESSCTL_IMAP_OAUTH_TOKEN": SECRET})
    assert (s.auth, s.oauth_token, s.password) == ("xoauth2", SECRET, None)
    assert SECRET not in repr(s)
    assert xoauth2_string("press@hvsp.example", "tok") == b"user=press@hvsp.example\x01auth=Bearer tok\x01\x01"


def test_unreachable_server_is_a_transport_error_naming_host_not_secret() -> None:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]  # closed again: nothing listens there
    settings = ImapSettings("127.0.0.1", port, "none", "press", password=SECRET, timeout=5)
    with pytest.raises(TransportError) as err:
        ImapMailbox(settings).open()
    assert f"IMAP press@127.0.0.1:{port}" in str(err.value)
    assert SECRET not in str(err.value)
    assert err.value.exit_code == 1


def test_poll_a_maildir_yields_old_then_new_messages_once(tmp_path: Path) -> None:
    box = _maildir(tmp_path)
    reader = MaildirReader(box)
    naps: list[float] = []
    got: list[str] = []

    def sleep(seconds: float) -> None:  # injected clock: mail arrives during the second wait
        naps.append(seconds)
        if len(naps) == 2:
            (box / "new" / "1700000009.d.host").write_bytes((DATA / "reply_en.eml").read_bytes())

    opened: list[bytes] = []
    read_file = reader._read_file

    def counting(path: bytes) -> object:
        opened.append(path)
        return read_file(path)

    reader._read_file = counting  # type: ignore[assignment,method-assign]
    for sid, _raw in poll(reader, interval=30, stop=lambda: len(naps) >= 4, sleep=sleep):
        got.append(sid)
    assert got == ["cur/1700000000.b.host:2,S", "new/1700000001.a.host", "new/1700000009.d.host"]
    assert naps == [30, 30, 30, 30]
    assert len(opened) == len(set(opened)) == 3  # each file read once, not again at every poll


class _NoStartTlsServer:
    """The outermost edge only: a loopback IMAP greeting that offers no STARTTLS; records what it hears."""

    def __init__(self) -> None:
        import socket
        import threading

        self.heard: list[bytes] = []
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(1)
        self.port = self.sock.getsockname()[1]
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self) -> None:
        conn, _ = self.sock.accept()
        with conn:
            conn.sendall(b"* OK [CAPABILITY IMAP4rev1 AUTH=PLAIN] HVSP test ready\r\n")
            buf = b""
            while True:
                data = conn.recv(4096)
                if not data:
                    return
                buf += data
                while b"\r\n" in buf:
                    line, buf = buf.split(b"\r\n", 1)
                    self.heard.append(line)
                    tag, _, command = line.partition(b" ")
                    if command.upper().startswith(b"CAPABILITY"):
                        conn.sendall(b"* CAPABILITY IMAP4rev1 AUTH=PLAIN\r\n" + tag + b" OK done\r\n")
                    elif command.upper().startswith(b"LOGOUT"):
                        conn.sendall(b"* BYE\r\n" + tag + b" OK bye\r\n")
                        return
                    else:
                        conn.sendall(tag + b" BAD not here\r\n")

    def close(self) -> None:
        self.sock.close()


def test_starttls_required_but_not_offered_sends_no_password() -> None:
    server = _NoStartTlsServer()
    try:
        url = f"imap://press@127.0.0.1:{server.port}/INBOX?tls=starttls&timeout=10"
        settings = imap_credentials(parse_imap_url(url), environ={"PRESSCTL_IMAP_PASSWORD": SECRET})
        with pytest.raises(TransportError) as err:
            ImapMailbox(settings).open()
        assert "does not offer STARTTLS" in str(err.value)
        server.thread.join(10)
        assert not any(b"LOGIN" in line.upper() or SECRET.encode() in line for line in server.heard)
    finally:
        server.close()


# -- Maildir safety (issue 17) ------------------------------------------------------------------------------


def test_maildir_opens_regular_files_only_and_any_file_name(tmp_path: Path) -> None:
    import os

    from pressctl.bounces.mailbox import Unreadable

    box = _maildir(tmp_path)
    os.mkfifo(box / "new" / "2.fifo")
    (box / "new" / "3.passwd").symlink_to("/etc/passwd")
    (box / "new" / "4.zero").symlink_to("/dev/zero")
    (box / "cur" / "5.inside").symlink_to(box / "new" / "1700000001.a.host")  # a link inside the Maildir is fine
    with open(os.path.join(os.fsencode(box / "new"), b"6.\xff\xfe"), "wb") as fh:
        fh.write(b"Subject: odd name\r\n\r\nhello\r\n")
    (box / "new" / "7.big").write_bytes(b"Subject: big\r\n\r\n" + b"x" * 5000)
    reader = MaildirReader(box, max_bytes=4000)
    got = dict(reader.read())
    unreadable = {sid: r.reason for sid, r in got.items() if isinstance(r, Unreadable)}
    assert unreadable == {
        "new/2.fifo": "a named pipe (FIFO), not a message file; not read",
        "new/3.passwd": "a link to a file outside the Maildir; not read",
        "new/4.zero": "a link to a file outside the Maildir; not read",
        "new/7.big": "5,016 bytes, over the limit (inbound_bytes = 4000 in [limits]); not read",
    }
    assert got["cur/5.inside"] == got["new/1700000001.a.host"]
    assert got["new/6.\\xff\\xfe"] == b"Subject: odd name\r\n\r\nhello\r\n"  # shown escaped, read as it is
    reader.move("new/6.\\xff\\xfe", "Processed")
    assert os.listdir(os.fsencode(box / ".Processed" / "new")) == [b"6.\xff\xfe"]


def test_mbox_message_over_the_limit_is_not_read(tmp_path: Path) -> None:
    from pressctl.bounces.mailbox import Unreadable

    path = tmp_path / "big.mbox"
    box = stdlib_mailbox.mbox(path)
    box.add(b"Subject: small\r\n\r\nhi\r\n")
    box.add(b"Subject: big\r\n\r\n" + b"x" * 5000 + b"\r\n")
    box.close()
    got = list(MboxReader(path, max_bytes=4000).read())
    assert isinstance(got[1][1], Unreadable) and "over the limit" in got[1][1].reason
    assert isinstance(got[0][1], bytes)


def test_an_mbox_that_is_a_fifo_is_refused_without_hanging(tmp_path: Path) -> None:
    import os

    os.mkfifo(tmp_path / "box.mbox")
    with pytest.raises(InputError, match="named pipe"):
        MboxReader(tmp_path / "box.mbox")
