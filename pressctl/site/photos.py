"""A release's photos on the newsroom: one file name each inside the release folder, a copy at web size and
the original byte for byte, and the sizes a download link shows. Pure (reads the photos)."""

from __future__ import annotations

import io
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from pressctl.release.load import Release
from pressctl.site import _reuse

__all__ = ["PHOTO_WEB_MAX_WIDTH", "PhotoFiles", "file_size", "photo_files", "photo_names"]

PHOTO_WEB_MAX_WIDTH = 1600  # pixels: shown at most ~800 CSS px wide, 2x for high-DPI screens


@dataclass(frozen=True)
class PhotoFiles:
    web: str  # path inside the release folder
    original: str
    web_image: _reuse.WebImage
    original_bytes: bytes
    original_size: tuple[int, int]
    original_type: str


def photo_names(releases: Sequence[Release]) -> dict[Path, tuple[str, str]]:
    """Each distinct photo once: (web path, original path) inside the release folder,
    ``photos/<name>-web.<ext>`` and ``photos/<name><suffix>`` (the original, byte for byte)."""
    out: dict[Path, tuple[str, str]] = {}
    taken: set[str] = set()
    for release in releases:
        for photo in release.photos:
            if photo.src in out:
                continue
            stem, suffix = photo.src.stem, photo.src.suffix.lower()
            stem = re.sub(r"[^A-Za-z0-9_-]+", "-", stem).strip("-").lower() or "photo"
            name, n = stem, 1
            while name in taken:
                n += 1
                name = f"{stem}-{n}"
            taken.add(name)
            # The web copy is JPEG unless the original is a PNG/GIF it keeps (see render.images.prepared_image).
            out[photo.src] = (f"photos/{name}-web", f"photos/{name}{suffix}")
    return out


def photo_files(releases: Sequence[Release]) -> dict[Path, PhotoFiles]:
    """The photos' bytes: the original, and a copy at most ``PHOTO_WEB_MAX_WIDTH`` wide."""
    from PIL import Image

    out: dict[Path, PhotoFiles] = {}
    for src, (web_stem, original) in photo_names(releases).items():
        web = _reuse.prepared_image(src, max_width=PHOTO_WEB_MAX_WIDTH)
        data = src.read_bytes()
        with Image.open(io.BytesIO(data)) as opened:
            size, kind = opened.size, (opened.format or src.suffix.lstrip(".")).upper()
        out[src] = PhotoFiles(
            web=f"{web_stem}.{web.ext}",
            original=original,
            web_image=web,
            original_bytes=data,
            original_size=size,
            original_type=kind,
        )
    return out


def file_size(n: int) -> str:
    if n >= 1024 * 1024:
        return f"{n / 1024 / 1024:.1f} MB"
    return f"{max(1, round(n / 1024))} KB"
