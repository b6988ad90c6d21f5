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
``clean_text``              a text file's characters (a release: front matter and body): TAB and LF
                            stay, other line breaks -> space, invisible deleted, nothing else moves,
                            so line numbers stay; ``unsafe_in_text`` finds what it changes, and
                            ``describe`` names a character for a warning.
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
    "clean_text",
    "describe",
    "has_unsafe",
    "printable",
    "unsafe_in_text",
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
_IN_TEXT = re.compile(f"[{LINE_BREAKS.replace(chr(9), '').replace(chr(10), '')}{INVISIBLE}]")
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


def unsafe_in_text(text: str) -> list[tuple[int, str]]:
    """(index, character) of each character ``clean_text`` changes: ``UNSAFE`` but TAB and LF."""
    return [(m.start(), m.group(0)) for m in _IN_TEXT.finditer(text)]


def clean_text(text: str) -> str:
    """A text file's characters: TAB and LF kept, other line breaks -> space, invisible deleted.

    Nothing else changes (no trimming, no runs folded), so every line keeps its number. A vertical tab is
    what Word pastes for Shift+Enter: a line break inside a paragraph, read as a space."""
    if not _IN_TEXT.search(text):
        return text
    return _INVISIBLE_RE.sub("", _IN_TEXT.sub(lambda m: " " if m.group(0) in LINE_BREAKS else m.group(0), text))


_NAMES = {
    "\r": "a carriage return",
    "\x0b": "a vertical tab (Word's Shift+Enter)",
    "\x0c": "a form feed (a page break)",
    "\x1c": "a file separator",
    "\x1d": "a group separator",
    "\x1e": "a record separator",
    "\x85": "a next-line character",
    "\u2028": "a line separator",
    "\u2029": "a paragraph separator",
    "\x00": "a NUL character",
    "\x1b": "an escape character",
    "\x7f": "a delete character",
    "\u200b": "a zero-width space",
    "\ufeff": "a byte order mark",
    "\u061c": "an Arabic letter mark",
    "\u200e": "a left-to-right mark",
    "\u200f": "a right-to-left mark",
}


def describe(char: str) -> str:
    """A character of ``UNSAFE`` in words, with its code: ``a vertical tab (Word's Shift+Enter) U+000B``."""
    code = ord(char)
    if char in _NAMES:
        name = _NAMES[char]
    elif 0x202A <= code <= 0x202E or 0x2066 <= code <= 0x2069:
        name = "a text-direction override"
    elif 0xD800 <= code <= 0xDFFF:
        name = "an undecodable byte"
    elif 0xFFF9 <= code <= 0xFFFB:
        name = "an annotation character"
    else:
        name = "a control character"
    return f"{name} U+{code:04X}"
