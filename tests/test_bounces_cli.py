"""``pressctl bounces`` end to end over a real Maildir and a real ledger; the ledger's bounces migration;
``report`` with the response columns and ``--needs-attention``; ``[bounces]`` and ``[sender] return_path``."""

from __future__ import annotations

import csv
import json
import shutil
import sqlite3
from pathlib import Path

import pytest
from send_support import make_workspace, run_cli, write_contacts, write_release
from smtp_server import SmtpTestServer
from wait_support import wait_for_output

from pressctl.config import load_workspace
from pressctl.errors import ConfigError
from pressctl.ledger import Ledger
from pressctl.ledger.migrations import MIGRATIONS
from pressctl.ledger.records import RecipientRow

DATA = Path(__file__).parent / "bounces_data"

# (address, Message-ID the bounces_data messages refer to)
SENT = [
    ("wing.chan@harbourtimes.example", "<5e6f708192a3b4c5d6e7f8091a2b3c4d@hvsp.example>"),  # dsn_postfix: 5.1.1
    ("amy.chan@harbourdaily.example", "<0a1b2c3d4e5f60718293a4b5c6d7e8f9@hvsp.example>"),  # ooo_en
    ("priya.raman@innovationwire.example", "<3c4d5e6f708192a3b4c5d6e7f8091a2b@hvsp.example>"),  # reply_en
    ("chris.ng@lantaunews.example", "<708192a3b4c5d6e7f8091a2b3c4d5e6f@hvsp.example>"),  # qmail_quoted
    ("david.lau@asiabiztimes.example", "<1f2e3d4c5b6a79881726354453627180@hvsp.example>"),  # moved_en
]
MESSAGES = ["dsn_postfix.eml", "qmail_quoted.eml", "ooo_en.eml", "reply_en.eml", "moved_en.eml", "ooo_zh.eml"]


def _ledger(ws: Path) -> Path:
    path = ws / ".pressctl" / "ledger.sqlite3"
    with Ledger(path) as ledger:
        c = ledger.campaigns.create(
            fingerprint="f", release_path="releases/fellows.md", slug="fellows", title="Marine Robotics Fellows",
            lists=["contacts/list.csv"], options={},
        )
        ledger.recipients.add(c.id, [RecipientRow(key=a, email=a) for a, _ in SENT])
        for address, mid in SENT:
            ledger.recipients.mark_sending(c.id, address, mid)
            ledger.recipients.mark_result(c.id, address, status="sent", code=250, reply="2.0.0 Ok")
    return path


def _maildir(root: Path, names: list[str]) -> Path:
    box = root / "Maildir"
    for sub in ("cur", "new", "tmp"):
        (box / sub).mkdir(parents=True)
    for n, name in enumerate(names):
        shutil.copy(DATA / name, box / "new" / f"17000000{n:02d}.x.host")
    return box


def _rows(path: Path) -> dict[str, tuple[str, str, str, str]]:
    with Ledger(path) as ledger:
        return {r.email: (r.status, r.response, r.bounce_code, r.new_address) for r in ledger.recipients.all(1)}


def _state(ws: Path, ledger: Path) -> tuple[object, ...]:
    with Ledger(ledger) as led:
        handled = led.conn.execute("SELECT COUNT(*) FROM inbound").fetchone()[0]
        suppressions = led.suppressions.all()
    return (_rows(ledger), (ws / "contacts" / "suppressed.csv").read_bytes(), handled, suppressions)


@pytest.fixture
def ws(tmp_path: Path) -> Path:
    return make_workspace(tmp_path)


@pytest.mark.slow
def test_bounces_maildir_records_suppresses_and_a_second_run_changes_nothing(ws: Path, tmp_path: Path) -> None:
    ledger = _ledger(ws)
    box = _maildir(tmp_path, MESSAGES)
    first = run_cli(["bounces", "--maildir", str(box), "--move-to", "Processed"], cwd=ws)
    assert first.returncode == 0, first.stderr
    assert "Traceback" not in first.stderr
    out = " ".join(first.stdout.split())
    assert "read 6 bounces 2 (hard 2, soft 0, delayed 0) auto-replies 2 moved 1 replies 1" in out
    assert "unmatched 1" in out and "marked bounced 2" in out and "moved to Processed 5" in out
    assert "new/1700000005.x.host auto-reply wong.ka-ming@mingpoint.example" in out  # listed, by source id
    rows = _rows(ledger)
    assert rows["wing.chan@harbourtimes.example"] == ("bounced", "bounced", "5.1.1", "")
    assert rows["chris.ng@lantaunews.example"][:2] == ("bounced", "bounced")
    assert rows["amy.chan@harbourdaily.example"][:2] == ("sent", "auto-reply")
    assert rows["priya.raman@innovationwire.example"][:2] == ("sent", "replied")
    assert rows["david.lau@asiabiztimes.example"][:2] == ("sent", "moved")
    with (ws / "contacts" / "suppressed.csv").open(encoding="utf-8") as fh:
        listed = {r["email"]: r for r in csv.DictReader(fh)}
    assert {"wing.chan@harbourtimes.example", "chris.ng@lantaunews.example"} <= set(listed)
    assert "amy.chan@harbourdaily.example" not in listed
    assert "5.1.1" in listed["wing.chan@harbourtimes.example"]["reason"]
    with Ledger(ledger) as led:
        recorded = led.suppressions.all()
    assert recorded["wing.chan@harbourtimes.example"][1] == "bounce"
    assert sorted(p.name for p in (box / "new").iterdir()) == ["1700000005.x.host"]  # the unmatched stays
    assert len(list((box / ".Processed" / "new").iterdir())) == 5

    # put the moved ones back: a second run reads them all and changes nothing
    for p in (box / ".Processed" / "new").iterdir():
        p.rename(box / "new" / p.name)
    before = _state(ws, ledger)
    second = run_cli(["bounces", "--maildir", str(box), "--json"], cwd=ws)
    assert second.returncode == 0, second.stderr
    counts = json.loads(second.stdout)["counts"]
    assert (counts["read"], counts["already handled"], counts["suppressed"]) == (6, 6, 0)
    assert _state(ws, ledger) == before

    report = run_cli(["report"], cwd=ws)
    assert report.returncode == 0, report.stderr
    text = " ".join(report.stdout.split())
    assert "bounced 5.1.1" in text and "auto-reply" in text and "moved -> " in text
    assert "2 failed (2 bounced after sending)" in text
    attention = run_cli(["report", "--needs-attention"], cwd=ws)
    assert attention.returncode == 0, attention.stderr
    lines = " ".join(attention.stdout.split())
    assert "wing.chan@harbourtimes.example" in lines and "priya.raman@innovationwire.example" in lines
    assert "david.lau@asiabiztimes.example" in lines
    assert "amy.chan@harbourdaily.example" not in lines  # an out-of-office needs nobody
    assert "4 journalist(s) need attention (all campaigns)" in lines
    data = json.loads(run_cli(["report", "1", "--needs-attention", "--format", "json"], cwd=ws).stdout)
    moved = next(r for r in data if r["email"] == "david.lau@asiabiztimes.example")
    assert moved["new_address"] and moved["response_detail"]
    campaigns = run_cli(["campaigns"], cwd=ws)
    assert campaigns.returncode == 0


@pytest.mark.slow
def test_bounces_reads_the_mailbox_in_pressctl_toml(ws: Path, tmp_path: Path) -> None:
    _ledger(ws)
    box = _maildir(ws, ["dsn_postfix.eml"])
    toml = ws / "pressctl.toml"
    toml.write_text(toml.read_text(encoding="utf-8") + '\n[bounces]\nmaildir = "Maildir"\n', encoding="utf-8")
    done = run_cli(["bounces"], cwd=ws)
    assert done.returncode == 0, done.stderr
    assert "hard 1" in done.stdout
    assert box.is_dir()


@pytest.mark.slow
@pytest.mark.parametrize(
    ("args", "words"),
    [
        (["--maildir", "no-such-dir"], "no-such-dir"),
        (["--maildir", "Maildir", "--mbox", "x.mbox"], "give one mailbox"),
        ([], "no mailbox to read"),
        (["--imap", "imaps://press:secret-pw@127.0.0.1/INBOX"], "must not contain a password"),
        (["--mbox", "Maildir", "--move-to", "Processed"], "--move-to works with IMAP and Maildir"),
        (["--maildir", "Maildir", "--watch", "--interval", "1e300"], "is not a number of seconds"),
        (["--maildir", "Maildir", "--interval", "nan"], "is not a number of seconds"),
    ],
)
def test_bad_input_is_one_line_and_exit_2(ws: Path, args: list[str], words: str) -> None:
    _ledger(ws)
    _maildir(ws, [])
    done = run_cli(["bounces", *args], cwd=ws)
    assert done.returncode == 2, (done.stdout, done.stderr)
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and words in lines[0], done.stderr
    assert "secret-pw" not in done.stderr + done.stdout


@pytest.mark.slow
def test_imap_that_cannot_be_reached_is_exit_2(ws: Path) -> None:
    from dovecot_support import free_port

    _ledger(ws)
    url = f"imap://press@127.0.0.1:{free_port()}/INBOX"
    done = run_cli(["bounces", "--imap", url], cwd=ws, env={"PRESSCTL_IMAP_PASSWORD": "hvsp-pw-123"})
    assert done.returncode == 2, done.stderr
    assert len(done.stderr.strip().splitlines()) == 1 and "cannot read the mailbox" in done.stderr
    assert "hvsp-pw-123" not in done.stderr


def test_migration_brings_a_version_2_ledger_up_to_date(tmp_path: Path) -> None:
    path = tmp_path / "old.sqlite3"
    conn = sqlite3.connect(path, isolation_level=None)
    for migration in MIGRATIONS[:2]:
        migration(conn)
    conn.execute("PRAGMA user_version = 2")
    conn.execute(
        "INSERT INTO campaigns (token, fingerprint, release_path, slug, title, lists, options, created_at)"
        " VALUES ('t', 'f', 'r.md', 'r', 'T', '[]', '{}', '2026-01-01')"
    )
    conn.execute("INSERT INTO recipients (campaign_id, key, email, status) VALUES (1, 'a@x.example', 'a@x.example', 'sent')")
    conn.close()
    with Ledger(path) as ledger:
        record = ledger.recipients.get(1, "a@x.example")
        assert record is not None and (record.status, record.response, record.bounce_code) == ("sent", "", "")
        assert ledger.recipients.totals(1)["bounced"] == 0
        assert not ledger.inbound.is_handled("<x@y>")
        indexes = {r[1] for r in ledger.conn.execute("PRAGMA index_list(recipients)")}
        assert "recipients_message_id" in indexes


def test_return_path_must_be_a_verp_template(tmp_path: Path) -> None:
    ws = make_workspace(tmp_path)
    toml = ws / "pressctl.toml"
    text = toml.read_text(encoding="utf-8")
    toml.write_text(text.replace("[sender]", '[sender]\nreturn_path = "bounces@hvsp.example"', 1), encoding="utf-8")
    with pytest.raises(ConfigError, match="return_path"):
        load_workspace(ws)
    toml.write_text(
        text.replace("[sender]", '[sender]\nreturn_path = "bounces+{local}={domain}@hvsp.example"', 1), encoding="utf-8"
    )
    assert load_workspace(ws).sender.return_path == "bounces+{local}={domain}@hvsp.example"


@pytest.mark.slow
def test_return_path_is_the_envelope_sender_per_recipient(ws: Path) -> None:
    toml = ws / "pressctl.toml"
    toml.write_text(
        toml.read_text(encoding="utf-8").replace(
            "[sender]", '[sender]\nreturn_path = "bounces+{local}={domain}@hvsp.example"', 1
        ),
        encoding="utf-8",
    )
    release = write_release(ws)
    lists = write_contacts(ws / "contacts" / "list.csv", 2)
    with SmtpTestServer() as server:
        done = run_cli(["send", str(release), "-c", str(lists), "--smtp", server.url(), "--yes"], cwd=ws)
        assert done.returncode == 0, done.stderr
        senders = sorted(m.mail_from for m in server.accepted)
    # Signed (issue 17): bounces+local=domain+SIG@..., the signature the workspace secret's for that address.
    from pressctl.contacts.unsubscribe import load_secret
    from pressctl.verp import verp_decode, verp_signature

    secret = load_secret(ws / ".pressctl")
    assert secret is not None
    assert senders == [
        f"bounces+reporter0000{n}=news.example+{verp_signature(f'reporter0000{n}@news.example', secret)}@hvsp.example"
        for n in (0, 1)
    ]
    template = "bounces+{local}={domain}@hvsp.example"
    assert [verp_decode(template, s, secret) for s in senders] == ["reporter00000@news.example", "reporter00001@news.example"]


@pytest.mark.slow
def test_watch_handles_new_mail_and_stops_cleanly_on_sigterm(ws: Path, tmp_path: Path) -> None:
    import os
    import signal
    import subprocess

    from send_support import PRESSCTL

    ledger = _ledger(ws)
    box = _maildir(tmp_path, ["ooo_en.eml"])
    log_out, log_err = tmp_path / "out.txt", tmp_path / "err.txt"
    env = {**os.environ, "COLUMNS": "200"}
    with log_out.open("w") as fo, log_err.open("w") as fe:
        proc = subprocess.Popen(
            [*PRESSCTL, "bounces", "--watch", "--maildir", str(box), "--interval", "0.2"],
            cwd=ws, stdout=fo, stderr=fe, env=env,
        )
        try:

            def wait_for(text: str) -> None:
                wait_for_output(log_out, text, proc, errors=log_err)

            wait_for("auto-reply")  # what was there when it started
            shutil.copy(DATA / "dsn_postfix.eml", box / "tmp" / "late.x.host")
            (box / "tmp" / "late.x.host").rename(box / "new" / "late.x.host")
            wait_for("marked bounced")  # what arrived while it watched
            proc.send_signal(signal.SIGTERM)
            assert proc.wait(60) == 0, log_err.read_text()
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
    assert "stopped" in log_err.read_text() and "Traceback" not in log_err.read_text()
    assert _rows(ledger)["wing.chan@harbourtimes.example"][0] == "bounced"
    assert _rows(ledger)["amy.chan@harbourdaily.example"][1] == "auto-reply"


def test_the_bounces_unit_runs_the_watcher_beside_dispatch(tmp_path: Path) -> None:
    import configparser
    import subprocess
    import sys

    root = Path(__file__).resolve().parents[1]
    unit = root / "deploy" / "pressctl-bounces.service"
    parser = configparser.ConfigParser(strict=False, interpolation=None)
    parser.read(unit, encoding="utf-8")
    service = parser["Service"]
    assert service["ExecStart"].split()[1:3] == ["bounces", "--watch"]
    assert service["KillSignal"] == "SIGTERM"
    assert "PASSWORD=" not in unit.read_text(encoding="utf-8").split("[Unit]")[1]
    docs = (root / "docs" / "dispatch.md").read_text(encoding="utf-8")
    assert "deploy/pressctl-bounces.service" in docs and "pressctl bounces >> " in docs
    if shutil.which("systemd-analyze"):
        text = unit.read_text(encoding="utf-8").replace(
            "/usr/local/bin/pressctl", str(Path(sys.executable).with_name("pressctl"))
        )
        (tmp_path / unit.name).write_text(text, encoding="utf-8")
        done = subprocess.run(
            ["systemd-analyze", "verify", str(tmp_path / unit.name)], capture_output=True, text=True, timeout=60
        )
        assert done.returncode == 0, done.stderr


def _with_toml(ws: Path, extra: str) -> Path:
    toml = ws / "pressctl.toml"
    toml.write_text(toml.read_text(encoding="utf-8") + "\n" + extra, encoding="utf-8")
    return toml


@pytest.mark.parametrize(
    ("table", "words"),
    [
        ('[bounces]\nmaildir = "Maildir"\nimap = "imaps://press@mail.hvsp.example/INBOX"\n', "has both maildir and imap"),
        ('[bounces]\nimap = "imaps://press:hunter2@mail.hvsp.example/INBOX"\n', "must not contain a password"),
        ('[bounces]\nimap = "pop3://mail.hvsp.example"\n', "must start with imaps:// or imap://"),
        ('[bounces]\nauth = "kerberos"\n', "bounces.auth must be password or xoauth2"),
        ('[bounces]\nmove_too = "Processed"\n', "unknown key 'bounces.move_too'"),
    ],
)
def test_bounces_table_is_checked(tmp_path: Path, table: str, words: str) -> None:
    ws = make_workspace(tmp_path)
    _with_toml(ws, table)
    with pytest.raises(ConfigError) as info:
        load_workspace(ws)
    assert words in str(info.value) and "hunter2" not in str(info.value)


def test_imap_settings_from_the_table_the_smtp_password_and_a_token_command(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from pressctl.bounces.login import imap_settings as _imap_settings

    ws = make_workspace(tmp_path)
    toml = ws / "pressctl.toml"
    text = toml.read_text(encoding="utf-8")
    smtp = '[smtp]\nurl = "smtp://press%40hvsp.example@mail.hvsp.example"\n'
    toml.write_text(text.replace("[smtp]", "[smtp-old]") if "[smtp]" in text else text, encoding="utf-8")
    _with_toml(ws, smtp + '[bounces]\nimap = "imaps://mail.hvsp.example/INBOX"\nuser = "press@hvsp.example"\n')
    monkeypatch.delenv("PRESSCTL_IMAP_PASSWORD", raising=False)
    monkeypatch.delenv("PRESSCTL_IMAP_OAUTH_TOKEN", raising=False)
    monkeypatch.setenv("PRESSCTL_SMTP_PASSWORD", "smtp-pw-77")
    workspace = load_workspace(ws)
    settings = _imap_settings(workspace.bounces.imap, workspace)
    assert (settings.username, settings.host, settings.password) == ("press@hvsp.example", "mail.hvsp.example", "smtp-pw-77")
    assert "smtp-pw-77" not in repr(settings)

    _with_toml(ws, 'auth = "xoauth2"\noauth_token_command = "printf \'tok-hvsp-0123456789\'"\n')
    workspace = load_workspace(ws)
    settings = _imap_settings(workspace.bounces.imap, workspace)
    assert (settings.auth, settings.oauth_token) == ("xoauth2", "tok-hvsp-0123456789")


def test_the_smtp_accounts_mailbox_uses_its_oauth_settings_by_default(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Issue 12's left-over: [smtp] auth = "xoauth2" and its token (command or PRESSCTL_SMTP_OAUTH_TOKEN)
    serve the same account's mailbox, as its password does; [bounces] auth or another account keep theirs."""
    from pressctl.bounces.login import imap_settings as _imap_settings

    ws = make_workspace(tmp_path)
    toml = ws / "pressctl.toml"
    text = toml.read_text(encoding="utf-8")
    toml.write_text(text.replace("[smtp]", "[smtp-old]") if "[smtp]" in text else text, encoding="utf-8")
    smtp = (
        '[smtp]\nurl = "smtp://press%40hvsp.example@mail.hvsp.example"\nauth = "xoauth2"\n'
        "oauth_token_command = \"printf 'tok-smtp-4455'\"\n"
    )
    _with_toml(ws, smtp + '[bounces]\nimap = "imaps://mail.hvsp.example/INBOX"\nuser = "press@hvsp.example"\n')
    for name in ("PRESSCTL_IMAP_PASSWORD", "PRESSCTL_IMAP_OAUTH_TOKEN", "PRESSCTL_SMTP_OAUTH_TOKEN"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("PRESSCTL_SMTP_PASSWORD", "smtp-pw-77")
    workspace = load_workspace(ws)
    settings = _imap_settings(workspace.bounces.imap, workspace)
    assert (settings.auth, settings.oauth_token, settings.password) == ("xoauth2", "tok-smtp-4455", None)
    assert "tok-smtp-4455" not in repr(settings)

    monkeypatch.setenv("PRESSCTL_SMTP_OAUTH_TOKEN", "tok-env-6677")  # the token in the environment wins
    assert _imap_settings(workspace.bounces.imap, workspace).oauth_token == "tok-env-6677"
    monkeypatch.delenv("PRESSCTL_SMTP_OAUTH_TOKEN")

    # Another account on the same server: not the [smtp] account's login.
    from pressctl.errors import InputError

    with pytest.raises(InputError, match=r"no password for desk@hvsp\.example"):
        _imap_settings("imaps://desk%40hvsp.example@mail.hvsp.example/INBOX", workspace)

    # [bounces] auth = "password" says otherwise: the password (here the [smtp] account's) is used.
    _with_toml(ws, 'auth = "password"\n')
    settings = _imap_settings(load_workspace(ws).bounces.imap, load_workspace(ws))
    assert (settings.auth, settings.password) == ("password", "smtp-pw-77")


def test_a_mailboxs_token_command_never_sees_a_password_the_configuration_names(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Issue 19's left-over: the [bounces] oauth_token_command ran with the relays' password_env variables
    (and the other mailboxes'), which every other command pressctl runs is kept from (pressctl.children)."""
    from pressctl.bounces.login import imap_settings

    ws = make_workspace(tmp_path)
    toml = ws / "pressctl.toml"
    text = toml.read_text(encoding="utf-8")
    toml.write_text(text.replace("[smtp]", "[smtp-old]") if "[smtp]" in text else text, encoding="utf-8")
    command = 'if [ -n "$HVSP_RELAY2_PASSWORD$HVSP_DESK_IMAP" ]; then echo leaked; else echo tok-clean-1234; fi'
    _with_toml(ws, (
        '[[smtp.relays]]\nurl = "smtp://press%40hvsp.example@mail.hvsp.example"\n'
        '[[smtp.relays]]\nurl = "smtp://news%40hvsp.example@relay2.hvsp.example"\npassword_env = "HVSP_RELAY2_PASSWORD"\n'
        "[bounces]\nmailboxes = [\n"
        f"  {{ name = \"press\", imap = \"imaps://inbox.hvsp.example/INBOX\", user = \"press@hvsp.example\", "
        f"auth = \"xoauth2\", oauth_token_command = '{command}' }},\n"
        '  { name = "desk", imap = "imaps://desk%40hvsp.example@inbox.hvsp.example/INBOX", password_env = "HVSP_DESK_IMAP" },\n'
        "]\n"
    ))
    monkeypatch.setenv("HVSP_RELAY2_PASSWORD", "relay2-pw-5150")
    monkeypatch.setenv("HVSP_DESK_IMAP", "desk-pw-8080")
    monkeypatch.delenv("PRESSCTL_IMAP_OAUTH_TOKEN", raising=False)
    workspace = load_workspace(ws)
    press, desk = workspace.bounces.mailboxes
    assert set(workspace.secret_env_names) == {"HVSP_RELAY2_PASSWORD", "HVSP_DESK_IMAP"}
    settings = imap_settings(press.imap, workspace, press)
    assert (settings.auth, settings.oauth_token) == ("xoauth2", "tok-clean-1234")
    assert imap_settings(desk.imap, workspace, desk).password == "desk-pw-8080"  # its own login still works


@pytest.mark.slow
def test_mail_to_the_workspace_unsubscribe_address_needs_the_readers_token(ws: Path, tmp_path: Path) -> None:
    # pressctl init writes unsubscribe_mailto as a plain address (no "mailto:"): mail sent to it is a request;
    # only the one carrying the reader's token (the List-Unsubscribe mailto's subject) suppresses.
    from pressctl.contacts.unsubscribe import load_or_create_secret, token_for

    _ledger(ws)
    token = token_for("amy.chan@harbourdaily.example", load_or_create_secret(ws / ".pressctl"))
    box = _maildir(tmp_path, [])
    (box / "new" / "1.x.host").write_bytes(
        b"From: Tom Yip <tom.yip@bayweekly.example>\r\nTo: unsubscribe@hvsp.example\r\n"
        b"Subject: Bay Weekly\r\nMessage-ID: <u-1@bayweekly.example>\r\n\r\nThanks.\r\n"
    )
    (box / "new" / "2.x.host").write_bytes(
        b"From: amy.chan@harbourdaily.example\r\nTo: unsubscribe@hvsp.example\r\n"
        + f"Subject: unsubscribe {token}\r\nMessage-ID: <u-2@harbourdaily.example>\r\n\r\n".encode()
    )
    done = run_cli(["bounces", "--maildir", str(box), "--json"], cwd=ws)
    assert done.returncode == 0, done.stderr
    data = json.loads(done.stdout)
    assert (data["counts"]["unsubscribes"], data["counts"]["unconfirmed requests"]) == (1, 1)
    assert [r["from"] for r in data["unconfirmed_requests"]] == ["tom.yip@bayweekly.example"]
    listed = (ws / "contacts" / "suppressed.csv").read_text(encoding="utf-8")
    assert "amy.chan@harbourdaily.example" in listed and "tom.yip@bayweekly.example" not in listed
    assert _rows(_ledger_path(ws))["amy.chan@harbourdaily.example"][1] == "unsubscribe"
    attention = " ".join(run_cli(["report", "--needs-attention"], cwd=ws).stdout.split())
    assert "tom.yip@bayweekly.example" in attention and "unconfirmed" in attention


def _ledger_path(ws: Path) -> Path:
    return ws / ".pressctl" / "ledger.sqlite3"


@pytest.mark.slow
def test_watch_over_imap_idle_handles_new_mail_and_moves_it(ws: Path, tmp_path: Path) -> None:
    import os
    import signal
    import subprocess

    from dovecot_support import DovecotServer
    from send_support import PRESSCTL

    ledger = _ledger(ws)
    with DovecotServer(tmp_path / "dovecot") as imap:
        imap.deliver((DATA / "ooo_en.eml").read_bytes())
        log_out, log_err = tmp_path / "out.txt", tmp_path / "err.txt"
        env = {**os.environ, "COLUMNS": "200", "PRESSCTL_IMAP_PASSWORD": imap.password}
        with log_out.open("w") as fo, log_err.open("w") as fe:
            proc = subprocess.Popen(
                [*PRESSCTL, "bounces", "--watch", "--imap", imap.url(), "--move-to", "Processed"],
                cwd=ws, stdout=fo, stderr=fe, env=env,
            )
            try:

                def wait_for(text: str) -> None:
                    wait_for_output(log_out, text, proc, errors=log_err)

                wait_for("auto-reply")
                imap.deliver((DATA / "dsn_postfix.eml").read_bytes())  # arrives while it waits in IDLE
                wait_for("marked bounced")
                proc.send_signal(signal.SIGTERM)
                assert proc.wait(60) == 0, log_err.read_text()
            finally:
                if proc.poll() is None:
                    proc.kill()
                    proc.wait()
        assert len(imap.messages("Processed")) == 2 and imap.messages() == []
    assert imap.password not in log_out.read_text() + log_err.read_text()
    assert _rows(ledger)["wing.chan@harbourtimes.example"][0] == "bounced"


def test_a_mailbox_of_one_of_several_relays_uses_that_relays_login(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """With [[smtp.relays]] the bounce mailbox of one relay's account logs in as that relay does: its
    password variable, or its XOAUTH2 token command; a mailbox of no relay's account gets neither."""
    from pressctl.bounces.login import imap_settings as _imap_settings
    from pressctl.errors import InputError

    ws = make_workspace(tmp_path)
    toml = ws / "pressctl.toml"
    text = toml.read_text(encoding="utf-8")
    toml.write_text(text.replace("[smtp]", "[smtp-old]") if "[smtp]" in text else text, encoding="utf-8")
    relays = (
        '[[smtp.relays]]\nurl = "smtp://press%40hvsp.example@mail.hvsp.example"\npassword_env = "HVSP_MAIL_PW"\n'
        '[[smtp.relays]]\nurl = "smtp://desk%40hvsp.example@smtp.hvsp.example"\nauth = "xoauth2"\n'
        "oauth_token_command = \"printf 'tok-relay2-8899'\"\n"
    )
    _with_toml(ws, relays + '[bounces]\nimap = "imaps://mail.hvsp.example/INBOX"\nuser = "press@hvsp.example"\n')
    for name in ("PRESSCTL_IMAP_PASSWORD", "PRESSCTL_IMAP_OAUTH_TOKEN", "PRESSCTL_SMTP_OAUTH_TOKEN", "PRESSCTL_SMTP_PASSWORD"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("HVSP_MAIL_PW", "relay1-pw-31")
    workspace = load_workspace(ws)
    settings = _imap_settings(workspace.bounces.imap, workspace)
    assert (settings.auth, settings.password) == ("password", "relay1-pw-31")
    second = _imap_settings("imaps://desk%40hvsp.example@smtp.hvsp.example/INBOX", workspace)
    assert (second.auth, second.oauth_token) == ("xoauth2", "tok-relay2-8899")
    with pytest.raises(InputError, match=r"no password for news@hvsp\.example"):
        _imap_settings("imaps://news%40hvsp.example@mail.hvsp.example/INBOX", workspace)
