"""What ``pressctl send`` can be told (:class:`SendOptions`), as plain values a scheduled job keeps as JSON.

The options are checked here (connections, attempts, batches, durations) and turned into the engine's
:class:`pressctl.send.engine.DeliveryOptions` with the run's effective limits: these options, then
``[smtp]`` in pressctl.toml, then the relay profile (:mod:`pressctl.send.relayset`).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from pressctl.config import Workspace
from pressctl.errors import InputError
from pressctl.rates import Rate, parse_rate
from pressctl.relays import policy
from pressctl.relays.profiles import DEFAULT_CONNECTIONS, EffectiveLimits, LimitOptions, resolve_limits
from pressctl.send.delivery import DeliveryOptions
from pressctl.send.relayset import RelaySpec, limit_options, relay_specs
from pressctl.send.relayset import config_limits as _smtp_limits
from pressctl.times import parse_duration

__all__ = ["MAX_CONCURRENCY", "SendOptions", "config_limits"]

# Option names as the CLI spells them (and as `pressctl schedule` keeps them in a job).
_ALIASES = {"under_embargo": "advance_copy", "from": "from_addr", "lang": "language", "smtp": "smtp_url"}


MAX_CONCURRENCY = policy.MAX_CONCURRENCY


@dataclass(frozen=True)
class SendOptions:
    """Everything ``pressctl send`` can be told, as plain values (JSON-able through ``to_mapping``)."""

    encoding: str | None = None
    where: tuple[str, ...] = ()
    suppress: tuple[str, ...] = ()
    language: str | None = None  # --lang: only this language version of the release
    from_addr: str | None = None
    pdf_mode: str | None = None
    advance_copy: bool = False  # --under-embargo
    new_campaign: bool = False
    smtp_url: str | None = None  # one --smtp (a job scheduled before several relays keeps it here)
    smtp_urls: tuple[str, ...] = ()  # --smtp, repeated: several relays (see send.relayset)
    db: str | None = None
    concurrency: int | None = None  # None: the relay profile's, [smtp] concurrency, or 4
    rate: str | None = None  # None: the profile's or [smtp] rate; "0": explicitly no limit
    smtp_profile: str | None = None  # --smtp-profile
    daily_cap: int | None = None  # --daily-cap: recipients per rolling 24 h for the relay account; 0: none
    batch_size: int = 0
    batch_pause: str = "0"
    max_attempts: int = policy.MAX_ATTEMPTS
    retry_for: str = policy.RETRY_FOR
    reconnect_after: int = policy.RECONNECT_AFTER
    max_consecutive_failures: int = policy.MAX_CONSECUTIVE_FAILURES
    skip_advance: bool = False  # --skip-advance: a lift send leaves out who had the advance copy
    retry_failed: bool = False  # --retry-failed: failures that were not bounces are tried again this run
    copy_to: tuple[str, ...] = ()  # --copy-to: internal copies, with [sender] internal_copies
    allow_differences: bool = False  # --allow-differences: versions that disagree may go (versions.gate)
    ignore_domain_check: bool = False  # --ignore-domain-check: send although DMARC will refuse it (kept in the campaign)

    def to_mapping(self) -> dict[str, Any]:
        return {k: list(v) if isinstance(v, tuple) else v for k, v in dataclasses.asdict(self).items()}

    @classmethod
    def from_mapping(cls, data: Mapping[str, Any]) -> SendOptions:
        """Options from a mapping (a scheduled job's); unknown keys are ignored, ``under_embargo`` understood."""
        known = {f.name for f in dataclasses.fields(cls)}
        values: dict[str, Any] = {}
        for key, value in data.items():
            key = _ALIASES.get(key, key)
            if key == "smtp_url" and isinstance(value, list | tuple):  # --smtp repeated, kept as a list
                key = "smtp_urls"
            if key in known and value is not None:
                values[key] = tuple(value) if key in ("where", "suppress", "smtp_urls", "copy_to") else value
        return cls(**values)

    @property
    def relay_urls(self) -> tuple[str, ...]:
        """Every --smtp given (one or several), in order; empty: the workspace's relays."""
        urls = list(self.smtp_urls)
        if self.smtp_url and self.smtp_url not in urls:
            urls.insert(0, self.smtp_url)
        return tuple(urls)

    def relays(self, workspace: Workspace) -> tuple[RelaySpec, ...]:
        """The run's relays, each with its limits and where each came from (see :mod:`pressctl.send.relayset`);
        empty for the local outbox."""
        return relay_specs(workspace, self.relay_urls, self.limit_options())

    @property
    def parsed_rate(self) -> Rate | None:
        return parse_rate(self.rate) if self.rate is not None else None

    def limit_options(self) -> LimitOptions:
        """The limits given on the command line (or kept in a job), for :func:`resolve_limits`."""
        if self.daily_cap is not None and self.daily_cap < 0:
            raise InputError("--daily-cap must be 0 (no cap) or more")
        return limit_options(
            profile=self.smtp_profile, concurrency=self.concurrency, rate=self.rate, daily_cap=self.daily_cap,
            option="--rate",
        )

    def limits(self, workspace: Workspace) -> EffectiveLimits:
        """The run's connections, rate and daily cap, each with where it came from: these options, then
        ``[smtp]`` in pressctl.toml, then the relay profile (named, or recognised from the relay's host).
        With several relays: the first one's (each relay's own are in :meth:`relays`)."""
        relays = self.relays(workspace)
        if relays:
            return relays[0].limits
        return resolve_limits(cli=self.limit_options(), config=config_limits(workspace), host=None)

    def delivery_options(self, limits: EffectiveLimits | None = None) -> DeliveryOptions:
        concurrency = limits.connections.value if limits else (
            DEFAULT_CONNECTIONS if self.concurrency is None else self.concurrency
        )
        rate = limits.rate.value if limits else self.parsed_rate
        if not 1 <= concurrency <= MAX_CONCURRENCY:
            # Dozens of parallel connections don't make a relay faster; they get a sender rate-limited or blocked.
            raise InputError(
                f"--concurrency must be between 1 and {MAX_CONCURRENCY}",
                hint="4 to 10 connections is plenty for most relays",
            )
        if self.max_attempts < 1:
            raise InputError("--max-attempts must be at least 1")
        if self.reconnect_after < 1:
            raise InputError("--reconnect-after must be at least 1")
        if self.batch_size < 0:
            raise InputError("--batch-size must be 0 (no batches) or more")
        return DeliveryOptions(
            concurrency=concurrency,
            rate=rate,
            batch_size=self.batch_size,
            batch_pause=parse_duration(self.batch_pause, option="--batch-pause").total_seconds(),
            max_attempts=self.max_attempts,
            retry_for=parse_duration(self.retry_for, option="--retry-for").total_seconds(),
            reconnect_after=self.reconnect_after,
            max_consecutive_failures=self.max_consecutive_failures,
        )

    def fingerprint_part(self) -> dict[str, Any]:
        """The options that change what is sent or to whom (not how fast): part of the campaign identity."""
        return {
            "encoding": self.encoding,
            "where": list(self.where),
            "language": self.language,
            "from": self.from_addr,
            "pdf": self.pdf_mode,
            "advance_copy": self.advance_copy,
            # Only when given: fingerprints of campaigns made before the option stay as they were.
            **({"skip_advance": True} if self.skip_advance else {}),
        }


def config_limits(workspace: Workspace) -> LimitOptions:
    """``[smtp]`` profile, concurrency, rate and daily_cap of pressctl.toml (checked when it was loaded)."""
    return _smtp_limits(workspace.smtp)

