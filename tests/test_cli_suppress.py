"""Opt-outs are never lost: an unreadable suppression list stops everything, pressctl's own suppressions live
in the ledger too, and ``pressctl suppress add|list|remove|import`` as real commands."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from send_support import make_workspace, run_cli, write_contacts, write_release
from smtp_server import SmtpTestServer

from pressctl.contacts.unsubscribe import load_or_create_secret, token_for


@pytest.fixture
def ws(tmp_path: Path) -> Path:
    return make_workspace(tmp_path)


def _one_line(stderr: str) -> str:
    lines = stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in stderr, stderr
    return lines[0]


def _break(ws: Path, how: str) -> None:
    listed = ws / "contacts" / "suppressed.csv"
    listed.unlink()
    if how == "dir":
        listed.mkdir()
    elif how == "dangling":
        listed.symlink_to(ws / "share-not-mounted" / "suppressed.csv")
    else:
        listed.write_text("email\nreporter00001@news.example\n", encoding="utf-8")
        listed.chmod(0)


@pytest.mark.slow
@pytest.mark.parametrize("how", ["dir", "dangling", "chmod"])
def test_an_unreadable_suppression_list_stops_send_check_and_schedule(ws: Path, how: str) -> None:
    if how == "chmod" and os.geteuid() == 0:
        pytest.skip("root reads a file whatever its mode")
    release = write_release(ws)
    lists = write_contacts(ws / "contacts" / "list.csv", 3)
    _break(ws, how)
    with SmtpTestServer() as server:
        sent = run_cli(["send", str(release), "-c", str(lists), "--smtp", server.url(), "--yes"], cwd=ws)
        assert not server.messages  # nobody, least of all the one who opted out
    assert sent.returncode == 2
    line = _one_line(sent.stderr)
    assert "suppressed.csv" in line and "the suppression list cannot be read" in line
    checked = run_cli(["contacts", "check", str(lists)], cwd=ws)
    assert checked.returncode == 2 and "the suppression list cannot be read" in _one_line(checked.stderr)
    scheduled = run_cli(["schedule", str(release), "-c", str(lists), "--at", "2031-01-01 10:00"], cwd=ws)
    assert scheduled.returncode == 2 and "the suppression list cannot be read" in _one_line(scheduled.stderr)
    assert not (ws / ".pressctl" / "jobs").exists() or not any((ws / ".pressctl" / "jobs").iterdir())


@pytest.mark.slow
def test_a_missing_suppression_list_is_recreated_with_a_warning(ws: Path) -> None:
    lists = write_contacts(ws / "contacts" / "list.csv", 2)
    (ws / "contacts" / "suppressed.csv").unlink()
    checked = run_cli(["contacts", "check", str(lists)], cwd=ws)
    assert checked.returncode == 0, checked.stderr
    assert "was missing: made a new one with only a header" in checked.stderr
    assert (ws / "contacts" / "suppressed.csv").read_text(encoding="utf-8") == "email,reason,date\n"


@pytest.mark.slow
def test_a_bounce_stays_suppressed_when_the_csv_loses_it_until_removed_on_purpose(ws: Path) -> None:
    release = write_release(ws)
    lists = write_contacts(ws / "contacts" / "list.csv", 3)
    gone = "reporter00001@news.example"
    with SmtpTestServer() as server:
        server.script(gone, f"550 5.1.1 <{gone}>: no such user")
        args = ["send", str(release), "-c", str(lists), "--smtp", server.url(), "--yes"]
        first = run_cli(args, cwd=ws)
        assert first.returncode == 1, first.stdout + first.stderr  # one failed
        assert "Traceback" not in first.stderr and "internal error" not in first.stderr, first.stderr
        listed = run_cli(["suppress", "list", "--json"], cwd=ws)
        entries = {e["address"]: e for e in json.loads(listed.stdout)}
        assert entries[gone]["where"] == "list+ledger" and "5.1.1" in entries[gone]["reason"]
        # Someone tidies the CSV and drops the bounce (or restores an old copy).
        (ws / "contacts" / "suppressed.csv").write_text("email,reason,date\n", encoding="utf-8")
        again = run_cli([*args, "--new-campaign"], cwd=ws)
        assert again.returncode == 0, again.stdout + again.stderr
        assert "1 suppressed" in again.stdout
        assert f"stay suppressed: {gone}" in again.stderr and "pressctl suppress remove ADDR" in again.stderr
        assert server.attempts(gone) == 1  # not mailed again
        removed = run_cli(["suppress", "remove", gone], cwd=ws)
        assert removed.returncode == 0 and "removed from the ledger" in removed.stdout
        server.script(gone, "250")
        third = run_cli([*args, "--new-campaign"], cwd=ws)
        assert third.returncode == 0, third.stderr
        assert server.attempts(gone) == 2  # mailed again, on purpose


@pytest.mark.slow
def test_suppress_add_list_remove_through_the_cli(ws: Path) -> None:
    with (ws / "contacts" / "suppressed.csv").open("a", encoding="utf-8") as typed:
        typed.write("unsubscribed.editor@metroweekly.test,asked to be removed,2026-09-14\n")  # typed by a person
    added = run_cli(["suppress", "add", "Desk@Wire.Example", "night@wire.example", "--reason", "asked by phone"], cwd=ws)
    assert added.returncode == 0, added.stderr
    assert "suppressed  desk@wire.example" in added.stdout
    again = run_cli(["suppress", "add", "desk@wire.example"], cwd=ws)
    assert "1 already suppressed" in again.stdout
    csv_text = (ws / "contacts" / "suppressed.csv").read_text(encoding="utf-8")
    assert "desk@wire.example,asked by phone," in csv_text
    listed = json.loads(run_cli(["suppress", "list", "--json"], cwd=ws).stdout)
    by = {e["address"]: e for e in listed}
    assert by["desk@wire.example"]["where"] == "list+ledger"
    assert by["unsubscribed.editor@metroweekly.test"]["where"] == "list"  # the typed entry
    removed = run_cli(["suppress", "remove", "desk@wire.example"], cwd=ws)
    assert "desk@wire.example: removed from the list and the ledger" in removed.stdout
    after = (ws / "contacts" / "suppressed.csv").read_text(encoding="utf-8")
    assert "desk@wire.example" not in after and "night@wire.example" in after
    assert "unsubscribed.editor@metroweekly.test" in after  # other lines kept as they were
    table = run_cli(["suppress", "list"], cwd=ws)
    assert "night@wire.example" in table.stdout and "desk@wire.example" not in table.stdout
    bad = run_cli(["suppress", "add", "not an address"], cwd=ws)
    assert bad.returncode == 2 and "is not an email address" in _one_line(bad.stderr)


@pytest.mark.slow
def test_suppress_import_matches_tokens_against_the_ledger_and_counts_unknown_ones(ws: Path) -> None:
    release = write_release(ws)
    lists = write_contacts(ws / "contacts" / "list.csv", 4)
    with SmtpTestServer() as server:
        sent = run_cli(["send", str(release), "-c", str(lists), "--smtp", server.url(), "--yes"], cwd=ws)
        assert sent.returncode == 0, sent.stderr
    secret = load_or_create_secret(ws / ".pressctl")
    known = [token_for("reporter00000@news.example", secret), token_for("REPORTER00002@news.example", secret)]
    unknown = token_for("stranger@elsewhere.example", secret)
    records = ws / "unsubscribes.csv"
    records.write_text(
        "token,when\n" + "".join(f"{t},2030-03-12\n" for t in [*known, unknown]), encoding="utf-8"
    )
    done = run_cli(["suppress", "import", str(records)], cwd=ws)
    assert done.returncode == 0, done.stderr
    assert "imported: 2 newly suppressed" in done.stdout and "2 token(s) matched" in done.stdout
    assert "refused 1 value(s)" in done.stderr and "1 a token of no address in the ledger" in done.stderr
    plain = ws / "addresses.txt"
    plain.write_text("reporter00003@news.example\n# a comment\n\n", encoding="utf-8")
    # a plain list is tokens unless it says otherwise: an address is refused, not taken
    done = run_cli(["suppress", "import", str(plain)], cwd=ws)
    assert "imported: 0 newly suppressed" in done.stdout and "an address where a token was expected" in done.stderr
    done = run_cli(["suppress", "import", str(plain), "--addresses"], cwd=ws)
    assert "imported: 1 newly suppressed" in done.stdout and "1 address(es)" in done.stdout
    by = {e["address"]: e for e in json.loads(run_cli(["suppress", "list", "--json"], cwd=ws).stdout)}
    for address in ("reporter00000@news.example", "reporter00002@news.example", "reporter00003@news.example"):
        assert by[address]["where"] == "list+ledger"
    assert "stranger@elsewhere.example" not in by and "reporter00001@news.example" not in by


@pytest.mark.slow
def test_suppress_import_never_takes_an_address_from_the_token_column(ws: Path) -> None:
    """Issue 17 point 3: the unsubscribe page records what ?t= said; ``?t=victim@outlet`` must not suppress
    the victim. Tokens from the token column only, checked against the secret; addresses only from an email
    column (or --addresses); each refused value counted with its reason."""
    release = write_release(ws)
    lists = write_contacts(ws / "contacts" / "list.csv", 3)
    with SmtpTestServer() as server:
        sent = run_cli(["send", str(release), "-c", str(lists), "--smtp", server.url(), "--yes"], cwd=ws)
        assert sent.returncode == 0, sent.stderr
    secret = load_or_create_secret(ws / ".pressctl")
    good = token_for("reporter00001@news.example", secret)
    records = ws / "page-records.csv"
    records.write_text(
        "when,token\n"
        "2030-03-12,reporter00000@news.example\n"  # the attack: an address typed into ?t=
        f"2030-03-12,{good}\n"
        "2030-03-12,not-a-token\n"
        f"2030-03-12,{token_for('reporter00002@news.example', b'another-workspace-secret')}\n",
        encoding="utf-8",
    )
    done = run_cli(["suppress", "import", str(records)], cwd=ws)
    assert done.returncode == 0, done.stderr
    assert "imported: 1 newly suppressed" in done.stdout and "1 token(s) matched, 0 address(es)" in done.stdout
    err = " ".join(done.stderr.split())
    assert "refused 3 value(s)" in err
    assert "1 an address where a token was expected" in err and "page-records.csv:2: reporter00000@news.example" in err
    assert "1 not a token" in err and "1 a token of no address in the ledger" in err
    listed = {e["address"] for e in json.loads(run_cli(["suppress", "list", "--json"], cwd=ws).stdout)}
    assert "reporter00001@news.example" in listed and "reporter00000@news.example" not in listed
    assert "reporter00002@news.example" not in listed

    both = ws / "both.csv"
    both.write_text("Email,Token\nreporter00002@news.example,\n", encoding="utf-8")
    done = run_cli(["suppress", "import", str(both)], cwd=ws)
    assert "imported: 1 newly suppressed" in done.stdout and "1 address(es)" in done.stdout


def test_the_suppress_group_says_what_it_is() -> None:
    """A group's help is its own words, not typer's placeholder docstring ("You shouldn't use this class")."""
    from typer.testing import CliRunner

    from pressctl.cli import app

    shown = CliRunner().invoke(app, ["suppress", "--help"], terminal_width=200)
    assert shown.exit_code == 0
    assert "Opt-outs: addresses never mailed" in shown.output and "shouldn't use this class" not in shown.output
