"""The sending defaults, defined once (connections, retries, backoff, renewal of connections).

They sit in ``relays`` (below ``send``) so the relay profiles start from them too. ``pressctl send`` (its
options), ``pressctl schedule`` (a job without an option takes these when it goes),
:class:`pressctl.send.options.SendOptions` and :class:`pressctl.send.delivery.DeliveryOptions` all read
them from here. What a reply *means* is read in :mod:`pressctl.relays.replies`, and what the run does about
it (retry, slow down, stop) is :mod:`pressctl.relays.actions`' table; how hard to slow down and when to
recover, in :mod:`pressctl.relays.adaptive`. Pure: constants only.
"""

from __future__ import annotations

__all__ = [
    "BACKOFF",
    "BACKOFF_MAX",
    "CONCURRENCY",
    "MAX_ATTEMPTS",
    "MAX_CONCURRENCY",
    "MAX_CONSECUTIVE_FAILURES",
    "MAX_CONSECUTIVE_THROTTLES",
    "RECONNECT_AFTER",
    "RECOVER_AFTER",
    "RETRY_FOR",
    "RETRY_FOR_SECONDS",
    "STOP_FOR_NOW_WAIT",
    "THROTTLE_PAUSE",
]

CONCURRENCY = 4  # SMTP connections, each reused for many messages
MAX_CONCURRENCY = 100  # more gets a sender rate-limited or blocked, not faster
MAX_ATTEMPTS = 5  # per recipient and run, the first attempt included (throttle replies are not counted)
RETRY_FOR = "1h"  # give up retrying a recipient this long after its first attempt in the run (as typed)
RETRY_FOR_SECONDS = 3600.0  # the same, in seconds
BACKOFF = 2.0  # seconds before the first retry; doubles each time, with jitter
BACKOFF_MAX = 300.0  # the longest wait between two tries of one recipient
RECONNECT_AFTER = 1000  # messages per connection before it is renewed
MAX_CONSECUTIVE_FAILURES = 10  # this many failures in a row stop the run (0 = never)
MAX_CONSECUTIVE_THROTTLES = 50  # "slow down" replies in a row, nothing sent between: stop, everyone pending
THROTTLE_PAUSE = 5.0  # after a "slow down" reply nothing is handed over for this long (relays/adaptive.py)
RECOVER_AFTER = 60.0  # seconds of clean sending per step back up after a slow-down
STOP_FOR_NOW_WAIT = 86400.0  # after "stop for now" (a daily quota): when a re-run can resume, at the latest

