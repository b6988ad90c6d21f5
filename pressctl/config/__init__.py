"""The workspace: ``pressctl.toml`` (organisation, brand, sender, defaults, SMTP) and its folders."""

from __future__ import annotations

import difflib
import ipaddress
import re
import tomllib
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Literal
from urllib.parse import SplitResult, parse_qs, unquote, urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pressctl.addresses import check_address
from pressctl.config_rules import ENV_NAME, check_text, env_names, public_folder
from pressctl.controls import has_unsafe
from pressctl.errors import ConfigError, InputError
from pressctl.languages import LANGUAGES, normalise_language, primary
from pressctl.limits import DEFAULT_LIMITS, LIMIT_KEYS, Limits
from pressctl.mailboxes import BOUNCES_KEYS, Bounces, parse_bounces

__all__ = [
    "CONFIG_NAME",
    "PASSWORD_ENV",
    "Bounces",
    "Brand",
    "EmailSettings",
    "Greeting",
    "MediaContact",
    "Organisation",
    "Sender",
    "SenderIdentity",
    "SiteSettings",
    "SmtpConfig",
    "SmtpRelay",
    "SmtpSettings",
    "Workspace",
    "check_from_option",
    "check_sender",
    "is_loopback",
    "load_workspace",
    "parse_smtp_url",
]

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
        for tag, fields in self.translations:
            if _matches(tag, language):
                return replace(self, **{k: v for k, v in fields if v.strip()}, translations=())
        return self


def _matches(tag: str, language: str) -> bool:
    """Does a table for ``tag`` serve ``language``: the same tag, or its first part (zh for zh-HK)?"""
    return tag.lower() in (language.lower(), primary(language))


@dataclass(frozen=True)
class Organisation:
    name: str = "pressctl"
    website: str = ""
    address: str = ""
    footer: str = ""
    about: str = ""
    # ``[organisation.translations.<tag>]``: (tag, ((key, value), ...)), empty values left out.
    translations: tuple[tuple[str, tuple[tuple[str, str], ...]], ...] = ()

    def in_language(self, language: str) -> Organisation:
        """The organisation's words in ``language`` (the first table whose tag fits), else as written."""
        for tag, fields in self.translations:
            if _matches(tag, language):
                return replace(self, **dict(fields), translations=())
        return self


@dataclass(frozen=True)
class Greeting:
    """One ``[email.greeting]`` entry: a greeting line with merge fields, and its line in pressctl.toml."""

    tag: str
    text: str
    line: int = 1


@dataclass(frozen=True)
class EmailSettings:
    """``[email]``: the greetings per language (the defaults live with the renderer's words)."""

    greetings: tuple[Greeting, ...] = ()

    def greeting_for(self, language: str) -> Greeting | None:
        """The greeting for ``language``: its own tag first, then its first part (zh for zh-HK)."""
        for want in (language.lower(), primary(language)):
            for greeting in self.greetings:
                if greeting.tag.lower() == want:
                    return greeting
        return None


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
    return_path: str = ""  # VERP envelope sender, e.g. bounces+{local}={domain}@hvsp.example ("" = the From)
    internal_copies: tuple[str, ...] = ()  # one's own people: a copy per language of what goes out, when it goes


@dataclass(frozen=True)
class SiteSettings:
    """``[site]``: the newsroom folder (``pressctl publish``), its public address and how it is deployed."""

    dir: Path  # absolute; default <workspace>/site
    base_url: str = ""  # https://newsroom.example/ (with the slash); empty: relative links only, no email links
    deploy: str = ""  # a shell command run in ``dir`` after each publish and at a scheduled lift
    deploy_timeout: float = 60.0  # seconds
    pass_env: tuple[str, ...] = ()  # secrets the deploy command may have after all (pressctl.children)


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
    # Where template overrides are read, when not ``root/templates``: a scheduled job renders with the
    # copies taken when it was scheduled (pressctl.schedule.dispatcher.job_workspace).
    templates_from: Path | None = None

    @property
    def zone(self) -> ZoneInfo:
        """``[defaults] timezone``: the zone every time shown to the press office is in."""
        return ZoneInfo(self.timezone)

    @property
    def state_dir(self) -> Path:
        return self.root / ".pressctl"

    @property
    def secret_env_names(self) -> tuple[str, ...]:
        """Variables the configuration names as holding a password (relays' ``password_env``): kept from
        the commands pressctl runs, with the names every workspace has (pressctl.children)."""
        return tuple(r.password_env for r in self.smtp_relays if r.password_env)

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


# -- SMTP URLs (configuration: `[smtp] url` and `--smtp`; send.transport and relays use them) ------------
PASSWORD_ENV = "PRESSCTL_SMTP_PASSWORD"


@dataclass(frozen=True)
class SmtpSettings:
    """A parsed ``smtp://`` / ``smtps://`` URL. ``password`` never shows in repr."""

    host: str
    port: int
    tls: Literal["starttls", "implicit", "none", "opportunistic"]
    username: str | None = None
    password: str | None = field(default=None, repr=False)
    cafile: str | None = None
    timeout: float = 60.0

    def describe(self) -> str:
        scheme = "smtps" if self.tls == "implicit" else "smtp"
        user = f"{self.username}@" if self.username else ""
        return f"{scheme}://{user}{self.host}:{self.port} ({TLS_WORDS[self.tls]})"


Tls = Literal["starttls", "implicit", "none", "opportunistic"]
# How a mail URL's TLS mode is shown (``SmtpSettings.describe``, ``ImapSettings.describe``).
TLS_WORDS: dict[str, str] = {
    "starttls": "STARTTLS required",
    "implicit": "TLS",
    "none": "no encryption",
    "opportunistic": "STARTTLS if offered (loopback)",
}


def split_mail_url(
    url: str,
    *,
    option: str,
    kind: str,
    schemes: tuple[str, ...],
    shown: str,
    example: str,
    password_env: str,
    default_port: int,
) -> tuple[SplitResult, int | None]:
    """The parts and port of an SMTP or IMAP URL. A URL that does not split, a scheme not in ``schemes``
    (named as ``shown`` in the error), a password in it or port 0 is an InputError: the rules both kinds
    share (``parse_smtp_url``, ``bounces.mailbox.parse_imap_url``). Errors never repeat the URL: it might
    hold a password someone pasted into it."""
    try:
        parts = urlsplit(url.strip())
        port = parts.port
    except ValueError:
        raise InputError(f"{option}: not a valid {kind} URL", hint=example) from None
    if parts.scheme not in schemes:
        raise InputError(f"{option}: the URL must start with {shown}", hint=example)
    if parts.password is not None:
        raise InputError(
            f"{option}: the URL must not contain a password",
            hint=f"remove it and set {password_env} in the environment, or let pressctl ask for it",
        )
    if port == 0:
        raise InputError(
            f"{option}: port 0 is not a port", hint=f"leave it out for the default, or give e.g. :{default_port}"
        )
    return parts, port


def url_query(parts: SplitResult, *, option: str, known: tuple[str, ...]) -> dict[str, str]:
    """A mail URL's query (the last value of each key); an unknown key is an InputError."""
    query = {k: v[-1] for k, v in parse_qs(parts.query).items()}
    unknown = set(query) - set(known)
    if unknown:
        raise InputError(f"{option}: unknown URL option {sorted(unknown)[0]!r}", hint="known: " + ", ".join(known))
    return query


def plain_scheme_tls(wanted: str, host: str, *, option: str) -> Tls:
    """The TLS mode of ``smtp://``/``imap://`` from its ``tls=`` value: ``none``, ``starttls``, or (unset)
    STARTTLS required, except on loopback where it is used if offered."""
    wanted = wanted.lower()
    if wanted not in ("", "none", "starttls"):
        raise InputError(f"{option}: tls={wanted} is not known", hint="use tls=starttls or tls=none")
    if wanted:
        return "none" if wanted == "none" else "starttls"
    # Plaintext is only acceptable without asking when the mail never leaves this machine.
    return "opportunistic" if is_loopback(host) else "starttls"


def url_timeout_and_cafile(query: dict[str, str], *, option: str) -> tuple[float, str | None]:
    """``timeout=S`` (a positive number of seconds, default 60) and ``cafile=PATH`` (an existing file)."""
    try:
        timeout = float(query.get("timeout", "60"))
    except ValueError:
        raise InputError(f"{option}: timeout must be a number of seconds") from None
    if not timeout > 0:
        raise InputError(f"{option}: timeout must be a positive number of seconds")
    cafile = query.get("cafile")
    if cafile is not None and not Path(cafile).is_file():
        raise InputError(f"{option}: cafile {cafile!r} does not exist", hint="give the path to a PEM file")
    return timeout, cafile


def is_loopback(host: str) -> bool:
    """Whether ``host`` is this machine (plaintext SMTP/IMAP is allowed only there)."""
    if host.lower() in ("localhost", "localhost.localdomain"):
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


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



# -- the sender: From, Reply-To and the URLs every message carries ------------------------------------------
_URL_OK = re.compile(r"[!-~]+")  # printable ASCII without space


@dataclass(frozen=True)
class SenderIdentity:
    """``[sender]`` (and ``--from``) checked: what every message's headers and links are made of."""

    from_name: str
    from_addr: str
    reply_to: tuple[str, str] | None  # (display name, address)
    unsubscribe_url: str
    unsubscribe_mailto: str  # with its mailto: scheme
    pdf_base_url: str
    pdf_mode: str  # attach | link | both


def sender_address(value: str, *, key: str, where: str | None) -> tuple[str, str]:
    """(display name, address) from a ``sender.from`` / ``reply_to`` value, or a ConfigError."""
    from email.headerregistry import AddressHeader
    from email.policy import SMTP

    hint = f'write e.g. {key} = "HVSP Press Office <press@hvsp.example>"'
    if has_unsafe(value):
        raise ConfigError(f"sender.{key} contains a line break or control character", where=where, hint=hint)
    try:
        header = SMTP.header_factory("Reply-To" if key == "reply_to" else "From", value)
        addresses = header.addresses if isinstance(header, AddressHeader) else ()
    except Exception:  # the parser raises assorted errors on odd input; all mean "not an address"
        addresses = ()
    if len(addresses) != 1 or not addresses[0].username or not addresses[0].domain:
        raise ConfigError(f"sender.{key} {value!r} is not one email address", where=where, hint=hint)
    found = addresses[0]
    try:
        addr, _ = check_address(f"{found.username}@{found.domain}")
    except ValueError as exc:
        raise ConfigError(f"sender.{key} {value!r}: {exc}", where=where, hint=hint) from None
    return found.display_name, addr


def _plain_url(value: str, *, key: str, where: str | None) -> str:
    if (value and not _URL_OK.fullmatch(value)) or any(c in value for c in "<>,\"'") or len(value) > 200:
        raise ConfigError(
            f"sender.{key} {value!r} is not a plain URL",
            where=where,
            hint="use ASCII without spaces, quotes, commas or angle brackets (percent-encode the rest)",
        )
    return value


def check_from_option(value: str) -> tuple[str, str]:
    """``--from ADDR`` checked as ``sender.from`` is; an InputError naming the option."""
    try:
        return sender_address(value, key="from", where=None)
    except ConfigError:
        raise InputError(
            f"--from {value!r} is not one email address",
            hint='write e.g. --from "HVSP Press Office <press@hvsp.example>"',
        ) from None


def check_sender(
    sender: Sender,
    *,
    where: str | None,
    from_addr: str | None = None,
    pdf_mode: str | None = None,
    newsroom: bool = False,
) -> SenderIdentity:
    """``[sender]`` checked as every message uses it; ``from_addr`` (``--from``) replaces sender.from and
    ``pdf_mode`` (``--pdf``) sender.pdf; ``newsroom``: ``[site] base_url`` is set, so a linked PDF has a home
    without pdf_base_url. A ConfigError (an InputError for ``--from``) for anything wrong."""
    mode = pdf_mode or sender.pdf
    if mode not in ("attach", "link", "both"):
        raise ConfigError(f"PDF mode must be attach, link or both, not {mode!r}", where=where)
    if from_addr:
        from_name, addr = check_from_option(from_addr)
    else:
        from_name, addr = sender_address(sender.from_addr, key="from", where=where)
    reply = sender_address(sender.reply_to, key="reply_to", where=where) if sender.reply_to else None
    pdf_base = _plain_url(sender.pdf_base_url, key="pdf_base_url", where=where)
    if mode in ("link", "both") and not pdf_base and not newsroom:
        raise ConfigError(
            f"sender.pdf is {mode!r} but sender.pdf_base_url is empty",
            where=where,
            hint='set pdf_base_url = "https://.../press/pdf/" where the PDFs are published, or use attach',
        )
    mailto = _plain_url(sender.unsubscribe_mailto, key="unsubscribe_mailto", where=where)
    if mailto and not mailto.lower().startswith("mailto:"):
        mailto = "mailto:" + mailto
    return SenderIdentity(
        from_name=from_name,
        from_addr=addr,
        reply_to=reply,
        unsubscribe_url=_plain_url(sender.unsubscribe_url, key="unsubscribe_url", where=where),
        unsubscribe_mailto=mailto,
        pdf_base_url=pdf_base,
        pdf_mode=mode,
    )


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
    "": (
        "organisation", "brand", "sender", "defaults", "email", "media_contacts", "smtp", "assets", "limits",
        "bounces", "site",
    ),
    "organisation": ("name", "website", "address", "footer", "about", "translations"),
    "brand": ("logo", "primary", "accent", "text", "font", "cjk_font"),
    "sender": (
        "from", "reply_to", "unsubscribe_url", "unsubscribe_mailto", "pdf", "pdf_base_url", "return_path",
        "internal_copies",
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
}
# Colours and font names go into CSS as they are: allow only what a colour or a family name can be.
_ORG_FIELDS = ("name", "website", "address", "footer", "about")
_CONTACT_FIELDS = ("name", "title", "organisation", "phone", "email")
_COLOUR = re.compile(r"^(?:#[0-9A-Fa-f]{3,8}|[A-Za-z]{3,30}|(?:rgb|rgba|hsl|hsla)\([0-9.,%\s/]+\))$")
_FONT = re.compile(r"^[\w .\-]+$")


def _unknown_key(name: str, key: str, known: tuple[str, ...], where: str) -> ConfigError:
    close = difflib.get_close_matches(str(key), known, n=1)
    return ConfigError(
        f"unknown key {name!r}",
        where=where,
        hint=f"did you mean {close[0]!r}?" if close else "known here: " + ", ".join(known),
    )


_TAGS = tuple(sorted({*LANGUAGES.values(), *(primary(t) for t in LANGUAGES.values())}))


def _tag(tag: object, section: str, where: str) -> str:
    """A language tag heading a translation table: one pressctl has words for, or its first part (en, zh)."""
    text = str(tag)
    if text.lower() not in {t.lower() for t in _TAGS}:
        close = difflib.get_close_matches(text, _TAGS, n=1)
        raise ConfigError(
            f"{section}.{text}: unknown language {text!r}",
            where=where,
            hint=(f"did you mean {close[0]!r}? " if close else "") + "known: " + ", ".join(_TAGS),
        )
    return text


def _translations(
    value: object, section: str, fields: tuple[str, ...], where: str
) -> tuple[tuple[str, tuple[tuple[str, str], ...]], ...]:
    """``[<section>.<tag>]`` tables of text fields, checked: known tags, known keys, text values."""
    if not isinstance(value, dict):
        raise ConfigError(
            f"{section} must be tables", where=where, hint=f"write [{section}.zh-HK] with the fields in Chinese"
        )
    out = []
    for tag, table in value.items():
        tag = _tag(tag, section, where)
        if not isinstance(table, dict):
            raise ConfigError(f"{section}.{tag} must be a table", where=where, hint=f"write [{section}.{tag}]")
        for key, text in table.items():
            if key not in fields:
                raise _unknown_key(f"{section}.{tag}.{key}", key, fields, where)
            if not isinstance(text, str):
                raise ConfigError(
                    f"{section}.{tag}.{key} must be text, not {type(text).__name__}",
                    where=where,
                    hint='put the value in quotes, e.g. key = "value"',
                )
        out.append((tag, tuple((k, str(v).strip()) for k, v in table.items() if str(v).strip())))
    return tuple(out)


def _greetings(email: dict[str, Any], source: str, where: str) -> EmailSettings:
    """``[email.greeting]``: a language tag to a greeting line; each remembers its line in the file (TOML
    parsers give none; a merge-field mistake in a greeting should point at it)."""
    table = email.get("greeting", {})
    if not isinstance(table, dict):
        raise ConfigError("email.greeting must be a table", where=where, hint='write [email.greeting] en = "Dear ..."')
    lines = source.splitlines()
    greetings = []
    for tag, text in table.items():
        tag = _tag(tag, "email.greeting", where)
        if not isinstance(text, str):
            raise ConfigError(
                f"email.greeting.{tag} must be text, not {type(text).__name__}",
                where=where,
                hint='write e.g. en = \'Dear {{ first_name or "editor" }},\'',
            )
        greetings.append(Greeting(tag=tag, text=text, line=_line_of(lines, "[email.greeting]", tag)))
    return EmailSettings(greetings=tuple(greetings))


def _line_of(lines: list[str], header: str, key: str) -> int:
    """The line of ``key = ...`` under ``header`` (1 when not found: inline tables, dotted keys)."""
    in_table = False
    for number, line in enumerate(lines, start=1):
        stripped = line.strip()
        if stripped.startswith("["):
            in_table = stripped.replace(" ", "") == header
            continue
        if in_table and stripped.partition("=")[0].strip().strip("'\"") == key:
            return number
    return 1


def _check_keys(data: dict[str, Any], where: str) -> None:
    for section, known in _KNOWN.items():
        table = data if not section else data.get(section)
        if not isinstance(table, dict):
            continue
        for key in table:
            if key not in known:
                raise _unknown_key(f"{section}.{key}" if section else str(key), key, known, where)


def _style(table: dict[str, Any], key: str, default: str, where: str, *, font: bool = False) -> str:
    value = _str(table, key, "brand", where, default).strip()
    if not (_FONT if font else _COLOUR).match(value):
        raise ConfigError(
            f"brand.{key} {value!r} is not a {'font family name' if font else 'colour'}",
            where=where,
            hint='write a family name such as "Noto Sans"' if font else 'write a colour such as "#0b5c74"',
        )
    return value


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
        if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= 10**12:
            raise ConfigError(
                f"limits.{key} must be a whole number from 1 to 10**12, not {value!r}",
                where=where,
                hint=f"write e.g. {key} = {getattr(DEFAULT_LIMITS, key)}",
            )
        values[key] = value
    return Limits(**values)


def _site(data: dict[str, Any], root: Path, where: str) -> SiteSettings | None:
    """``[site]``, or None when the table is absent. ``base_url`` must be a web address; the timeout positive."""
    if "site" not in data:
        return None
    table = _table(data, "site", where)
    folder = _str(table, "dir", "site", where, "site").strip() or "site"
    base_url = _str(table, "base_url", "site", where).strip()
    if base_url and (not base_url.lower().startswith(("https://", "http://")) or any(c in base_url for c in " <>\"'")):
        raise ConfigError(
            f"site.base_url {base_url!r} is not a web address",
            where=where,
            hint="write a full https:// URL, e.g. https://newsroom.hvsp.example/",
        )
    timeout = table.get("deploy_timeout", 60)
    if isinstance(timeout, bool) or not isinstance(timeout, int | float) or not 0 < timeout <= 86400:
        raise ConfigError(
            f"site.deploy_timeout must be a number of seconds above 0 and at most a day (86400), not {timeout!r}",
            where=where,
            hint="write e.g. deploy_timeout = 60",
        )
    return SiteSettings(
        dir=public_folder(root, folder, where),
        base_url=(base_url.rstrip("/") + "/") if base_url else "",
        deploy=_str(table, "deploy", "site", where).strip(),
        deploy_timeout=float(timeout),
        pass_env=env_names(table, "site", where),
    )


_RATE_TEXT = re.compile(r"^\d+(?:/(?:s|sec|min|m|h|hour))?$")
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

    profile = _str(smtp, "profile", section, where).strip().lower() or None
    rate = smtp.get("rate")
    if rate is not None:
        if isinstance(rate, int) and not isinstance(rate, bool):
            rate = str(rate)
        if not isinstance(rate, str) or not _RATE_TEXT.match(rate.strip().lower().replace(" ", "")):
            raise ConfigError(
                f"{section}.rate {rate!r} is not a rate", where=where, hint='write it as "N/s", "N/min" or "N/h", e.g. "30/min"'
            )
    auth = _str(smtp, "auth", section, where, "password").strip().lower()
    if auth not in ("password", "xoauth2"):
        raise ConfigError(
            f"{section}.auth {auth!r} is not known", where=where, hint='use "password" (the default) or "xoauth2"'
        )
    command = _str(smtp, "oauth_token_command", section, where).strip() or None
    helo = _str(smtp, "helo", section, where).strip() or None
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
                raise _unknown_key(f"{section}.{key}", key, _RELAY_KEYS, where)
        url = _str(table, "url", section, where).strip()
        if not url:
            raise ConfigError(f"{section} has no url", where=where, hint='add url = "smtp://user@host:587"')
        try:
            parse_smtp_url(url, option=f"{section}.url in pressctl.toml")
        except InputError as exc:
            raise ConfigError(exc.what, where=where, hint=exc.hint) from None
        own = _smtp_config(table, where, section)
        password_env = _str(table, "password_env", section, where).strip() or None
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
        source = path.read_text(encoding="utf-8")
        data = tomllib.loads(source)
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
    from pressctl.private import STATE_DIR_NAME, tighten_state_dir

    tighten_state_dir(root / STATE_DIR_NAME)  # a workspace made by an older pressctl: 0755 -> 0700

    _check_keys(data, where)
    check_text(data, "", where)
    org = _table(data, "organisation", where)
    brand = _table(data, "brand", where)
    sender = _table(data, "sender", where)
    defaults = _table(data, "defaults", where)
    smtp = _table(data, "smtp", where)

    assets_allow = _assets_allow(_table(data, "assets", where), root, where)
    limits = _limits(_table(data, "limits", where), where)
    site = _site(data, root, where)

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

    language = _str(defaults, "language", "defaults", where, "en")
    try:
        language = normalise_language(language, error=ConfigError)
    except ConfigError as exc:
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
                translated = list(_translations(value, "media_contacts.translations", _CONTACT_FIELDS, where))
                continue
            if key not in _CONTACT_FIELDS:
                raise _unknown_key(f"media_contacts.{key}", key, (*_CONTACT_FIELDS, "translations"), where)
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
        try:  # a wrong scheme (ftp://) must stop every command, dry runs included, not only a real send
            parse_smtp_url(smtp_url, option="[smtp] url in pressctl.toml")
        except InputError as exc:
            raise ConfigError(exc.what, where=where, hint=exc.hint) from None

    return_path = _return_path(_str(sender, "return_path", "sender", where).strip(), where)
    bounces = parse_bounces(_table(data, "bounces", where), root, where)  # pressctl.mailboxes
    smtp_config = _smtp_config(smtp, where)
    smtp_relays = _smtp_relays(smtp, where)
    if smtp_relays and smtp_url is not None:
        raise ConfigError(
            "[smtp] has both url and [[smtp.relays]]: pressctl would not know which to use",
            where=where,
            hint="move the url into its own [[smtp.relays]] table (or remove the relays)",
        )

    return Workspace(
        root=root,
        config_path=path,
        organisation=Organisation(
            name=_str(org, "name", "organisation", where, "pressctl"),
            website=_str(org, "website", "organisation", where),
            address=_str(org, "address", "organisation", where),
            footer=_str(org, "footer", "organisation", where),
            about=_str(org, "about", "organisation", where),
            translations=_translations(
                org.get("translations", {}), "organisation.translations", _ORG_FIELDS, where
            ),
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
            return_path=return_path,
            internal_copies=_internal_copies(sender.get("internal_copies", []), where),
        ),
        media_contacts=tuple(contacts),
        email=_greetings(_table(data, "email", where), source, where),
        timezone=tz,
        language=language,
        smtp_url=smtp_url,
        bounces=bounces,
        smtp=smtp_config,
        smtp_relays=smtp_relays,
        assets_allow=assets_allow,
        limits=limits,
        site=site,
    )


def _internal_copies(raw: object, where: str) -> tuple[str, ...]:
    """``[sender] internal_copies``: plain addresses (no display names), each checked like a recipient's."""
    hint = 'write e.g. internal_copies = ["chairman.office@hvsp.example"]'
    if not isinstance(raw, list) or not all(isinstance(v, str) for v in raw):
        raise ConfigError("sender.internal_copies must be a list of email addresses", where=where, hint=hint)
    found: list[str] = []
    for value in raw:
        try:
            if has_unsafe(value) or "<" in value:
                raise ValueError("only the address, no name or control characters")
            addr, _ = check_address(value.strip())
        except ValueError as exc:
            raise ConfigError(f"sender.internal_copies {value!r} is not an address: {exc}", where=where, hint=hint) from None
        found.append(addr)
    return tuple(found)


def _return_path(template: str, where: str) -> str:
    """``[sender] return_path``: a VERP template with ``{local}`` and ``{domain}`` and one ``@`` after them."""
    if not template:
        return ""
    local, at, domain = template.rpartition("@")
    if "{local}" not in local or "{domain}" not in local or not at or "." not in domain or "{" in domain:
        raise ConfigError(
            f"sender.return_path {template!r} is not a VERP address template",
            where=where,
            hint='write e.g. "bounces+{local}={domain}@hvsp.example" ({local} and {domain} before the @)',
        )
    if any(c in template for c in " <>\r\n\t\"(),;:"):
        raise ConfigError(f"sender.return_path {template!r} has characters an address cannot hold", where=where)
    return template


