"""DKIM's relaxed canonicalisation (RFC 6376 3.4.2 and 3.4.4): pure bytes work, no key and no cryptography.

:mod:`pressctl.dkim.sign` hashes and signs what these give; a send that signs from pieces
(:func:`body_digest`) relaxes the pieces every message shares once. Kept apart from the
signature so that a send without a key never loads ``cryptography`` (~10 ms of every command's start).
"""

from __future__ import annotations

import functools
import hashlib
import re
from collections.abc import Sequence

__all__ = ["body_digest", "relaxed_body", "relaxed_header", "relaxed_lines"]

_WSP_RUN = re.compile(rb"[ \t]+")
# Literal searches through ``re``: 2-4x faster than ``bytes.find`` for these needles over base64 (measured).
_BLANK_EOL = re.compile(rb" \r\n")
_DIRTY: tuple[bytes | re.Pattern[bytes], ...] = (b"\t", re.compile(rb"  "), _BLANK_EOL)  # a tab: memchr


def _find(pattern: bytes | re.Pattern[bytes], body: bytes, start: int) -> int:
    if isinstance(pattern, bytes):
        return body.find(pattern, start)
    found = pattern.search(body, start)
    return -1 if found is None else found.start()


def relaxed_body(body: bytes) -> bytes:
    """The relaxed body (RFC 6376 3.4.4): blank runs one space, none before a line end, no empty lines at
    the end; an empty body stays empty. ``body`` has CRLF line ends."""
    body = _relax_lines(body).rstrip(b"\r\n")
    return body + b"\r\n" if body else b""


def relaxed_lines(piece: bytes) -> bytes:
    """Whole lines (CRLF line ends) relaxed as in a body, without the rule for empty lines at its end: the
    relaxed body of ``a + b`` (``a`` ending with CRLF) is ``relaxed_lines(a)`` + the relaxed body of ``b``
    whenever that one is not empty."""
    return _relax_lines(piece)


def _relax_lines(body: bytes) -> bytes:
    """Only the lines that hold a tab, two blanks or a blank before their end, rewritten (``body`` itself when
    none does): a regex substitution over a 300 KB body costs ~6 ms, and the base64 parts (most of it) never
    need it; one search per kind of blank finds the lines that do."""
    spans: list[tuple[int, int]] = []
    for pattern in _DIRTY:
        at = _find(pattern, body, 0)
        while at != -1:
            start = body.rfind(b"\n", 0, at) + 1
            end = body.find(b"\r\n", at + 1 if pattern is _BLANK_EOL else at)
            end = len(body) if end == -1 else end
            spans.append((start, end))
            at = _find(pattern, body, end)
    if body.endswith(b" "):
        spans.append((body.rfind(b"\n") + 1, len(body)))
    if not spans:
        return body
    pieces: list[bytes] = []
    done = 0
    for start, end in sorted(set(spans)):
        if start < done:  # the same line found by two patterns
            start = done
        pieces += [body[done:start], _WSP_RUN.sub(b" ", body[start:end]).rstrip(b" ")]
        done = max(done, end)
    pieces.append(body[done:])
    return b"".join(pieces)


@functools.lru_cache(maxsize=512)  # most fields (From, MIME, List-*) are the same in every message of a send
def relaxed_header(name: bytes, value: bytes) -> bytes:
    """``name:value`` relaxed (RFC 6376 3.4.2): the name in lower case, the value unfolded, blank runs one
    space, none at either end; without the line end."""
    unfolded = value.replace(b"\r\n", b"")
    return name.strip().lower() + b":" + _WSP_RUN.sub(b" ", unfolded).strip(b" \t")


def body_digest(pieces: Sequence[tuple[bytes, bool]]) -> bytes | None:
    """SHA-256 of the relaxed body made of ``pieces`` (each ``(bytes, shared)``, whole lines ending with
    CRLF, not dot-stuffed), as :meth:`pressctl.dkim.sign.DkimSigner.header` hashes their join. A shared piece
    (the same bytes object in every message of a language: the MIME parts around the personal text and HTML,
    the images, the PDF) is relaxed once and kept, so each message pays only for its personal pieces and the
    hash. None when the last piece relaxes to nothing (then the rule for empty lines at the end reaches into
    the pieces before it: relax the whole body instead)."""
    if not pieces:
        return None
    *rest, (last, last_shared) = pieces
    end = _kept_end(last) if last_shared else relaxed_body(last)
    if not end:
        return None
    relaxed = [_kept_lines(piece) if shared else relaxed_lines(piece) for piece, shared in rest]
    relaxed.append(end)
    # One update over the join, not one per piece: hashlib lets the GIL go for each call over 2 KB, and each
    # time it has to be taken back from the event loop's thread (a copy of the body costs less than that).
    return hashlib.sha256(b"".join(relaxed)).digest()


# Keyed by the shared pieces themselves: a bytes object keeps its hash once computed, and a lookup finds the
# same object by identity, so a hit costs no pass over the (up to ~0.5 MB) piece.
_kept_lines = functools.lru_cache(maxsize=64)(relaxed_lines)
_kept_end = functools.lru_cache(maxsize=16)(relaxed_body)
