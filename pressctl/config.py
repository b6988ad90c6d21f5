"""The workspace: ``pressctl.toml`` (organisation, brand, sender, defaults, SMTP) and its folders."""

from __future__ import annotations

import difflib
import re
import tomllib
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pressctl.errors import ConfigError
from pressctl.limits import DEFAULT_LIMITS, LIMIT_KEYS, Limits

__all__ = ["CONFIG_NAME", "Brand", "MediaContact", "Organisation", "Sender", "SmtpConfig", "Workspace", "load_workspace"]

CONFIG_NAME = "pressctl.toml"


@dataclass(frozen=True)
class MediaContact:
    """A press officer journalists can call (front matter ``media_contacts`` or the workspace default)."""

    name: str
    title: str = ""
    organisation: str = ""
    phone: str = ""
    email: str = ""
    # ``[media_contacts.translations.<tag>]``: the same fields in another language, as (tag, ((key, value), ...)).
    translations: tuple[tuple[str, tuple[tuple[str, str], ...]], ...] = ()

    def in_language(self, language: str) -> MediaContact:
        """This contact in ``language`` (a tag, or its first part: zh-HK, then zh), else as written."""
        tags = {language.lower(), language.lower().split("-")[0]}
        for tag, fields in self.translations:
            if tag.lower() in tags:
                return replace(self, **{k: v for k, v in fields if v.strip()}, translations=())
        return self


@dataclass(frozen=True)
class Organisation:
    name: str = "pressctl"
    website: str = ""
    address: str = ""
    footer: str = ""
    about: str = ""


@dataclass(frozen=True)
class Brand:
    logo: Path | None = None
    primary: str = "#0b5c74"
    accent: str = "#d9534f"
    text: str = "#1d1d1f"
    font: str = "Noto Sans"
    cjk_font: str = "Noto Sans CJK HK"


@dataclass(frozen=True)
class Sender:
    from_addr: str = "Press Office <press@localhost.localdomain>"
    reply_to: str = ""
    unsubscribe_url: str = ""  # may contain {token} (or {email}); HTTPS enables one-click (RFC 8058)
    unsubscribe_mailto: str = ""
    pdf: str = "attach"  # attach | link | both
    pdf_base_url: str = ""  # where linked PDFs are published, when pdf is link or both


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


@dataclass(frozen=True)
class Workspace:
    """Everything pressctl knows about where it works. Paths are absolute."""

    root: Path
    config_path: Path | None
    organisation: Organisation = field(default_factory=Organisation)
    brand: Brand = field(default_factory=Brand)
    sender: Sender = field(default_factory=Sender)
    media_contacts: tuple[MediaContact, ...] = ()
    timezone: str = "Asia/Hong_Kong"
    language: str = "en"
    smtp_url: str | None = None
    smtp: SmtpConfig = field(default_factory=SmtpConfig)
    assets_allow: tuple[Path, ...] = ()  # folders outside the workspace files may come from ([assets] allow)
    limits: Limits = DEFAULT_LIMITS
    raw: dict[str, Any] = field(default_factory=dict)
    # Where template overrides are read, when not ``root/templates``: a scheduled job renders with the
    # copies taken when it was scheduled (pressctl.schedule.dispatcher.job_workspace).
    templates_from: Path | None = None

    @property
    def state_dir(self) -> Path:
        return self.root / ".pressctl"

    @property
    def ledger_path(self) -> Path:
        return self.state_dir / "ledger.sqlite3"

    @property
    def outbox_dir(self) -> Path:
        return self.root / "outbox"

    @property
    def templates_dir(self) -> Path:
        return self.templates_from or self.root / "templates"

    @property
    def suppression_path(self) -> Path:
        return self.root / "contacts" / "suppressed.csv"


def find_config(start: Path) -> Path | None:
    """The nearest ``pressctl.toml`` in ``start`` or a parent folder."""
    start = start.resolve()
    for folder in (start, *start.parents):
        candidate = folder / CONFIG_NAME
        if candidate.is_file():
            return candidate
    return None


def _table(data: dict[str, Any], key: str, where: str) -> dict[str, Any]:
    value = data.get(key, {})
    if not isinstance(value, dict):
        raise ConfigError(f"[{key}] must be a table", where=where, hint=f"write it as a [{key}] section")
    return value


def _str(table: dict[str, Any], key: str, section: str, where: str, default: str = "") -> str:
    value = table.get(key, default)
    if not isinstance(value, str):
        raise ConfigError(
            f"{section}.{key} must be text, not {type(value).__name__}",
            where=where,
            hint='put the value in quotes, e.g. key = "value"',
        )
    return value


# What each section may hold. A misspelt key (``timezon``) would otherwise be ignored without a word and the
# default used instead, which a press officer only notices when the wrong time zone reaches journalists.
_KNOWN: dict[str, tuple[str, ...]] = {
    "": ("organisation", "brand", "sender", "defaults", "email", "media_contacts", "smtp", "assets", "limits"),
    "organisation": ("name", "website", "address", "footer", "about", "translations"),
    "brand": ("logo", "primary", "accent", "text", "font", "cjk_font"),
    "sender": ("from", "reply_to", "unsubscribe_url", "unsubscribe_mailto", "pdf", "pdf_base_url"),
    "defaults": ("timezone", "language"),
    "email": ("greeting",),
    "smtp": ("url", "profile", "concurrency", "rate", "daily_cap", "auth", "oauth_token_command", "helo"),
    "assets": ("allow",),
    "limits": LIMIT_KEYS,
}
# Colours and font names go into CSS as they are: allow only what a colour or a family name can be.
_COLOUR = re.compile(r"^(?:#[0-9A-Fa-f]{3,8}|[A-Za-z]{3,30}|(?:rgb|rgba|hsl|hsla)\([0-9.,%\s/]+\))$")
_FONT = re.compile(r"^[\w .\-]+$")


def _check_keys(data: dict[str, Any], where: str) -> None:
    for section, known in _KNOWN.items():
        table = data if not section else data.get(section)
        if not isinstance(table, dict):
            continue
        for key in table:
            if key not in known:
                name = f"{section}.{key}" if section else str(key)
                close = difflib.get_close_matches(str(key), known, n=1)
                raise ConfigError(
                    f"unknown key {name!r}",
                    where=where,
                    hint=f"did you mean {close[0]!r}?" if close else "known here: " + ", ".join(known),
                )


def _style(table: dict[str, Any], key: str, default: str, where: str, *, font: bool = False) -> str:
    value = _str(table, key, "brand", where, default).strip()
    if not (_FONT if font else _COLOUR).match(value):
        raise ConfigError(
            f"brand.{key} {value!r} is not a {'font family name' if font else 'colour'}",
            where=where,
            hint='write a family name such as "Noto Sans"' if font else 'write a colour such as "#0b5c74"',
        )
    return value


def _contact_translations(value: object, where: str) -> list[tuple[str, tuple[tuple[str, str], ...]]]:
    """``[media_contacts.translations.zh-HK]`` tables: a language tag to the contact's fields in it."""
    fields = ("name", "title", "organisation", "phone", "email")
    if not isinstance(value, dict):
        raise ConfigError(
            "media_contacts.translations must be tables",
            where=where,
            hint="write [media_contacts.translations.zh-HK] under the contact's [[media_contacts]]",
        )
    out = []
    for tag, table in value.items():
        if not isinstance(table, dict):
            raise ConfigError(f"media_contacts.translations.{tag} must be a table", where=where)
        for key, text in table.items():
            if key not in fields:
                raise ConfigError(
                    f"unknown key 'media_contacts.translations.{tag}.{key}'",
                    where=where,
                    hint="use name, title, organisation, phone and email",
                )
            if not isinstance(text, str):
                raise ConfigError(f"media_contacts.translations.{tag}.{key} must be text", where=where)
        out.append((str(tag), tuple((k, str(v).strip()) for k, v in table.items())))
    return out


def _assets_allow(table: dict[str, Any], root: Path, where: str) -> tuple[Path, ...]:
    """``[assets] allow``: folders (absolute, or relative to the workspace root) files may also come from."""
    raw = table.get("allow", [])
    if not isinstance(raw, list) or not all(isinstance(v, str) and v.strip() for v in raw):
        raise ConfigError(
            "assets.allow must be a list of folder paths",
            where=where,
            hint='write e.g. allow = ["/srv/press/shared"]',
        )
    folders = []
    for value in raw:
        try:
            folder = (root / value.strip()).resolve()
            is_dir = folder.is_dir()
        except (OSError, ValueError):
            is_dir = False
        if not is_dir:
            raise ConfigError(
                f"assets.allow {value!r} is not a folder",
                where=where,
                hint="name an existing folder (absolute, or relative to the workspace), or remove it",
            )
        if folder == Path(folder.anchor):
            raise ConfigError(
                f"assets.allow {value!r} would allow every file on the machine",
                where=where,
                hint="name the one folder shared files live in",
            )
        folders.append(folder)
    return tuple(folders)


def _limits(table: dict[str, Any], where: str) -> Limits:
    """``[limits]``: positive whole numbers; keys not given keep their defaults (pressctl.limits)."""
    values: dict[str, int] = {}
    for key, value in table.items():
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise ConfigError(
                f"limits.{key} must be a whole number above 0, not {value!r}",
                where=where,
                hint=f"write e.g. {key} = {getattr(DEFAULT_LIMITS, key)}",
            )
        values[key] = value
    return Limits(**values)


_RATE_TEXT = re.compile(r"^\d+(?:/(?:s|sec|min|m|h|hour))?$")
_HOST_NAME = re.compile(r"^(?=.{1,253}$)[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$")


def _smtp_config(smtp: dict[str, Any], where: str) -> SmtpConfig:
    """``[smtp]`` profile, limits, auth and helo, each checked here so a typo stops every command."""

    def count(key: str, minimum: int) -> int | None:
        value = smtp.get(key)
        if value is None:
            return None
        if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
            raise ConfigError(
                f"smtp.{key} must be a whole number of at least {minimum}, not {value!r}",
                where=where,
                hint=f"e.g. {key} = 3" if key == "concurrency" else f"e.g. {key} = 10000 (0: no cap)",
            )
        return value

    profile = _str(smtp, "profile", "smtp", where).strip().lower() or None
    rate = smtp.get("rate")
    if rate is not None:
        if isinstance(rate, int) and not isinstance(rate, bool):
            rate = str(rate)
        if not isinstance(rate, str) or not _RATE_TEXT.match(rate.strip().lower().replace(" ", "")):
            raise ConfigError(
                f"smtp.rate {rate!r} is not a rate", where=where, hint='write it as "N/s", "N/min" or "N/h", e.g. "30/min"'
            )
    auth = _str(smtp, "auth", "smtp", where, "password").strip().lower()
    if auth not in ("password", "xoauth2"):
        raise ConfigError(
            f"smtp.auth {auth!r} is not known", where=where, hint='use "password" (the default) or "xoauth2"'
        )
    command = _str(smtp, "oauth_token_command", "smtp", where).strip() or None
    helo = _str(smtp, "helo", "smtp", where).strip() or None
    if helo is not None and not _HOST_NAME.match(helo):
        raise ConfigError(
            f"smtp.helo {helo!r} is not a host name", where=where, hint='e.g. helo = "press.hvsp.example"'
        )
    return SmtpConfig(
        profile=profile,
        concurrency=count("concurrency", 1),
        rate=rate,
        daily_cap=count("daily_cap", 0),
        auth=auth,
        oauth_token_command=command,
        helo=helo,
    )


def load_workspace(start: Path | None = None, *, config: Path | None = None) -> Workspace:
    """Load the workspace whose ``pressctl.toml`` is nearest to ``start`` (default: the current folder).

    Without one, the embedded defaults apply and the workspace is ``start`` itself.
    """
    start = (start or Path.cwd()).resolve()
    path = config.resolve() if config else find_config(start)
    if path is None:
        return Workspace(root=start if start.is_dir() else start.parent, config_path=None)
    where = str(path)
    try:
        from pressctl.limits import require_regular_file

        require_regular_file(path, what="pressctl.toml file", cls=ConfigError)  # a FIFO would block
        data = tomllib.loads(path.read_text(encoding="utf-8"))
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
    root = path.parent

    _check_keys(data, where)
    org = _table(data, "organisation", where)
    brand = _table(data, "brand", where)
    sender = _table(data, "sender", where)
    defaults = _table(data, "defaults", where)
    smtp = _table(data, "smtp", where)

    assets_allow = _assets_allow(_table(data, "assets", where), root, where)
    limits = _limits(_table(data, "limits", where), where)

    logo = _str(brand, "logo", "brand", where)
    logo_path = (root / logo) if logo else None
    if logo_path is not None and not logo_path.is_file():
        raise ConfigError(
            f"brand.logo {logo!r} {'is a folder' if logo_path.is_dir() else 'does not exist'}", where=where, hint="fix the path or remove the key"
        )
    if logo_path is not None:
        from pressctl.assets import outside

        if outside(logo_path, (root, *assets_allow)):
            raise ConfigError(
                f"brand.logo {logo!r} is outside the workspace",
                where=where,
                hint="copy the logo into the workspace folder, or allow its folder with [assets] allow",
            )

    tz = _str(defaults, "timezone", "defaults", where, "Asia/Hong_Kong")
    try:
        ZoneInfo(tz)
    except (ZoneInfoNotFoundError, ValueError):
        raise ConfigError(
            f"unknown time zone {tz!r}", where=where, hint="use an IANA name such as Asia/Hong_Kong"
        ) from None

    from pressctl.errors import ReleaseError
    from pressctl.release.load import normalise_language  # here: release imports this module

    language = _str(defaults, "language", "defaults", where, "en")
    try:
        language = normalise_language(language)
    except ReleaseError as exc:
        raise ConfigError(f"defaults.language: {exc.what}", where=where, hint=exc.hint) from None

    pdf = _str(sender, "pdf", "sender", where, "attach")
    if pdf not in ("attach", "link", "both"):
        raise ConfigError(f"sender.pdf must be attach, link or both, not {pdf!r}", where=where)

    for key in ("unsubscribe_url", "pdf_base_url"):
        url = _str(sender, key, "sender", where).strip()
        # These land in every email's links and List-Unsubscribe header: only web addresses belong there.
        if url and not url.lower().startswith(("https://", "http://")):
            raise ConfigError(
                f"sender.{key} {url!r} is not a web address",
                where=where,
                hint="write a full https:// URL, e.g. https://www.hvsp.example/press/unsubscribe?t={token}"
                if key == "unsubscribe_url"
                else "write a full https:// URL, e.g. https://www.hvsp.example/press/pdf/",
            )

    contacts_raw = data.get("media_contacts", [])
    if not isinstance(contacts_raw, list):
        raise ConfigError(
            "media_contacts must be a list of tables", where=where, hint="use [[media_contacts]]"
        )
    contacts = []
    for item in contacts_raw:
        if not isinstance(item, dict) or not isinstance(item.get("name"), str):
            raise ConfigError("each [[media_contacts]] needs a name", where=where)
        translated: list[tuple[str, tuple[tuple[str, str], ...]]] = []
        for key, value in item.items():
            if key == "translations":
                translated = _contact_translations(value, where)
                continue
            if key not in ("name", "title", "organisation", "phone", "email"):
                raise ConfigError(
                    f"unknown key 'media_contacts.{key}'",
                    where=where,
                    hint="use name, title, organisation, phone, email and [media_contacts.translations.<tag>]",
                )
            if not isinstance(value, str):
                raise ConfigError(
                    f"media_contacts.{key} must be text, not {type(value).__name__}",
                    where=where,
                    hint='put the value in quotes, e.g. phone = "+852 3000 0101"',
                )
        contacts.append(
            MediaContact(
                **{k: str(item.get(k, "")) for k in ("name", "title", "organisation", "phone", "email")},
                translations=tuple(translated),
            )
        )

    if "password" in smtp:
        raise ConfigError(
            "smtp.password must not be stored in a file",
            where=where,
            hint="remove it and set PRESSCTL_SMTP_PASSWORD in the environment instead",
        )
    smtp_url = _str(smtp, "url", "smtp", where) or None
    if smtp_url is not None:
        from pressctl.errors import InputError
        from pressctl.send.transport import parse_smtp_url

        try:  # a wrong scheme (ftp://) must stop every command, dry runs included, not only a real send
            parse_smtp_url(smtp_url, option="[smtp] url in pressctl.toml")
        except InputError as exc:
            raise ConfigError(exc.what, where=where, hint=exc.hint) from None

    smtp_config = _smtp_config(smtp, where)

    return Workspace(
        root=root,
        config_path=path,
        organisation=Organisation(
            name=_str(org, "name", "organisation", where, "pressctl"),
            website=_str(org, "website", "organisation", where),
            address=_str(org, "address", "organisation", where),
            footer=_str(org, "footer", "organisation", where),
            about=_str(org, "about", "organisation", where),
        ),
        brand=Brand(
            logo=logo_path,
            primary=_style(brand, "primary", Brand.primary, where),
            accent=_style(brand, "accent", Brand.accent, where),
            text=_style(brand, "text", Brand.text, where),
            font=_style(brand, "font", Brand.font, where, font=True),
            cjk_font=_style(brand, "cjk_font", Brand.cjk_font, where, font=True),
        ),
        sender=Sender(
            from_addr=_str(sender, "from", "sender", where, Sender.from_addr),
            reply_to=_str(sender, "reply_to", "sender", where),
            unsubscribe_url=_str(sender, "unsubscribe_url", "sender", where),
            unsubscribe_mailto=_str(sender, "unsubscribe_mailto", "sender", where),
            pdf=pdf,
            pdf_base_url=_str(sender, "pdf_base_url", "sender", where),
        ),
        media_contacts=tuple(contacts),
        timezone=tz,
        language=language,
        smtp_url=smtp_url,
        smtp=smtp_config,
        assets_allow=assets_allow,
        limits=limits,
        raw=data,
    )
