"""A DKIM-Signature (RFC 6376, relaxed/relaxed; RSA-SHA256 or RFC 8463 Ed25519-SHA256) for a message's bytes.

Pure: bytes in, a header line out. The signature is the one dkimpy makes for the same message, headers and
time (``tests/test_dkim_sign.py`` compares them byte for byte), computed here with ``hashlib`` and the
``cryptography`` package because dkimpy's pure-Python RSA and regex canonicalisation cost ~11 ms for a 90 KB
message, about ten times what a whole send of one message costs (bench/RESULTS.md). The body's relaxed form is
the body itself when it has no run of blanks and no blank before a line end (base64 and quoted-printable
parts never do): :mod:`pressctl.dkim.canon`.
"""

from __future__ import annotations

import base64
import hashlib
import re
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ed25519, padding, rsa

from pressctl.dkim.canon import body_digest, relaxed_body, relaxed_header

__all__ = ["SIGNED_HEADERS", "DkimSigner"]

# The headers that matter to a reader and a filter, signed when present; From and Subject are signed once more
# than they occur ("oversigned"), so a second From or Subject added on the way breaks the signature.
SIGNED_HEADERS = (
    "from", "to", "cc", "subject", "date", "message-id", "reply-to", "in-reply-to", "references",
    "mime-version", "content-type", "content-transfer-encoding", "content-language",
    "list-unsubscribe", "list-unsubscribe-post", "list-id",
)
_OVERSIGNED = ("from", "subject")
_SIGNED = tuple(name.encode("ascii") for name in SIGNED_HEADERS)  # dicts keep this order
_SIGNED_SET = frozenset(_SIGNED)
_OVERSIGNED_KEYS = frozenset(name.encode("ascii") for name in _OVERSIGNED)

_STUFFED = re.compile(rb"\n\.\.")


def _headers(head: bytes) -> list[tuple[bytes, bytes]]:
    """(name, raw value with its folds) for each header field of ``head`` (no final blank line)."""
    found: list[tuple[bytes, bytes]] = []
    for line in head.split(b"\r\n"):
        if line[:1] in (b" ", b"\t") and found:
            name, value = found[-1]
            found[-1] = (name, value + b"\r\n" + line)
        elif line:
            name, _, value = line.partition(b":")
            found.append((name, value))
    return found


def _chosen(headers: Sequence[tuple[bytes, bytes]]) -> tuple[list[bytes], list[bytes]]:
    """The h= names and the canonical lines they sign, each instance taken from the bottom up (RFC 6376 5.4.2)."""
    by_name: dict[bytes, list[bytes]] = {}
    for name, value in headers:
        key = name.strip().lower()
        if key in _SIGNED_SET:
            by_name.setdefault(key, []).append(relaxed_header(name, value))
    names: list[bytes] = []
    lines: list[bytes] = []
    for key in _SIGNED:
        instances = by_name.get(key)
        if not instances:
            continue
        for line in reversed(instances):
            names.append(key)
            lines.append(line)
        if key in _OVERSIGNED_KEYS:
            names.append(key)  # signed as absent: one more added later fails the check
    return names, lines


@dataclass(frozen=True)
class DkimSigner:
    """Signs for ``domain`` with the key published at ``selector``. ``clock`` gives the t= time (seconds)."""

    domain: str
    selector: str
    key: rsa.RSAPrivateKey | ed25519.Ed25519PrivateKey = field(repr=False)
    clock: Callable[[], float] = time.time

    @property
    def algorithm(self) -> str:
        return "ed25519-sha256" if isinstance(self.key, ed25519.Ed25519PrivateKey) else "rsa-sha256"

    def header(self, data: bytes, *, stuffed: bool = False) -> bytes:
        """The ``DKIM-Signature:`` field (folded, ending CRLF) for the message ``data`` (CRLF line ends).
        ``stuffed``: ``data`` is in SMTP DATA form (leading dots doubled): signed as the message it carries."""
        head, sep, body = data.partition(b"\r\n\r\n")
        if not sep:
            head, body = data.removesuffix(b"\r\n"), b""
        if stuffed and (body.startswith(b"..") or _STUFFED.search(body)):
            body = body.replace(b"\r\n..", b"\r\n.")
            body = body[1:] if body.startswith(b"..") else body
        return self.header_for(head, hashlib.sha256(relaxed_body(body)).digest())

    def header_for(self, head: bytes, digest: bytes, *, t: int | None = None) -> bytes:
        """:meth:`header` for a message whose header block is ``head`` (no blank line after it) and whose
        relaxed body has this SHA-256 ``digest`` (a caller that canonicalised the body piece by piece).
        ``t``: the signature's time (default: the clock's now)."""
        body_hash = base64.b64encode(digest)
        names, lines = _chosen(_headers(head))
        value = (
            f" v=1; a={self.algorithm}; c=relaxed/relaxed; d={self.domain}; s={self.selector};\r\n"
            f" t={int(self.clock()) if t is None else t}; h={b':'.join(names).decode('ascii')};\r\n"
            f" bh={body_hash.decode('ascii')};\r\n b="
        ).encode("ascii")
        signed = b"".join(line + b"\r\n" for line in lines) + relaxed_header(b"DKIM-Signature", value)
        return b"DKIM-Signature:" + value + self._sign(signed) + b"\r\n"

    def header_for_pieces(
        self, head: bytes, pieces: Sequence[tuple[bytes, bool]], *, t: int | None = None
    ) -> bytes | None:
        """:meth:`header_for` with the body given as pieces (:func:`pressctl.dkim.canon.body_digest`); None
        when the pieces cannot be relaxed one by one (then sign the whole message with :meth:`header`)."""
        digest = body_digest(pieces)
        return None if digest is None else self.header_for(head, digest, t=t)

    def _sign(self, signed: bytes) -> bytes:
        if isinstance(self.key, ed25519.Ed25519PrivateKey):  # RFC 8463: Ed25519 over the SHA-256 digest
            signature = self.key.sign(hashlib.sha256(signed).digest())
        else:
            signature = self.key.sign(signed, padding.PKCS1v15(), hashes.SHA256())
        return base64.b64encode(signature)
