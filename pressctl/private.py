"""Files and folders only their owner may read: the workspace's ``.pressctl/`` (0700) and what it holds.

``.pressctl/`` keeps the ledger (every journalist's address and fate), the unsubscribe secret, the
preview tokens and the scheduled jobs' snapshots of releases still under embargo: nobody else on the
machine has any business there, whatever the umask. A workspace made by an older pressctl (0755, a 0644
ledger) is tightened when it is next opened.
"""

from __future__ import annotations

import contextlib
import os
from pathlib import Path

__all__ = ["STATE_DIR_NAME", "private_dir", "private_file", "private_write", "tighten_state_dir"]

STATE_DIR_NAME = ".pressctl"


def private_dir(path: Path) -> None:
    """Make ``path`` (and any missing parents) a folder only its owner can enter: 0700."""
    missing: list[Path] = []
    here = path
    while not here.is_dir():
        missing.append(here)
        here = here.parent
    for folder in reversed(missing):
        folder.mkdir(mode=0o700, exist_ok=True)
        os.chmod(folder, 0o700)
    if path.stat().st_mode & 0o777 != 0o700:
        os.chmod(path, 0o700)


def private_write(path: Path, data: bytes) -> None:
    """Write ``data`` to a new file only its owner can read: 0600 (never the source's mode or the umask's)."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as fh:
        os.fchmod(fh.fileno(), 0o600)
        fh.write(data)


def tighten_state_dir(folder: Path) -> None:
    """``.pressctl/`` made 0700 if it exists and is open to others (a file of someone else's: left alone)."""
    with contextlib.suppress(OSError):
        if folder.is_dir() and not folder.is_symlink() and folder.stat().st_mode & 0o077:
            os.chmod(folder, 0o700)


def private_file(path: Path) -> None:
    """Make the file ``path`` 0600, creating it empty if needed (a new SQLite file starts empty), and its
    SQLite companions (``-wal``, ``-shm``, ``-journal``) too; its folder 0700 when it is ``.pressctl/``.
    Done before SQLite opens it, so the database is never readable by others, not even for a moment."""
    if path.parent.name == STATE_DIR_NAME:
        private_dir(path.parent)
    else:
        path.parent.mkdir(parents=True, exist_ok=True)
    if not path.exists():
        with contextlib.suppress(FileExistsError):
            os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
    for each in (path, *(path.with_name(path.name + suffix) for suffix in ("-wal", "-shm", "-journal"))):
        with contextlib.suppress(OSError):
            if each.is_file() and each.stat().st_mode & 0o077:
                os.chmod(each, 0o600)
