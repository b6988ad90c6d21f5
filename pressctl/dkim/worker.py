"""A process of its own that makes a send's DKIM signatures (``python -P -m pressctl.dkim.worker``).

Python runs one thread at a time: a signature made on a thread of the sending process (~0.5 ms of RSA-2048,
the body's SHA-256, the header lines) takes turns with the event loop that talks SMTP. In a child process it
runs on another core beside it. The send (:mod:`pressctl.send.signproc`) writes requests to the child's
standard input and reads the signatures from its standard output, in the same order.

The frames, both ways little-endian (one home: the encoders here are what the send writes, :func:`serve` what
the child reads):

* a request is one kind byte and a 4-byte length, then the payload:
  ``K`` the key (2-byte length and the domain, 2-byte length and the selector, the key's PKCS#8 DER: it
  passes through the pipe only, never the child's arguments or environment); ``P`` a piece every message of
  a language shares (4-byte index, the bytes), sent once and named by its index after that; ``S`` a message
  to sign (8-byte ``t=``, 4-byte length and the header block, then each body piece: ``0`` and a 4-byte
  index, or ``1``, a 4-byte length and the bytes of a personal piece).
* a reply is a 4-byte length and the ``DKIM-Signature:`` field (CRLF at its end); length 0 when the body
  cannot be signed piece by piece (the send then signs that message whole itself).

The child imports only :mod:`pressctl.dkim` and ``cryptography``; it ends when its standard input does.
"""

from __future__ import annotations

import os
import signal
import struct
import sys
from collections.abc import Callable, Sequence
from typing import BinaryIO

__all__ = ["encode_job", "encode_key", "encode_piece", "serve"]

NICE = 19  # measured: nice 0 and 10, or a session of its own, left the send 10-15 % slower (bench/RESULTS.md)
_TOP = struct.Struct("<cI")
_U16 = struct.Struct("<H")
_U32 = struct.Struct("<I")
_JOB = struct.Struct("<QI")
_SHARED = struct.Struct("<BI")


def encode_key(domain: str, selector: str, der: bytes) -> bytes:
    """The ``K`` frame: who signs, and the private key (PKCS#8 DER)."""
    d, s = domain.encode("ascii"), selector.encode("ascii")
    payload = b"".join((_U16.pack(len(d)), d, _U16.pack(len(s)), s, der))
    return _TOP.pack(b"K", len(payload)) + payload


def encode_piece(index: int, piece: bytes) -> bytes:
    """The ``P`` frame: shared piece number ``index``."""
    return b"".join((_TOP.pack(b"P", 4 + len(piece)), _U32.pack(index), piece))


def encode_job(t: int, head: bytes, parts: Sequence[int | bytes]) -> bytes:
    """The ``S`` frame: sign the message with header block ``head`` at time ``t``; ``parts`` are its body's
    pieces in order, an int for a shared piece already sent, bytes for a personal one."""
    out = [_JOB.pack(t, len(head)), head]
    for part in parts:
        if isinstance(part, int):
            out.append(_SHARED.pack(0, part))
        else:
            out += [_SHARED.pack(1, len(part)), part]
    payload = b"".join(out)
    return _TOP.pack(b"S", len(payload)) + payload


def _decode_job(payload: bytes, shared: Sequence[bytes]) -> tuple[int, bytes, tuple[tuple[bytes, bool], ...]]:
    t, size = _JOB.unpack_from(payload)
    at = _JOB.size
    head = payload[at : at + size]
    at += size
    pieces: list[tuple[bytes, bool]] = []
    end = len(payload)
    while at < end:
        tag, value = _SHARED.unpack_from(payload, at)
        at += _SHARED.size
        if tag == 0:
            pieces.append((shared[value], True))  # the same object every time: relaxed once (body_digest)
        else:
            pieces.append((payload[at : at + value], False))
            at += value
    return t, head, tuple(pieces)


def serve(read: Callable[[int], bytes], out: BinaryIO) -> None:
    """Answer every ``S`` request read from ``read`` on ``out``, until the input ends."""
    from cryptography.hazmat.primitives.asymmetric import ed25519, rsa
    from cryptography.hazmat.primitives.serialization import load_der_private_key

    from pressctl.dkim.sign import DkimSigner

    signer: DkimSigner | None = None
    shared: list[bytes] = []
    while True:
        top = read(_TOP.size)
        if len(top) < _TOP.size:
            return
        kind, size = _TOP.unpack(top)
        payload = read(size)
        if len(payload) < size:
            return
        if kind == b"S":
            if signer is None:
                raise ValueError("a message to sign before the key")
            t, head, pieces = _decode_job(payload, shared)
            header = signer.header_for_pieces(head, pieces, t=t) or b""
            out.write(_U32.pack(len(header)) + header)
            out.flush()
        elif kind == b"P":
            (index,) = _U32.unpack_from(payload)
            shared.extend([b""] * (index + 1 - len(shared)))
            shared[index] = payload[_U32.size :]
        elif kind == b"K":
            (n,) = _U16.unpack_from(payload)
            domain = payload[2 : 2 + n].decode("ascii")
            (m,) = _U16.unpack_from(payload, 2 + n)
            selector = payload[4 + n : 4 + n + m].decode("ascii")
            key = load_der_private_key(payload[4 + n + m :], password=None)
            if not isinstance(key, rsa.RSAPrivateKey | ed25519.Ed25519PrivateKey):
                raise ValueError("not a DKIM key")
            signer = DkimSigner(domain=domain, selector=selector, key=key)
        else:
            raise ValueError(f"unknown frame {kind!r}")


def main() -> int:
    # The send's own thread comes first: this child signs with what the cores have left (the same session,
    # so the scheduler weighs the two together: pressctl.children.spawn_worker), and the producer keeps
    # it DEPTH messages ahead so that it always has work when they do.
    os.nice(NICE)
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # a Ctrl-C is the send's to handle; this ends with its input
    try:
        serve(sys.stdin.buffer.read, sys.stdout.buffer)
    except BrokenPipeError:
        return 0
    except Exception as exc:  # the send signs on by itself; only the kind of fault is told
        sys.stderr.write(f"pressctl's signing process stopped: {type(exc).__name__}\n")
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
