"""Message bodies: CRLF text, the transfer encoding chosen per body, and the templates with merge tokens
that are filled per contact (quoted-printable is line-local, so only the lines with tokens are encoded per
contact). Pure.
"""

from __future__ import annotations

import binascii
import re
from collections.abc import Mapping

from pressctl.send.wire import wire_piece

__all__ = ["TOKEN_SPLIT", "Body", "Template", "choose_cte", "crlf", "encode_body"]

TOKEN_SPLIT = re.compile(r"(PCTLM\d{4}X)")


def crlf(text: str) -> str:
    text = text.replace("\r\n", "\n").replace("\r", "\n").replace("\n", "\r\n")
    return text if text.endswith("\r\n") else text + "\r\n"


def choose_cte(sample: str) -> str:
    """Quoted-printable for mostly-ASCII text (readable, no spam-score for base64 text); base64 for CJK."""
    raw = sample.encode("utf-8")
    non_ascii = len(raw) - len(sample.encode("ascii", "ignore"))  # bytes of non-ASCII characters
    return "quoted-printable" if len(raw) + 2 * non_ascii <= len(raw) * 4 // 3 else "base64"


def encode_body(text: str, cte: str) -> bytes:
    data = text.encode("utf-8")
    if cte == "base64":
        # One C call and slicing: ~25 % faster than base64.encodebytes' loop over 57-byte chunks.
        encoded = binascii.b2a_base64(data, newline=False)
        return b"\r\n".join([encoded[i : i + 76] for i in range(0, len(encoded), 76)]) + b"\r\n"
    # b2a_qp keeps the input's line ends when the first one is CRLF (the text always ends with one),
    # encodes '=' and trailing spaces, and soft-breaks lines at 76.
    return binascii.b2a_qp(data, istext=True)


class Template:
    """A text with merge tokens, split once so filling it is a join, not a regex scan."""

    __slots__ = ("parts", "tokens")

    def __init__(self, text: str) -> None:
        self.parts = TOKEN_SPLIT.split(text)  # literal, token, literal, ..., literal
        self.tokens = frozenset(self.parts[1::2])

    def fill(self, values: Mapping[str, str]) -> str:
        if not self.tokens:
            return self.parts[0]
        parts = self.parts[:]
        for i in range(1, len(parts), 2):
            parts[i] = values.get(parts[i], "")
        return "".join(parts)


class Body:
    """A text or HTML body with merge tokens and its transfer encoding, encoded as little as possible.

    Quoted-printable works line by line, so the lines without tokens are encoded once here and only the
    lines with tokens (the greeting, the unsubscribe link: a few hundred bytes) are encoded per contact;
    this makes the HTML body ~10x cheaper. Base64 (CJK bodies) is fast enough to encode whole.
    """

    __slots__ = ("_wire", "cte", "fixed", "pieces", "template")

    def __init__(self, text: str, cte: str) -> None:
        self.cte = cte
        self.template = Template(text)
        self.fixed = None if self.template.tokens else encode_body(text, cte)
        self.pieces: list[bytes | Template] = []
        if self.fixed is None and cte == "quoted-printable":
            lines = [line + "\r\n" for line in text.split("\r\n")[:-1]]  # text ends with CRLF
            group: list[str] = []
            personal = False
            for line in lines:
                has_token = "PCTLM" in line and bool(TOKEN_SPLIT.search(line))
                if group and has_token != personal:
                    self._close(group, personal)
                    group = []
                group.append(line)
                personal = has_token
            if group:
                self._close(group, personal)
        # The DATA form (pressctl.send.wire) of each piece every contact shares, made once, by the piece's id.
        shared = [self.fixed] if self.fixed is not None else [p for p in self.pieces if isinstance(p, bytes)]
        self._wire = {id(p): wire_piece(p) for p in shared}

    def _close(self, group: list[str], personal: bool) -> None:
        chunk = "".join(group)
        self.pieces.append(Template(chunk) if personal else encode_body(chunk, self.cte))

    def encode_parts(self, values: Mapping[str, str]) -> list[tuple[bytes, bool]]:
        """:meth:`encode` as whole-line pieces, each ``(bytes, shared)``: a shared piece is the same bytes
        object for every contact (a DKIM signer relaxes it once: :func:`pressctl.dkim.canon.body_digest`)."""
        if self.fixed is not None:
            return [(self.fixed, True)]
        if not self.pieces:
            return [(encode_body(self.template.fill(values), self.cte), False)]
        return [
            (p, True) if isinstance(p, bytes) else (encode_body(p.fill(values), self.cte), False) for p in self.pieces
        ]

    def wire_parts(self, parts: list[tuple[bytes, bool]]) -> list[bytes | None]:
        """The DATA form of :meth:`encode_parts`' pieces (:func:`pressctl.send.wire.wire_piece`; None for one
        that is not canonical): the shared ones as made once, so only the personal lines are scanned."""
        return [self._wire.get(id(p)) if shared else wire_piece(p) for p, shared in parts]

    def encode(self, values: Mapping[str, str]) -> bytes:
        """The whole body for these values: the join of :meth:`encode_parts`."""
        parts = self.encode_parts(values)
        return parts[0][0] if len(parts) == 1 else b"".join(p for p, _ in parts)
