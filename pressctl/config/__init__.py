"""The workspace: ``pressctl.toml`` modelled, checked and loaded, and the folders it names.

One module per table: :mod:`~pressctl.config.organisation` (organisation, brand, media contacts,
greetings), :mod:`~pressctl.config.sender`, :mod:`~pressctl.config.smtp` (``[smtp]``, its relays and the SMTP
URL) over :mod:`~pressctl.config.urls` (the rules SMTP and IMAP URLs share), :mod:`~pressctl.config.site`,
:mod:`~pressctl.config.mailboxes` (``[bounces]``), :mod:`~pressctl.config.files` (``[assets]``, ``[limits]``);
:mod:`~pressctl.config.keys` reads a table the same way everywhere (a misspelt key refused with a
did-you-mean) and :mod:`~pressctl.config.rules` holds the rules no one table owns. Here: the
:class:`Workspace` they make and :func:`load_workspace`, which reads the file and checks every key it holds.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pressctl.config.dns import DNS_KEYS, DnsSettings, parse_dns
from pressctl.config.files import parse_assets_allow, parse_limits
from pressctl.config.keys import table, text, unknown_key
from pressctl.config.ledger import LEDGER_KEYS, parse_ledger, parse_secret_env
from pressctl.config.mailboxes import BOUNCES_KEYS, Bounces, parse_bounces
from pressctl.config.organisation import (
    Brand,
    EmailSettings,
    MediaContact,
    Organisation,
    parse_brand,
    parse_greetings,
    parse_media_contacts,
    parse_organisation,
)
from pressctl.config.rules import check_text
from pressctl.config.sender import Sender, parse_sender
from pressctl.config.site import SiteSettings, parse_site
from pressctl.config.smtp import SmtpConfig, SmtpRelay, parse_smtp
from pressctl.config.workflow import WORKFLOW_KEYS, Workflow, parse_workflow
from pressctl.errors import ConfigError
from pressctl.languages.tags import normalise_language
from pressctl.limits import DEFAULT_LIMITS, LIMIT_KEYS, Limits

__all__ = ["CONFIG_NAME", "KNOWN", "Workspace", "find_config", "load_workspace"]

CONFIG_NAME = "pressctl.toml"


@dataclass(frozen=True)
class Workspace:
    """Everything pressctl knows about where it works. Paths are absolute."""

    root: Path
    config_path: Path | None
    organisation: Organisation = field(default_factory=Organisation)
    brand: Brand = field(default_factory=Brand)
    sender: Sender = field(default_factory=Sender)
    media_contacts: tuple[MediaContact, ...] = ()
    email: EmailSettings = field(default_factory=EmailSettings)
    timezone: str = "Asia/Hong_Kong"
    language: str = "en"
    smtp_url: str | None = None
    bounces: Bounces = field(default_factory=Bounces)
    smtp: SmtpConfig = field(default_factory=SmtpConfig)
    smtp_relays: tuple[SmtpRelay, ...] = ()  # [[smtp.relays]]: several relays (replaces [smtp] url)
    assets_allow: tuple[Path, ...] = ()  # folders outside the workspace files may come from ([assets] allow)
    limits: Limits = DEFAULT_LIMITS
    site: SiteSettings | None = None  # None: no [site] table, no newsroom
    dns: DnsSettings = field(default_factory=DnsSettings)  # [dns]: the servers the sending-domain check asks
    # Where template overrides are read, when not ``root/templates``: a scheduled job renders with the
    # copies taken when it was scheduled (pressctl.schedule.dispatcher.job_workspace).
    templates_from: Path | None = None
    ledger: str | Path | None = None  # [ledger] url: a postgresql:// URL or a file; None: .pressctl/ledger.sqlite3
    secret_env: str | None = None  # [ledger] secret_env: the variable holding the workspace secret (else the file)
    workflow: Workflow = field(default_factory=Workflow)  # [workflow]: approvals before a release goes out

    @property
    def zone(self) -> ZoneInfo:
        """``[defaults] timezone``: the zone every time shown to the press office is in."""
        return ZoneInfo(self.timezone)

    @property
    def state_dir(self) -> Path:
        return self.root / ".pressctl"

    @property
    def secret_env_names(self) -> tuple[str, ...]:
        """Variables the configuration names as holding a password (relays' and mailboxes' ``password_env``):
        kept from every command pressctl runs (a deploy, a token command), with the names every workspace
        has (pressctl.children)."""
        names = [r.password_env for r in self.smtp_relays if r.password_env]
        names += [self.bounces.password_env, *(box.password_env for box in self.bounces.mailboxes)]
        if isinstance(self.ledger, str):  # a shared ledger: libpq's own password variable too
            names.append("PGPASSWORD")
        if self.secret_env:
            names.append(self.secret_env)
        return tuple(dict.fromkeys(name for name in names if name))

    @property
    def ledger_path(self) -> Path | str:
        """The ledger: ``[ledger] url`` (a ``postgresql://`` URL, or a file), else ``.pressctl/ledger.sqlite3``."""
        return self.ledger if self.ledger is not None else self.state_dir / "ledger.sqlite3"

    @property
    def outbox_dir(self) -> Path:
        return self.root / "outbox"

    @property
    def templates_dir(self) -> Path:
        return self.templates_from or self.root / "templates"

    @property
    def suppression_path(self) -> Path:
        return self.root / "contacts" / "suppressed.csv"


# What each table may hold (``keys.unknown_key`` names the nearest for a key not here).
KNOWN: dict[str, tuple[str, ...]] = {
    "": (
        "organisation", "brand", "sender", "defaults", "email", "media_contacts", "smtp", "assets", "limits",
        "bounces", "site", "ledger", "workflow", "dns",
    ),
    "organisation": ("name", "website", "address", "footer", "about", "translations"),
    "brand": ("logo", "primary", "accent", "text", "font", "cjk_font"),
    "sender": (
        "from", "reply_to", "unsubscribe_url", "unsubscribe_mailto", "pdf", "pdf_base_url", "return_path",
        "internal_copies", "dkim_key_file", "dkim_selector",
    ),
    "defaults": ("timezone", "language"),
    "email": ("greeting",),
    "smtp": (
        "url", "profile", "concurrency", "rate", "daily_cap", "auth", "oauth_token_command", "helo", "relays", "pass_env",
    ),
    "assets": ("allow",),
    "limits": LIMIT_KEYS,
    "bounces": BOUNCES_KEYS,
    "site": ("dir", "base_url", "deploy", "deploy_timeout", "pass_env"),
    "ledger": LEDGER_KEYS,
    "workflow": WORKFLOW_KEYS,
    "dns": DNS_KEYS,
}


def _check_keys(data: dict[str, Any], where: str) -> None:
    """A misspelt key (``timezon``) would otherwise be ignored without a word and the default used instead,
    which a press officer only notices when the wrong time zone reaches journalists."""
    for section, known in KNOWN.items():
        found = data if not section else data.get(section)
        if not isinstance(found, dict):
            continue
        for key in found:
            if key not in known:
                raise unknown_key(f"{section}.{key}" if section else str(key), key, known, where)


def find_config(start: Path) -> Path | None:
    """The nearest ``pressctl.toml`` in ``start`` or a parent folder."""
    start = start.resolve()
    for folder in (start, *start.parents):
        candidate = folder / CONFIG_NAME
        if candidate.is_file():
            return candidate
    return None


def _read(path: Path) -> tuple[str, dict[str, Any]]:
    """The file's text and its TOML; one ConfigError line for a file that cannot be read or parsed."""
    where = str(path)
    try:
        from pressctl.limits import require_regular_file

        require_regular_file(path, what="pressctl.toml file", cls=ConfigError)  # a FIFO would block
        source = path.read_text(encoding="utf-8")
        return source, tomllib.loads(source)
    except FileNotFoundError:
        raise ConfigError(
            "file not found", where=where, hint="run `pressctl init DIR` to create one"
        ) from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"not valid TOML ({exc})", where=where, hint="fix the syntax") from None
    except UnicodeDecodeError:
        raise ConfigError("not UTF-8 text", where=where, hint="save the file as UTF-8") from None
    except OSError as exc:
        # A folder given as --config, or a file nobody may read.
        raise ConfigError(
            f"cannot read the file ({exc.strerror})", where=where, hint="point --config at the pressctl.toml file"
        ) from None


def _logo(brand: dict[str, Any], root: Path, allowed: tuple[Path, ...], where: str) -> Path | None:
    """``brand.logo``: an existing file inside the workspace (or an ``[assets] allow`` folder)."""
    logo = text(brand, "logo", "brand", where)
    logo_path = (root / logo) if logo else None
    if logo_path is not None and not logo_path.is_file():
        raise ConfigError(
            f"brand.logo {logo!r} {'is a folder' if logo_path.is_dir() else 'does not exist'}", where=where, hint="fix the path or remove the key"
        )
    if logo_path is not None:
        from pressctl.assets import outside

        if outside(logo_path, (root, *allowed)):
            raise ConfigError(
                f"brand.logo {logo!r} is outside the workspace",
                where=where,
                hint="copy the logo into the workspace folder, or allow its folder with [assets] allow",
            )
    return logo_path


def _defaults(defaults: dict[str, Any], where: str) -> tuple[str, str]:
    """``[defaults]``: the time zone (an IANA name) and the language (a tag pressctl has words for)."""
    tz = text(defaults, "timezone", "defaults", where, "Asia/Hong_Kong")
    try:
        ZoneInfo(tz)
    except (ZoneInfoNotFoundError, ValueError):
        raise ConfigError(
            f"unknown time zone {tz!r}", where=where, hint="use an IANA name such as Asia/Hong_Kong"
        ) from None
    language = text(defaults, "language", "defaults", where, "en")
    try:
        language = normalise_language(language, error=ConfigError)
    except ConfigError as exc:
        raise ConfigError(f"defaults.language: {exc.what}", where=where, hint=exc.hint) from None
    return tz, language


def load_workspace(start: Path | None = None, *, config: Path | None = None) -> Workspace:
    """Load the workspace whose ``pressctl.toml`` is nearest to ``start`` (default: the current folder).

    Without one, the embedded defaults apply and the workspace is ``start`` itself.
    """
    start = (start or Path.cwd()).resolve()
    path = config.resolve() if config else find_config(start)
    if path is None:
        return Workspace(root=start if start.is_dir() else start.parent, config_path=None)
    where = str(path)
    source, data = _read(path)
    root = path.parent
    from pressctl.private import STATE_DIR_NAME, tighten_state_dir

    tighten_state_dir(root / STATE_DIR_NAME)  # a workspace made by an older pressctl: 0755 -> 0700

    _check_keys(data, where)
    check_text(data, "", where)
    org = table(data, "organisation", where)
    brand = table(data, "brand", where)
    sender = table(data, "sender", where)
    assets_allow = parse_assets_allow(table(data, "assets", where), root, where)
    limits = parse_limits(table(data, "limits", where), where)
    site = parse_site(data, root, where)
    logo = _logo(brand, root, assets_allow, where)
    timezone, language = _defaults(table(data, "defaults", where), where)
    checked_sender = parse_sender(sender, where)
    media_contacts = parse_media_contacts(data.get("media_contacts", []), where)
    smtp_url, smtp, smtp_relays = parse_smtp(table(data, "smtp", where), where)
    bounces = parse_bounces(table(data, "bounces", where), root, where)
    dns = parse_dns(table(data, "dns", where), where)
    return Workspace(
        root=root,
        config_path=path,
        organisation=parse_organisation(org, where),
        brand=parse_brand(brand, logo, where),
        sender=checked_sender,
        media_contacts=media_contacts,
        email=parse_greetings(table(data, "email", where), source, where),
        timezone=timezone,
        language=language,
        smtp_url=smtp_url,
        bounces=bounces,
        smtp=smtp,
        smtp_relays=smtp_relays,
        assets_allow=assets_allow,
        limits=limits,
        site=site,
        ledger=parse_ledger(data, root, where),
        secret_env=parse_secret_env(data, where),
        workflow=parse_workflow(data, where),
        dns=dns,
    )
