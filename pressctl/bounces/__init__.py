"""Bounces and replies (issues 12, 17, 18): read mailboxes, parse what came back, change only what it proves.

* :mod:`pressctl.bounces.mailbox` (Maildir, mbox), :mod:`pressctl.bounces.imap` and
  :mod:`pressctl.bounces.imapurl` (IMAP): readers yielding ``(source id, bytes | Unreadable)``, with
  move-to-folder; :mod:`pressctl.bounces.watch`: ``--watch`` over several mailboxes at once.
* :mod:`pressctl.bounces.parse` (with :mod:`~pressctl.bounces.text`, :mod:`~pressctl.bounces.dsn` and
  :mod:`~pressctl.bounces.phrases`): one message's bytes -> a :class:`~pressctl.bounces.parse.Finding`
  (a bounce, an automatic reply, a *moved* notice, a human reply, an unsubscribe request, something else,
  or unreadable), each message inside its own guard. Pure.
* :mod:`pressctl.bounces.match`: findings + ledger lookups -> the rows they *prove* (our Message-ID for that
  row's address, a signed VERP address in the envelope of a real report, the reader's token), unmatched ones
  and unconfirmed requests. Pure.
* :mod:`pressctl.bounces.plan`: matches -> row updates, suppressions, soft bounces and refusals, by the send
  side's :func:`pressctl.relays.replies.bounce_class`. Pure.
* :mod:`pressctl.bounces.run` (one pass), :mod:`pressctl.bounces.store` (the ledger),
  :mod:`pressctl.bounces.notes` (what a person should read). See docs/bounces.md.
"""
