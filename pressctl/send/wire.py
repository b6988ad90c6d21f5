"""Message bytes in SMTP DATA form (CRLF line ends, leading dots doubled), made without regexes.

aiosmtplib prepares DATA with two regex passes over every message (~5 ms for a 320 KB message, FACTS.md);
these bytes-method versions give byte-for-byte the same result (``tests/test_send_transport.py``), and
:func:`wire_pieces` lets a message made of shared parts prepare those parts once per campaign.
"""

from __future__ import annotations

from collections.abc import Iterable

__all__ = ["WireData", "normalize_line_endings", "prepare_data", "wire_piece", "wire_pieces"]


class WireData(bytes):
    """Message bytes already in DATA form: CRLF line ends, a final CRLF, leading dots doubled.

    Made by :func:`prepare_data` while the sockets wait (the engine's producer), so the hand-over itself
    does no per-byte work; the DATA preparation below passes it through untouched.
    """


def prepare_data(data: bytes) -> WireData:
    """``data`` as aiosmtplib would put it on the wire (without the final ``.``)."""
    if type(data) is WireData:
        return data
    return WireData(_DotStuffing().sub(b"..", normalize_line_endings(data)))


def normalize_line_endings(message: bytes) -> bytes:
    """What aiosmtplib's ``normalize_message_line_endings`` returns, with bytes methods instead of a regex.

    Lone CR and lone LF become CRLF and the data ends with CRLF. Our messages are CRLF already, so three
    ``count`` calls usually prove there is nothing to do; the regex took ~60 % of a send's CPU (FACTS.md).
    """
    if type(message) is WireData:
        return message
    crlf = message.count(b"\r\n")
    if message.count(b"\n") != crlf or message.count(b"\r") != crlf:
        message = message.replace(b"\r\n", b"\n").replace(b"\r", b"\n").replace(b"\n", b"\r\n")
    if not message.endswith(b"\r\n"):
        message += b"\r\n"
    return message


class _DotStuffing:
    """Stands in for aiosmtplib's ``PERIOD_REGEX`` (``(?m)^\\.``): a dot starting a line gets doubled."""

    def sub(self, repl: bytes, message: bytes) -> bytes:
        if type(message) is WireData:
            return message  # already stuffed
        # (?m)^ matches at the start and after each LF (not after a lone CR): exactly these two cases.
        message = message.replace(b"\n.", b"\n" + repl)
        return repl + message[1:] if message.startswith(b".") else message


def wire_piece(piece: bytes) -> bytes | None:
    """``piece`` with leading dots doubled, if it is *canonical*: every line end CRLF, no lone CR or LF,
    and ending with CRLF (or empty). Else None.

    Why canonical pieces matter: joined, they stay canonical (each ends with a line end, so none can pair
    with its neighbour's CR or LF) and every line start of the join is a line start of one piece; so the
    wire form of the join is the join of the pieces' wire forms. Shared parts (the PDF, images, the HTML
    around the personal lines) are then prepared once instead of for every recipient.
    """
    if not piece:
        return piece
    crlf = piece.count(b"\r\n")
    if not piece.endswith(b"\r\n") or piece.count(b"\n") != crlf or piece.count(b"\r") != crlf:
        return None
    return _DotStuffing().sub(b"..", piece)


def wire_pieces(pieces: Iterable[bytes | None]) -> WireData | None:
    """The wire form of the message made of these pieces, each already through :func:`wire_piece`
    (None: a piece was not canonical, then so is the answer: prepare the whole message instead)."""
    parts: list[bytes] = []
    for piece in pieces:
        if piece is None:
            return None
        parts.append(piece)
    data = b"".join(parts)
    return WireData(data) if data else None  # canonical pieces end with CRLF, so the join does too
