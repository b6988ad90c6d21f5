"""Issue 11 wired into `pressctl send`: relay profiles and where each limit came from, OAuth2 (XOAUTH2) logins
with a token fetched again when it expires, the EHLO name, `pressctl smtp check` and the SIZE refusal, against
real aiosmtpd servers on 127.0.0.1 (tests/smtp_server.py, tests/provider_smtp.py)."""

from __future__ import annotations

import datetime as dt
import socket
import threading
from pathlib import Path
from typing import Any

import pytest
from provider_smtp import M365_CONCURRENT, ProviderServer, microsoft365
from send_support import make_workspace, run_cli, write_contacts, write_release
from smtp_server import SmtpTestServer, starttls_server

from pressctl.config import load_workspace
from pressctl.ledger import Ledger
from pressctl.send.options import SendOptions
from pressctl.send.plan import plan_send
from pressctl.send.run import run_send
from pressctl.send.smtp import SmtpTransport, helo_name
from pressctl.send.transports import make_transport

pytest_plugins = ["postfix_support"]  # the postfix_relay fixture (a real Postfix; skipped when not root)

USER = "press@hvsp.example"


@pytest.fixture
def ws(tmp_path: Path) -> Path:
    return make_workspace(tmp_path)


def _smtp_config(ws: Path, text: str) -> None:
    with (ws / "pressctl.toml").open("a", encoding="utf-8") as fh:
        fh.write("\n[smtp]\n" + text + "\n")


def _counting_command(tmp_path: Path) -> str:
    """A token command that prints tok-1, tok-2, ... on successive runs."""
    counter = tmp_path / "token-count"
    return f"n=$(cat {counter} 2>/dev/null || echo 0); n=$((n+1)); echo $n > {counter}; echo tok-$n"


# -- profiles ------------------------------------------------------------------------------------------------
@pytest.mark.slow
def test_profile_limits_and_where_they_came_from(ws: Path) -> None:
    release = write_release(ws)
    lists = write_contacts(ws / "contacts" / "list.csv", 6)
    with ProviderServer(microsoft365(password="pw-1")) as server:
        # Microsoft 365 takes 3 connections; the profile asks for no more, so no 4th is refused (432).
        # --rate 0 (explicitly no limit) wins over the profile's 30/min.
        proc = run_cli(
            ["send", str(release), "-c", str(lists), "--smtp", server.url(USER), "--smtp-profile", "microsoft365",
             "--rate", "0", "--yes"],
            cwd=ws, env={"PRESSCTL_SMTP_PASSWORD": "pw-1"},
        )
        assert proc.returncode == 0, proc.stderr
        assert len(server.accepted) == 6 and server.max_active <= 3
        assert not [r for r in server.refused if r[1] == M365_CONCURRENT]
    assert "relay profile   microsoft365 (--smtp-profile, command line)" in proc.stdout
    assert "connections     3 connections (microsoft365 profile)" in proc.stdout
    assert "rate            --rate 0 (command line)" in proc.stdout
    assert "daily cap       10,000 recipients per 24 h (microsoft365 profile)" in proc.stdout


@pytest.mark.slow
def test_profile_from_pressctl_toml_and_ses_asks_for_the_account_quota(ws: Path) -> None:
    release = write_release(ws)
    lists = write_contacts(ws / "contacts" / "list.csv", 2)
    _smtp_config(ws, 'profile = "ses"\nconcurrency = 2')
    with SmtpTestServer() as server:
        proc = run_cli(["send", str(release), "-c", str(lists), "--smtp", server.url(), "--yes"], cwd=ws)
        assert proc.returncode == 0, proc.stderr
    assert "relay profile   ses (smtp.profile, pressctl.toml)" in proc.stdout
    assert "connections     smtp.concurrency 2 (pressctl.toml)" in proc.stdout
    assert "rate            rate 1/s (ses profile)" in proc.stdout
    assert "set --rate to your account's maximum send rate" in proc.stderr
    assert "set --daily-cap to your account's quota" in proc.stderr


@pytest.mark.slow
@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ('auth = "kerberos"', "smtp.auth 'kerberos' is not known"),
        ("concurrency = 0", "smtp.concurrency must be a whole number of at least 1"),
        ('rate = "fast"', "smtp.rate 'fast' is not a rate"),
        ("daily_cap = -5", "smtp.daily_cap must be a whole number of at least 0"),
        ('helo = "not a host"', "smtp.helo 'not a host' is not a host name"),
        ('profil = "gmail"', "unknown key 'smtp.profil'"),
    ],
)
def test_bad_smtp_settings_are_one_line(ws: Path, text: str, expected: str) -> None:
    _smtp_config(ws, text)
    release = write_release(ws)
    lists = write_contacts(ws / "contacts" / "list.csv", 1)
    proc = run_cli(["send", str(release), "-c", str(lists), "--dry-run"], cwd=ws)
    assert proc.returncode == 2 and expected in proc.stderr, proc.stderr
    assert "pressctl.toml" in proc.stderr and "Traceback" not in proc.stderr


@pytest.mark.slow
def test_dry_run_says_which_limits_apply(ws: Path) -> None:
    release = write_release(ws)
    lists = write_contacts(ws / "contacts" / "list.csv", 1)
    _smtp_config(ws, 'url = "smtp://press%40hvsp.example@smtp.office365.com:587"\ndaily_cap = 500')
    proc = run_cli(["send", str(release), "-c", str(lists), "--dry-run", "--rate", "10/min"], cwd=ws)
    assert proc.returncode == 0, proc.stderr
    assert (
        "limits: microsoft365 (recognised from the host smtp.office365.com); 3 connections (microsoft365 profile); "
        "--rate 10/min (command line); smtp.daily_cap 500 (pressctl.toml)"
    ) in proc.stdout


@pytest.mark.slow
def test_unknown_profile_is_one_line(ws: Path) -> None:
    release = write_release(ws)
    lists = write_contacts(ws / "contacts" / "list.csv", 1)
    proc = run_cli(["send", str(release), "-c", str(lists), "--smtp-profile", "hotmail", "--dry-run"], cwd=ws)
    assert proc.returncode == 2 and "no relay profile 'hotmail'" in proc.stderr and "microsoft365" in proc.stderr


@pytest.mark.slow
# -- EHLO name -----------------------------------------------------------------------------------------------
def test_ehlo_name_is_the_machine_not_the_from_domain(ws: Path) -> None:
    release = write_release(ws)
    lists = write_contacts(ws / "contacts" / "list.csv", 1)
    with SmtpTestServer() as server:
        proc = run_cli(["send", str(release), "-c", str(lists), "--smtp", server.url(), "--yes"], cwd=ws)
        assert proc.returncode == 0, proc.stderr
        names = set(server.helo_names)
    assert names == {helo_name()} and helo_name() in (socket.getfqdn(), socket.gethostname())
    _smtp_config(ws, 'helo = "press-host.hvsp.example"')
    workspace = load_workspace(ws)
    transport = make_transport(workspace, smtp_url="smtp://127.0.0.1:2525")
    assert isinstance(transport, SmtpTransport) and transport.local_hostname == "press-host.hvsp.example"


# -- OAuth2 --------------------------------------------------------------------------------------------------
def test_xoauth2_token_fetched_again_when_it_expires_mid_run(ws: Path, tmp_path: Path) -> None:
    release = write_release(ws)
    lists = write_contacts(ws / "contacts" / "list.csv", 8)
    _smtp_config(ws, f'auth = "xoauth2"\noauth_token_command = "{_counting_command(tmp_path)}"')
    workspace = load_workspace(ws)
    with ProviderServer(microsoft365(tokens={"tok-1"})) as server:
        options = SendOptions(smtp_url=server.url(USER), concurrency=1, reconnect_after=2)
        plan = plan_send(release, [lists], workspace=workspace, options=options)
        transport = make_transport(plan)
        sent = [0]
        expired = threading.Event()

        def progress(p: object) -> None:
            sent[0] = getattr(p, "sent", 0)
            if sent[0] >= 3 and not expired.is_set():
                server.behaviour.tokens = {"tok-2"}  # tok-1 expires: the next connection's login is refused
                expired.set()

        with Ledger(plan.ledger_path) as ledger:
            result = run_send(plan, ledger=ledger, transport=transport, progress=progress)
        assert result.complete and len(server.accepted) == 8
        logins = server.logins
    assert ("XOAUTH2", USER, False) in logins and logins[-1] == ("XOAUTH2", USER, True)
    assert [ok for _, _, ok in logins].count(False) == 1  # refused once, fetched again, retried once
    # The token is a secret: not in the ledger, not in the transport's description or repr.
    raw = plan.ledger_path.read_bytes()
    assert b"tok-1" not in raw and b"tok-2" not in raw
    assert "tok-" not in transport.description + repr(transport.tokens)


@pytest.mark.slow
def test_xoauth2_through_the_command_never_shows_the_token(ws: Path) -> None:
    token = "eyJ0eXAi.hvsp-oauth-secret-4411"
    release = write_release(ws)
    lists = write_contacts(ws / "contacts" / "list.csv", 3)
    _smtp_config(ws, 'auth = "xoauth2"')
    with ProviderServer(microsoft365(tokens={token})) as server:
        args = ["send", str(release), "-c", str(lists), "--smtp", server.url(USER), "--rate", "0", "--yes"]
        wrong = run_cli(args, cwd=ws, env={"PRESSCTL_SMTP_OAUTH_TOKEN": token + "-old"})
        assert wrong.returncode == 1 and "refused the token" in wrong.stderr, wrong.stderr
        ok = run_cli(args, cwd=ws, env={"PRESSCTL_SMTP_OAUTH_TOKEN": token})
        assert ok.returncode == 0, ok.stderr
        assert len(server.accepted) == 3
        check = run_cli(["smtp", "check", "--smtp", server.url(USER)], cwd=ws,
                        env={"PRESSCTL_SMTP_OAUTH_TOKEN": token})
    assert check.returncode == 0, check.stderr
    assert "works (OAuth2 (XOAUTH2)" in check.stdout and "XOAUTH2" in check.stdout
    for proc in (wrong, ok, check):
        assert token not in proc.stdout + proc.stderr
    assert token.encode() not in (ws / ".pressctl" / "ledger.sqlite3").read_bytes()


# -- smtp check and SIZE ---------------------------------------------------------------------------------------
@pytest.mark.slow
def test_smtp_check_reports_capabilities_certificate_login_and_size(ws: Path, tmp_path: Path) -> None:
    secret = "harbour-Tide-5521"
    release = write_release(ws)
    server, cafile = starttls_server(tmp_path, auth=("press", secret), size_limit=10_000_000)
    with server:
        url = server.url(user="press", query=f"tls=starttls&cafile={cafile}")
        ok = run_cli(["smtp", "check", str(release), "--smtp", url], cwd=ws, env={"PRESSCTL_SMTP_PASSWORD": secret})
        wrong = run_cli(["smtp", "check", "--smtp", url], cwd=ws, env={"PRESSCTL_SMTP_PASSWORD": "x" + secret})
        assert server.messages == [] and not [e for e in server.events if e.kind == "mail"]
    assert ok.returncode == 0, ok.stderr
    lines = ok.stdout
    assert "encryption    STARTTLS" in lines
    assert "certificate   127.0.0.1, issued by" in lines and f"expires {dt.date.today().year}" not in "x"
    assert "AUTH          " in lines and "PLAIN" in lines
    assert "SIZE          10,000,000 bytes" in lines
    assert "8BITMIME      yes" in lines and "SMTPUTF8      yes" in lines
    assert "login         works (password, as press)" in lines
    assert "largest msg" in lines and ": fits" in lines
    assert "nothing was sent" in lines
    assert wrong.returncode == 1 and "login         refused:" in wrong.stdout
    for proc in (ok, wrong):
        assert secret not in proc.stdout + proc.stderr


@pytest.mark.slow
def test_message_larger_than_the_relays_size_is_refused_up_front(ws: Path) -> None:
    release = write_release(ws)  # its PDF attachment alone is far over 5 KB
    lists = write_contacts(ws / "contacts" / "list.csv", 3)
    with SmtpTestServer(size_limit=5_000) as server:
        proc = run_cli(["send", str(release), "-c", str(lists), "--smtp", server.url(), "--yes"], cwd=ws)
        check = run_cli(["smtp", "check", str(release), "--smtp", server.url()], cwd=ws)
        assert server.messages == [] and not [e for e in server.events if e.kind == "mail"]
    assert proc.returncode == 2, proc.stderr
    assert "larger than the 5.0 KB" in proc.stderr and "nothing was sent" in proc.stderr
    assert len(proc.stderr.strip().splitlines()) == 1 and "Traceback" not in proc.stderr
    ledger = ws / ".pressctl" / "ledger.sqlite3"
    if ledger.exists():
        with Ledger(ledger) as led:
            assert led.campaigns.find("x") is None and not led.campaigns.all()
    assert check.returncode == 2 and "DOES NOT FIT" in check.stdout


# -- rolling daily cap across campaigns ------------------------------------------------------------------------
@pytest.mark.slow
def test_daily_cap_counts_every_campaign_of_the_relay_account(ws: Path) -> None:
    first = write_release(ws, name="first.md")
    second = write_release(ws, name="second.md")
    (second.parent / "second.md").write_text(
        second.read_text(encoding="utf-8").replace("First Marine Robotics", "Second Marine Robotics"), encoding="utf-8"
    )
    list_a = write_contacts(ws / "contacts" / "a.csv", 3, domain="a.example")
    list_b = write_contacts(ws / "contacts" / "b.csv", 4, domain="b.example")
    with SmtpTestServer() as server:
        base = ["--smtp", server.url(), "--daily-cap", "5", "--yes"]
        one = run_cli(["send", str(first), "-c", str(list_a), *base], cwd=ws)
        assert one.returncode == 0, one.stderr
        assert "daily cap       --daily-cap 5 (command line); today 0 of 5 used in the last 24 h: 3 now" in one.stdout
        two = run_cli(["send", str(second), "-c", str(list_b), *base], cwd=ws)
        assert two.returncode == 1, two.stderr
        assert "today 3 of 5 used in the last 24 h: 2 now, 2 left pending; re-run after" in two.stdout
        assert "daily cap: 5 of 5 used in the last 24 h: 0 now, 2 left pending" not in two.stdout
        assert "HKT" in two.stdout
        assert len(server.accepted) == 5
        again = run_cli(["send", str(second), "-c", str(list_b), *base], cwd=ws)
        assert again.returncode == 1 and "today 5 of 5 used in the last 24 h: 0 now, 2 left pending" in again.stdout
        assert len(server.accepted) == 5  # nothing more went
        # A day later the window has moved on: the two left go (an injected clock, not a sleep).
        later = dt.datetime.now(dt.UTC) + dt.timedelta(hours=24, minutes=5)
        workspace = load_workspace(ws)
        options = SendOptions(smtp_url=server.url(), daily_cap=5)
        plan = plan_send(second, [list_b], workspace=workspace, options=options, now=later)
        with Ledger(plan.ledger_path, clock=lambda: later) as ledger:
            result = run_send(plan, ledger=ledger, transport=make_transport(plan), clock=lambda: later)
        assert result.complete and result.cap is not None and result.cap.used == 0 and result.cap.now == 2
        assert len(server.accepted) == 7
    assert sorted(m.rcpt for m in server.accepted) == sorted(
        [f"reporter{i:05d}@a.example" for i in range(3)] + [f"reporter{i:05d}@b.example" for i in range(4)]
    )


def test_handovers_are_recorded_per_relay_account(tmp_path: Path) -> None:
    from pressctl.config.smtp import parse_smtp_url
    from pressctl.ledger.records import RecipientRow
    from pressctl.relays.profiles import relay_account

    url = "smtp://Press@Mail.HVSP.example:587"
    transport = SmtpTransport(parse_smtp_url(url), sender="press@hvsp.example", local_hostname="h.example")
    assert transport.account == relay_account(parse_smtp_url(url)) == "smtp://press@mail.hvsp.example:587"
    now = dt.datetime(2030, 3, 12, 2, 0, tzinfo=dt.UTC)
    with Ledger(tmp_path / "l.sqlite3", clock=lambda: now) as ledger:
        cid = ledger.campaigns.create(
            fingerprint="f", release_path="/r.md", slug="r", title="T", lists=[], options={}
        ).id
        ledger.recipients.add(cid, [RecipientRow(key=f"r{i}@x.example", email=f"r{i}@x.example") for i in range(3)])
        ledger.recipients.mark_sending(cid, "r0@x.example", "<m0@x>")  # no relay known yet: not counted (the outbox)
        ledger.caps.set_campaign_relay(cid, transport.account)
        ledger.recipients.mark_sending(cid, "r1@x.example", "<m1@x>")
        ledger.recipients.mark_result(cid, "r1@x.example", status="sent", code=250, reply="ok")
        ledger.recipients.mark_sending(cid, "r2@x.example", "<m2@x>")
        assert ledger.caps.handovers(transport.account, since=now - dt.timedelta(hours=24)) == [now, now]
        assert ledger.caps.handovers("smtp://other@mail.hvsp.example:587", since=now - dt.timedelta(hours=24)) == []
        assert ledger.caps.handovers(transport.account, since=now) == []


@pytest.mark.slow
def test_schedule_warns_when_the_cap_cannot_fit_the_job_and_keeps_no_token(ws: Path) -> None:
    from zoneinfo import ZoneInfo

    token = "eyJ0eXAi.hvsp-snapshot-secret-7730"
    first = write_release(ws, name="first.md")
    second = write_release(ws, name="second.md")
    list_a = write_contacts(ws / "contacts" / "a.csv", 3, domain="a.example")
    list_b = write_contacts(ws / "contacts" / "b.csv", 4, domain="b.example")
    _smtp_config(ws, 'auth = "xoauth2"')
    env = {"PRESSCTL_SMTP_OAUTH_TOKEN": token}
    with ProviderServer(microsoft365(tokens={token})) as server:
        url = server.url(USER)
        sent = run_cli(["send", str(first), "-c", str(list_a), "--smtp", url, "--daily-cap", "4", "--rate", "0",
                        "--yes"], cwd=ws, env=env)
        assert sent.returncode == 0, sent.stderr
        at = (dt.datetime.now(ZoneInfo("Asia/Hong_Kong")) + dt.timedelta(hours=2)).strftime("%Y-%m-%d %H:%M")
        job = run_cli(["schedule", str(second), "-c", str(list_b), "--at", at, "--smtp", url, "--daily-cap", "4"],
                      cwd=ws, env=env)
    assert job.returncode == 0, job.stderr
    assert "will not fit this job at its time (3 of 4 already used in the 24 h before it): 1 of the 4 can go at " \
        "its time; 3 will wait for the cap and go out automatically after " in " ".join(job.stderr.split())
    assert "HKT (the job shows as held until then" in " ".join(job.stderr.split())
    assert "limits      --daily-cap 4 (command line)" in job.stdout
    snapshots = ws / ".pressctl" / "jobs"
    for path in snapshots.rglob("*"):
        if path.is_file():
            assert token.encode() not in path.read_bytes(), path
    for proc in (sent, job):
        assert token not in proc.stdout + proc.stderr
    assert token.encode() not in (ws / ".pressctl" / "ledger.sqlite3").read_bytes()


# -- a real Postfix ---------------------------------------------------------------------------------------------
@pytest.mark.slow
def test_postfix_size_limit_refuses_up_front_and_smtp_check_says_why(ws: Path, postfix_relay: Any) -> None:
    relay = postfix_relay(message_size_limit=20_000, connection_count_limit=2)
    release = write_release(ws)
    lists = ws / "contacts" / "list.csv"
    lists.write_text("email,first_name\neditor@hvsp.test,Ada\nreporter@hvsp.test,Kit\n", encoding="utf-8")
    check = run_cli(["smtp", "check", str(release), "--smtp", relay.url], cwd=ws)
    assert check.returncode == 2, check.stdout + check.stderr
    assert "SIZE          20,000 bytes" in check.stdout and "DOES NOT FIT" in check.stdout
    assert "PIPELINING    yes" in check.stdout and "8BITMIME      yes" in check.stdout
    proc = run_cli(["send", str(release), "-c", str(lists), "--smtp", relay.url, "--yes"], cwd=ws)
    assert proc.returncode == 2 and "larger than the 20.0 KB" in proc.stderr, proc.stderr
    relay.wait_delivered()
    assert relay.maildir("editor") == [] and relay.maildir("reporter") == []
    assert "message file too big" not in relay.log() and "Message size exceeds" not in relay.log()


@pytest.mark.slow
def test_postfix_connection_limit_respected_by_the_configured_concurrency(ws: Path, postfix_relay: Any) -> None:
    relay = postfix_relay(connection_count_limit=2, settings={"recipient_delimiter": "+"})
    release = write_release(ws)
    lists = ws / "contacts" / "list.csv"
    lists.write_text(
        "email,first_name\n" + "".join(f"reporter+{i}@hvsp.test,R{i}\n" for i in range(6)), encoding="utf-8"
    )
    _smtp_config(ws, "concurrency = 2")
    proc = run_cli(["send", str(release), "-c", str(lists), "--smtp", relay.url, "--yes"], cwd=ws)
    assert proc.returncode == 0, proc.stderr
    assert "connections     smtp.concurrency 2 (pressctl.toml)" in proc.stdout
    relay.wait_delivered(expect=lambda: len(relay.maildir("reporter")) >= 6)
    assert len(relay.maildir("reporter")) == 6
    assert "too many connections" not in relay.log() and "Connection concurrency limit" not in relay.log()
