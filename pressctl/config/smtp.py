"""``[smtp]`` and ``[[smtp.relays]]`` of ``pressctl.toml``, the SMTP URL (``[smtp] url``, ``--smtp``), which
relays a command uses and where each one's password is.

Every value is checked when the workspace loads, so a typo stops every command (a dry run too), not only a
real send. The relays (:func:`relay_entries`): ``--smtp`` (repeatable, each with ``[smtp]``'s settings), else
``[[smtp.relays]]`` (each table over ``[smtp]``), else ``[smtp] url``, else none (the local outbox). A password
is never stored in the file (:func:`relay_password`): the variable a relay's ``password_env`` names, else
``PRESSCTL_SMTP_PASSWORD_<N>`` (N = the relay's place, when there are several), else ``PRESSCTL_SMTP_PASSWORD``.
Pure: reads only the mapping of environment variables it is given.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol
from urllib.parse import unquote

from pressctl.config.keys import text, unknown_key
from pressctl.config.rules import ENV_NAME, env_names
from pressctl.config.urls import (
    TLS_WORDS,
    Tls,
    plain_scheme_tls,
    split_mail_url,
    url_query,
    url_timeout_and_cafile,
)
from pressctl.errors import ConfigError, InputError
from pressctl.rates import parse_rate

if TYPE_CHECKING:
    from pressctl.config import Workspace

__all__ = [
    "PASSWORD_ENV",
    "RelayEntry",
    "SmtpConfig",
    "SmtpRelay",
    "SmtpSettings",
    "needs_password",
    "no_password",
    "parse_smtp",
    "parse_smtp_url",
    "relay_entries",
    "relay_password",
]

PASSWORD_ENV = "PRESSCTL_SMTP_PASSWORD"


@dataclass(frozen=True)
class SmtpSettings:
    """A parsed ``smtp://`` / ``smtps://`` URL. ``password`` never shows in repr."""

    host: str
    port: int
    tls: Tls
    username: str | None = None
    password: str | None = field(default=None, repr=False)
    cafile: str | None = None
    timeout: float = 60.0

    def describe(self) -> str:
        scheme = "smtps" if self.tls == "implicit" else "smtp"
        user = f"{self.username}@" if self.username else ""
        return f"{scheme}://{user}{self.host}:{self.port} ({TLS_WORDS[self.tls]})"


def parse_smtp_url(url: str, *, password: str | None = None, option: str = "--smtp") -> SmtpSettings:
    """``smtp://[user@]host[:port][?tls=none|starttls&cafile=PATH&timeout=S]`` or ``smtps://...``.

    Errors never repeat the URL: it might hold a password someone pasted into it.
    """
    hint = "write smtp://[user@]host[:port]"
    parts, port_text = split_mail_url(
        url,
        option=option,
        kind="SMTP",
        schemes=("smtp", "smtps", "smtp+starttls"),
        shown="smtp:// or smtps://",
        example="e.g. smtp://press@mail.hvsp.example:587",
        password_env=PASSWORD_ENV,
        default_port=587,
    )
    host = parts.hostname
    if not host:
        raise InputError(f"{option}: the URL has no host", hint=hint)
    query = url_query(parts, option=option, known=("tls", "cafile", "timeout"))
    tls: Tls
    if parts.scheme == "smtps":
        tls = "implicit"
    else:
        tls = plain_scheme_tls(
            query.get("tls", "starttls" if parts.scheme == "smtp+starttls" else ""), host, option=option
        )
    timeout, cafile = url_timeout_and_cafile(query, option=option)
    port = port_text or (465 if tls == "implicit" else 587 if tls == "starttls" else 25)
    return SmtpSettings(
        host=host,
        port=port,
        tls=tls,
        username=unquote(parts.username) if parts.username else None,
        password=password,
        cafile=cafile,
        timeout=timeout,
    )


@dataclass(frozen=True)
class SmtpConfig:
    """``[smtp]`` beyond the URL (issue 11): the relay profile and limits (``None``: not set, the profile's or
    pressctl's default applies), how to log in (``password`` or ``xoauth2``) and the EHLO name."""

    profile: str | None = None
    concurrency: int | None = None
    rate: str | None = None  # as --rate: N/s, N/min, N/h; "0" for no limit
    daily_cap: int | None = None  # 0: no cap
    auth: str = "password"  # password | xoauth2
    oauth_token_command: str | None = None
    helo: str | None = None
    pass_env: tuple[str, ...] = ()  # secrets a token command may have after all (pressctl.children)


@dataclass(frozen=True)
class SmtpRelay:
    """One ``[[smtp.relays]]`` table: a relay's URL and its own settings. A setting left out (``None``) falls
    back to ``[smtp]``'s, then to the relay's profile (see ``pressctl.send.relayset``). ``password_env`` names
    the environment variable holding this relay's password (never the password itself)."""

    url: str
    profile: str | None = None
    concurrency: int | None = None
    rate: str | None = None
    daily_cap: int | None = None
    auth: str | None = None
    oauth_token_command: str | None = None
    helo: str | None = None
    password_env: str | None = None


def parse_smtp(smtp: dict[str, Any], where: str) -> tuple[str | None, SmtpConfig, tuple[SmtpRelay, ...]]:
    """``[smtp]``: its ``url`` (or None), its settings and its ``[[smtp.relays]]`` (not both url and relays)."""
    if "password" in smtp:
        raise ConfigError(
            "smtp.password must not be stored in a file",
            where=where,
            hint="remove it and set PRESSCTL_SMTP_PASSWORD in the environment instead",
        )
    smtp_url = text(smtp, "url", "smtp", where) or None
    if smtp_url is not None:
        try:  # a wrong scheme (ftp://) must stop every command, dry runs included, not only a real send
            parse_smtp_url(smtp_url, option="[smtp] url in pressctl.toml")
        except InputError as exc:
            raise ConfigError(exc.what, where=where, hint=exc.hint) from None
    settings = _smtp_config(smtp, where)
    relays = _smtp_relays(smtp, where)
    if relays and smtp_url is not None:
        raise ConfigError(
            "[smtp] has both url and [[smtp.relays]]: pressctl would not know which to use",
            where=where,
            hint="move the url into its own [[smtp.relays]] table (or remove the relays)",
        )
    return smtp_url, settings, relays


_HOST_NAME = re.compile(r"^(?=.{1,253}$)[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$")


def _smtp_config(smtp: dict[str, Any], where: str, section: str = "smtp") -> SmtpConfig:
    """``[smtp]`` profile, limits, auth and helo, each checked here so a typo stops every command.
    ``section`` names the table in errors (``smtp.relays[2]`` for one of several relays)."""

    def count(key: str, minimum: int) -> int | None:
        value = smtp.get(key)
        if value is None:
            return None
        if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
            raise ConfigError(
                f"{section}.{key} must be a whole number of at least {minimum}, not {value!r}",
                where=where,
                hint=f"e.g. {key} = 3" if key == "concurrency" else f"e.g. {key} = 10000 (0: no cap)",
            )
        return value

    profile = text(smtp, "profile", section, where).strip().lower() or None
    rate = _rate(smtp.get("rate"), section, where)
    auth = text(smtp, "auth", section, where, "password").strip().lower()
    if auth not in ("password", "xoauth2"):
        raise ConfigError(
            f"{section}.auth {auth!r} is not known", where=where, hint='use "password" (the default) or "xoauth2"'
        )
    command = text(smtp, "oauth_token_command", section, where).strip() or None
    helo = text(smtp, "helo", section, where).strip() or None
    if helo is not None and not _HOST_NAME.match(helo):
        raise ConfigError(
            f"{section}.helo {helo!r} is not a host name", where=where, hint='e.g. helo = "press.hvsp.example"'
        )
    return SmtpConfig(
        profile=profile,
        concurrency=count("concurrency", 1),
        rate=rate,
        daily_cap=count("daily_cap", 0),
        auth=auth,
        oauth_token_command=command,
        helo=helo,
        pass_env=env_names(smtp, section, where),
    )


def _rate(rate: object, section: str, where: str) -> str | None:
    """``rate`` as written (a whole number is read as text), read by the one rate grammar, as ``--rate`` is."""
    if rate is None:
        return None
    if isinstance(rate, int) and not isinstance(rate, bool):
        rate = str(rate)
    if isinstance(rate, str):
        try:
            parse_rate(rate, option=f"{section}.rate")
            return rate
        except InputError:
            pass
    raise ConfigError(
        f"{section}.rate {rate!r} is not a rate", where=where, hint='write it as "N/s", "N/min" or "N/h", e.g. "30/min"'
    )


_RELAY_KEYS = (
    "url", "profile", "concurrency", "rate", "daily_cap", "auth", "oauth_token_command", "helo", "password_env",
)


def _smtp_relays(smtp: dict[str, Any], where: str) -> tuple[SmtpRelay, ...]:
    """``[[smtp.relays]]``: a list of tables, each with ``url`` and optional settings of its own."""
    raw = smtp.get("relays")
    if raw is None:
        return ()
    if not isinstance(raw, list) or not raw or not all(isinstance(t, dict) for t in raw):
        raise ConfigError(
            "smtp.relays must be a list of tables",
            where=where,
            hint='write each relay as its own [[smtp.relays]] table with url = "smtp://..."',
        )
    relays = []
    for n, table in enumerate(raw, 1):
        section = f"smtp.relays[{n}]"
        if "password" in table:
            raise ConfigError(
                f"{section}.password must not be stored in a file",
                where=where,
                hint=f"remove it and set {PASSWORD_ENV} (or the variable named by password_env) in the environment",
            )
        for key in table:
            if key not in _RELAY_KEYS:
                raise unknown_key(f"{section}.{key}", key, _RELAY_KEYS, where)
        url = text(table, "url", section, where).strip()
        if not url:
            raise ConfigError(f"{section} has no url", where=where, hint='add url = "smtp://user@host:587"')
        try:
            parse_smtp_url(url, option=f"{section}.url in pressctl.toml")
        except InputError as exc:
            raise ConfigError(exc.what, where=where, hint=exc.hint) from None
        own = _smtp_config(table, where, section)
        password_env = text(table, "password_env", section, where).strip() or None
        if password_env is not None and not ENV_NAME.match(password_env):
            raise ConfigError(
                f"{section}.password_env {password_env!r} is not an environment variable name",
                where=where,
                hint='name the variable that holds the password, e.g. password_env = "HVSP_RELAY2_PASSWORD"',
            )
        relays.append(
            SmtpRelay(
                url=url,
                profile=own.profile,
                concurrency=own.concurrency,
                rate=own.rate,
                daily_cap=own.daily_cap,
                auth=own.auth if "auth" in table else None,
                oauth_token_command=own.oauth_token_command,
                helo=own.helo,
                password_env=password_env,
            )
        )
    return tuple(relays)


# -- which relays, and their passwords -------------------------------------------------------------------------
@dataclass(frozen=True)
class RelayEntry:
    """One relay a command uses, as configured: its URL, where it was given (for error lines), its settings
    (a ``[[smtp.relays]]`` table over ``[smtp]``) and the variable its password is in. No secret."""

    index: int  # 1-based place among the relays
    count: int  # how many relays there are
    url: str
    option: str  # "--smtp", "smtp.relays[2].url in pressctl.toml", "[smtp] url in pressctl.toml"
    smtp: SmtpConfig
    password_env: str | None = None

    @property
    def settings(self) -> SmtpSettings:
        """The parsed URL, without a password."""
        return parse_smtp_url(self.url, option=self.option)

    @property
    def auth(self) -> str:
        return self.smtp.auth


def relay_entries(workspace: Workspace, urls: Sequence[str] = ()) -> tuple[RelayEntry, ...]:
    """The relays, in the order of precedence of the module docstring: ``urls`` (``--smtp``), else the
    workspace's ``[[smtp.relays]]`` or ``[smtp] url``; empty for the local outbox."""
    base = workspace.smtp
    entries: list[tuple[str, str, SmtpConfig, str | None]]
    if urls:
        entries = [(url, "--smtp", base, None) for url in urls]
    elif workspace.smtp_relays:
        entries = []
        for n, relay in enumerate(workspace.smtp_relays, 1):
            merged = SmtpConfig(
                profile=relay.profile if relay.profile is not None else base.profile,
                concurrency=relay.concurrency if relay.concurrency is not None else base.concurrency,
                rate=relay.rate if relay.rate is not None else base.rate,
                daily_cap=relay.daily_cap if relay.daily_cap is not None else base.daily_cap,
                auth=relay.auth if relay.auth is not None else base.auth,
                oauth_token_command=relay.oauth_token_command or base.oauth_token_command,
                helo=relay.helo or base.helo,
            )
            entries.append((relay.url, f"smtp.relays[{n}].url in pressctl.toml", merged, relay.password_env))
    elif workspace.smtp_url:
        entries = [(workspace.smtp_url, "[smtp] url in pressctl.toml", base, None)]
    else:
        entries = []
    return tuple(
        RelayEntry(index=n, count=len(entries), url=url, option=option, smtp=smtp, password_env=password_env)
        for n, (url, option, smtp, password_env) in enumerate(entries, 1)
    )


class _Relay(Protocol):
    """A relay as :func:`relay_password` needs it (a ``RelayEntry``, or a send's ``RelaySpec``)."""

    @property
    def index(self) -> int: ...
    @property
    def count(self) -> int: ...
    @property
    def password_env(self) -> str | None: ...
    @property
    def settings(self) -> SmtpSettings: ...
    @property
    def auth(self) -> str: ...


def relay_password(relay: _Relay, environ: Mapping[str, str]) -> str | None:
    """The relay's password from ``environ`` (see the module docstring); None when none is set."""
    names = []
    if relay.password_env:
        names.append(relay.password_env)
    if relay.count > 1:
        names.append(f"{PASSWORD_ENV}_{relay.index}")
    names.append(PASSWORD_ENV)
    for name in names:
        value = environ.get(name)
        if value:
            return value
    return None


def needs_password(relay: _Relay, environ: Mapping[str, str]) -> bool:
    """Does the relay log in with a password that ``environ`` does not hold (someone must type it)?"""
    return bool(relay.settings.username) and relay.auth != "xoauth2" and not relay_password(relay, environ)


def no_password(relay: _Relay) -> InputError:
    """The line for a relay that needs a password nobody can type (no terminal): where to put it."""
    settings = relay.settings
    more = f" (or {PASSWORD_ENV}_{relay.index} for this relay)" if relay.count > 1 else ""
    return InputError(
        f"no password for {settings.username} at {settings.host}:{settings.port}",
        hint=f"set {PASSWORD_ENV}{more} in the environment",
    )
