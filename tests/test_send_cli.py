"""``pressctl send`` and ``report`` as real processes against a real aiosmtpd server on 127.0.0.1."""

from __future__ import annotations

import datetime as dt
import json
import signal
import subprocess
from email import message_from_bytes
from email.message import Message
from email.policy import default
from pathlib import Path

import pytest
from qa_support import one_error_line
from send_support import (
    PRESSCTL,
    assert_repeats_at_most_in_flight,
    make_workspace,
    run_cli,
    write_contacts,
    write_release,
)
from smtp_server import SmtpTestServer, starttls_server
from wait_support import wait_for


def _report(ws: Path) -> dict:  # type: ignore[type-arg]
    proc = run_cli(["report", "--format", "json"], cwd=ws)
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout)  # type: ignore[no-any-return]


def _parsed(data: bytes) -> Message:
    return message_from_bytes(data, policy=default)


def _body(msg: Message, subtype: str) -> str:
    part = msg.get_body(preferencelist=(subtype,))  # type: ignore[attr-defined]
    assert part is not None
    return str(part.get_content())


@pytest.fixture
def ws(tmp_path: Path) -> Path:
    return make_workspace(tmp_path)


@pytest.mark.slow
def test_send_then_rerun_sends_nobody_twice(ws: Path) -> None:
    release = write_release(ws)
    lists = write_contacts(
        ws / "contacts" / "list.csv",
        12,
        extra=[["not-an-address", "X", "Y", "Z"], ["REPORTER00001@news.example", "Dup", "Lee", "Harbour Daily"]],
    )
    with SmtpTestServer() as server:
        args = ["send", str(release), "-c", str(lists), "--smtp", server.url(), "--yes", "--concurrency", "3",
                "--reconnect-after", "5"]
        first = run_cli(args, cwd=ws)
        assert first.returncode == 0, first.stderr + first.stdout
        assert "recipients      12" in first.stdout and "duplicates      1" in first.stdout
        assert "campaign #1: 12 sent" in first.stdout and "1 invalid" in first.stdout
        again = run_cli(args, cwd=ws)
        assert again.returncode == 0, again.stderr
        assert "resuming #1: 12 already sent, 0 left" in again.stdout
        messages = server.messages
    assert len(messages) == 12 == len({m.rcpt for m in messages})
    assert 3 <= server.connections <= 6  # 12 messages over 3 reused connections, each renewed after 5
    one = _parsed(messages[0].data)
    assert one["Message-ID"].endswith("@hvsp.example>") and one["Date"]
    assert "Dear Reporter" in _body(one, "plain")
    report = _report(ws)
    assert report["totals"]["sent"] == 12 and report["totals"]["invalid"] == 1
    assert {r["status"] for r in report["recipients"]} == {"sent", "invalid"}
    assert all(r["message_id"] and r["attempts"] == 1 for r in report["recipients"] if r["status"] == "sent")
    listing = run_cli(["campaigns"], cwd=ws)
    assert listing.returncode == 0 and "Park Names Its First" in listing.stdout
    table = run_cli(["report", "1"], cwd=ws)
    assert table.returncode == 0 and "reporter00000@news.example" in table.stdout
    as_csv = run_cli(["report", "--format", "csv"], cwd=ws)
    assert as_csv.stdout.splitlines()[0].startswith("\ufeffcampaign,email,")


@pytest.mark.slow
def test_no_tty_and_no_yes_refuses(ws: Path) -> None:
    release = write_release(ws)
    lists = write_contacts(ws / "contacts" / "list.csv", 2)
    with SmtpTestServer() as server:
        proc = run_cli(["send", str(release), "-c", str(lists), "--smtp", server.url()], cwd=ws)
        assert server.messages == []
    assert proc.returncode == 2 and "--yes" in proc.stderr and "Traceback" not in proc.stderr


@pytest.mark.slow
def test_embargo_refused_then_advance_copy_marked_everywhere(ws: Path) -> None:
    release = write_release(ws, embargo=f"{dt.date.today().year + 5}-03-12 10:00")
    lists = write_contacts(ws / "contacts" / "list.csv", 2)
    with SmtpTestServer() as server:
        refused = run_cli(["send", str(release), "-c", str(lists), "--smtp", server.url(), "--yes"], cwd=ws)
        assert refused.returncode == 2 and server.messages == []
        assert "--under-embargo" in refused.stderr and "pressctl schedule" in refused.stderr
        advance = run_cli(
            ["send", str(release), "-c", str(lists), "--smtp", server.url(), "--yes", "--under-embargo"], cwd=ws
        )
        assert advance.returncode == 0, advance.stderr
        assert "ADVANCE COPY" in advance.stdout
        messages = server.messages
    msg = _parsed(messages[0].data)
    assert "EMBARGOED" in msg["Subject"].upper()
    assert "EMBARGOED" in _body(msg, "plain").upper() and "EMBARGOED" in _body(msg, "html").upper()
    pdfs = [p for p in msg.iter_attachments() if p.get_content_type() == "application/pdf"]  # type: ignore[attr-defined]
    assert pdfs, "the PDF is attached"
    pdf_path = ws / "advance.pdf"
    pdf_path.write_bytes(pdfs[0].get_content())
    text = subprocess.run(["pdftotext", str(pdf_path), "-"], capture_output=True, text=True, check=True).stdout
    assert "EMBARGOED" in text.upper()


@pytest.mark.slow
def test_dry_run_of_an_embargoed_release_previews_the_lift(ws: Path) -> None:
    release = write_release(ws, embargo=f"{dt.date.today().year + 5}-03-12 10:00")
    lists = write_contacts(ws / "contacts" / "list.csv", 1)
    proc = run_cli(["send", str(release), "-c", str(lists), "--dry-run"], cwd=ws)
    assert proc.returncode == 0, proc.stderr
    assert "would refuse now" in proc.stderr and "nothing sent" in proc.stdout


def _assert_no_campaign(ws: Path, message: str) -> None:
    """`pressctl report` finds no campaign: exit 2, one line saying so, no traceback."""
    listing = run_cli(["report", "--format", "json"], cwd=ws)
    assert listing.returncode == 2, listing.stdout + listing.stderr
    assert listing.stdout == "" and message in listing.stderr, listing.stderr
    assert len(listing.stderr.strip().splitlines()) == 1 and "Traceback" not in listing.stderr


@pytest.mark.slow
def test_under_embargo_needs_an_embargo(ws: Path) -> None:
    release = write_release(ws)
    lists = write_contacts(ws / "contacts" / "list.csv", 1)
    proc = run_cli(["send", str(release), "-c", str(lists), "--yes", "--under-embargo"], cwd=ws)
    assert proc.returncode == 2 and "needs an embargo" in proc.stderr


@pytest.mark.slow
def test_test_to_sends_only_a_marked_copy_and_leaves_the_campaign(ws: Path) -> None:
    release = write_release(ws)
    lists = write_contacts(ws / "contacts" / "list.csv", 5)
    with SmtpTestServer() as server:
        proc = run_cli(
            ["send", str(release), "-c", str(lists), "--smtp", server.url(), "--test-to", "desk@hvsp.example"], cwd=ws
        )
        assert proc.returncode == 0, proc.stderr
        messages = server.messages
    assert [m.rcpt for m in messages] == ["desk@hvsp.example"]
    msg = _parsed(messages[0].data)
    assert msg["Subject"].startswith("[TEST]") and "desk@hvsp.example" in msg["To"]
    assert "Dear Reporter0," in _body(msg, "plain")  # personalised as the first contact
    # Recorded as a test campaign of its own: no journalist row, nobody marked sent.
    listing = run_cli(["campaigns", "--format", "json"], cwd=ws)
    campaigns = json.loads(listing.stdout)
    assert [c["kind"] for c in campaigns] == ["test"] and campaigns[0]["totals"]["sent"] == 0
    report = json.loads(run_cli(["report", "--format", "json"], cwd=ws).stdout)
    assert [(r["email"], r["role"], r["status"]) for r in report["recipients"]] == [("desk@hvsp.example", "test", "sent")]


@pytest.mark.slow
def test_dry_run_writes_a_preview_and_records_nothing(ws: Path) -> None:
    release = write_release(ws)
    lists = write_contacts(ws / "contacts" / "list.csv", 4)
    proc = run_cli(["send", str(release), "-c", str(lists), "--dry-run", "--limit", "2"], cwd=ws)
    assert proc.returncode == 0, proc.stderr
    preview = ws / "out" / "preview-fellows"
    assert (preview / "index.html").is_file() and len(list((preview / "messages").glob("*.eml"))) == 2
    assert not (ws / "outbox").exists()
    _assert_no_campaign(ws, "no ledger here yet")


@pytest.mark.slow
def test_no_smtp_goes_to_the_outbox_and_says_so(ws: Path) -> None:
    release = write_release(ws)
    lists = write_contacts(ws / "contacts" / "list.csv", 3)
    proc = run_cli(["send", str(release), "-c", str(lists), "--yes"], cwd=ws)
    assert proc.returncode == 0, proc.stderr
    assert "local outbox" in proc.stderr
    assert len(list((ws / "outbox" / "new").iterdir())) == 3 and not list((ws / "outbox" / "tmp").iterdir())


@pytest.mark.slow
def test_unreachable_server_one_line_exit_1_nothing_sent(ws: Path) -> None:
    release = write_release(ws)
    lists = write_contacts(ws / "contacts" / "list.csv", 3)
    with SmtpTestServer() as server:
        port = server.port
    proc = run_cli(["send", str(release), "-c", str(lists), "--smtp", f"smtp://127.0.0.1:{port}", "--yes"], cwd=ws)
    assert proc.returncode == 1
    errors = [line for line in proc.stderr.splitlines() if line.startswith("error:")]
    assert len(errors) == 1 and f"127.0.0.1:{port}" in errors[0] and "Traceback" not in proc.stderr
    report = _report(ws)
    assert report["totals"]["sent"] == 0 and report["totals"]["sending"] == 0


@pytest.mark.slow
def test_bounce_is_suppressed_and_exit_is_1(ws: Path) -> None:
    release = write_release(ws)
    lists = write_contacts(ws / "contacts" / "list.csv", 3)
    with SmtpTestServer() as server:
        server.script("reporter00001@news.example", "550 5.1.1 <reporter00001@news.example>: no such user")
        proc = run_cli(["send", str(release), "-c", str(lists), "--smtp", server.url(), "--yes"], cwd=ws)
    assert proc.returncode == 1, proc.stderr  # one refused: exit 1, not a crash
    assert "Traceback" not in proc.stderr and "internal error" not in proc.stderr, proc.stderr
    assert "failed  reporter00001@news.example: refused for this recipient (550 5.1.1" in proc.stdout and "suppression list" in proc.stdout
    assert "reporter00001@news.example" in (ws / "contacts" / "suppressed.csv").read_text(encoding="utf-8")


@pytest.mark.slow
def test_missing_merge_field_refused_before_sending(ws: Path) -> None:
    release = ws / "releases" / "outlet.md"
    release.write_text(
        "---\ntitle: HVSP opens its lab\ndate: 2026-11-20\n---\nFor the readers of {{ outlet }}.\n", encoding="utf-8"
    )
    lists = write_contacts(ws / "contacts" / "list.csv", 2, extra=[["nooutlet@news.example", "N", "O", ""]])
    with SmtpTestServer() as server:
        proc = run_cli(["send", str(release), "-c", str(lists), "--smtp", server.url(), "--yes"], cwd=ws)
        assert server.messages == []
    line = one_error_line(proc)
    assert proc.returncode == 2 and "outlet" in line and "fallback" in proc.stderr


@pytest.mark.slow
def test_starttls_auth_and_the_password_never_shows(ws: Path, tmp_path: Path) -> None:
    secret = "tide-Pool-9431-secret"
    release = write_release(ws)
    lists = write_contacts(ws / "contacts" / "list.csv", 2)
    server, cafile = starttls_server(tmp_path, auth=("press", secret))
    with server:
        url = server.url(user="press", query=f"tls=starttls&cafile={cafile}")
        args = ["send", str(release), "-c", str(lists), "--smtp", url, "--yes"]
        wrong = run_cli(args, cwd=ws, env={"PRESSCTL_SMTP_PASSWORD": "not-" + secret})
        assert wrong.returncode == 1 and "refused the login" in one_error_line(wrong)
        assert f"127.0.0.1:{server.port}" in wrong.stderr and secret not in wrong.stderr + wrong.stdout
        ok = run_cli(args, cwd=ws, env={"PRESSCTL_SMTP_PASSWORD": secret})
        assert ok.returncode == 0, ok.stderr
        assert secret not in ok.stdout + ok.stderr
        assert len(server.messages) == 2
        no_ca = run_cli(
            ["send", str(release), "-c", str(lists), "--smtp", server.url(user="press"), "--yes", "--new-campaign"],
            cwd=ws,
            env={"PRESSCTL_SMTP_PASSWORD": secret},
        )
        assert no_ca.returncode == 1 and "certificate" in one_error_line(no_ca)
        in_url = run_cli(
            ["send", str(release), "-c", str(lists), "--smtp", f"smtp://press:{secret}@127.0.0.1:{server.port}"], cwd=ws
        )
        assert in_url.returncode == 2 and "PRESSCTL_SMTP_PASSWORD" in one_error_line(in_url)
        assert secret not in in_url.stderr + in_url.stdout
    for path in (ws / ".pressctl").rglob("*"):  # the ledger, and the rendered-PDF cache in cache/
        assert path.is_dir() or secret.encode() not in path.read_bytes(), path


@pytest.mark.slow
def test_starttls_required_but_not_offered(ws: Path) -> None:
    release = write_release(ws)
    lists = write_contacts(ws / "contacts" / "list.csv", 1)
    with SmtpTestServer() as server:
        proc = run_cli(
            ["send", str(release), "-c", str(lists), "--smtp", server.url(query="tls=starttls"), "--yes"], cwd=ws
        )
        assert server.messages == []
    assert proc.returncode == 1 and "STARTTLS" in one_error_line(proc)


@pytest.mark.slow
@pytest.mark.parametrize(
    ("count", "rate", "pipelining"),
    [(40, ["--rate", "25/s"], False), (400, [], False), (400, [], True)],
    ids=["paced", "full-speed", "full-speed-pipelined"],
)
def test_kill_9_mid_run_then_rerun_repeats_at_most_the_in_flight(
    ws: Path, count: int, rate: list[str], pipelining: bool
) -> None:
    # Paced, and at full speed: there a sent result rides on the next hand-over's commit (one commit per
    # message), and a kill still repeats at most one message per connection; also with PIPELINING offered.
    release = write_release(ws)
    lists = write_contacts(ws / "contacts" / "list.csv", count)
    with SmtpTestServer(pipelining=pipelining) as server:
        args = ["send", str(release), "-c", str(lists), "--smtp", server.url(), "--yes", "--concurrency", "3"]
        proc = subprocess.Popen([*PRESSCTL, *args, *rate], cwd=ws, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        wait_for(lambda: len(server.messages) >= 12 or proc.poll() is not None, 30, every=0.001)
        proc.send_signal(signal.SIGKILL)
        proc.wait(10)
        before = len(server.messages)
        assert 12 <= before < count
        rerun = run_cli(args, cwd=ws)
        assert rerun.returncode == 0, rerun.stderr + rerun.stdout
        messages = server.messages
    assert_repeats_at_most_in_flight(messages, count, in_flight=3)  # 3 connections
    report = _report(ws)
    assert report["totals"]["sent"] == count


@pytest.mark.slow
def test_ctrl_c_stops_after_in_flight_and_the_same_command_resumes(ws: Path) -> None:
    release = write_release(ws)
    count = 30
    lists = write_contacts(ws / "contacts" / "list.csv", count)
    with SmtpTestServer() as server:
        args = ["send", str(release), "-c", str(lists), "--smtp", server.url(), "--yes", "--rate", "20/s"]
        proc = subprocess.Popen([*PRESSCTL, *args], cwd=ws, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        wait_for(lambda: len(server.messages) >= 5 or proc.poll() is not None, 30, every=0.01)
        proc.send_signal(signal.SIGINT)
        stdout, stderr = proc.communicate(timeout=30)
        assert proc.returncode == 130, stdout + stderr  # interrupted, as the README says (was 1)
        assert "To resume, run the same command again" in stderr and "Traceback" not in stderr
        report = _report(ws)
        assert report["totals"]["sending"] == 0 and report["totals"]["sent"] == len(server.messages) < count
        rerun = run_cli(args, cwd=ws)
        assert rerun.returncode == 0, rerun.stderr
        rcpts = [m.rcpt for m in server.messages]
    assert len(rcpts) == count == len(set(rcpts))  # a clean stop repeats nobody


@pytest.mark.slow
def test_smtp_url_from_the_workspace_config(ws: Path) -> None:
    release = write_release(ws)
    lists = write_contacts(ws / "contacts" / "list.csv", 2)
    with SmtpTestServer() as server:
        config = ws / "pressctl.toml"
        config.write_text(config.read_text(encoding="utf-8") + f'\n[smtp]\nurl = "{server.url()}"\n', encoding="utf-8")
        proc = run_cli(["send", str(release), "-c", str(lists), "--yes"], cwd=ws)
        assert proc.returncode == 0, proc.stderr
        assert f"smtp://127.0.0.1:{server.port}" in proc.stdout and "local outbox" not in proc.stderr
        assert len(server.messages) == 2


@pytest.mark.slow
def test_rate_and_batches_through_the_command(ws: Path) -> None:
    release = write_release(ws)
    lists = write_contacts(ws / "contacts" / "list.csv", 8)
    with SmtpTestServer() as server:
        proc = run_cli(
            ["send", str(release), "-c", str(lists), "--smtp", server.url(), "--yes", "--rate", "20/s",
             "--batch-size", "4", "--batch-pause", "0.5"],
            cwd=ws,
        )
        assert proc.returncode == 0, proc.stderr
        assert "rate            --rate 20/s (command line), pause 0.5 s after every 4" in proc.stdout
        times = sorted(e.time for e in server.events if e.kind == "mail")
    assert len(times) == 8
    for i, start in enumerate(times):  # never more than the rate (+1 at a window's edge)
        assert len([t for t in times[i:] if t < start + 0.25]) <= 6
    assert times[4] - times[3] >= 0.4  # the batch pause
