"""pressctl.bounces.mailbox.ImapMailbox against a real Dovecot on 127.0.0.1 (tests/dovecot_support.py)."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from dovecot_support import DovecotServer

from pressctl.bounces.imap import ImapMailbox
from pressctl.bounces.imapurl import imap_credentials, parse_imap_url
from pressctl.bounces.parse import parse_message
from pressctl.errors import InputError, TransportError

pytestmark = pytest.mark.slow

DATA = Path(__file__).parent / "bounces_data"


@pytest.fixture(scope="module")
def dovecot(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DovecotServer]:
    with DovecotServer(tmp_path_factory.mktemp("imap")) as server:
        yield server


@pytest.fixture
def inbox(dovecot: DovecotServer) -> Iterator[DovecotServer]:
    """An empty INBOX (and no Processed folder) for each test."""
    import shutil

    def clear() -> None:
        for folder in (dovecot.maildir, dovecot.maildir / ".Processed"):
            for sub in ("cur", "new"):
                if (folder / sub).is_dir():
                    for f in (folder / sub).iterdir():
                        f.unlink()
        shutil.rmtree(dovecot.maildir / ".Processed", ignore_errors=True)

    clear()
    yield dovecot
    clear()


def _box(server: DovecotServer, *, tls: str = "starttls", secret: str | None = None, auth: str = "") -> ImapMailbox:
    env = {"PRESSCTL_IMAP_PASSWORD": secret or server.password}
    if auth == "xoauth2":
        env = {"PRESSCTL_IMAP_OAUTH_TOKEN": secret or server.password}
    settings = imap_credentials(parse_imap_url(server.url(tls=tls, auth=auth)), environ=env)
    return ImapMailbox(settings)


@pytest.mark.parametrize("tls", ["starttls", "implicit", "none", ""])
def test_reads_every_message_over_each_transport(inbox: DovecotServer, tls: str) -> None:
    inbox.deliver((DATA / "dsn_postfix.eml").read_bytes())
    inbox.deliver((DATA / "reply_zh.eml").read_bytes())
    with _box(inbox, tls=tls) as box:
        got = list(box.read())
    kinds = [parse_message(raw).kind for _, raw in got]
    assert kinds == ["bounce", "replied"]
    assert all(":" in sid for sid, _ in got)
    # BODY.PEEK: nothing was marked \Seen
    assert not any(":2,S" in p.name for p in (inbox.maildir / "cur").iterdir())


def test_xoauth2_login(inbox: DovecotServer) -> None:
    inbox.deliver((DATA / "ooo_en.eml").read_bytes())
    with _box(inbox, auth="xoauth2") as box:
        assert box.settings.auth == "xoauth2"
        assert [parse_message(raw).kind for _, raw in box.read()] == ["auto-reply"]


def test_the_smtp_accounts_oauth_settings_log_in_to_its_mailbox(inbox: DovecotServer, tmp_path: Path) -> None:
    """[smtp] auth = "xoauth2" with its oauth_token_command, and a [bounces] mailbox of the same account:
    pressctl bounces logs in with XOAUTH2 and the [smtp] token by default (issue 12's left-over)."""
    from pressctl.bounces.login import imap_settings as _imap_settings
    from pressctl.config import load_workspace
    from pressctl.scaffold import init_workspace

    ws = tmp_path / "ws"
    init_workspace(ws)
    toml = ws / "pressctl.toml"
    text = toml.read_text(encoding="utf-8").replace("[smtp]", "[smtp-old]")
    token = tmp_path / "token"
    token.write_text(inbox.password, encoding="utf-8")  # Dovecot checks an XOAUTH2 token like a password
    toml.write_text(
        text + f'\n[smtp]\nurl = "smtp://{inbox.user}@{inbox.host}:2525"\nauth = "xoauth2"\n'
        f'oauth_token_command = "cat {token}"\n[bounces]\nimap = "{inbox.url()}"\n',
        encoding="utf-8",
    )
    inbox.deliver((DATA / "ooo_en.eml").read_bytes())
    workspace = load_workspace(ws)
    with ImapMailbox(_imap_settings(workspace.bounces.imap, workspace)) as box:
        assert box.settings.auth == "xoauth2"
        assert [parse_message(raw).kind for _, raw in box.read()] == ["auto-reply"]


def test_wrong_password_is_a_transport_error_without_the_password(inbox: DovecotServer) -> None:
    wrong = "not-the-Harbour-password"
    with pytest.raises(TransportError) as err:
        _box(inbox, secret=wrong).open()
    text = str(err.value)
    assert text.startswith(f"IMAP press@127.0.0.1:{inbox.port}: login refused")
    assert wrong not in text and inbox.password not in text


def test_untrusted_certificate_is_refused(inbox: DovecotServer) -> None:
    url = inbox.url(tls="starttls").replace(f"cafile={inbox.cafile}", "timeout=10")
    settings = imap_credentials(parse_imap_url(url), environ={"PRESSCTL_IMAP_PASSWORD": inbox.password})
    with pytest.raises(TransportError, match="certificate is not trusted"):
        ImapMailbox(settings).open()


def test_missing_folder_is_an_input_error(inbox: DovecotServer) -> None:
    url = inbox.url(folder="NoSuchFolder")
    settings = imap_credentials(parse_imap_url(url), environ={"PRESSCTL_IMAP_PASSWORD": inbox.password})
    with pytest.raises(InputError, match="no folder 'NoSuchFolder'"):
        ImapMailbox(settings).open()


@pytest.mark.parametrize("use_move", [True, False])
def test_move_to_processed(inbox: DovecotServer, use_move: bool) -> None:
    inbox.deliver((DATA / "dsn_postfix.eml").read_bytes())
    inbox.deliver((DATA / "ooo_en.eml").read_bytes())
    with _box(inbox) as box:
        if not use_move:  # a server without RFC 6851: COPY + \Deleted + UID EXPUNGE
            box._capabilities = box._capabilities - {"MOVE"}
        [(first, raw), _] = list(box.read())
        assert parse_message(raw).kind == "bounce"
        box.move(first, "Processed")
        left = [parse_message(raw).kind for _, raw in box.read()]
        [(second, _raw)] = list(box.read())
        with pytest.raises(InputError, match="non-ASCII"):
            box.move(second, "已處理")
    assert left == ["auto-reply"]
    moved = inbox.messages("Processed")
    assert [parse_message(raw).kind for raw in moved] == ["bounce"]


def test_watch_with_idle_picks_up_a_new_message(inbox: DovecotServer) -> None:
    inbox.deliver((DATA / "dsn_postfix.eml").read_bytes())
    got: list[str] = []
    with _box(inbox) as box:
        assert "IDLE" in box._capabilities
        for _sid, raw in box.watch(stop=lambda: len(got) >= 2, idle_timeout=30):
            got.append(parse_message(raw).kind)
            if len(got) == 1:  # delivered while the reader waits in IDLE
                threading.Timer(0.3, inbox.deliver, [(DATA / "reply_en.eml").read_bytes()]).start()
    assert got == ["bounce", "replied"]


def test_watch_by_polling_picks_up_a_new_message(inbox: DovecotServer) -> None:
    got: list[str] = []
    naps: list[float] = []

    def sleep(seconds: float) -> None:  # the injected clock: each poll "waits", and mail arrives meanwhile
        naps.append(seconds)
        if len(naps) == 2:
            inbox.deliver((DATA / "moved_en.eml").read_bytes())

    with _box(inbox) as box:
        box._sleep = sleep
        for _sid, raw in box.watch(stop=lambda: bool(got) or len(naps) > 5, use_idle=False, poll_interval=7):
            got.append(parse_message(raw).kind)
    assert got == ["moved"]
    assert naps == [7, 7]
