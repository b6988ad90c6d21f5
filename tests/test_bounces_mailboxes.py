"""Issue 18 item 10: bounces and replies from several mailboxes (``[bounces] mailboxes = [...]``: Maildirs, an
mbox and IMAP folders, each with its own settings) read in one run and in one ``--watch``; the single-mailbox
forms keep working. Issue 18 item 11: a moved notice naming several addresses names them all."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
from pathlib import Path

import pytest
from send_support import PRESSCTL, make_workspace, run_cli
from wait_support import wait_for_output

from pressctl.config import load_workspace
from pressctl.config.mailboxes import Mailbox
from pressctl.errors import ConfigError
from pressctl.ledger import Ledger
from pressctl.ledger.records import RecipientRow

DATA = Path(__file__).parent / "bounces_data"
SENT = [
    ("wing.chan@harbourtimes.example", "<5e6f708192a3b4c5d6e7f8091a2b3c4d@hvsp.example>"),  # dsn_postfix: 5.1.1
    ("amy.chan@harbourdaily.example", "<0a1b2c3d4e5f60718293a4b5c6d7e8f9@hvsp.example>"),  # ooo_en
    ("priya.raman@innovationwire.example", "<3c4d5e6f708192a3b4c5d6e7f8091a2b@hvsp.example>"),  # reply_en
    ("david.lau@asiabiztimes.example", "<1f2e3d4c5b6a79881726354453627180@hvsp.example>"),  # moved_en
]


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


def _rows(ws: Path) -> dict[str, tuple[str, str, str]]:
    with Ledger(ws / ".pressctl" / "ledger.sqlite3") as ledger:
        return {r.email: (r.status, r.response, r.new_address) for r in ledger.recipients.all(1)}


def _maildir(root: Path, *names: str) -> Path:
    for sub in ("cur", "new", "tmp"):
        (root / sub).mkdir(parents=True, exist_ok=True)
    for n, name in enumerate(names):
        shutil.copy(DATA / name, root / "new" / f"17000001{n:02d}.{name}")
    return root


def _toml(ws: Path, text: str) -> None:
    toml = ws / "pressctl.toml"
    toml.write_text(toml.read_text(encoding="utf-8") + "\n" + text, encoding="utf-8")


# -- the table -------------------------------------------------------------------------------------------------


def test_several_mailboxes_are_read_from_the_table_with_the_top_level_as_defaults(tmp_path: Path) -> None:
    ws = make_workspace(tmp_path)
    _toml(
        ws,
        '[bounces]\nmove_to = "Processed"\nuser = "press@hvsp.example"\nmailboxes = [\n'
        '  { name = "press", imap = "imaps://mail.hvsp.example/INBOX" },\n'
        '  { name = "officer", imap = "imaps://mail.hvsp.example/INBOX", user = "k.ho@hvsp.example",'
        ' password_env = "HVSP_OFFICER_PW", move_to = "" },\n'
        '  { maildir = "mail/bounces" },\n  { mbox = "mail/old.mbox" },\n]\n',
    )
    boxes = load_workspace(ws).bounces.mailboxes
    assert [b.label for b in boxes] == ["press", "officer", str(ws / "mail/bounces"), str(ws / "mail/old.mbox")]
    assert (boxes[0].user, boxes[0].move_to) == ("press@hvsp.example", "Processed")
    assert (boxes[1].user, boxes[1].password_env, boxes[1].move_to) == ("k.ho@hvsp.example", "HVSP_OFFICER_PW", "Processed")
    assert boxes[2].maildir == ws / "mail/bounces" and boxes[3].mbox == ws / "mail/old.mbox"
    assert boxes[3].move_to == ""  # nothing is moved out of an mbox


def test_the_array_of_tables_form_says_the_same(tmp_path: Path) -> None:
    ws = make_workspace(tmp_path)
    _toml(ws, '[[bounces.mailboxes]]\nmaildir = "a"\n[[bounces.mailboxes]]\nimap = "imap://127.0.0.1/INBOX"\n')
    assert load_workspace(ws).bounces.mailboxes == (
        Mailbox(maildir=ws / "a"),
        Mailbox(imap="imap://127.0.0.1/INBOX"),
    )


def test_the_single_mailbox_form_is_one_mailbox(tmp_path: Path) -> None:
    ws = make_workspace(tmp_path)
    _toml(ws, '[bounces]\nmaildir = "Maildir"\nmove_to = "Done"\n')
    bounces = load_workspace(ws).bounces
    assert bounces.maildir == ws / "Maildir"
    assert bounces.mailboxes == (Mailbox(maildir=ws / "Maildir", move_to="Done"),)


@pytest.mark.parametrize(
    ("table", "words"),
    [
        ('[bounces]\nimap = "imaps://x.example/INBOX"\nmailboxes = [{ maildir = "a" }]\n', "has both imap and mailboxes"),
        ('[bounces]\nmailboxes = [{ maildir = "a", mbox = "b" }]\n', "[bounces.mailboxes[1]] has both maildir and mbox"),
        ('[bounces]\nmailboxes = [{ name = "x" }]\n', "bounces.mailboxes[1] names no mailbox"),
        ('[bounces]\nmailboxes = [{ maildri = "a" }]\n', "unknown key bounces.mailboxes[1].maildri"),
        ('[bounces]\nmailboxes = [{ maildir = "a" }, { maildir = "a" }]\n', "is the same mailbox as"),
        ('[bounces]\nmailboxes = [{ imap = "imaps://u:hunter2@x.example/" }]\n', "must not contain a password"),
        ('[bounces]\nmailboxes = [{ imap = "pop3://x.example" }]\n', "must start with imaps:// or imap://"),
        ('[bounces]\nmailboxes = [{ maildir = "a", password_env = "A B" }]\n', "not an environment variable name"),
        ('[bounces]\nmailboxes = ["mail/a"]\n', "must be a list of tables"),
        ('[bounces]\nmailboxes = [{ mbox = "a.mbox", move_to = "Done" }]\n', "move_to works with IMAP and Maildir"),
        ('[bounces]\nimap = "imaps://x.example/"\nuser = "press\\r\\nA1 LOGOUT"\n', "bounces.user holds a carriage return"),
        ('[bounces]\nmailboxes = [{ imap = "imaps://x.example/", user = "a\\u0000b" }]\n', "mailboxes[1].user holds a NUL character"),
        ('[bounces]\nmailboxes = [{ maildir = "a", name = "x" }, { maildir = "b", name = "x" }]\n', "named 'x'"),
    ],
)
def test_the_mailboxes_list_is_checked(tmp_path: Path, table: str, words: str) -> None:
    ws = make_workspace(tmp_path)
    _toml(ws, table)
    with pytest.raises(ConfigError) as info:
        load_workspace(ws)
    assert words in str(info.value) and "hunter2" not in str(info.value)


# -- one run, one watch ----------------------------------------------------------------------------------------


@pytest.mark.slow
def test_one_run_reads_every_mailbox_maildirs_and_imap_each_with_its_own_settings(tmp_path: Path) -> None:
    from dovecot_support import DovecotServer

    ws = make_workspace(tmp_path)
    _ledger(ws)
    _maildir(ws / "mail" / "bounces", "dsn_postfix.eml")
    _maildir(ws / "mail" / "officer", "reply_en.eml", "ooo_zh.eml")
    with DovecotServer(tmp_path / "dovecot") as imap:
        imap.deliver((DATA / "ooo_en.eml").read_bytes())
        imap.deliver((DATA / "moved_en.eml").read_bytes())
        _toml(
            ws,
            "[bounces]\nmailboxes = [\n"
            '  { name = "bounces", maildir = "mail/bounces" },\n'
            '  { name = "officer", maildir = "mail/officer" },\n'
            f'  {{ name = "press", imap = "{imap.url()}", password_env = "HVSP_PRESS_IMAP_PW", move_to = "Processed" }},\n'
            "]\n",
        )
        done = run_cli(["bounces", "--json"], cwd=ws, env={"HVSP_PRESS_IMAP_PW": imap.password})
        assert done.returncode == 0, done.stderr
        filed, left = len(imap.messages("Processed")), len(imap.messages())
    data = json.loads(done.stdout)
    counts = data["counts"]
    assert (counts["read"], counts["bounces"], counts["replies"], counts["auto-replies"], counts["moved"]) == (5, 1, 1, 2, 1)
    rows = _rows(ws)
    assert rows["wing.chan@harbourtimes.example"][:2] == ("bounced", "bounced")
    assert rows["priya.raman@innovationwire.example"][1] == "replied"
    assert rows["amy.chan@harbourdaily.example"][1] == "auto-reply"
    assert rows["david.lau@asiabiztimes.example"][1] == "moved"
    # the IMAP mailbox filed its two; the Maildirs have no move_to and keep theirs
    assert (filed, left) == (2, 0) and counts["filed"] == 2
    assert len(os.listdir(ws / "mail" / "officer" / "new")) == 2
    # sources say which mailbox
    assert [u["source"].split(":")[0] for u in data["unmatched"]] == ["officer"]
    assert imap.password not in done.stdout + done.stderr


@pytest.mark.slow
def test_a_mailbox_that_cannot_be_opened_does_not_stop_the_others(tmp_path: Path) -> None:
    from dovecot_support import free_port

    ws = make_workspace(tmp_path)
    _ledger(ws)
    _maildir(ws / "mail" / "bounces", "dsn_postfix.eml")
    _toml(
        ws,
        "[bounces]\nmailboxes = [\n"
        f'  {{ name = "gone", imap = "imap://press@127.0.0.1:{free_port()}/INBOX" }},\n'
        '  { name = "bounces", maildir = "mail/bounces" },\n]\n',
    )
    done = run_cli(["bounces"], cwd=ws, env={"PRESSCTL_IMAP_PASSWORD": "pw-not-shown-81"})
    assert done.returncode == 2, (done.stdout, done.stderr)
    assert "marked bounced 1" in " ".join(done.stdout.split())  # the Maildir was read
    [line] = done.stderr.strip().splitlines()
    assert "cannot read the mailbox gone" in line and "pw-not-shown-81" not in line
    assert _rows(ws)["wing.chan@harbourtimes.example"][0] == "bounced"


@pytest.mark.slow
def test_one_watch_over_two_maildirs_and_imap_idle(tmp_path: Path) -> None:
    from dovecot_support import DovecotServer

    ws = make_workspace(tmp_path)
    _ledger(ws)
    first = _maildir(ws / "mail" / "bounces")
    second = _maildir(ws / "mail" / "officer", "ooo_en.eml")
    with DovecotServer(tmp_path / "dovecot") as imap:
        _toml(
            ws,
            "[bounces]\nmailboxes = [\n"
            '  { name = "bounces", maildir = "mail/bounces" },\n  { name = "officer", maildir = "mail/officer" },\n'
            f'  {{ name = "press", imap = "{imap.url()}", move_to = "Processed" }},\n]\n',
        )
        log_out, log_err = tmp_path / "out.txt", tmp_path / "err.txt"
        env = {**os.environ, "COLUMNS": "200", "PRESSCTL_IMAP_PASSWORD": imap.password}
        with log_out.open("w") as fo, log_err.open("w") as fe:
            proc = subprocess.Popen(
                [*PRESSCTL, "bounces", "--watch", "--interval", "0.3"], cwd=ws, stdout=fo, stderr=fe, env=env
            )
            try:

                def wait_for(text: str) -> None:
                    wait_for_output(log_out, text, proc, errors=log_err)

                wait_for("officer: new/")  # what was there when it started
                shutil.copy(DATA / "dsn_postfix.eml", first / "tmp" / "late")
                (first / "tmp" / "late").rename(first / "new" / "late")
                wait_for("bounces: new/late")
                imap.deliver((DATA / "reply_en.eml").read_bytes())  # while press waits in IDLE
                wait_for("replied")
                proc.send_signal(signal.SIGTERM)
                assert proc.wait(60) == 0, log_err.read_text()
            finally:
                if proc.poll() is None:
                    proc.kill()
                    proc.wait()
        assert len(imap.messages("Processed")) == 1
    assert "stopped" in log_err.read_text() and "Traceback" not in log_err.read_text()
    rows = _rows(ws)
    assert rows["wing.chan@harbourtimes.example"][0] == "bounced"
    assert rows["amy.chan@harbourdaily.example"][1] == "auto-reply"
    assert rows["priya.raman@innovationwire.example"][1] == "replied"
    assert second.is_dir()


# -- a moved notice with several addresses ---------------------------------------------------------------------


@pytest.mark.slow
def test_a_moved_notice_naming_several_addresses_names_them_all(tmp_path: Path) -> None:
    ws = make_workspace(tmp_path)
    _ledger(ws)
    box = _maildir(tmp_path / "Maildir")
    (box / "new" / "1.moved").write_bytes(
        b"From: David Lau <david.lau@asiabiztimes.example>\r\nTo: press@hvsp.example\r\n"
        b"Subject: Re: Marine Robotics Fellows\r\nIn-Reply-To: <1f2e3d4c5b6a79881726354453627180@hvsp.example>\r\n"
        b"Message-ID: <moved-two@asiabiztimes.example>\r\n\r\n"
        b"David Lau has left Asia Business Times. For science news please contact Jane Ho "
        b"(jane.ho@asiabiztimes.example); for everything else write to newsdesk@asiabiztimes.example.\r\n"
    )
    done = run_cli(["bounces", "--maildir", str(box)], cwd=ws)
    assert done.returncode == 0, done.stderr
    both = "jane.ho@asiabiztimes.example, newsdesk@asiabiztimes.example"
    assert _rows(ws)["david.lau@asiabiztimes.example"] == ("sent", "moved", both)
    report = " ".join(run_cli(["report"], cwd=ws).stdout.split())
    assert f"moved -> {both}" in report
    attention = " ".join(run_cli(["report", "--needs-attention"], cwd=ws).stdout.split())
    assert f"moved -> {both}" in attention
    data = json.loads(run_cli(["report", "--needs-attention", "--format", "json"], cwd=ws).stdout)
    moved = next(r for r in data if r["email"] == "david.lau@asiabiztimes.example")
    assert moved["new_addresses"] == ["jane.ho@asiabiztimes.example", "newsdesk@asiabiztimes.example"]
    full = json.loads(run_cli(["report", "--format", "json"], cwd=ws).stdout)
    moved = next(r for r in full["recipients"] if r["email"] == "david.lau@asiabiztimes.example")
    assert moved["new_addresses"] == ["jane.ho@asiabiztimes.example", "newsdesk@asiabiztimes.example"]


@pytest.mark.slow
def test_a_user_name_with_a_line_break_never_reaches_the_server(tmp_path: Path) -> None:
    ws = make_workspace(tmp_path)
    _ledger(ws)
    done = run_cli(["bounces", "--imap", "imap://press%0D%0AA1%20LOGOUT@127.0.0.1:1/INBOX"], cwd=ws,
                   env={"PRESSCTL_IMAP_PASSWORD": "pw"})
    assert done.returncode == 2
    [line] = done.stderr.strip().splitlines()
    assert "user name contains a line break or control character" in line
    _toml(ws, '[bounces]\nimap = "imap://127.0.0.1:1/INBOX"\nuser = "press\\r\\nA1 LOGOUT"\n')
    done = run_cli(["bounces"], cwd=ws, env={"PRESSCTL_IMAP_PASSWORD": "pw"})
    assert done.returncode == 2 and "bounces.user holds a carriage return" in done.stderr
