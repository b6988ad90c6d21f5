"""Issue 18, the walk-through: test copies under embargo, an advance copy to 4 trusted journalists, a dry run
and a job at the lift sent by a real ``dispatch --watch``. The 4 get the released version at the lift, once,
with a new Message-ID; a second lift send does not send them again; the chairman's office gets a copy of
what goes out, when it goes out, never counted with the journalists."""

from __future__ import annotations

import datetime as dt
import json
import subprocess
import time
from collections import Counter
from pathlib import Path

import pytest
from lift_support import (
    TRUSTED,
    all_list,
    invoke,
    parsed,
    sample_workspace,
    set_embargo,
    text_of,
    trusted_list,
)
from send_support import PRESSCTL
from smtp_server import SmtpTestServer
from wait_support import wait_for

from pressctl.ledger import Ledger

pytestmark = pytest.mark.slow

CHAIR = "chairman.office@hvsp.example"


def _marked(text: str) -> bool:
    """An embargo marking, in English or Chinese."""
    return "EMBARGOED" in text.upper() or "禁發" in text


def test_advance_readers_get_the_released_version_at_the_lift_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    ws = tmp_path / "ws"
    with SmtpTestServer() as server:
        release = sample_workspace(ws, internal=[CHAIR], smtp_url=server.url())
        set_embargo(release, dt.datetime.now(dt.UTC) + dt.timedelta(days=30))
        everyone, trusted = all_list(ws), trusted_list(ws)

        # Test copies under embargo, without --under-embargo: marked EMBARGOED, each its own Message-ID.
        for _ in range(2):
            test = invoke(ws, "send", str(release), "-c", str(everyone), "--test-to", "me@hvsp.example", monkeypatch=monkeypatch)
            assert test.exit_code == 0, test.stdout + test.stderr
        tests = [parsed(m.data) for m in server.accepted if m.rcpt == "me@hvsp.example"]
        assert len(tests) == 4 and all(_marked(str(m["Subject"])) for m in tests)
        assert len({m["Message-ID"] for m in tests}) == 4  # English and Chinese differ, and so do two runs

        # The advance copy to the 4 trusted ones (the chairman's office gets it too, once per language).
        advance = invoke(ws, "send", str(release), "-c", str(trusted), "--under-embargo", "--yes", monkeypatch=monkeypatch)
        assert advance.exit_code == 0, advance.stdout + advance.stderr
        advance_ids = {m.rcpt: parsed(m.data)["Message-ID"] for m in server.accepted if m.rcpt in TRUSTED}
        assert len(advance_ids) == 4

        # The lift comes close; the dry run and the schedule say who is who, with the counts the send will print.
        lift = dt.datetime.now(dt.UTC).replace(microsecond=0) + dt.timedelta(seconds=25)
        set_embargo(release, lift)
        lift_on_server = time.monotonic() + (lift.timestamp() - time.time())  # the server stamps time.monotonic()
        dry = invoke(ws, "send", str(release), "-c", str(everyone), "--dry-run", monkeypatch=monkeypatch)
        assert dry.exit_code == 0, dry.stdout + dry.stderr
        assert "recipients 40: 36 + 4 who had the advance copy" in dry.stdout
        assert "a new campaign (lift): 40 sent (36 + 4 who had the advance copy)" in dry.stdout
        scheduled = invoke(ws, "schedule", str(release), "-c", str(everyone), monkeypatch=monkeypatch)
        assert scheduled.exit_code == 0, scheduled.stdout + scheduled.stderr
        assert "recipients  40: 36 + 4 who had the advance copy" in scheduled.stdout
        assert f"internal copy {CHAIR} (en)" in scheduled.stdout
        job_id = scheduled.stdout.split()[-1]
        before = len(server.accepted)

        watcher = subprocess.Popen([*PRESSCTL, "dispatch", "--watch"], cwd=ws, stdout=subprocess.PIPE,
                                   stderr=subprocess.PIPE, text=True)
        try:
            ledger_path = ws / ".pressctl" / "ledger.sqlite3"

            def done() -> bool:
                listing = subprocess.run([*PRESSCTL, "schedule", "list", "--json"], cwd=ws, capture_output=True, text=True)
                jobs = json.loads(listing.stdout or "[]")
                return any(j["id"] == job_id and j["state"] in ("done", "failed") for j in jobs)

            assert wait_for(done, 120), "the job did not finish"
        finally:
            watcher.terminate()
            out, err = watcher.communicate(timeout=30)
        lifted = server.accepted[before:]
        assert all(m.time >= lift_on_server - 0.01 for m in lifted)  # nothing before the lift
        journalists = Counter(m.rcpt for m in lifted if m.rcpt != CHAIR)
        assert len(journalists) == 40 and set(journalists.values()) == {1}, out + err
        for address in TRUSTED:
            released = [parsed(m.data) for m in lifted if m.rcpt == address]
            (copy,) = released
            assert not _marked(str(copy["Subject"])) and not _marked(text_of(copy))
            assert copy["Message-ID"] != advance_ids[address]  # a new Message-ID for the released copy
        chair = [parsed(m.data) for m in lifted if m.rcpt == CHAIR]
        assert len(chair) == 2 and len({m["Message-ID"] for m in chair}) == 2  # one per language, at the lift
        assert not any(_marked(str(m["Subject"])) for m in chair)

        with Ledger(ledger_path) as ledger:
            kinds = {c.id: c.kind for c in ledger.campaigns.all()}
            lift_id = max(kinds)
            assert kinds[lift_id] == "lift" and sorted(kinds.values()) == ["advance", "lift", "test", "test"]
            assert ledger.recipients.totals(lift_id)["sent"] == 40  # the copies are not journalists
            assert ledger.recipients.advance_readers(lift_id) == {"sent": 4}
            # The ledger keeps both Message-IDs of each advance reader.
            for address in TRUSTED:
                ids = {r.message_id for c in ledger.campaigns.all() for r in ledger.recipients.all(c.id) if r.email == address}
                assert len(ids) == 2
            assert [r.status for r in ledger.recipients.copies(lift_id)] == ["sent", "sent"]

        # A second lift send (a list edited: a new campaign) does not send them again.
        extra = ws / "contacts" / "extra.csv"
        extra.write_text("email,first_name,language\nlate.desk@news.example,Late,en\n", encoding="utf-8")
        again = invoke(ws, "send", str(release), "-c", str(everyone), str(extra), "--yes", monkeypatch=monkeypatch)
        assert again.exit_code == 0, again.stdout + again.stderr
        assert f"campaign #{lift_id + 1}: 1 sent, 40 skipped" in again.stdout
        assert [m.rcpt for m in server.accepted if m.rcpt in TRUSTED].count(TRUSTED[0]) == 2

    listing = invoke(ws, "campaigns", "--format", "json", monkeypatch=monkeypatch)
    assert [c["kind"] for c in json.loads(listing.stdout)] == ["test", "test", "advance", "lift", "lift"]


def test_skip_advance_leaves_them_out_and_says_so(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    ws = tmp_path / "ws"
    with SmtpTestServer() as server:
        release = sample_workspace(ws, smtp_url=server.url())
        set_embargo(release, dt.datetime.now(dt.UTC) + dt.timedelta(days=30))
        everyone, trusted = all_list(ws, 10), trusted_list(ws)
        advance = invoke(ws, "send", str(release), "-c", str(trusted), "--under-embargo", "--yes", monkeypatch=monkeypatch)
        assert advance.exit_code == 0, advance.stdout + advance.stderr
        set_embargo(release, dt.datetime.now(dt.UTC) - dt.timedelta(minutes=1))
        args = ["send", str(release), "-c", str(everyone), "--skip-advance"]
        dry = invoke(ws, *args, "--dry-run", monkeypatch=monkeypatch)
        assert "recipients 6" in dry.stdout
        assert "4 skipped: had the advance copy in campaign #1 (--skip-advance)" in dry.stdout, dry.stdout
        sent = invoke(ws, *args, "--yes", monkeypatch=monkeypatch)
        assert sent.exit_code == 0, sent.stdout + sent.stderr
        assert "campaign #2: 6 sent, 4 skipped" in sent.stdout
        assert sum(1 for m in server.accepted if m.rcpt in TRUSTED) == 4  # the advance copies only
