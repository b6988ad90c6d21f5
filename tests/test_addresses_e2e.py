"""One address rule through the ``pressctl`` command: a reader sent to as ``müller@straße.de`` whose bounce
names ``Müller@Straße.de`` is that reader (real SMTP server, real Maildir, real ledger); a refusal during the
send is suppressed through the same service as ``suppress add`` (normalised, with the local date)."""

from __future__ import annotations

import csv
import re
from pathlib import Path

import pytest
from send_support import make_workspace, run_cli, write_contacts, write_release
from smtp_server import SmtpTestServer

from pressctl.ledger import Ledger

SENT_AS = "müller@straße.de"
BOUNCED_AS = "Müller@Straße.de"
ROW = "müller@xn--strae-oqa.de"  # the ledger's key and address: the domain in A-labels, sharp s kept

DSN = """\
Return-Path: <>
Delivered-To: press@hvsp.example
From: MAILER-DAEMON@relay.hvsp.example (Mail Delivery System)
Subject: Undelivered Mail Returned to Sender
To: press@hvsp.example
Auto-Submitted: auto-replied
MIME-Version: 1.0
Content-Type: multipart/report; report-type=delivery-status; boundary="tide-report"
Message-Id: <report.0412@relay.hvsp.example>
Date: Thu, 12 Mar 2026 10:02:11 +0800

--tide-report
Content-Type: text/plain; charset=utf-8
Content-Transfer-Encoding: 8bit

The mailbox {bounced} does not exist at the harbour archive's mail server.

--tide-report
Content-Type: message/global-delivery-status
Content-Transfer-Encoding: 8bit

Reporting-MTA: dns; relay.hvsp.example

Final-Recipient: utf-8; {bounced}
Action: failed
Status: 5.1.1
Diagnostic-Code: smtp; 550 5.1.1 <{bounced}>: mailbox unknown

--tide-report
Content-Type: text/rfc822-headers

From: HVSP Press Office <press@hvsp.example>
Subject: Harbourview Science Park Names Its First Marine Robotics Fellows
Message-ID: {message_id}

--tide-report--
"""


@pytest.fixture
def ws(tmp_path: Path) -> Path:
    return make_workspace(tmp_path)


def _maildir(root: Path, message: str) -> Path:
    box = root / "Maildir"
    for sub in ("cur", "new", "tmp"):
        (box / sub).mkdir(parents=True)
    (box / "new" / "1773280931.tide.host").write_bytes(message.replace("\n", "\r\n").encode("utf-8"))
    return box


def _csv_rows(ws: Path) -> dict[str, dict[str, str]]:
    with (ws / "contacts" / "suppressed.csv").open(encoding="utf-8") as fh:
        return {r["email"]: r for r in csv.DictReader(fh)}


@pytest.mark.slow
def test_a_bounce_naming_the_reader_in_another_case_finds_their_row(ws: Path, tmp_path: Path) -> None:
    release = write_release(ws)
    lists = write_contacts(ws / "contacts" / "list.csv", 2, extra=[[SENT_AS, "Jonas", "Müller", "Hafenblatt"]])
    args = ["send", str(release), "-c", str(lists), "--smtp", ""]
    with SmtpTestServer() as server:
        args[-1] = server.url()
        sent = run_cli([*args, "--yes"], cwd=ws)
        assert sent.returncode == 0, sent.stdout + sent.stderr
        received = next(m for m in server.accepted if m.rcpt.lower() == ROW)
    message_id = received.message_id
    with Ledger(ws / ".pressctl" / "ledger.sqlite3") as ledger:
        row = ledger.recipients.get(1, ROW)
        assert row is not None and row.email == ROW and row.message_id == message_id

    box = _maildir(tmp_path, DSN.format(bounced=BOUNCED_AS, message_id=message_id))
    bounced = run_cli(["bounces", "--maildir", str(box)], cwd=ws)
    assert bounced.returncode == 0, bounced.stdout + bounced.stderr
    assert "unmatched" not in " ".join(bounced.stdout.split()).replace("unmatched 0", ""), bounced.stdout
    with Ledger(ws / ".pressctl" / "ledger.sqlite3") as ledger:
        row = ledger.recipients.get(1, ROW)
        assert row is not None and (row.status, row.bounce_code) == ("bounced", "5.1.1")
        assert ledger.suppressions.all()[ROW][1] == "bounce"
    assert ROW in _csv_rows(ws)

    with SmtpTestServer() as server:
        args[-1] = server.url()
        again = run_cli([*args, "--new-campaign", "--yes"], cwd=ws)
        assert again.returncode == 0, again.stdout + again.stderr
        assert "1 suppressed" in again.stdout
        assert server.attempts(ROW) == 0


@pytest.mark.slow
def test_a_refusal_during_the_send_is_suppressed_as_suppress_add_would(ws: Path) -> None:
    release = write_release(ws)
    lists = write_contacts(ws / "contacts" / "list.csv", 2, extra=[["Night.Desk@News.Example", "Night", "Desk", ""]])
    with SmtpTestServer() as server:
        server.script("Night.Desk@news.example", "550 5.1.1 <Night.Desk@news.example>: no such user")
        proc = run_cli(["send", str(release), "-c", str(lists), "--smtp", server.url(), "--yes"], cwd=ws)
    assert proc.returncode == 1, proc.stdout + proc.stderr
    rows = _csv_rows(ws)
    assert "Night.Desk@news.example" not in rows  # the key, as `suppress add` writes it
    entry = rows["night.desk@news.example"]
    assert entry["reason"].startswith("bounced: ") and "5.1.1" in entry["reason"]
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+08:00", entry["date"])  # the workspace's zone
    again = run_cli(["suppress", "add", "night.desk＠news.example"], cwd=ws)
    assert "1 already suppressed" in again.stdout
    assert list(_csv_rows(ws)).count("night.desk@news.example") == 1


@pytest.mark.slow
def test_an_idn_sender_keeps_its_domain_on_the_wire(ws: Path) -> None:
    toml = ws / "pressctl.toml"
    toml.write_text(toml.read_text("utf-8").replace("<press@hvsp.example>", "<presse@straße.de>"), "utf-8")
    release = write_release(ws)
    lists = write_contacts(ws / "contacts" / "list.csv", 1)
    with SmtpTestServer() as server:
        sent = run_cli(["send", str(release), "-c", str(lists), "--smtp", server.url(), "--yes"], cwd=ws)
        assert sent.returncode == 0, sent.stdout + sent.stderr
        (received,) = server.accepted
    assert received.mail_from == "presse@xn--strae-oqa.de"  # MAIL FROM: straße.de, not strasse.de
    assert received.headers["From"] == "HVSP Press Office <presse@xn--strae-oqa.de>"
    assert received.message_id.endswith("@xn--strae-oqa.de>")
