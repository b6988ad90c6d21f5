"""Files written whole or not at all: the one way pressctl replaces a file.

The bytes go to a temporary file beside the target (the same folder, so the rename stays in one
filesystem), are flushed to disk, get their permissions, and then a rename puts them in place: a reader sees
the old file or the new one, never half of either, and a crash leaves at most a stray ``.NAME.*.tmp`` file.
:func:`write_temp` is the first half, for a caller that renames several files together (the newsroom's
staged publish); :func:`write_atomic` is both halves for one file.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

__all__ = ["shared_mode", "write_atomic", "write_temp"]


def shared_mode() -> int:
    """The mode a new file would get from the umask (``0o644`` usually): for outputs people share."""
    mask = os.umask(0)
    os.umask(mask)
    return 0o666 & ~mask


def write_temp(target: Path, data: bytes, *, mode: int) -> Path:
    """``data`` in a new temporary file beside ``target``, flushed to disk, with ``mode``; the caller renames
    it over ``target`` (or removes it). Nothing is left behind when this fails."""
    fd, name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    tmp = Path(name)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.chmod(tmp, mode)  # mkstemp made it 0600
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return tmp


def write_atomic(path: Path, data: bytes, *, mode: int | None = None) -> None:
    """Replace ``path`` with ``data`` in one step; ``mode`` defaults to :func:`shared_mode` (``0o600`` for a
    private file)."""
    tmp = write_temp(path, data, mode=shared_mode() if mode is None else mode)
    try:
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
