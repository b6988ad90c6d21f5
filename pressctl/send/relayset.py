"""Which relays a send uses, each with its own settings and limits: the relays of
:func:`pressctl.config.smtp.relay_entries` (``--smtp``, else ``[[smtp.relays]]``, else ``[smtp] url``, else
none: the local outbox), each with its limits.

Per relay, each setting comes from the command line (``--concurrency``, ``--rate``, ``--daily-cap`` and
``--smtp-profile`` apply to every relay), then the relay's own table, then ``[smtp]``, then the relay's
profile (:func:`pressctl.relays.profiles.resolve_limits`). Passwords: :func:`pressctl.config.smtp.relay_password`.

Pure: reads only what it is given (the workspace, the options, an environment mapping).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from pressctl.config import Workspace
from pressctl.config.smtp import SmtpConfig, SmtpSettings, parse_smtp_url, relay_entries
from pressctl.errors import InputError
from pressctl.rates import parse_rate
from pressctl.relays.profiles import EffectiveLimits, LimitOptions, relay_account, resolve_limits

__all__ = ["RelaySpec", "config_limits", "limit_options", "relay_specs"]


@dataclass(frozen=True)
class RelaySpec:
    """One relay of a send: its URL, where it was given, its limits and how to log in (no secret)."""

    index: int  # 1-based place among the run's relays
    count: int  # how many relays the run has
    url: str
    option: str  # where the URL came from, for error lines: "--smtp", "smtp.relays[2].url in pressctl.toml"
    limits: EffectiveLimits
    auth: str = "password"
    oauth_token_command: str | None = None
    helo: str | None = None
    password_env: str | None = None

    @property
    def settings(self) -> SmtpSettings:
        """The parsed URL, without a password."""
        return parse_smtp_url(self.url, option=self.option)

    @property
    def account(self) -> str:
        """The relay account (scheme://user@host:port) its hand-overs and daily cap count under."""
        return relay_account(self.settings)

    @property
    def label(self) -> str:
        """How summaries name it: ``relay 2 (smtp://press@mail.hvsp.example:587)``, or just the account
        when it is the only one."""
        return self.account if self.count == 1 else f"relay {self.index} ({self.account})"


def limit_options(
    *, profile: str | None, concurrency: int | None, rate: str | None, daily_cap: int | None, option: str
) -> LimitOptions:
    """Limits as typed (``rate`` "30/min" or "0" for none; ``daily_cap`` 0 for none; ``None``: not given)
    at one level, for :func:`pressctl.relays.profiles.resolve_limits`. ``option`` names the rate in errors."""
    parsed = parse_rate(rate, option=option) if rate is not None else None
    return LimitOptions(
        profile=profile,
        connections=concurrency,
        rate=parsed,
        no_rate=rate is not None and parsed is None,
        daily_cap=daily_cap or None,
        no_daily_cap=daily_cap == 0,
    )


def config_limits(smtp: SmtpConfig) -> LimitOptions:
    """``[smtp]`` (or one relay's table merged over it) profile, concurrency, rate and daily_cap."""
    return limit_options(
        profile=smtp.profile, concurrency=smtp.concurrency, rate=smtp.rate, daily_cap=smtp.daily_cap,
        option="smtp.rate",
    )


def relay_specs(workspace: Workspace, urls: Sequence[str], cli: LimitOptions) -> tuple[RelaySpec, ...]:
    """The run's relays (:func:`pressctl.config.smtp.relay_entries`: ``urls`` (``--smtp``), else the workspace's
    ``[[smtp.relays]]`` or ``[smtp] url``), each with its limits; empty for the local outbox. Raises
    InputError for a bad URL or a relay account given twice."""
    specs: list[RelaySpec] = []
    entries = relay_entries(workspace, urls)
    seen: dict[str, int] = {}
    for entry in entries:
        n, url, option, smtp = entry.index, entry.url, entry.option, entry.smtp
        settings = entry.settings
        account = relay_account(settings)
        if account in seen:
            raise InputError(
                f"{option}: relay {n} is the same relay account as relay {seen[account]} ({account})",
                hint="give each relay once; raise its concurrency instead of listing it twice",
            )
        seen[account] = n
        limits = resolve_limits(cli=cli, config=config_limits(smtp), host=settings.host)
        specs.append(
            RelaySpec(
                index=n,
                count=len(entries),
                url=url,
                option=option,
                limits=limits,
                auth=smtp.auth,
                oauth_token_command=smtp.oauth_token_command,
                helo=smtp.helo,
                password_env=entry.password_env,
            )
        )
    return tuple(specs)
