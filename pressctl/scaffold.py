"""`pressctl init`: a new workspace with config, a sample release in two languages, a photo, a logo, contacts."""

from __future__ import annotations

import io
import math
import os
import random
import shutil
import tempfile
from pathlib import Path

from pressctl import resources
from pressctl.errors import InputError

__all__ = ["init_workspace", "make_logo_png", "make_photo_jpeg"]

_PHOTO = Path("releases/photos/test-bay.jpg")
_LOGO = Path("brand/logo.png")


def init_workspace(target: Path) -> list[Path]:
    """Create a workspace in ``target`` (which must not exist or be empty); return the files written.

    The workspace is assembled in a temporary folder beside ``target`` and moved into place in one
    rename, so a failure never leaves a half-made workspace behind.
    """
    target = Path(target)
    if target.exists():
        if not target.is_dir():
            raise InputError("exists and is not a folder", where=str(target), hint="Choose a new folder name")
        if any(target.iterdir()):
            raise InputError(
                "folder is not empty",
                where=str(target),
                hint="Choose a new or empty folder; pressctl init never overwrites files",
            )
    parent = target.resolve().parent
    try:
        parent.mkdir(parents=True, exist_ok=True)
        tmp = Path(tempfile.mkdtemp(prefix=f".{target.name}.", suffix=".pressctl-init", dir=parent))
    except OSError as exc:
        raise InputError(
            f"cannot create a folder here ({exc.strerror})", where=str(parent), hint="Check the path"
        ) from None
    try:
        _fill(tmp)
        if target.exists():
            # An empty folder (checked above), perhaps the shell's current one: keep it, move the
            # contents in (renames within one file system), so `pressctl init .` works.
            for child in sorted(tmp.iterdir()):
                os.replace(child, target / child.name)
            tmp.rmdir()
        else:
            os.replace(tmp, target)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return sorted(p for p in target.rglob("*") if p.is_file())


def _fill(root: Path) -> None:
    shutil.copytree(resources.templates_dir() / "workspace", root, dirs_exist_ok=True)
    (root / "contacts").mkdir(exist_ok=True)
    try:
        source = resources.contacts_dir()
    except FileNotFoundError:
        source = None
    if source is not None:
        for item in sorted(source.iterdir()):
            if item.is_file() and not item.name.startswith("."):
                shutil.copy2(item, root / "contacts" / item.name)
    (root / _PHOTO).parent.mkdir(parents=True, exist_ok=True)
    photo = make_photo_jpeg()
    (root / _PHOTO).write_bytes(photo)
    from pressctl.importer.sample import SAMPLES, sample_docx

    for sample in SAMPLES:  # the sample release as Word writes it, for `pressctl import`
        (root / "releases" / sample.name).write_bytes(sample_docx(sample, photo))
    (root / _LOGO).parent.mkdir(parents=True, exist_ok=True)
    (root / _LOGO).write_bytes(make_logo_png())


def make_photo_jpeg(*, width: int = 1200, height: int = 800, seed: int = 2030) -> bytes:
    """A small, pleasant, deterministic sample photo: a harbour at dusk with a test channel."""
    from PIL import Image, ImageDraw, ImageFilter

    rnd = random.Random(seed)
    img = Image.new("RGB", (width, height))
    draw = ImageDraw.Draw(img)
    horizon = int(height * 0.52)
    sky_top, sky_low = (22, 52, 96), (246, 164, 92)
    for y in range(horizon):
        t = (y / horizon) ** 1.4
        draw.line([(0, y), (width, y)], fill=_mix(sky_top, sky_low, t))
    # The sun, low over the hills.
    sx, sy, r = int(width * 0.68), int(horizon * 0.82), int(height * 0.07)
    draw.ellipse([sx - r, sy - r, sx + r, sy + r], fill=(255, 214, 140))
    # Two ranges of hills, the farther one lighter.
    for depth, colour in ((0.0, (96, 86, 120)), (1.0, (48, 50, 82))):
        base = horizon - 2
        points = [(0, base)]
        phase = rnd.random() * 6.28
        for x in range(0, width + 40, 40):
            h = (0.10 + 0.06 * depth) * height * (0.6 + 0.4 * math.sin(x / (180 + 90 * depth) + phase))
            h *= 0.55 + 0.45 * math.sin(x / 70 + phase * 2) ** 2
            points.append((x, int(base - h)))
        points.append((width, base))
        draw.polygon(points, fill=colour)
    # Towers on the far shore.
    for _ in range(14):
        x = rnd.randint(40, width - 80)
        w, h = rnd.randint(18, 46), rnd.randint(30, 120)
        draw.rectangle([x, horizon - h, x + w, horizon], fill=(38, 42, 70))
        for wy in range(horizon - h + 6, horizon - 4, 10):
            for wx in range(x + 4, x + w - 4, 8):
                if rnd.random() < 0.35:
                    draw.rectangle([wx, wy, wx + 3, wy + 4], fill=(255, 220, 150))
    # The sea with the sunset reflected in it.
    water_top, water_low = (70, 92, 130), (14, 36, 64)
    for y in range(horizon, height):
        t = (y - horizon) / (height - horizon)
        draw.line([(0, y), (width, y)], fill=_mix(water_top, water_low, t))
    for _ in range(900):
        y = rnd.randint(horizon + 2, height - 1)
        spread = 40 + (y - horizon) * 1.2
        x = int(sx + rnd.gauss(0, spread))
        length = rnd.randint(6, 28)
        draw.line([(x, y), (x + length, y)], fill=(250, 190, 120), width=1)
    # The concrete test channel running towards the viewer.
    draw.polygon(
        [
            (int(width * 0.30), horizon + 40),
            (int(width * 0.44), horizon + 40),
            (width * 0.62, height),
            (width * 0.06, height),
        ],
        fill=(150, 150, 146),
    )
    draw.polygon(
        [
            (int(width * 0.32), horizon + 46),
            (int(width * 0.42), horizon + 46),
            (width * 0.56, height),
            (width * 0.12, height),
        ],
        fill=(32, 88, 112),
    )
    for _ in range(220):
        y = rnd.randint(horizon + 50, height - 1)
        t = (y - horizon - 46) / (height - horizon - 46)
        left = width * (0.32 + (0.12 - 0.32) * t)
        right = width * (0.42 + (0.56 - 0.42) * t)
        fx0 = rnd.uniform(left, right - 10)
        draw.line([(fx0, y), (fx0 + rnd.randint(5, 18), y)], fill=(120, 170, 190))
    # Two figures in orange vests at the channel's edge, and the turbine they hold.
    for fx in (int(width * 0.47), int(width * 0.53)):
        fy = int(height * 0.70)
        draw.ellipse([fx - 11, fy - 60, fx + 11, fy - 38], fill=(40, 30, 30))
        draw.rectangle([fx - 16, fy - 38, fx + 16, fy + 10], fill=(242, 120, 40))
        draw.rectangle([fx - 14, fy + 10, fx + 14, fy + 60], fill=(40, 44, 60))
    draw.ellipse(
        [int(width * 0.485), int(height * 0.70), int(width * 0.515), int(height * 0.74)], fill=(220, 225, 230)
    )
    img = img.filter(ImageFilter.GaussianBlur(0.8))
    buf = io.BytesIO()
    img.save(buf, "JPEG", quality=80, optimize=True, progressive=True)
    return buf.getvalue()


def make_logo_png(*, name: str = "Harbourview Science Park", short: str = "HVSP") -> bytes:
    """A simple logo: a teal tile with waves, the short name and the full name beside it."""
    from PIL import Image, ImageDraw, ImageFont

    scale = 2  # drawn at twice the size shown, for sharp print
    w, h = 300 * scale, 80 * scale
    img = Image.new("RGBA", (w, h), (255, 255, 255, 0))
    draw = ImageDraw.Draw(img)
    tile = 80 * scale
    draw.rounded_rectangle([0, 0, tile - 1, tile - 1], radius=14 * scale, fill=(11, 92, 116, 255))
    for i, y in enumerate((44, 54, 64)):
        points = [
            (x, y * scale + 4 * scale * math.sin((x / scale) / 7 + i))
            for x in range(8 * scale, tile - 8 * scale)
        ]
        draw.line(points, fill=(255, 255, 255, 255 - 50 * i), width=3 * scale)
    draw.ellipse([52 * scale, 14 * scale, 66 * scale, 28 * scale], fill=(224, 122, 47, 255))
    big = ImageFont.load_default(size=30 * scale)
    small = ImageFont.load_default(size=13 * scale)
    draw.text((tile + 14 * scale, 10 * scale), short, font=big, fill=(11, 92, 116, 255))
    draw.text((tile + 14 * scale, 50 * scale), name, font=small, fill=(29, 29, 31, 255))
    buf = io.BytesIO()
    img.save(buf, "PNG", optimize=True)
    return buf.getvalue()


def _mix(a: tuple[int, int, int], b: tuple[int, int, int], t: float) -> tuple[int, int, int]:
    return (
        round(a[0] + (b[0] - a[0]) * t),
        round(a[1] + (b[1] - a[1]) * t),
        round(a[2] + (b[2] - a[2]) * t),
    )
