"""Clean one contact's cells: column names, text values, display names and the address itself.

Pure functions. The rules, and why:

* **Text values** follow ``controls.clean_cell`` (the one home of the character classes): every control
  character (C0, DEL, C1 such as U+0085), the Unicode line and paragraph separators (U+2028/U+2029), bidi
  embeddings, overrides and isolates (U+202A-202E, U+2066-2069, U+200E/U+200F, U+061C), zero-width space,
  stray BOMs and lone surrogates go. Line breaks become a space, the rest vanish; runs of spaces collapse.
  So no cell can start a new header line or flip the direction of the text around it. Zero-width joiners
  stay: names and emoji need them.
* **Display names** (``Contact.name``) are stricter, as they go into the To header: besides the above,
  ``" < > \\`` are dropped. Other punctuation stays (``Fernandes, Zoë``): the message builder writes such a
  name as one quoted string (or RFC 2047 encoded-words), so a comma, semicolon or colon can never be read as
  a second recipient or a group. A "name" holding an ``@`` is no name (often the address pasted twice; a
  display name that looks like an address is a spoofing signal): it is dropped.
  Merge fields keep the plain cleaned text (they go into the body, HTML-escaped).
* **Addresses** are checked by hand before email-validator sees them (FACTS.md: ``parseaddr`` turns
  ``ok@x.test> NOTIFY=NEVER`` into ``<ok@x.test>``): any control character, space, ``< > , ; " ( ) [ ] \\ :``
  rejects the row outright, with a reason. A leading ``mailto:`` is removed and full-width ``＠``/``．``
  (typed with a Chinese input method) become ``@``/``.`` (``addresses.unwrap``). The domain goes to ASCII
  (IDNA 2008 / UTS 46 A-labels, by email-validator); the local part may stay UTF-8 (then sending needs
  SMTPUTF8). The result is a checked ``addresses.Address``. Domains under ``.test`` (RFC 6761, reserved
  for testing) are accepted so demos and tests work; other special-use names (``.local``,
  ``.invalid``, ``.localhost``, ``.onion``, ``.arpa``) and single-label domains are rejected.
* **Formula-like cells** (``=...``, or ``+ - @`` followed by something holding ``( | !``) are kept as the
  plain text they are (an email does not evaluate them) and reported as a warning: the list may have
  been tampered with, and a cell like that is dangerous if the list is opened in a spreadsheet again.
  ``+852 2123 4567``, ``-`` and ``@handle`` are ordinary values and are not flagged.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from collections.abc import Mapping

from pressctl.addresses import Address, AddressError, parse_address, unwrap
from pressctl.controls import clean_cell

__all__ = [
    "cell_address",
    "clean_address",
    "clean_name",
    "column_key",
    "display_name",
    "is_formula_like",
    "squash",
    "visible",
]

_SPACES = re.compile(" {2,}")


_NAME_DROP = re.compile(r'["<>\\]')
_NAME_MAX = 120


def clean_name(value: str) -> str:
    """A display name safe in any To header (see the module docstring); "" if none is usable."""
    name = clean_cell(value)
    if "@" in name or "\uff20" in name:
        return ""
    name = _SPACES.sub(" ", _NAME_DROP.sub("", name)).strip()
    return name[:_NAME_MAX].strip()


def _is_wide(text: str) -> bool:
    """All visible characters are East Asian wide (Chinese, Japanese, Korean script)."""
    chars = [c for c in text if not c.isspace()]
    return bool(chars) and all(unicodedata.east_asian_width(c) in ("W", "F") for c in chars)


# Column names a person might use, squashed (see ``squash``), to the key pressctl uses.
_COLUMN_ALIASES: dict[str, str] = {
    "email": "email",
    "emailaddress": "email",
    "mail": "email",
    "mailaddress": "email",
    "email1value": "email",  # Google Contacts export: "E-mail 1 - Value"
    "電郵": "email",
    "電郵地址": "email",
    "電子郵件": "email",
    "電子郵件地址": "email",
    "電子郵箱": "email",
    "name": "name",
    "fullname": "name",
    "displayname": "name",
    "姓名": "name",
    "firstname": "first_name",
    "givenname": "first_name",
    "forename": "first_name",
    "名": "first_name",
    "lastname": "last_name",
    "surname": "last_name",
    "familyname": "last_name",
    "姓": "last_name",
    "chinesename": "chinese_name",
    "namechinese": "chinese_name",
    "name(chinese)": "chinese_name",
    "namezh": "chinese_name",
    "中文姓名": "chinese_name",
    "中文名": "chinese_name",
    "中文名字": "chinese_name",
    "englishname": "english_name",
    "nameenglish": "english_name",
    "nameen": "english_name",
    "英文姓名": "english_name",
    "英文名": "english_name",
    "英文名字": "english_name",
    "language": "language",
    "lang": "language",
    "preferredlanguage": "language",
    "語言": "language",
}
_CAMEL = re.compile(r"(?<=[a-z0-9])(?=[A-Z])")
_NON_WORD = re.compile(r"[\W_]+")


def squash(name: str) -> str:
    """A column name for matching: case, spaces, hyphens and underscores ignored."""
    return re.sub(r"[\s_\-]+", "", clean_cell(name)).casefold()


def column_key(header: str) -> str:
    """The key a column's values get in ``Contact.fields``: ``"First Name"`` -> ``first_name``.

    Well-known columns get one spelling whatever the header says (``E-mail``, ``Email Address`` and
    ``Mail`` are all ``email``); others become lower-case words joined by ``_``. "" for an empty header.
    """
    known = _COLUMN_ALIASES.get(squash(header))
    if known:
        return known
    text = _CAMEL.sub("_", clean_cell(header))
    return _NON_WORD.sub("_", text).strip("_").lower()


def display_name(fields: Mapping[str, str]) -> str:
    """The name for the To header: the ``name`` column, else first + last name.

    Chinese (and other East Asian) names put the family name first without a space when both parts are
    written in wide characters: 黃 + 嘉明 -> 黃嘉明; otherwise "Amy Chan".
    """
    name = clean_name(fields.get("name", ""))
    if name:
        return name
    first = clean_name(fields.get("first_name", ""))
    last = clean_name(fields.get("last_name", ""))
    if first and last and _is_wide(first) and _is_wide(last):
        return clean_name(last + first)
    return clean_name(f"{first} {last}")


_FORMULA_RE = re.compile(r"^(=.|[+\-@].*[(|!])", re.S)


def is_formula_like(value: str) -> bool:
    """A cell a spreadsheet would run as a formula (see the module docstring for the rule)."""
    return bool(_FORMULA_RE.match(value.strip()))


_FORBIDDEN = {
    "<": "an angle bracket",
    ">": "an angle bracket",
    ",": "a comma (one cell must hold one address)",
    ";": "a semicolon (one cell must hold one address)",
    '"': "a double quote",
    "(": "a parenthesis",
    ")": "a parenthesis",
    "[": "a square bracket",
    "]": "a square bracket",
    "\\": "a backslash",
    ":": "a colon",
}


_PLAIN_ASCII = re.compile(r"^[A-Za-z0-9.!#$%&'*+/=?^_`{|}~@-]+$")


def _describe(ch: str) -> str | None:
    """Why ``ch`` cannot be in an address, or None if it may."""
    if ch in _FORBIDDEN:
        return _FORBIDDEN[ch]
    if ch in "\r\n" or ch in "\x85\u2028\u2029":
        return f"a line break (U+{ord(ch):04X})"
    category = unicodedata.category(ch)
    if category.startswith("C") or category in ("Zl", "Zp"):
        return f"a control character (U+{ord(ch):04X})"
    if category == "Zs":
        return "a space"
    return None


def clean_address(raw: str) -> str:
    """The address in ``raw`` ready for an envelope and a header, or AddressError with the reason."""
    return cell_address(raw).text


def cell_address(raw: str) -> Address:
    """The address in a cell (or an option) as a checked ``Address``, or AddressError with the reason.

    Syntax only; the domain is in ASCII (A-labels), lower-case. DNS checks are the caller's (cached). The
    result passed :func:`pressctl.addresses.parse_address` too: it is carried, never checked again.
    """
    text = unwrap(raw)
    if not text:
        raise AddressError("no email address")
    if "<" in text and ">" in text:
        raise AddressError('looks like "Name <address>": put only the address in the email column')
    if not _PLAIN_ASCII.match(text):  # the common case skips the per-character look
        for ch in text:
            reason = _describe(ch)
            if reason:
                raise AddressError(f"the address contains {reason}")
    if text.count("@") != 1:
        raise AddressError("an address needs exactly one @" if "@" in text else "not an email address (no @)")
    local, _, domain = text.partition("@")
    if len(local) <= 64 and _DOT_ATOM.fullmatch(local) and local.lower() not in _MAILBOX_NAMES:
        # The common case: email-validator's verdict on the domain is the same for every address at it (and
        # an ASCII dot-atom passes its local-part rules as it is), so it is asked once per domain: ~80 µs an
        # address otherwise, a quarter of a 3,000-row list's loading. Anything else, and every error, takes
        # the whole check below, so the reasons read exactly as before.
        ascii_domain = _domain_checked(domain)
        if ascii_domain is not None and len(local) + 1 + len(ascii_domain) <= 254:
            return parse_address(f"{local}@{ascii_domain}")
    return _validated(text)


# An ASCII dot-atom (RFC 5322 atext and dots; email-validator's own DOT_ATOM_TEXT).
_DOT_ATOM = re.compile(r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(?:\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*")
# The RFC 2142 role names email-validator lower-cases (its CASE_INSENSITIVE_MAILBOX_NAMES; a test holds them
# equal): such an address takes the whole check.
_MAILBOX_NAMES = frozenset((
    "info", "marketing", "sales", "support", "abuse", "noc", "security", "postmaster", "hostmaster", "usenet",
    "news", "webmaster", "www", "uucp", "ftp",
))


def _validated(text: str) -> Address:
    """``text`` (one @) through email-validator, syntax only."""
    import email_validator

    try:
        # test_environment=True only lets `.test` domains through (and skips DNS, done separately).
        result = email_validator.validate_email(
            text,
            check_deliverability=False,
            test_environment=True,
            allow_smtputf8=True,
            allow_quoted_local=False,
            allow_domain_literal=False,
            allow_display_name=False,
        )
    except email_validator.EmailNotValidError as exc:
        raise AddressError(str(exc).rstrip(".")) from None
    domain = result.ascii_domain
    if "." not in domain:
        raise AddressError("the part after the @-sign needs a period")
    return parse_address(f"{result.local_part}@{domain}")


@functools.lru_cache(maxsize=4096)
def _domain_checked(domain: str) -> str | None:
    """The domain in A-labels as :func:`_validated` makes it for an address at it; None when it refuses it."""
    try:
        return _validated(f"a@{domain}").domain
    except AddressError:
        return None


def visible(value: str, *, limit: int = 80) -> str:
    """A value for a report: control characters shown as escapes, long values cut."""
    shown = "".join(
        ch if _describe(ch) is None or ch in _FORBIDDEN or ch == " " else ch.encode("unicode_escape").decode()
        for ch in value
    )
    return shown if len(shown) <= limit else shown[: limit - 1] + "…"
