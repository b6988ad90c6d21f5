"""DKIM-signing a built message, the one step the send takes for it (``[sender] dkim_key_file``).

:func:`signer_for` reads the workspace's key once per message builder; :func:`signed` puts the
DKIM-Signature field on top of one message, in DATA form when the message already is (the dots a line
starts with are doubled there: the signature covers the message they carry). :func:`body_digest` hashes a
body given as pieces, relaxing the pieces every message of a language shares only once.
"""

from __future__ import annotations

import dataclasses
import functools
import hashlib
from collections.abc import Sequence
from typing import TYPE_CHECKING

from pressctl.config import Workspace
from pressctl.dkim.canon import relaxed_body, relaxed_lines
from pressctl.dkim.keys import signing_key
from pressctl.model import OutgoingMessage
from pressctl.send.wire import WireData

if TYPE_CHECKING:
    from pressctl.dkim.sign import DkimSigner

__all__ = ["body_digest", "signed", "signer_for"]


def signer_for(workspace: Workspace, domain: str) -> DkimSigner | None:
    """The signer for messages From ``domain`` (d=, so DKIM aligns with DMARC), or None when pressctl does
    not sign. A key that cannot be used is a ConfigError line, before anything is sent."""
    key = signing_key(workspace)
    if key is None:
        return None
    from pressctl.dkim.sign import DkimSigner  # (cryptography: only for a send that signs)

    return DkimSigner(domain=domain, selector=key.selector, key=key.key)


def signed(signer: DkimSigner | None, message: OutgoingMessage) -> OutgoingMessage:
    """``message`` with its DKIM-Signature (unchanged without a signer)."""
    if signer is None:
        return message
    data = message.data
    if type(data) is WireData:
        return dataclasses.replace(message, data=WireData(signer.header(data, stuffed=True) + data))
    return dataclasses.replace(message, data=signer.header(data) + data)


def body_digest(pieces: Sequence[tuple[bytes, bool]]) -> bytes | None:
    """SHA-256 of the relaxed body made of ``pieces`` (each ``(bytes, shared)``, whole lines ending with
    CRLF, not dot-stuffed), as :meth:`DkimSigner.header` hashes their join. A shared piece (the same bytes
    object in every message of a language: the MIME parts around the personal text and HTML, the images,
    the PDF) is relaxed once and kept, so each message pays only for its personal pieces and the hash.
    None when the last piece relaxes to nothing (then the rule for empty lines at the end reaches into
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
