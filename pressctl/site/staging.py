"""Write a set of site files as one step: every file staged next to its place first, then renamed in.

A failure while staging (a full disk, a folder that cannot be written, a path that leads out of the site)
removes what was staged and the folders made for it: the site is as it was, and no folder is left that the
site state does not know. Renames in one filesystem do not fail for want of room, so once everything is
staged the new files go in one after another, in the order given (a release's pages before the index that
links to them). Unchanged files are left alone, so they keep their timestamps and a deploy by rsync or
``aws s3 sync`` sends only what changed.
"""

from __future__ import annotations

import contextlib
import errno
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from pressctl.atomic import shared_mode, write_temp
from pressctl.errors import InputError

__all__ = ["Staged", "inside", "stage"]


def inside(site_dir: Path, relative: str) -> Path:
    """The file ``relative`` inside the site folder; a path leading out of it (a damaged state) is refused."""
    root = site_dir.resolve()
    target = (root / relative).resolve()
    if target == root or root not in target.parents:
        raise InputError(
            f"the site state names a file outside the site folder: {relative!r}",
            where=str(site_dir),
            hint="check .pressctl/site.json",
        )
    return target


@dataclass
class Staged:
    """Files written under temporary names, waiting for :meth:`commit` (or :meth:`discard`)."""

    moves: list[tuple[Path, Path]] = field(default_factory=list)  # (temporary, target)
    created: list[Path] = field(default_factory=list)  # folders made for them, outermost first

    def commit(self) -> None:
        try:
            while self.moves:
                tmp, target = self.moves[0]
                os.replace(tmp, target)
                self.moves.pop(0)
        except OSError as exc:
            self.discard()
            raise InputError(
                f"cannot put the site's new files in place ({exc.strerror or exc}); some are new, some old",
                where=str(exc.filename or target),
                hint="run the same command again once the cause is fixed",
            ) from None

    def discard(self) -> None:
        for tmp, _ in self.moves:
            with contextlib.suppress(OSError):
                tmp.unlink()
        self.moves.clear()
        for folder in reversed(self.created):
            with contextlib.suppress(OSError):
                folder.rmdir()


def _make_dirs(folder: Path, staged: Staged) -> None:
    missing = []
    here = folder
    while not here.is_dir():
        missing.append(here)
        here = here.parent
    for path in reversed(missing):
        path.mkdir()
        staged.created.append(path)


def stage(site_dir: Path, files: Mapping[str, bytes]) -> Staged:
    """Stage ``files`` (relative path -> bytes) in ``site_dir``; any failure leaves the folder as it was."""
    staged = Staged()
    mode = shared_mode()
    try:
        if not site_dir.is_dir():
            _make_dirs(site_dir, staged)
        for relative, data in files.items():
            target = inside(site_dir, relative)
            if target.exists() and not target.is_file():
                raise IsADirectoryError(errno.EISDIR, "a folder (or another non-file) is in the way", str(target))
            if target.is_file() and target.stat().st_size == len(data) and target.read_bytes() == data:
                continue
            _make_dirs(target.parent, staged)
            staged.moves.append((write_temp(target, data, mode=mode), target))
    except OSError as exc:
        staged.discard()
        raise InputError(
            f"cannot write the site ({exc.strerror or exc}); nothing was changed",
            where=str(exc.filename or site_dir),
            hint="check the folder's permissions and free space, or set another [site] dir",
        ) from None
    except BaseException:
        staged.discard()
        raise
    return staged
