"""Issue 17's "Done when" for inbound mail, through the real ``pressctl bounces`` command: a hostile mailbox
(forged unsubscribes, forged VERP bounces, an insider DSN, a reply saying "don't unsubscribe me", a
charset=idna message, 1,500 nested parts, a FIFO, a link to /etc/passwd, a 5.7.1 and a 5.2.2 DSN) mixed with
one real DSN and one tokened unsubscribe: exactly those two change the lists, the run exits 0 and lists the
rest. Once over a Maildir, once over a real Dovecot (IMAP), once with --watch; and each attack on its own
beside the real DSN (each of these failed before issue 17 and holds now).

The campaign is sent once per module through aiosmtpd with a VERP ``return_path``, so Message-IDs, signed
return paths and List-Unsubscribe tokens are the real ones.
"""

from __future__ import annotations

import csv
import json
import os
import signal
import subprocess
from pathlib import Path

import pytest
from hostile_mail_support import (
    SentCampaign,
    copy_workspace,
    drop,
    fifo,
    hostile_messages,
    link,
    maildir,
    odd_name,
    sent_campaign,
)
from send_support import PRESSCTL, run_cli
from wait_support import wait_for_output

from pressctl.ledger import Ledger

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def sent(tmp_path_factory: pytest.TempPathFactory) -> SentCampaign:
    return sent_campaign(tmp_path_factory.mktemp("hostile"))


def _listed(ws: Path) -> set[str]:
    with (ws / "contacts" / "suppressed.csv").open(encoding="utf-8") as fh:
        return {r["email"] for r in csv.DictReader(fh)}


def _recorded(ws: Path) -> set[str]:
    with Ledger(ws / ".pressctl" / "ledger.sqlite3") as ledger:
        return set(ledger.suppressions.all())


def _rows(ws: Path) -> dict[str, tuple[str, str]]:
    with Ledger(ws / ".pressctl" / "ledger.sqlite3") as ledger:
        return {r.email: (r.status, r.response) for r in ledger.recipients.all(1)}


def _bounces(ws: Path, *args: str, env: dict[str, str] | None = None) -> dict[str, object]:
    done = run_cli(["bounces", *args, "--json"], cwd=ws, env=env, timeout=90)
    assert done.returncode == 0, (done.stdout, done.stderr)
    assert "Traceback" not in done.stderr and "internal error" not in done.stderr
    data: dict[str, object] = json.loads(done.stdout)
    return data


# What each attack may change besides the real DSN's fay (bounced, suppressed), and how the run lists it.
EXPECT: dict[str, tuple[dict[str, tuple[str, str]], str]] = {
    "dsn-5.7.1": ({"dan.yip@tidetimes.example": ("failed", "failed")}, "refused"),
    "dsn-5.2.2": ({"eve.ma@tidetimes.example": ("sent", "soft-bounce")}, "soft"),
    "forged-unsubscribe": ({}, "unconfirmed_requests"),
    "forged-unsubscribe-zh": ({}, "unconfirmed_requests"),
    "forged-verp-3-lines": ({}, "unmatched"),
    "forged-verp-report": ({}, "unmatched"),
    "insider-dsn": ({}, "unmatched"),
    "reply-dont-unsubscribe": ({"amy.chan@harbourdaily.example": ("sent", "replied")}, "replies"),
    "charset-idna": ({}, "unreadable"),
    "nested-1500": ({}, "unreadable"),
    "fifo": ({}, "unreadable"),
    "link-to-etc-passwd": ({}, "unreadable"),
    "odd-file-name": ({}, "unmatched"),
}


@pytest.mark.parametrize("attack", sorted(EXPECT))
def test_each_attack_beside_the_real_dsn_changes_only_what_it_proves(
    sent: SentCampaign, tmp_path: Path, attack: str
) -> None:
    ws = copy_workspace(sent, tmp_path / "ws")
    box = maildir(tmp_path)
    messages = hostile_messages(sent)
    if attack == "fifo":
        fifo(box)
    elif attack == "link-to-etc-passwd":
        link(box)
    elif attack == "odd-file-name":
        odd_name(box, messages["forged-verp-3-lines"])
    else:
        drop(box, attack, messages[attack])
    drop(box, "real-dsn", messages["real-dsn"])  # after the attack: the run must get to it
    before_rows, before_listed = _rows(ws), _listed(ws)

    data = _bounces(ws, "--maildir", str(box))

    assert _listed(ws) - before_listed == {"fay.kwok@lantaunews.example"}
    assert _recorded(ws) == {"fay.kwok@lantaunews.example"}
    changed = {a: v for a, v in _rows(ws).items() if before_rows[a] != v}
    assert changed == {"fay.kwok@lantaunews.example": ("bounced", "bounced"), **EXPECT[attack][0]}
    where = EXPECT[attack][1]
    counts = data["counts"]
    assert isinstance(counts, dict)
    if where in ("soft", "replies"):
        assert counts[where] == 1
    else:
        assert data[where], data
    if attack == "link-to-etc-passwd":
        assert "outside the Maildir" in json.dumps(data) and "root:x:" not in json.dumps(data)


def test_the_hostile_mailbox_over_a_maildir_changes_exactly_the_two_real_ones(sent: SentCampaign, tmp_path: Path) -> None:
    ws = copy_workspace(sent, tmp_path / "ws")
    box = maildir(tmp_path)
    messages = hostile_messages(sent)
    for name, raw in messages.items():
        drop(box, name, raw)
    fifo(box)
    link(box)
    link(box, "/dev/zero")
    odd_name(box, messages["forged-unsubscribe"].replace(b"Subject: unsubscribe", b"Subject: remove me"))
    before_rows, before_listed = _rows(ws), _listed(ws)

    data = _bounces(ws, "--maildir", str(box))

    real = {"fay.kwok@lantaunews.example", "gus.tang@bayweekly.example"}
    assert _listed(ws) - before_listed == real and _recorded(ws) == real
    rows = _rows(ws)
    assert rows["fay.kwok@lantaunews.example"] == ("bounced", "bounced")
    assert rows["gus.tang@bayweekly.example"] == ("sent", "unsubscribe")
    assert rows["dan.yip@tidetimes.example"] == ("failed", "failed")
    assert rows["eve.ma@tidetimes.example"] == ("sent", "soft-bounce")
    assert rows["amy.chan@harbourdaily.example"] == ("sent", "replied")
    for who in ("bea.lam@harbourdaily.example", "cal.ho@islandwire.example", "hal.chu@bayweekly.example",
                "ian.wu@eastharbour.example"):
        assert rows[who] == before_rows[who] == ("sent", "")
    counts = data["counts"]
    assert isinstance(counts, dict)
    assert (counts["unsubscribes"], counts["unconfirmed requests"], counts["unreadable"]) == (1, 3, 5)
    assert counts["refused (not suppressed)"] == 1 and counts["suppressed"] == 2
    reasons = json.dumps(data["unreadable"])
    assert "idna" in reasons and "nested" in reasons and "FIFO" in reasons and "outside the Maildir" in reasons

    # the text output lists the rest, and a second run changes nothing (unreadable ones once)
    before = (_rows(ws), _listed(ws), _recorded(ws))
    again = run_cli(["bounces", "--maildir", str(box)], cwd=ws, timeout=90)
    assert again.returncode == 0, again.stderr
    assert "already handled  16" in " ".join(again.stdout.split()).replace("  ", " ").replace(" 16", "  16")
    assert (_rows(ws), _listed(ws), _recorded(ws)) == before

    attention = run_cli(["report", "--needs-attention"], cwd=ws)
    text = " ".join(attention.stdout.split())
    assert attention.returncode == 0, attention.stderr
    assert "hal.chu@bayweekly.example" in text and "unconfirmed" in text and "unreadable" in text
    assert "dan.yip@tidetimes.example" in text and "failed 5.7.1" in text


def test_the_hostile_mailbox_over_dovecot(sent: SentCampaign, tmp_path: Path) -> None:
    from dovecot_support import DovecotServer

    ws = copy_workspace(sent, tmp_path / "ws")
    toml = ws / "pressctl.toml"
    toml.write_text(toml.read_text(encoding="utf-8") + "\n[limits]\ninbound_bytes = 200000\n", encoding="utf-8")
    messages = hostile_messages(sent)
    big = messages["forged-unsubscribe"] + b"x" * 300_000  # over inbound_bytes: never fetched
    before_listed = _listed(ws)
    with DovecotServer(tmp_path / "dovecot") as imap:
        for raw in [*messages.values(), big]:
            imap.deliver(raw)
        env = {"PRESSCTL_IMAP_PASSWORD": imap.password}
        data = _bounces(ws, "--imap", imap.url(), "--move-to", "Processed", env=env)
        left = len(imap.messages())
    real = {"fay.kwok@lantaunews.example", "gus.tang@bayweekly.example"}
    assert _listed(ws) - before_listed == real and _recorded(ws) == real
    counts = data["counts"]
    assert isinstance(counts, dict)
    assert (counts["read"], counts["unreadable"], counts["unconfirmed requests"]) == (13, 3, 2)
    assert "over the limit (inbound_bytes = 200000" in json.dumps(data["unreadable"])
    # only what matched a row was filed; the rest stays for a person
    assert counts["filed"] == 5 and left == 13 - 5  # fay, gus, dan, eve, amy


def test_watch_never_dies_of_one_message(sent: SentCampaign, tmp_path: Path) -> None:
    ws = copy_workspace(sent, tmp_path / "ws")
    box = maildir(tmp_path)
    messages = hostile_messages(sent)
    drop(box, "charset-idna", messages["charset-idna"])
    drop(box, "nested-1500", messages["nested-1500"])
    fifo(box)
    log_out, log_err = tmp_path / "out.txt", tmp_path / "err.txt"
    with log_out.open("w") as fo, log_err.open("w") as fe:
        proc = subprocess.Popen(
            [*PRESSCTL, "bounces", "--watch", "--maildir", str(box), "--interval", "0.3"],
            cwd=ws, stdout=fo, stderr=fe, env={**os.environ, "COLUMNS": "200"},
        )
        try:

            def wait_for(text: str, count: int = 1) -> None:
                wait_for_output(log_out, text, proc, count=count, errors=log_err)

            wait_for("unreadable", 3)
            drop(box, "real-dsn", messages["real-dsn"])  # arrives after the bad ones
            wait_for("marked bounced")
            proc.send_signal(signal.SIGTERM)
            assert proc.wait(60) == 0, log_err.read_text()
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
    assert "Traceback" not in log_err.read_text() and "stopped" in log_err.read_text()
    assert _rows(ws)["fay.kwok@lantaunews.example"] == ("bounced", "bounced")
