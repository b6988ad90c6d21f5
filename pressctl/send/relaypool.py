"""Several SMTP relays for one run (``--smtp`` repeated, or ``[[smtp.relays]]``)."""

from __future__ import annotations

from pressctl.errors import TransportError
from pressctl.model import OutgoingMessage
from pressctl.send.smtp import SmtpTransport
from pressctl.send.transport import Connection

__all__ = ["RelayPool"]


class RelayPool:
    """Several SMTP relays for one run (``--smtp`` repeated, or ``[[smtp.relays]]``): the engine gives each
    its own connections, pace and limits (see :mod:`pressctl.send.engine`). As a plain :class:`Transport`
    (``--test-to``) it opens a connection to the first relay that takes one."""

    is_local = False

    def __init__(self, relays: tuple[SmtpTransport, ...]) -> None:
        if len(relays) < 2:
            raise ValueError("a relay pool needs at least two relays")
        self.relays = relays
        self.description = f"{len(relays)} relays: " + "; ".join(r.description for r in relays)

    @property
    def takes_wire_data(self) -> bool:
        return all(r.takes_wire_data for r in self.relays)

    def prepare(self, message: OutgoingMessage) -> OutgoingMessage:
        return self.relays[0].prepare(message)

    async def open(self) -> Connection:
        error: TransportError | None = None
        for relay in self.relays:
            try:
                return await relay.open()
            except TransportError as exc:
                error = error or exc
        assert error is not None
        raise error
