"""Bounces and replies (issue 12): read a mailbox, parse what came back, match it to the ledger's rows.

Four parts, kept apart so the command that applies them to the ledger stays small:

* :mod:`pressctl.bounces.mailbox`: readers yielding ``(source id, raw bytes)`` from a Maildir, an mbox file
  or an IMAP folder (with move-to-folder and an IDLE/poll watch). The only module here that does I/O.
* :mod:`pressctl.bounces.parse`: one message's bytes -> a :class:`~pressctl.bounces.parse.Finding`
  (a bounce with per-recipient hard/soft/delayed results, an automatic reply, a *moved* notice, a human
  reply, an unsubscribe request, or something else). Pure.
* :mod:`pressctl.bounces.match`: findings + a ledger lookup -> matched rows and an unmatched list. Pure.
* :mod:`pressctl.bounces.plan`: matches -> row updates (bounced, response), suppressions and soft bounces
  to record (three within 90 days suppress). Pure.
"""
