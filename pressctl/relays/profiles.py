"""Relay profiles: the limits of the relays press offices use, in one table, and the effective limits of a
run with where each value came from.

:data:`PROFILES` is the only place the numbers live; docs/relays.md gives the source of each (check the
provider's page before relying on one: they change). :func:`resolve_limits` combines, in this order of
precedence, the command line, ``pressctl.toml``, the profile (named, or recognised from the relay's host) and
pressctl's defaults, and says where each value came from, e.g. ``3 connections (microsoft365 profile)``.

Pure: no I/O.
"""

from __future__ import annotations

import fnmatch
from dataclasses import dataclass, field
from typing import Generic, Protocol, TypeVar

from pressctl.errors import InputError
from pressctl.rates import Rate
from pressctl.relays import policy

__all__ = [
    "DEFAULT_CONNECTIONS",
    "PROFILES",
    "EffectiveLimits",
    "LimitOptions",
    "RelayProfile",
    "Setting",
    "get_profile",
    "profile_for_host",
    "relay_account",
    "resolve_limits",
]

T = TypeVar("T")

#: Connections when nothing says otherwise: today's ``pressctl send`` default.
DEFAULT_CONNECTIONS = policy.CONCURRENCY


@dataclass(frozen=True)
class RelayProfile:
    """What one kind of relay allows. ``None`` means "no published limit" (pressctl does not limit it)."""

    name: str
    title: str
    connections: int
    rate: Rate | None
    daily_cap: int | None
    recipients_per_message: int | None = None
    hosts: tuple[str, ...] = ()  # shell-style patterns of the relay's host name that imply this profile
    account_values: bool = False  # rate and cap are the account's own: ask the user to give them
    notes: str = ""
    sources: dict[str, str] = field(default_factory=dict)  # "connections"/"rate"/"daily_cap" -> where from


PROFILES: dict[str, RelayProfile] = {
    p.name: p
    for p in (
        RelayProfile(
            name="generic",
            title="any SMTP server",
            connections=DEFAULT_CONNECTIONS,
            rate=None,
            daily_cap=None,
            notes="today's behaviour: 4 connections, no rate, no daily cap",
            sources={"connections": "pressctl's default"},
        ),
        RelayProfile(
            name="microsoft365",
            title="Microsoft 365 (Exchange Online SMTP AUTH submission)",
            connections=3,
            rate=Rate(30, 60.0),
            daily_cap=10_000,
            recipients_per_message=500,
            hosts=("smtp.office365.com", "smtp-mail.outlook.com"),
            notes="3 concurrent connections per mailbox (432 4.3.2 beyond); 30 messages a minute; 10,000 "
            "recipients a day per mailbox; basic authentication off from the end of December 2026: use XOAUTH2",
            sources={
                "connections": "Microsoft Learn: Exchange Online limits, SMTP AUTH submission",
                "rate": "Microsoft Learn: Exchange Online limits, sending limits (30 messages per minute)",
                "daily_cap": "Microsoft Learn: Exchange Online limits, recipient rate limit (10,000 a day)",
            },
        ),
        RelayProfile(
            name="gmail",
            title="Gmail / Google Workspace user (smtp.gmail.com)",
            connections=2,
            rate=Rate(20, 60.0),
            daily_cap=2_000,
            recipients_per_message=100,
            hosts=("smtp.gmail.com", "smtp.googlemail.com"),
            notes="2,000 messages a day per user; no published rate, 20/min is conservative; a connection "
            "per message draws 454 4.7.0 Too many login attempts",
            sources={
                "connections": "conservative choice (Google publishes none)",
                "rate": "conservative choice (Google publishes none)",
                "daily_cap": "Google Workspace admin help: Gmail sending limits",
            },
        ),
        RelayProfile(
            name="google-relay",
            title="Google Workspace SMTP relay (smtp-relay.gmail.com)",
            connections=4,
            rate=Rate(60, 60.0),
            daily_cap=10_000,
            recipients_per_message=100,
            hosts=("smtp-relay.gmail.com",),
            notes="10,000 recipients a day per user (550 5.4.5 beyond), peak limit 450 4.2.1; no published "
            "rate, 60/min is conservative",
            sources={
                "connections": "pressctl's default (Google publishes none)",
                "rate": "conservative choice (Google publishes none)",
                "daily_cap": "Google Workspace admin help: SMTP relay service sending limits",
            },
        ),
        RelayProfile(
            name="ses",
            title="Amazon SES SMTP interface",
            connections=4,
            rate=Rate(1, 1.0),
            daily_cap=200,
            hosts=("email-smtp.*.amazonaws.com",),
            account_values=True,
            notes="the rate and daily quota are the account's own (the sandbox's: 1/s and 200 a day); "
            "454 Throttling failure beyond either",
            sources={
                "connections": "pressctl's default",
                "rate": "AWS SES developer guide: quotas (sandbox 1 message a second)",
                "daily_cap": "AWS SES developer guide: quotas (sandbox 200 messages a day)",
            },
        ),
    )
}


def get_profile(name: str, *, option: str = "--smtp-profile") -> RelayProfile:
    """The profile called ``name``; an :class:`InputError` naming the known ones otherwise."""
    try:
        return PROFILES[name.strip().lower()]
    except KeyError:
        raise InputError(
            f"{option}: no relay profile {name!r}", hint=f"use one of {', '.join(PROFILES)}"
        ) from None


def profile_for_host(host: str) -> RelayProfile | None:
    """The profile a relay's host name implies (``smtp.office365.com`` -> microsoft365), if any."""
    host = host.strip().lower().rstrip(".")
    for profile in PROFILES.values():
        if any(fnmatch.fnmatchcase(host, pattern) for pattern in profile.hosts):
            return profile
    return None


@dataclass(frozen=True)
class Setting(Generic[T]):
    """A value, where it came from (``"command line"``, ``"pressctl.toml"``, ``"microsoft365 profile"``) and
    the summary's line for it (``"--rate 10/s (command line)"``, ``"3 connections (microsoft365 profile)"``)."""

    value: T
    origin: str
    line: str


@dataclass(frozen=True)
class LimitOptions:
    """Limits given explicitly at one level (command line or pressctl.toml). ``None``: not given.

    ``rate`` uses :func:`pressctl.send.pacing.parse_rate`'s result; ``no_rate=True`` means "0" was given
    (explicitly no limit), as ``parse_rate`` returns ``None`` for both.
    """

    profile: str | None = None
    connections: int | None = None
    rate: Rate | None = None
    no_rate: bool = False
    daily_cap: int | None = None
    no_daily_cap: bool = False


@dataclass(frozen=True)
class EffectiveLimits:
    """What a run against one relay will use, each value with its origin, and warnings for the summary."""

    profile: RelayProfile
    profile_origin: str
    connections: Setting[int]
    rate: Setting[Rate | None]
    daily_cap: Setting[int | None]
    warnings: tuple[str, ...] = ()

    def lines(self) -> list[str]:
        """The summary's lines, e.g. ``["3 connections (microsoft365 profile)", "--rate 10/s (command line)"]``."""
        return [self.connections.line, self.rate.line, self.daily_cap.line]


def _plural(n: int, word: str) -> str:
    return f"{n:,} {word}{'' if n == 1 else 's'}"


_LEVELS = (("command line", "--"), ("pressctl.toml", "smtp."))


def resolve_limits(
    *, cli: LimitOptions | None = None, config: LimitOptions | None = None, host: str | None = None
) -> EffectiveLimits:
    """The effective limits for one relay.

    Precedence: the command line, then ``pressctl.toml``, then the profile (named on the command line or in
    pressctl.toml, else recognised from ``host``, else ``generic``).
    """
    levels = [(name, prefix, opts) for (name, prefix), opts in zip(_LEVELS, (cli, config), strict=True) if opts]
    profile, profile_origin = PROFILES["generic"], "default"
    for name, prefix, opts in levels:
        if opts.profile is not None:
            option = "--smtp-profile" if prefix == "--" else "smtp.profile"
            profile, profile_origin = get_profile(opts.profile, option=option), f"{option}, {name}"
            break
    else:
        guessed = profile_for_host(host) if host else None
        if guessed is not None:
            profile, profile_origin = guessed, f"recognised from the host {host}"
    from_profile = f"{profile.name} profile"

    connections: Setting[int] = Setting(
        profile.connections, from_profile, f"{_plural(profile.connections, 'connection')} ({from_profile})"
    )
    rate: Setting[Rate | None] = Setting(
        profile.rate, from_profile, f"rate {profile.rate} ({from_profile})" if profile.rate else
        f"no rate limit ({from_profile})"
    )
    cap: Setting[int | None] = Setting(
        profile.daily_cap, from_profile,
        f"{_plural(profile.daily_cap, 'recipient')} per 24 h ({from_profile})" if profile.daily_cap else
        f"no daily cap ({from_profile})",
    )
    for name, prefix, opts in reversed(levels):  # the command line last: it wins
        if opts.connections is not None:
            if opts.connections < 1:
                raise InputError(f"{prefix}concurrency must be at least 1", where=_where(name))
            connections = Setting(opts.connections, name, f"{prefix}concurrency {opts.connections} ({name})")
        if opts.no_rate or opts.rate is not None:
            rate = Setting(opts.rate, name, f"{prefix}rate {opts.rate or 0} ({name})")
        if opts.no_daily_cap or opts.daily_cap is not None:
            key = f"{prefix}daily-cap" if prefix == "--" else f"{prefix}daily_cap"
            if opts.daily_cap is not None and opts.daily_cap < 1:
                raise InputError(f"{key} must be at least 1 (0 means no cap)", where=_where(name))
            cap = Setting(opts.daily_cap, name, f"{key} {opts.daily_cap or 0} ({name})")

    warnings: list[str] = []
    if profile.name != "generic" and connections.value > profile.connections and connections.origin != from_profile:
        warnings.append(
            f"{connections.value} connections is more than {profile.title} allows ({profile.connections}); "
            "the relay will refuse the extra ones and pressctl will carry on with fewer"
        )
    if profile.account_values:
        if rate.origin == from_profile:
            warnings.append(
                f"the {profile.name} rate is the account's own: set --rate to your account's maximum send rate "
                f"(using {profile.rate}, the sandbox's, until you do)"
            )
        if cap.origin == from_profile:
            warnings.append(
                f"the {profile.name} daily quota is the account's own: set --daily-cap to your account's quota "
                f"(using {profile.daily_cap}, the sandbox's, until you do)"
            )
    return EffectiveLimits(profile, profile_origin, connections, rate, cap, tuple(warnings))


def _where(level: str) -> str | None:
    return "pressctl.toml" if level == "pressctl.toml" else None


class _RelayAddress(Protocol):
    """The parts of parsed SMTP settings a relay account is made of (``SmtpSettings`` has them)."""

    @property
    def host(self) -> str: ...
    @property
    def port(self) -> int: ...
    @property
    def tls(self) -> str: ...
    @property
    def username(self) -> str | None: ...


def relay_account(settings: _RelayAddress) -> str:
    """The key a rolling daily cap is counted under: scheme, host, port and user of the parsed relay URL
    (``smtp://press@smtp.office365.com:587``); never a password. The caller parses the URL (configuration
    does that), so relays never import the transport."""
    scheme = "smtps" if settings.tls == "implicit" else "smtp"
    user = f"{settings.username.lower()}@" if settings.username else ""
    return f"{scheme}://{user}{settings.host.lower()}:{settings.port}"
