"""Where bounces and replies are read from on this machine: a Maildir or an mbox file (IMAP:
:mod:`pressctl.bounces.imap`).

Every reader yields ``(source id, raw bytes)`` pairs, or ``(source id, Unreadable(reason))`` for a message
it will not read, and can move a handled message away (``move``):

* :class:`MaildirReader` (``--maildir DIR``): ``cur/`` and ``new/``, oldest name first. Files are never
  changed, renamed or flagged unless ``move`` is called (then into the Maildir++ subfolder ``.FOLDER``).
  Only regular files are opened: a FIFO, a device, a socket, or a link to anything outside the Maildir
  (``/etc/passwd``, ``/dev/zero``) is listed as unreadable, never opened; a file over ``max_bytes`` is
  never read. File names need not be UTF-8: the source id shows odd bytes as ``\\xNN``.
* :class:`MboxReader` (``--mbox FILE``): read-only (no moving; an mbox cannot lose one message safely while
  a mail client may be appending); a message over ``max_bytes`` is not read.

:func:`poll` is ``--watch`` for either: everything there now, then each new message as it appears.
"""

from __future__ import annotations

import os
import stat
import time
from collections.abc import Callable, Container, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from pressctl.errors import InputError
from pressctl.limits import DEFAULT_LIMITS, require_regular_file

__all__ = ["DEFAULT_MAX_BYTES", "MaildirReader", "MboxReader", "Message", "Reader", "Unreadable", "poll"]

DEFAULT_MAX_BYTES = DEFAULT_LIMITS.inbound_bytes


@dataclass(frozen=True)
class Unreadable:
    """A message a reader would not read, and why (``a named pipe (FIFO)``, ``31,457,280 bytes, over ...``)."""

    reason: str


Message = tuple[str, bytes | Unreadable]


class Reader(Protocol):
    """What ``pressctl bounces`` needs of a mailbox."""

    description: str

    def read(self) -> Iterator[Message]: ...

    def move(self, source_id: str, folder: str) -> None: ...


def _too_big(size: int, limit: int) -> Unreadable:
    return Unreadable(f"{size:,} bytes, over the limit (inbound_bytes = {limit} in [limits]); not read")


def _kind(mode: int) -> str:
    if stat.S_ISFIFO(mode):
        return "a named pipe (FIFO)"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device"
    if stat.S_ISSOCK(mode):
        return "a socket"
    return "not a regular file"


class MaildirReader:
    """``DIR/cur`` and ``DIR/new``; source ids are ``cur/NAME`` and ``new/NAME``."""

    def __init__(self, path: Path | str, *, option: str = "--maildir", max_bytes: int = DEFAULT_MAX_BYTES) -> None:
        self.path = Path(path)
        if not self.path.is_dir():
            raise InputError(f"{option} {self.path}: no such directory", hint="give the path to a Maildir")
        if not (self.path / "cur").is_dir() and not (self.path / "new").is_dir():
            raise InputError(
                f"{option} {self.path}: not a Maildir (it has neither cur/ nor new/)",
                hint="give the Maildir folder itself, the one holding cur/ and new/",
            )
        self.description = f"Maildir {self.path}"
        self.max_bytes = max_bytes
        self._root = os.path.realpath(self.path)
        self._names: dict[str, bytes] = {}  # source id -> the file's real name (any bytes)
        self.listed: set[str] = set()  # every source id the last read() found, read or skipped

    def read(self, *, skip: Container[str] = ()) -> Iterator[Message]:
        """Every message, oldest name first; those in ``skip`` (source ids already seen) are listed in
        :attr:`listed` but not read again (``poll`` re-reads a Maildir every interval)."""
        self._names = {}
        self.listed = set()
        for sub in ("cur", "new"):
            folder = os.fsencode(self.path / sub)
            if not os.path.isdir(folder):
                continue
            for name in sorted(os.listdir(folder)):
                if name.startswith(b"."):
                    continue
                sid = f"{sub}/{name.decode('utf-8', 'backslashreplace')}"
                self._names[sid] = name
                self.listed.add(sid)
                if sid in skip:
                    continue
                found = self._read_file(os.path.join(folder, name))
                if found is None:  # moved or deleted by a mail client meanwhile, or a folder
                    self.listed.discard(sid)
                    continue
                yield sid, found

    def _read_file(self, path: bytes) -> bytes | Unreadable | None:
        """The file's bytes; Unreadable for anything that is not a regular file inside the Maildir or is
        too big; None when it has gone."""
        try:
            info = os.lstat(path)
            if stat.S_ISLNK(info.st_mode):
                real = os.path.realpath(path)
                if os.path.commonpath([os.fsdecode(real), self._root]) != self._root:
                    return Unreadable("a link to a file outside the Maildir; not read")
                path, info = os.fsencode(real), os.stat(real)
        except FileNotFoundError:
            return None
        except OSError as exc:
            return Unreadable(f"cannot be read ({exc.strerror or type(exc).__name__})")
        if stat.S_ISDIR(info.st_mode):
            return None
        if not stat.S_ISREG(info.st_mode):
            return Unreadable(f"{_kind(info.st_mode)}, not a message file; not read")
        if info.st_size > self.max_bytes:
            return _too_big(info.st_size, self.max_bytes)
        try:
            # O_NONBLOCK and O_NOFOLLOW: if the file was swapped for a FIFO or a link since, no hang, no escape.
            fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_NOFOLLOW | os.O_CLOEXEC)
        except FileNotFoundError:
            return None
        except OSError as exc:
            return Unreadable(f"cannot be read ({exc.strerror or type(exc).__name__})")
        try:
            if not stat.S_ISREG(os.fstat(fd).st_mode):
                return Unreadable("not a regular file; not read")
            chunks: list[bytes] = []
            size = 0
            while size <= self.max_bytes and (chunk := os.read(fd, 1 << 20)):
                chunks.append(chunk)
                size += len(chunk)
        except OSError as exc:
            return Unreadable(f"cannot be read ({exc.strerror or type(exc).__name__})")
        finally:
            os.close(fd)
        return _too_big(size, self.max_bytes) if size > self.max_bytes else b"".join(chunks)

    def move(self, source_id: str, folder: str) -> None:
        """Into the Maildir++ subfolder ``.FOLDER`` (created), keeping the file name (and so its flags)."""
        sub, _, shown = source_id.partition("/")
        name = self._names.get(source_id, os.fsencode(shown))
        if sub not in ("cur", "new") or not name or b"/" in name or name.startswith(b"."):
            raise ValueError(f"not a source id of this Maildir: {source_id!r}")
        target = self.path / ("." + folder.strip("./").replace("/", "."))
        for part in ("cur", "new", "tmp"):
            (target / part).mkdir(parents=True, exist_ok=True)
        os.replace(os.path.join(os.fsencode(self.path / sub), name), os.path.join(os.fsencode(target / sub), name))


class MboxReader:
    """An mbox file, read only; source ids are ``mbox:N`` (the message's position, from 0)."""

    def __init__(self, path: Path | str, *, option: str = "--mbox", max_bytes: int = DEFAULT_MAX_BYTES) -> None:
        self.path = Path(path)
        if not self.path.exists():
            raise InputError(f"{option} {self.path}: no such file", hint="give the path to an mbox file")
        try:
            require_regular_file(self.path, what="mbox file")
            with self.path.open("rb") as f:
                head = f.read(5)
        except InputError as exc:
            raise InputError(f"{option} {self.path}: {exc.what}", hint=exc.hint) from None
        except OSError as exc:
            raise InputError(f"{option} {self.path}: cannot be read ({exc.strerror})") from None
        if head and head != b"From ":
            raise InputError(
                f"{option} {self.path}: not an mbox file (it does not start with a 'From ' line)",
                hint="for a Maildir use --maildir",
            )
        self.description = f"mbox {self.path}"
        self.max_bytes = max_bytes

    def read(self) -> Iterator[Message]:
        import mailbox

        box = mailbox.mbox(self.path, create=False)
        try:
            for n, key in enumerate(box.iterkeys()):
                with box.get_file(key) as fh:
                    data = fh.read(self.max_bytes + 1)
                yield f"mbox:{n}", _too_big(len(data), self.max_bytes) if len(data) > self.max_bytes else data
        finally:
            box.close()

    def move(self, source_id: str, folder: str) -> None:
        raise InputError("--move-to works with IMAP and Maildir, not with an mbox file")


def poll(
    reader: Reader,
    *,
    interval: float = 60.0,
    stop: Callable[[], bool] = lambda: False,
    sleep: Callable[[float], None] = time.sleep,
) -> Iterator[Message]:
    """``--watch`` for a Maildir or an mbox: everything there now, then each message that appears, by
    re-reading every ``interval`` seconds until ``stop()``. A message a mail client renames (new/ to cur/)
    comes again under its new id; the caller's "already handled" memory (by Message-ID) absorbs that."""
    seen: set[str] = set()
    while not stop():
        present: set[str] = set()
        for sid, raw in reader.read(skip=seen) if isinstance(reader, MaildirReader) else reader.read():
            present.add(sid)
            if sid in seen:
                continue
            seen.add(sid)
            yield sid, raw
            if stop():
                return
        if isinstance(reader, MaildirReader):
            present |= reader.listed  # the ones skipped as seen
        seen &= present  # forget what has gone, so the memory stays the size of the mailbox
        if stop():
            return
        sleep(interval)
