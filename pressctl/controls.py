"""Control, line-breaking and invisible characters: the one class pressctl watches, and one policy per use.

Pure. Two sets, together ``UNSAFE``:

* **Line breaks** (``LINE_BREAKS``): CR, LF, TAB, VT, FF, the separators FS/GS/RS, NEL (U+0085), LS (U+2028)
  and PS (U+2029) -- everything ``str.splitlines()`` splits on. Any of them could end a header line (or be
  shown as a new one). Where text is cleaned they become a **space**, so the words on either side stay apart.
* **Invisible** (``INVISIBLE``): every other C0 control, DEL and C1 control, the bidi marks, embeddings,
  overrides and isolates (U+061C, U+200E/U+200F, U+202A-U+202E, U+2066-U+2069), zero-width space (U+200B),
  a BOM (U+FEFF), the interlinear annotation characters (U+FFF9-U+FFFB) and lone surrogates (U+D800-U+DFFF,
  undecodable bytes smuggled through a lenient reader; they cannot be written as UTF-8). They hide or
  reorder text; where text is cleaned they are **deleted**. Zero-width joiners (U+200D) are not here:
  names and emoji need them.

The policies, one per use:

==========================  =====================================================================
``clean_cell``              a contact list's cell (contacts/): line breaks -> space, invisible
                            deleted, then runs of spaces -> one; ends trimmed (a cell with
                            nothing to clean is only trimmed).
``clean_merge_value``       a value merged into a Subject or a body (send/messages): line breaks ->
                            space, invisible deleted, ends trimmed; the value's own spacing is kept.
``clean_header_text``       text for one header line (Subject, display names, the subject prefix):
                            line breaks -> space, invisible deleted, every run of white space -> one
                            space, ends trimmed.
``has_unsafe``              refused outright where nothing may be changed silently: email addresses
                            (``addresses.check_address``) and ``sender.from``/``reply_to`` in
                            ``pressctl.toml`` (a ConfigError).
``printable``               shown, not changed, on a terminal: every character of ``UNSAFE`` but TAB
                            and LF as an escape (``\\x1b``, ``\\u202e``).
==========================  =====================================================================
"""

from __future__ import annotations

import re

__all__ = [
    "INVISIBLE",
    "LINE_BREAKS",
    "UNSAFE",
    "clean_cell",
    "clean_header_text",
    "clean_merge_value",
    "has_unsafe",
    "printable",
]

LINE_BREAKS = "\r\n\t\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029"
INVISIBLE = (
    "\x00-\x08\x0e-\x1b\x1f\x7f-\x84\x86-\x9f"  # the other C0 controls, DEL, the other C1 controls
    "\u061c\u200b\u200e\u200f\u202a-\u202e\u2066-\u2069"  # bidi marks/embeddings/overrides/isolates, ZWSP
    "\ufeff\ufff9-\ufffb"  # BOM, interlinear annotations
    "\ud800-\udfff"  # lone surrogates
)
UNSAFE = re.compile(f"[{LINE_BREAKS}{INVISIBLE}]")
_LINE_RE = re.compile(f"[{LINE_BREAKS}]")
_INVISIBLE_RE = re.compile(f"[{INVISIBLE}]")
_SPACE_RUNS = re.compile(" {2,}")
_WHITE_RUNS = re.compile(r"\s+")
_SHOWN = re.compile(f"[{LINE_BREAKS.replace(chr(9), '').replace(chr(10), '')}{INVISIBLE}]")


def has_unsafe(text: str) -> bool:
    """True if ``text`` holds a line break or an invisible character (see the module docstring)."""
    return UNSAFE.search(text) is not None


def _spaced(text: str) -> str:
    """Line breaks as spaces, invisible characters deleted; nothing else changes."""
    return _INVISIBLE_RE.sub("", _LINE_RE.sub(" ", text))


def clean_cell(value: str) -> str:
    """A contact list's cell: line breaks -> space, invisible deleted, runs of spaces -> one, trimmed.

    A cell with nothing to clean is only trimmed (its own double spaces stay, as they always did)."""
    if not UNSAFE.search(value):
        return value.strip()
    return _SPACE_RUNS.sub(" ", _spaced(value)).strip()


def clean_merge_value(value: object) -> str:
    """A merged value: line breaks -> space, invisible deleted, trimmed (empty means missing)."""
    text = str(value)
    return _spaced(text).strip() if UNSAFE.search(text) else text.strip()


def clean_header_text(value: str) -> str:
    """Text for one header line: line breaks -> space, invisible deleted, white space runs -> one, trimmed."""
    return _WHITE_RUNS.sub(" ", _spaced(value)).strip()


def _escape(match: re.Match[str]) -> str:
    code = ord(match.group(0))
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def printable(text: object) -> str:
    """``text`` for a terminal: unsafe characters but TAB and LF shown as escapes (``\\x1b``, ``\\u202e``)."""
    return _SHOWN.sub(_escape, str(text))
