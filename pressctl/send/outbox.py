"""The local outbox: a Maildir in the workspace, where messages go when no SMTP server is configured."""

from __future__ import annotations

import os
import socket
import time
from pathlib import Path

from pressctl.errors import TransportError
from pressctl.model import OutgoingMessage
from pressctl.relays.replies import Reply
from pressctl.send.transport import Connection, error_text

__all__ = ["OutboxTransport"]


class _OutboxConnection:
    usable = True
    profile = None

    def __init__(self, root: Path) -> None:
        self._root = root
        self._host = socket.gethostname().replace("/", "_").replace(":", "_")
        self._count = 0

    async def send(self, message: OutgoingMessage) -> Reply:
        # Maildir delivery: write under tmp/, flush to disk, then rename into new/ (atomic), so a reader
        # never sees half a message and a crash leaves at most a stray file in tmp/.
        self._count += 1
        now = time.time()
        name = f"{int(now)}.M{int(now * 1e6) % 1_000_000}P{os.getpid()}Q{self._count}.{self._host}"
        tmp = self._root / "tmp" / name
        try:
            with open(tmp, "wb") as fh:
                fh.write(message.data)
                fh.flush()
                os.fsync(fh.fileno())
            os.replace(tmp, self._root / "new" / name)
        except OSError as exc:
            return Reply(None, f"could not write to the outbox ({error_text(exc)})", error=error_text(exc))
        return Reply(250, f"saved as outbox/new/{name}")

    async def close(self) -> None:
        return None


class OutboxTransport:
    """A Maildir (``tmp/``, ``new/``, ``cur/``) in the workspace: nothing leaves this machine."""

    is_local = True

    def __init__(self, root: Path) -> None:
        self.root = Path(root)
        self.description = f"local outbox {self.root} (no SMTP server configured; nothing leaves this machine)"

    async def open(self) -> Connection:
        try:
            for sub in ("tmp", "new", "cur"):
                (self.root / sub).mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise TransportError(
                f"cannot create the outbox ({error_text(exc)})", where=str(self.root), hint="check permissions"
            ) from None
        return _OutboxConnection(self.root)
