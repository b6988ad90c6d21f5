"""Header lines written by hand (the ``email`` package's folder costs ~0.1 ms per address): folding at
spaces before column 78, RFC 2047 encoded-words for non-ASCII text (never inside an address), display names
as atoms, one quoted-string or encoded-words. Values are cleaned first (``controls.clean_header_text``), so
nothing a contact wrote can start a header line. Pure.
"""

from __future__ import annotations

import base64
import re
from collections.abc import Sequence

from pressctl.controls import clean_header_text

__all__ = ["address_words", "encoded_words", "fold", "phrase_words", "text_words"]

_ATOMS = re.compile(r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~ -]+")  # a phrase of atoms: no quoting needed

_FOLD_AT = 78  # RFC 5322's "should"; the hard limit is 998
_EW_BYTES = 39  # UTF-8 bytes per encoded-word: 52 base64 chars, 64 with the =?utf-8?b?...?= frame


def encoded_words(text: str) -> list[str]:
    """RFC 2047 encoded-words (UTF-8, base64) for ``text``, split at character boundaries."""
    words: list[str] = []
    chunk = bytearray()
    for ch in text:
        b = ch.encode("utf-8")
        if len(chunk) + len(b) > _EW_BYTES:
            words.append("=?utf-8?b?" + base64.b64encode(chunk).decode("ascii") + "?=")
            chunk = bytearray()
        chunk += b
    if chunk:
        words.append("=?utf-8?b?" + base64.b64encode(chunk).decode("ascii") + "?=")
    return words


def text_words(text: str) -> list[str]:
    """Unstructured header text (a Subject) as foldable words; encoded-words when not plain ASCII."""
    text = clean_header_text(text)
    if not text:
        return []
    words = text.split(" ")
    if text.isascii() and "=?" not in text and max(len(w) for w in words) < 900:
        return words
    return encoded_words(text)


def phrase_words(name: str) -> list[str]:
    """A display name as words for an address header: atoms, one quoted-string, or encoded-words."""
    name = clean_header_text(name)
    if not name:
        return []
    if name.isascii() and "=?" not in name:
        if _ATOMS.fullmatch(name) and max(len(w) for w in name.split(" ")) < 70:
            return name.split(" ")
        quoted = '"' + name.replace("\\", "\\\\").replace('"', '\\"') + '"'
        if len(quoted) < 70:  # a quoted-string is not folded; longer names go as encoded-words
            return [quoted]
    return encoded_words(name)


def fold(name: str, words: Sequence[str]) -> bytes:
    """``Name: words`` folded at spaces before column 78; each continuation line starts with a space."""
    lines: list[str] = []
    line = name + ":"
    first = True
    for word in words:
        if not first and len(line) + 1 + len(word) > _FOLD_AT:
            lines.append(line)
            line = " " + word
        else:
            line += " " + word
        first = False
    lines.append(line)
    return ("\r\n".join(lines) + "\r\n").encode("utf-8")


def address_words(name: str, addr: str) -> list[str]:
    return [*phrase_words(name), f"<{addr}>"] if clean_header_text(name) else [addr]
