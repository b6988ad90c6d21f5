"""File hashing, one way for everyone: ``hashlib.file_digest`` (the schedule's snapshot checks, the campaign
fingerprint and the PDF cache key). Reads the files it is given; nothing else."""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from hashlib import _Hash

__all__ = ["bytes_sha256", "feed_file", "file_sha256"]


def feed_file(digest: _Hash, path: Path) -> None:
    """Add the bytes of ``path`` to ``digest`` (as ``digest.update`` would, without holding the file in memory).

    Raises OSError when the file cannot be read; callers decide what that means.
    """
    with open(path, "rb") as fh:
        hashlib.file_digest(fh, lambda: digest)


def file_sha256(path: Path) -> str:
    """The SHA-256 of the file's bytes, as hex."""
    with open(path, "rb") as fh:
        return hashlib.file_digest(fh, "sha256").hexdigest()


def bytes_sha256(data: bytes) -> str:
    """The SHA-256 of bytes already read (a snapshot hashes exactly what it copied), as hex."""
    return hashlib.sha256(data).hexdigest()
