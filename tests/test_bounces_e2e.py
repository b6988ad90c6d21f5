"""Issue 12's "Done when": a real ``pressctl send`` through a real Postfix relay to a list with dead
addresses, then ``pressctl bounces`` on the sender's Maildir, and ``pressctl bounces --imap`` through a real
Dovecot serving that same Maildir: exactly the dead addresses end ``bounced`` and suppressed, the next send
skips them, an out-of-office and a human reply show in the report, and a second run changes nothing.

Root only (Postfix and Dovecot start as root); skipped with the reason otherwise.
"""

from __future__ import annotations

import json
import os
import pwd
import shutil
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from send_support import make_workspace, run_cli, write_release

from pressctl.ledger import Ledger

if TYPE_CHECKING:
    from postfix_support import PostfixRelay

pytest_plugins = ["postfix_support"]  # the postfix_relay fixture

LIVE = ["newsdesk@hvsp.test", "editor@hvsp.test", "reporter@hvsp.test"]
DEAD = ["left.the.paper@hvsp.test", "no.such.desk@hvsp.test"]
FROM = "HVSP Press Office <press@hvsp.test>"


def _contacts(ws: Path) -> Path:
    path = ws / "contacts" / "desk.csv"
    rows = ["email,first_name"] + [f"{a},{a.split('@')[0].split('.')[0].title()}" for a in LIVE + DEAD]
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    return path


def _drop(maildir: Path, raw: bytes) -> None:
    """Deliver a message as an MDA does (tmp/ then new/), owned by the mail user Dovecot runs as."""
    nobody = pwd.getpwnam("nobody")
    name = f"{time.time_ns()}.{uuid.uuid4().hex[:8]}.hvsp-test"
    (maildir / "tmp" / name).write_bytes(raw)
    os.chown(maildir / "tmp" / name, nobody.pw_uid, nobody.pw_gid)
    os.replace(maildir / "tmp" / name, maildir / "new" / name)


def _reply(sender: str, message_id: str, *, auto: bool) -> bytes:
    if auto:
        head = "Subject: Automatic reply: Marine Robotics Fellows\r\nAuto-Submitted: auto-replied\r\n"
        body = "I am away from the newsroom until 20 March with limited access to email.\r\n"
    else:
        head = "Subject: Re: Harbourview Science Park Names Its First Marine Robotics Fellows\r\n"
        body = "Thanks, could we interview one of the fellows at the seawater lab on Friday?\r\n"
    return (
        f"From: {sender}\r\nTo: {FROM}\r\n{head}Message-ID: <{uuid.uuid4().hex}@hvsp.test>\r\n"
        f"In-Reply-To: {message_id}\r\nReferences: {message_id}\r\nDate: Mon, 23 Nov 2026 10:00:00 +0800\r\n"
        f"Content-Type: text/plain; charset=utf-8\r\n\r\n{body}"
    ).encode()


def _rows(ws: Path, campaign: int) -> dict[str, tuple[str, str]]:
    with Ledger(ws / ".pressctl" / "ledger.sqlite3") as ledger:
        return {r.email: (r.status, r.response) for r in ledger.recipients.all(campaign)}


def _snapshot(ws: Path) -> tuple[object, ...]:
    with Ledger(ws / ".pressctl" / "ledger.sqlite3") as ledger:
        rows = [tuple(r.__dict__.values()) for c in ledger.campaigns.all() for r in ledger.recipients.all(c.id)]
        inbound = ledger.conn.execute("SELECT COUNT(*) FROM inbound").fetchone()[0]
        suppressions = ledger.suppressions.all()
    return rows, inbound, suppressions, (ws / "contacts" / "suppressed.csv").read_bytes()


def _check_after_bounces(ws: Path, done_stdout: str) -> None:
    counts = json.loads(done_stdout)["counts"]
    assert counts["hard"] == len(DEAD) and counts["rows bounced"] == len(DEAD), counts
    assert counts["auto-replies"] == 1 and counts["replies"] == 1, counts
    assert counts["unmatched"] == 0, done_stdout
    rows = _rows(ws, 1)
    assert {a for a, (status, _) in rows.items() if status == "bounced"} == set(DEAD)
    assert rows["editor@hvsp.test"] == ("sent", "auto-reply")
    assert rows["reporter@hvsp.test"] == ("sent", "replied")
    assert rows["newsdesk@hvsp.test"] == ("sent", "")
    listed = (ws / "contacts" / "suppressed.csv").read_text(encoding="utf-8")
    for address in DEAD:
        assert address in listed
    for address in LIVE:
        assert address not in listed
    with Ledger(ws / ".pressctl" / "ledger.sqlite3") as ledger:
        recorded = ledger.suppressions.all()
    assert {a for a, (_r, origin, _d) in recorded.items() if origin == "bounce"} == set(DEAD)


@pytest.mark.slow
def test_send_through_postfix_then_bounces_from_maildir_and_imap(
    postfix_relay: Callable[..., PostfixRelay], tmp_path: Path
) -> None:
    from dovecot_support import DovecotServer

    relay = postfix_relay()
    ws = make_workspace(tmp_path)
    release = write_release(ws)
    desk = _contacts(ws)
    sent = run_cli(
        ["send", str(release), "-c", str(desk), "--smtp", relay.url, "--from", FROM, "--yes"], cwd=ws, timeout=120
    )
    assert sent.returncode == 0, sent.stderr
    # The relay accepted everyone (250); the dead ones come back later as DSNs in press@'s Maildir.
    assert {s for s, _ in _rows(ws, 1).values()} == {"sent"}
    relay.wait_delivered(expect=lambda: len(relay.maildir("press")) >= len(DEAD), timeout=60)
    press = relay.root / "mail" / relay.domain / "press"
    editor_mid = str(relay.messages("editor")[0]["Message-ID"])
    reporter_mid = str(relay.messages("reporter")[0]["Message-ID"])
    _drop(press, _reply("Edith Tam <editor@hvsp.test>", editor_mid, auto=True))
    _drop(press, _reply("Ray Fung <reporter@hvsp.test>", reporter_mid, auto=False))
    ws_imap = tmp_path / "ws-imap"
    shutil.copytree(ws, ws_imap)  # the same moment, for the IMAP pass

    # 1. the Maildir, twice
    first = run_cli(["bounces", "--maildir", str(press), "--json"], cwd=ws)
    assert first.returncode == 0, first.stderr
    _check_after_bounces(ws, first.stdout)
    before = _snapshot(ws)
    again = run_cli(["bounces", "--maildir", str(press), "--json"], cwd=ws)
    assert again.returncode == 0, again.stderr
    assert json.loads(again.stdout)["counts"]["already handled"] == len(DEAD) + 2
    assert _snapshot(ws) == before

    report = " ".join(run_cli(["report", "--needs-attention"], cwd=ws).stdout.split())
    assert all(a in report for a in DEAD) and "reporter@hvsp.test" in report and "interview" in report
    table = " ".join(run_cli(["report"], cwd=ws).stdout.split())
    assert "auto-reply" in table and "replied" in table and "bounced 5.1.1" in table

    # 2. the next send skips the dead addresses
    second_release = ws / "releases" / "fellows-update.md"
    second_release.write_text(
        release.read_text(encoding="utf-8").replace("Names Its First", "Welcomes Its First"), encoding="utf-8"
    )
    nxt = run_cli(
        ["send", str(second_release), "-c", str(desk), "--smtp", relay.url, "--from", FROM, "--yes"], cwd=ws,
        timeout=120,
    )
    assert nxt.returncode == 0, nxt.stderr
    rows = _rows(ws, 2)
    assert {a for a, (s, _) in rows.items() if s == "suppressed"} == set(DEAD)
    assert {a for a, (s, _) in rows.items() if s == "sent"} == set(LIVE)

    # 3. IMAP: Dovecot serving that same Maildir, on the copy taken before the Maildir pass
    dovecot = DovecotServer(tmp_path / "dovecot")
    dovecot.maildir = press
    with dovecot:
        env = {"PRESSCTL_IMAP_PASSWORD": dovecot.password}
        url = dovecot.url(tls="starttls")
        via_imap = run_cli(["bounces", "--imap", url, "--move-to", "Processed", "--json"], cwd=ws_imap, env=env)
        assert via_imap.returncode == 0, via_imap.stderr
        _check_after_bounces(ws_imap, via_imap.stdout)
        assert json.loads(via_imap.stdout)["counts"]["filed"] == len(DEAD) + 2
        before = _snapshot(ws_imap)
        twice = run_cli(["bounces", "--imap", url, "--json"], cwd=ws_imap, env=env)
        assert twice.returncode == 0, twice.stderr
        assert json.loads(twice.stdout)["counts"]["read"] == 0  # everything was moved to Processed
        processed = run_cli(["bounces", "--imap", dovecot.url(folder="Processed"), "--json"], cwd=ws_imap, env=env)
        assert processed.returncode == 0, processed.stderr
        assert json.loads(processed.stdout)["counts"]["already handled"] == len(DEAD) + 2
        assert _snapshot(ws_imap) == before
        assert dovecot.password not in via_imap.stdout + via_imap.stderr


@pytest.mark.slow
def test_signed_verp_through_a_real_postfix_names_the_journalist_even_without_a_message_id(
    postfix_relay: Callable[..., PostfixRelay], tmp_path: Path
) -> None:
    """Issue 17: with ``[sender] return_path`` each message leaves with a signed VERP address; the real DSN
    Postfix sends back is delivered to it (``recipient_delimiter = +``: the ``bounces`` mailbox), and its
    delivery block names it. Made to quote nothing of the original (its returned headers cut), the DSN still
    names its journalist through the signature; a forged copy with the signature cut changes nothing."""
    relay = postfix_relay(mailboxes=("bounces",), settings={"recipient_delimiter": "+"})
    ws = make_workspace(tmp_path)
    toml = ws / "pressctl.toml"
    toml.write_text(
        toml.read_text(encoding="utf-8").replace("[sender]", '[sender]\nreturn_path = "bounces+{local}={domain}@hvsp.test"', 1),
        encoding="utf-8",
    )
    release = write_release(ws)
    desk = ws / "contacts" / "desk.csv"
    desk.write_text("email,first_name\nnewsdesk@hvsp.test,Desk\nleft.the.paper@hvsp.test,Lee\n", encoding="utf-8")
    sent = run_cli(["send", str(release), "-c", str(desk), "--smtp", relay.url, "--from", FROM, "--yes"], cwd=ws, timeout=120)
    assert sent.returncode == 0, sent.stderr
    relay.wait_delivered(expect=lambda: len(relay.maildir("bounces")) >= 1, timeout=60)
    [dsn] = relay.maildir("bounces")
    raw = dsn.read_bytes()
    head = raw.split(b"\nReceived:", 1)[0].decode()  # what the delivery agent wrote on top
    assert "Delivered-To: bounces+left.the.paper=hvsp.test+" in head, head
    # quote nothing of the original: only the signed VERP address can say whose bounce this is
    cut = b"\n".join(line for line in raw.split(b"\n") if not line.lower().startswith(b"message-id: <") or b"@mx.hvsp.test" in line)
    box = relay.root / "mail" / relay.domain / "bounces"
    with Ledger(ws / ".pressctl" / "ledger.sqlite3") as ledger:
        ours = next(r.message_id for r in ledger.recipients.all(1) if r.email == "left.the.paper@hvsp.test")
    assert ours.encode() in raw and ours.encode() not in cut
    dsn.write_bytes(cut)
    signed = head.split("Delivered-To: ", 1)[1].split("\n", 1)[0].strip()
    unsigned = signed.rsplit("+", 1)[0] + "@hvsp.test"
    forged = cut.replace(signed.encode(), unsigned.encode()).replace(b"Message-Id: <", b"Message-Id: <forged-")
    _drop(box, forged)
    done = run_cli(["bounces", "--maildir", str(box), "--json"], cwd=ws)
    assert done.returncode == 0, done.stderr
    data = json.loads(done.stdout)
    assert data["counts"]["rows bounced"] == 1, data
    assert [u["reason"] for u in data["unmatched"]] == [
        "its VERP address has no valid signature (sent before signatures, or forged): not trusted"
    ]
    rows = _rows(ws, 1)
    assert rows["left.the.paper@hvsp.test"] == ("bounced", "bounced") and rows["newsdesk@hvsp.test"] == ("sent", "")
