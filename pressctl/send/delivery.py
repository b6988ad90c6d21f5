"""What the send engine is given and what it gives back: options, one recipient to send (:class:`Delivery`),
a relay of the run (:class:`Lane`), progress, and the result per run and per relay. Plain values."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Generic, TypeVar

from pressctl.rates import Rate
from pressctl.relays import policy
from pressctl.send.transport import Transport

__all__ = ["Delivery", "DeliveryOptions", "DeliveryProgress", "DeliveryResult", "Lane", "LaneResult"]

T = TypeVar("T")


@dataclass(frozen=True)
class DeliveryOptions:
    """How to send. Times in seconds."""

    concurrency: int = policy.CONCURRENCY  # connections, each reused for many messages
    rate: Rate | None = None  # shared by all connections; None = as fast as the server takes them
    batch_size: int = 0  # pause after every N hand-overs (0 = no batches)
    batch_pause: float = 0.0
    max_attempts: int = policy.MAX_ATTEMPTS  # per recipient and run, the first attempt included
    retry_for: float = policy.RETRY_FOR_SECONDS  # give up retrying a recipient this long after its first try
    backoff: float = policy.BACKOFF  # first retry delay; doubles each time, with jitter
    backoff_max: float = policy.BACKOFF_MAX
    reconnect_after: int = policy.RECONNECT_AFTER  # messages per connection before it is renewed
    max_consecutive_failures: int = policy.MAX_CONSECUTIVE_FAILURES  # failures in a row that stop the run
    throttle_pause: float = policy.THROTTLE_PAUSE  # after a "slow down" reply, nothing for this long
    recover_after: float = policy.RECOVER_AFTER  # clean seconds per step back up after a slow-down
    buffer: int = 64  # messages built ahead of the sockets...
    buffer_bytes: int = 4 << 20  # ...and at most this many bytes of them (a PDF-laden message is ~0.5 MB)


@dataclass(frozen=True)
class Delivery(Generic[T]):
    """One recipient to send to: the ledger key and what ``build`` needs to make the message."""

    key: str
    payload: T
    relay: str | None = None  # its outcome is unknown at this relay (a lane's name): only it sends it again


@dataclass
class DeliveryProgress:
    sent: int = 0
    failed: int = 0
    retrying: int = 0  # waiting for a retry now
    handed_over: int = 0  # attempts, retries included
    repeated: int = 0  # outcome unknown, sent again with the same Message-ID


@dataclass
class DeliveryResult:
    """What this run did. ``stopped`` says why it ended early (None: it worked through everything)."""

    sent: int = 0
    failed: int = 0
    unknown: int = 0  # outcome still unknown at the end of the run
    repeated: int = 0
    bounced: list[str] = field(default_factory=list)
    stopped: str | None = None
    interrupted: bool = False
    taken_elsewhere: int = 0  # rows another process had taken when this run came to them
    throttled: int = 0  # "slow down" replies met (not charged to anybody)
    resume_after: dt.datetime | None = None  # after "stop for now": when a re-run can resume
    relays: list[LaneResult] = field(default_factory=list)  # per relay (lane), in the order given
    too_large: int = 0  # left pending: larger than every relay still in rotation takes
    cap_reached: dt.datetime | None = None  # a relay's daily cap had no room (another send took it): room again then


@dataclass(frozen=True)
class Lane:
    """One relay of a run. ``options``: its own connections and rate (None: the run's); ``name``: the relay
    account recorded on each row it takes (None: the campaign's relay, or the outbox); ``budget``: how many
    hand-overs its rolling daily cap allows now (None: no cap); ``cap``: that daily cap, taken again in the
    ledger's transaction at every hand-over (other processes on the same account share it); ``label``: how
    messages name it."""

    transport: Transport
    options: DeliveryOptions | None = None
    name: str | None = None
    budget: int | None = None
    label: str = ""
    cap: int | None = None


@dataclass
class LaneResult:
    """What one relay did in the run. ``left``: why it left rotation (None: it stayed to the end);
    ``quiet``: it left because its daily budget was used up (not a problem)."""

    label: str
    name: str | None
    sent: int = 0
    handed_over: int = 0
    throttled: int = 0
    left: str | None = None
    quiet: bool = False
