"""Promise 1 with one ledger commit per message (issue 19, "speed back"): a "sent" result rides on the next
hand-over's commit (``Recipients.note_sent``), and still every row is committed ``sending`` before its bytes
leave, at most one row per connection is ``sending`` at any moment (what a crash can repeat), and nothing
is left unsaved when the run ends. What another connection to the file sees is what a ``kill -9`` leaves."""

from __future__ import annotations

import contextlib
import sqlite3
import threading
from collections.abc import Iterator
from email.parser import BytesHeaderParser
from pathlib import Path
from typing import Any

import pytest
from engine_support import committed_rows, deliver_to, make_campaign, statuses_of
from smtp_server import SmtpTestServer

from pressctl.send.delivery import DeliveryOptions


@pytest.mark.parametrize("pipelining", [False, True], ids=["four-round-trips", "pipelined"])
@pytest.mark.parametrize("concurrency", [1, 3])
def test_each_row_is_sending_before_its_bytes_arrive_and_one_per_connection_at_most(
    tmp_path: Path, concurrency: int, pipelining: bool
) -> None:
    addresses = [f"r{i:03d}@news.example" for i in range(60)]
    ledger, cid = make_campaign(tmp_path, addresses)
    path = tmp_path / "ledger.sqlite3"
    seen: list[tuple[str, str, str | None, int, str]] = []
    lock = threading.Lock()

    def on_data(rcpt: str, data: bytes) -> None:
        rows = committed_rows(path)
        msgid = str(BytesHeaderParser().parsebytes(data).get("Message-ID", ""))
        sending = sum(1 for s, _ in rows.values() if s == "sending")
        with lock:
            seen.append((rcpt, rows[rcpt][0], rows[rcpt][1], sending, msgid))

    with SmtpTestServer(pipelining=pipelining) as server:
        server.on_data = on_data
        result = deliver_to(server, ledger, cid, addresses, options=DeliveryOptions(concurrency=concurrency))
    assert result.sent == 60
    assert len(seen) == 60
    for rcpt, status, msgid, sending, wire_id in seen:
        assert status == "sending", rcpt  # committed before the bytes left
        assert msgid == wire_id, rcpt  # with the Message-ID the server got: a repeat carries the same
        assert 1 <= sending <= concurrency, (rcpt, sending)  # a crash now repeats at most one per connection
    assert set(statuses_of(ledger, cid).values()) == {"sent"}
    assert {s for s, _ in committed_rows(path).values()} == {"sent"}  # nothing left unsaved at the end
    ledger.close()


class _CountingConnection:
    """The ledger's connection as the recipients' rows use it, counting its commits: each ``write()`` block
    is one, and so is each writing statement outside one (it commits at once)."""

    def __init__(self, conn: Any) -> None:
        self._conn = conn
        self.commits = 0
        self._depth = 0

    def execute(self, sql: str, params: Any = ()) -> Any:
        if not self._depth and sql.lstrip().split(None, 1)[0].upper() in ("UPDATE", "INSERT", "DELETE"):
            self.commits += 1
        return self._conn.execute(sql, params)

    def executemany(self, sql: str, rows: Any) -> int:
        if not self._depth:
            self.commits += 1
        return int(self._conn.executemany(sql, rows))

    @contextlib.contextmanager
    def write(self, lock: str = "") -> Iterator[None]:
        self._depth += 1
        try:
            with self._conn.write(lock):
                yield
        finally:
            self._depth -= 1
        if not self._depth:
            self.commits += 1

    def __getattr__(self, name: str) -> Any:
        return getattr(self._conn, name)


def test_one_commit_per_message_on_the_hot_path(tmp_path: Path) -> None:
    addresses = [f"r{i:03d}@news.example" for i in range(80)]
    ledger, cid = make_campaign(tmp_path, addresses)
    counting = _CountingConnection(ledger.conn)
    ledger.recipients.conn = counting  # type: ignore[assignment]
    with SmtpTestServer() as server:
        result = deliver_to(server, ledger, cid, addresses, options=DeliveryOptions(concurrency=3))
    assert result.sent == 80
    # Two per message before (the row `sending`, then `sent`); now the `sent` rides on the next one's commit,
    # and the last ones on the run's final flush (or the timer's, if the loop ever waits a moment).
    assert counting.commits <= 80 + 4, counting.commits
    assert set(statuses_of(ledger, cid).values()) == {"sent"}
    ledger.close()


def test_a_failure_after_sent_results_commits_them_with_it(tmp_path: Path) -> None:
    addresses = ["a@news.example", "gone@news.example", "c@news.example"]
    ledger, cid = make_campaign(tmp_path, addresses)
    with SmtpTestServer() as server:
        server.script("gone@news.example", "550 5.1.1 no such user")
        result = deliver_to(server, ledger, cid, addresses, options=DeliveryOptions(concurrency=1))
    assert (result.sent, result.failed) == (2, 1)
    committed = committed_rows(tmp_path / "ledger.sqlite3")
    assert {k: s for k, (s, _) in committed.items()} == {
        "a@news.example": "sent", "gone@news.example": "failed", "c@news.example": "sent",
    }
    assert ledger.recipients.unsaved == 0
    ledger.close()


def test_results_noted_and_not_yet_written_stay_sending_and_closing_writes_them(tmp_path: Path) -> None:
    """The ledger's side alone: a noted result is invisible to another connection (a crash now leaves the
    row `sending`, so it goes again as unknown, same Message-ID) until the next write or the close."""
    ledger, cid = make_campaign(tmp_path, ["a@news.example", "b@news.example"])
    path = tmp_path / "ledger.sqlite3"
    assert ledger.recipients.mark_sending(cid, "a@news.example", "<a@hvsp.example>") == 1
    ledger.recipients.note_sent(cid, "a@news.example", code=250, reply="2.0.0 Ok")
    assert committed_rows(path)["a@news.example"] == ("sending", "<a@hvsp.example>")
    ledger.recipients.mark_sending(cid, "b@news.example", "<b@hvsp.example>")  # one commit: a sent, b sending
    assert committed_rows(path) == {
        "a@news.example": ("sent", "<a@hvsp.example>"),
        "b@news.example": ("sending", "<b@hvsp.example>"),
    }
    ledger.recipients.note_sent(cid, "b@news.example", code=250, reply="2.0.0 Ok")
    ledger.close()
    assert committed_rows(path)["b@news.example"] == ("sent", "<b@hvsp.example>")


def test_a_noted_sent_does_not_overwrite_what_was_recorded_meanwhile(tmp_path: Path) -> None:
    ledger, cid = make_campaign(tmp_path, ["a@news.example"])
    ledger.recipients.mark_sending(cid, "a@news.example", "<a@hvsp.example>")
    ledger.recipients.note_sent(cid, "a@news.example", code=250, reply="2.0.0 Ok")
    db = sqlite3.connect(tmp_path / "ledger.sqlite3", timeout=30)  # another process reads a bounce for it
    with db:
        db.execute("UPDATE recipients SET status = 'bounced' WHERE key = 'a@news.example'")
    db.close()
    ledger.recipients.flush()
    assert committed_rows(tmp_path / "ledger.sqlite3")["a@news.example"][0] == "bounced"
    ledger.close()
