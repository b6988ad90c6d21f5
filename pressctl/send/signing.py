"""DKIM-signing a built message, the one step the send takes for it (``[sender] dkim_key_file``).

:func:`signer_for` reads the workspace's key once per message builder; :func:`signed` puts the
DKIM-Signature field on top of one message, in DATA form when the message already is (the dots a line
starts with are doubled there: the signature covers the message they carry). A body given as pieces is
hashed by :func:`pressctl.dkim.canon.body_digest`; many messages are signed in a process of their own
(:mod:`pressctl.send.signproc`).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from typing import TYPE_CHECKING

from pressctl.config import Workspace
from pressctl.dkim.keys import signing_key
from pressctl.model import OutgoingMessage
from pressctl.send.wire import WireData

if TYPE_CHECKING:
    from pressctl.dkim.sign import DkimSigner

__all__ = ["signed", "signed_from", "signer_for", "with_signature"]


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
    return with_signature(message, signer.header(data, stuffed=type(data) is WireData))


def signed_from(
    signer: DkimSigner, message: OutgoingMessage, job: tuple[bytes, Sequence[tuple[bytes, bool]]] | None, *,
    t: int | None = None,
) -> OutgoingMessage:
    """``message`` signed from the header block and body pieces its builder left (``job``:
    :meth:`pressctl.send.messages.MessageFactory.signing_job`), or whole when there are none or they cannot
    be relaxed one by one. ``t``: the signature's time (default: the signer's clock)."""
    header = None if job is None else signer.header_for_pieces(*job, t=t)
    return signed(signer, message) if header is None else with_signature(message, header)


def with_signature(message: OutgoingMessage, header: bytes) -> OutgoingMessage:
    """``message`` with the ``DKIM-Signature`` field ``header`` on top (still in DATA form when it was)."""
    data = message.data
    return dataclasses.replace(message, data=WireData(header + data) if type(data) is WireData else header + data)
