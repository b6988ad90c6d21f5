"""The ``recipients`` table: one row per recipient of a campaign, written before and after each hand-over.

A row is written *before* a message is handed to the server (:meth:`Recipients.mark_sending`: status
``sending``, attempt + 1, committed before the bytes leave) and again *after* the reply
(:meth:`Recipients.mark_result`: ``sent``, ``failed``, ``unknown``, back to ``pending`` for a retry; a
``sent`` in the send loop through :meth:`Recipients.note_sent`, committed with the next write, so a message
costs one commit). A row
found in ``sending`` when a run starts was in flight when the last run died; it becomes ``unknown`` and is
sent again with the same Message-ID, and nothing else is repeated. ``sending`` is taken only from a to-do
state, in one conditional statement, so two runs never hand over the same row.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Iterator
from typing import Any

from pressctl.errors import LedgerError
from pressctl.ledger.caps import Caps
from pressctl.ledger.connection import Connection
from pressctl.ledger.records import (
    FINAL_STATUSES,
    STATUSES,
    TODO_STATUSES,
    RecipientRecord,
    RecipientRow,
    iso,
    record_of,
)

__all__ = ["Recipients"]

_TODO = ",".join("?" * len(TODO_STATUSES))
_FINAL = ",".join("?" * len(FINAL_STATUSES))


_RESULT = (
    "UPDATE recipients SET status = ?, last_code = ?, last_reply = ?, retryable = ?, reason = ?,"
    " attempts = CASE WHEN attempts > ? THEN attempts - ? ELSE 0 END,"
    " sent_at = CASE WHEN ? = 'sent' THEN ? ELSE sent_at END"
    " WHERE campaign_id = ? AND key = ?"
)
# A noted "sent" moves only a row still `sending` (this run's hand-over): should anything have recorded more
# about the row since (a bounce read meanwhile), that stays.
_NOTED = _RESULT + " AND status = 'sending'"


class Recipients:
    """The recipients' rows of one ledger. Every write commits at once (a batch in one transaction), except
    :meth:`note_sent`, which rides on the next write's commit (see there)."""

    def __init__(self, conn: Connection, clock: Callable[[], dt.datetime], *, caps: Caps) -> None:
        self.conn = conn
        self.clock = clock
        self.caps = caps
        self.handed_over = 0  # hand-overs recorded through this instance (this run)
        self._sent: list[tuple[Any, ...]] = []  # "sent" results noted, not yet committed (note_sent)

    def check_file(self) -> None:
        """Raise LedgerError if the ledger's name no longer gives the store this run has open.

        SQLite keeps writing to a deleted (or renamed-over) file without a word, and a re-run would then
        find no record and send everyone again. One ``stat``: cheap enough for every hand-over.
        """
        moved = self.conn.moved()
        if moved is None:
            return
        raise LedgerError(
            f"the ledger {moved} while sending; stopped after {self.handed_over} message(s) handed over",
            where=self.conn.where,
            hint="restore the ledger file (from a backup) before sending this release again: without it a re-run "
            "cannot know who already has it",
            handed_over=self.handed_over,
        )

    # -- the plan's rows --------------------------------------------------------------------------------
    def add(self, campaign_id: int, rows: Iterable[RecipientRow]) -> int:
        """Insert planned recipients; rows already in the campaign are kept as they are. Returns new rows.

        A recipient planned as pending but already recorded suppressed/invalid stays so; one recorded
        pending that is now suppressed (suppression is checked at every run) becomes suppressed.
        """
        with self.conn.write():
            return self.conn.executemany(
                "INSERT INTO recipients (campaign_id, key, email, name, language, source, status, last_reply, role,"
                " advance_of) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (campaign_id, key) DO UPDATE SET"
                " status = excluded.status, last_reply = excluded.last_reply"
                " WHERE recipients.status = 'pending' AND recipients.attempts = 0"
                " AND excluded.status = 'suppressed'",
                (
                    (campaign_id, r.key, r.email, r.name, r.language, r.source, r.status, r.reply, r.role, r.advance_of)
                    for r in rows
                ),
            )

    def retry_transient_failures(self, campaign_id: int) -> int:
        """Put rows that failed for passing reasons back to pending for this run: those recorded
        ``retryable`` when they failed (the reply policy decided then; nothing is re-derived here)."""
        cur = self.conn.execute(
            "UPDATE recipients SET status = 'pending' WHERE campaign_id = ? AND status = 'failed' AND retryable = 1",
            (campaign_id,),
        )
        return cur.rowcount

    def retry_failed(self, campaign_id: int, *, keep: Iterable[str] = ()) -> int:
        """``--retry-failed``: put every ``failed`` row back to pending for this run (a bounce is no failure
        to retry: its address is suppressed, and those keys, ``keep``, stay as they are). Returns how many."""
        keep = set(keep)
        keys = [
            (campaign_id, row[0])
            for row in self.conn.execute(
                "SELECT key FROM recipients WHERE campaign_id = ? AND status = 'failed'", (campaign_id,)
            ).fetchall()
            if row[0] not in keep
        ]
        with self.conn.write():
            self.conn.executemany(
                "UPDATE recipients SET status = 'pending' WHERE campaign_id = ? AND key = ? AND status = 'failed'", keys
            )
        return len(keys)

    def reset_in_flight(self, campaign_id: int) -> int:
        """Rows left ``sending`` by a run that died: their outcome is unknown. Call only holding the release lock.

        After this, ``sending`` always means "a live run is handing it over now", so :meth:`mark_sending`
        can take a row only from ``pending`` or ``unknown`` and two runs never take the same one.
        """
        cur = self.conn.execute(
            "UPDATE recipients SET status = 'unknown' WHERE campaign_id = ? AND status = 'sending'", (campaign_id,)
        )
        return cur.rowcount

    # -- each hand-over ---------------------------------------------------------------------------------
    def mark_sending(
        self, campaign_id: int, key: str, message_id: str, *, relay: str | None = None, cap: int | None = None
    ) -> int | None:
        """Record a hand-over about to happen; returns the attempt number. Committed before the send.

        ``relay``: the relay account taking it (scheme://user@host:port), recorded on the row and counted
        in ``handovers`` for that account's rolling daily cap (None: the campaign's relay, if any).

        ``cap``: that account's rolling daily cap. The hand-over then takes its room in the same write
        transaction that records it (the connection's ``write``: the count and the write are one step for
        every process on this ledger), so several sends on one account together never pass it. No room:
        :class:`pressctl.ledger.caps.CapReached`, and the row is left as it was (still to do, not failed).

        Only from a to-do state (``pending``, ``unknown``): ``None`` when the row is taken or done
        already (another process sends it, or sent it), and then this run must not hand it over.
        KeyError for a key the campaign does not have.
        """
        self.check_file()
        now = self.clock()
        if cap:
            account = relay or self.caps.campaign_relay(campaign_id)
            with self.conn.write(lock=f"relay:{account or ''}"):
                self._write_sent()
                if account is not None:
                    self.caps.take_room(account, cap, now)
                row = self._hand_over(campaign_id, key, message_id, relay, iso(now))
            self._sent.clear()
        elif self._sent:
            with self.conn.write():  # the results noted since the last write, and this row: one commit
                self._write_sent()
                row = self._hand_over(campaign_id, key, message_id, relay, iso(now))
            self._sent.clear()
        else:
            row = self._hand_over(campaign_id, key, message_id, relay, iso(now))
        if row is None:
            if self.get(campaign_id, key) is None:
                raise KeyError(key)
            return None
        self.handed_over += 1
        return int(row[0])

    def _hand_over(self, campaign_id: int, key: str, message_id: str, relay: str | None, stamp: str) -> Any:
        return self.conn.execute(
            "UPDATE recipients SET status = 'sending', attempts = attempts + 1, message_id = ?,"
            " first_attempt_at = COALESCE(first_attempt_at, ?), last_attempt_at = ?, relay = ?"
            " WHERE campaign_id = ? AND key = ? AND status IN ('pending', 'unknown') RETURNING attempts",
            (message_id, stamp, stamp, relay, campaign_id, key),
        ).fetchone()

    def mark_result(
        self,
        campaign_id: int,
        key: str,
        *,
        status: str,
        code: int | None,
        reply: str,
        retryable: bool = False,
        reason: str = "",
        charged: bool = True,
    ) -> None:
        """Record the server's answer (or its absence) for the last hand-over. ``retryable``: a ``failed``
        row may be tried again by a later run; ``reason``: what the reply meant, for the report;
        ``charged=False`` (a throttle, a quota, a refused login) gives back the attempt ``mark_sending`` took."""
        if status not in STATUSES:
            raise ValueError(status)
        params = _result(campaign_id, key, status, code, reply, retryable, reason, charged, iso(self.clock()))
        if not self._sent:
            self.conn.execute(_RESULT, params)
            return
        with self.conn.write():
            self._write_sent()
            self.conn.execute(_RESULT, params)
        self._sent.clear()

    def note_sent(
        self, campaign_id: int, key: str, *, code: int | None, reply: str, reason: str = "", retryable: bool = False,
        charged: bool = True,
    ) -> None:
        """Record that the relay took the message of a row :meth:`mark_sending` committed, in the commit of
        the next write (the next :meth:`mark_sending`, :meth:`mark_result` or :meth:`flush`).

        The send loop's one ledger commit per message: the row was committed ``sending`` before its bytes
        left, and stays so until then. Each connection has at most one such row at a time (its next
        hand-over writes it first), so the rows a crash leaves ``sending`` are at most one per connection,
        as before: each goes again after the crash, as ``unknown``, with its same Message-ID. The loop
        flushes the rest at its end and whenever it would otherwise wait (``pressctl.send.dispatch``).
        """
        self._sent.append(_result(campaign_id, key, "sent", code, reply, retryable, reason, charged, iso(self.clock())))

    def flush(self) -> int:
        """Commit the results :meth:`note_sent` holds (in one transaction); how many there were."""
        if not self._sent:
            return 0
        with self.conn.write():
            self._write_sent()
        n = len(self._sent)
        self._sent.clear()
        return n

    @property
    def unsaved(self) -> int:
        """How many results :meth:`note_sent` holds, not yet committed."""
        return len(self._sent)

    def _write_sent(self) -> None:
        if self._sent:
            self.conn.executemany(_NOTED, self._sent)

    # -- reads ------------------------------------------------------------------------------------------
    # (They read what is committed: a result noted by note_sent shows once the next write commits it.)
    def todo(self, campaign_id: int) -> dict[str, RecipientRecord]:
        """Recipients still to send (pending, in flight at a crash, outcome unknown), by key."""
        cur = self.conn.execute(
            f"SELECT * FROM recipients WHERE campaign_id = ? AND status IN ({_TODO})", (campaign_id, *TODO_STATUSES)
        )
        return {row["key"]: record_of(row) for row in cur}

    def todo_keys(self, campaign_id: int) -> set[str]:
        """Just the keys of :meth:`todo` (light enough for 100,000 recipients)."""
        cur = self.conn.execute(
            f"SELECT key FROM recipients WHERE campaign_id = ? AND status IN ({_TODO})", (campaign_id, *TODO_STATUSES)
        )
        return {row[0] for row in cur}

    def done_keys(self, campaign_id: int) -> set[str]:
        """Keys with a final status: the complement of :meth:`todo_keys`, small for a fresh campaign."""
        cur = self.conn.execute(
            f"SELECT key FROM recipients WHERE campaign_id = ? AND status IN ({_FINAL})", (campaign_id, *FINAL_STATUSES)
        )
        return {row[0] for row in cur}

    def count_todo(self, campaign_id: int) -> int:
        row = self.conn.execute(
            f"SELECT COUNT(*) FROM recipients WHERE campaign_id = ? AND status IN ({_TODO})", (campaign_id, *TODO_STATUSES)
        ).fetchone()
        return int(row[0])

    def all(self, campaign_id: int) -> Iterator[RecipientRecord]:
        """Every row of the campaign, in the order the lists were read in."""
        cur = self.conn.execute("SELECT * FROM recipients WHERE campaign_id = ? ORDER BY rowid", (campaign_id,))
        for row in cur:
            yield record_of(row)

    def get(self, campaign_id: int, key: str) -> RecipientRecord | None:
        row = self.conn.execute(
            "SELECT * FROM recipients WHERE campaign_id = ? AND key = ?", (campaign_id, key)
        ).fetchone()
        return record_of(row) if row else None

    def totals(self, campaign_id: int, *, role: str = "") -> dict[str, int]:
        """Rows per status: the journalists' (``role=""``), or the internal or test copies'."""
        counts = dict.fromkeys(STATUSES, 0)
        for status, n in self.conn.execute(
            "SELECT status, COUNT(*) FROM recipients WHERE campaign_id = ? AND role = ? GROUP BY status",
            (campaign_id, role),
        ):
            counts[status] = n
        return counts

    def advance_readers(self, campaign_id: int) -> dict[str, int]:
        """Journalists of this campaign who had the advance copy, per status now (``{"sent": 4}``)."""
        return {
            str(status): int(n)
            for status, n in self.conn.execute(
                "SELECT status, COUNT(*) FROM recipients WHERE campaign_id = ? AND role = '' AND advance_of IS NOT NULL"
                " GROUP BY status",
                (campaign_id,),
            )
        }

    def states(self, campaign_id: int) -> dict[str, tuple[str, bool, int | None, int, str]]:
        """Every row's (status, retryable, advance_of, attempts, role) by key: what a dry run needs to know
        of a campaign it would resume, without whole records (100,000 of them would cost ~100 MB)."""
        return {
            str(key): (str(status), bool(retryable), advance_of, int(attempts), str(role))
            for key, status, retryable, advance_of, attempts, role in self.conn.execute(
                "SELECT key, status, retryable, advance_of, attempts, role FROM recipients WHERE campaign_id = ?",
                (campaign_id,),
            )
        }

    def replies(self, campaign_id: int, status: str) -> dict[str, str]:
        """The recorded reply (or reason left out) of the rows with ``status``, by key."""
        return {
            str(key): str(reply)
            for key, reply in self.conn.execute(
                "SELECT key, last_reply FROM recipients WHERE campaign_id = ? AND status = ?", (campaign_id, status)
            )
        }

    def final_failures(self, campaign_id: int) -> list[str]:
        """Keys of journalists failed for good (not recorded retryable)."""
        return [
            str(row[0])
            for row in self.conn.execute(
                "SELECT key FROM recipients WHERE campaign_id = ? AND status = 'failed' AND retryable = 0 AND role = ''",
                (campaign_id,),
            )
        ]

    def languages(self, campaign_id: int) -> set[str]:
        """The language versions the campaign's journalists get ('' for the release's own), left-out rows aside."""
        return {
            str(row[0])
            for row in self.conn.execute(
                "SELECT DISTINCT language FROM recipients WHERE campaign_id = ? AND role = ''"
                " AND status NOT IN ('skipped', 'suppressed', 'invalid')",
                (campaign_id,),
            )
        }

    def copies(self, campaign_id: int) -> list[RecipientRecord]:
        """The campaign's internal copies (``[sender] internal_copies``, ``--copy-to``), in the order planned."""
        cur = self.conn.execute(
            "SELECT * FROM recipients WHERE campaign_id = ? AND role = 'internal' ORDER BY rowid", (campaign_id,)
        )
        return [record_of(row) for row in cur]

    def unknown_relays(self, campaign_id: int) -> dict[str, str]:
        """Rows whose outcome is unknown, by key, with the relay that had them: a re-run sends each again
        only through that relay (it may have the message)."""
        return {
            str(key): str(relay)
            for key, relay in self.conn.execute(
                "SELECT key, relay FROM recipients WHERE campaign_id = ? AND status = 'unknown' AND relay IS NOT NULL",
                (campaign_id,),
            )
        }

    def relay_counts(self, campaign_id: int) -> dict[str, dict[str, int]]:
        """Per relay account that took a hand-over of the campaign: its rows' statuses now, e.g.
        ``{"smtp://a:25": {"sent": 40, "unknown": 1}}`` (rows never handed over, or outbox ones, are left out)."""
        counts: dict[str, dict[str, int]] = {}
        for relay, status, n in self.conn.execute(
            "SELECT relay, status, COUNT(*) FROM recipients WHERE campaign_id = ? AND relay IS NOT NULL"
            " GROUP BY relay, status ORDER BY relay",
            (campaign_id,),
        ):
            counts.setdefault(relay, {})[status] = n
        return counts


def _result(
    campaign_id: int, key: str, status: str, code: int | None, reply: str, retryable: bool, reason: str,
    charged: bool, stamp: str,
) -> tuple[Any, ...]:
    """The parameters of ``_RESULT`` for one row."""
    back = int(not charged)
    return (status, code, reply[:1000], int(retryable), reason[:300], back, back, status, stamp, campaign_id, key)
