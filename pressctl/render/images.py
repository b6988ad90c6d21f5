"""Images for the email and the PDF: pixel limits, resizing and re-encoding photos (Pillow), the logo on
white, ``file:`` URIs for print. Reads the image files."""

from __future__ import annotations

import base64
import io
import warnings
from dataclasses import dataclass
from pathlib import Path

from pressctl.errors import InputError
from pressctl.limits import DEFAULT_LIMITS, Limits, limit_error

__all__ = ["EMAIL_PHOTO_MAX_WIDTH", "PRINT_PHOTO_MAX_WIDTH", "PreparedImage", "check_pixels", "prepared_image", "print_image_uri"]


EMAIL_PHOTO_MAX_WIDTH = 1200  # pixels; shown at 560 px, so 2x for sharp high-DPI screens


@dataclass(frozen=True)
class PreparedImage:
    data: bytes
    subtype: str
    width: int
    height: int
    original: bool  # the file's own bytes, not re-encoded


_IMAGES: dict[tuple[str, int, int, bool, bool], PreparedImage] = {}


def check_pixels(path: Path, limits: Limits) -> None:
    """Refuse an image larger than ``limits.image_pixels`` from its header, before anything decodes it."""
    from PIL import Image

    Image.MAX_IMAGE_PIXELS = limits.image_pixels  # Pillow's own guard too, for WeasyPrint's decoding
    size: tuple[int, int] | None = None
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", Image.DecompressionBombWarning)
        try:
            with Image.open(path) as img:
                size = img.size
        except Image.DecompressionBombError:
            pass  # more than twice the limit
        except Exception:  # an unreadable image is reported where it is decoded
            return
    if size is None or size[0] * size[1] > limits.image_pixels:
        shown = f"{size[0]} x {size[1]} pixels" if size else f"more than {2 * limits.image_pixels} pixels"
        raise limit_error(f"the image is {shown}, too large", "image_pixels", limits.image_pixels, where=str(path))


def prepared_image(
    path: Path,
    *,
    max_width: int,
    photo_jpeg: bool = False,
    on_white: bool = False,
    limits: Limits = DEFAULT_LIMITS,
) -> PreparedImage:
    """The image at most ``max_width`` wide, as JPEG, PNG or GIF; made once per file version.

    ``photo_jpeg`` also turns an opaque PNG into JPEG (photos in print: a fraction of the size).
    ``on_white`` flattens transparency onto white: a mail app that darkens the email in dark mode darkens
    the header behind a transparent logo too, and its dark lettering vanished.
    """
    stat = path.stat()
    key = (str(path), stat.st_mtime_ns, max_width, photo_jpeg, on_white)
    cached = _IMAGES.get(key)
    if cached is not None:
        return cached
    from PIL import Image, UnidentifiedImageError

    check_pixels(path, limits)

    try:
        data = path.read_bytes()
    except OSError as exc:
        raise InputError(
            f"cannot read the image ({exc.strerror or type(exc).__name__})",
            where=str(path),
            hint="check that the file is readable",
        ) from None
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            opened = Image.open(io.BytesIO(data))
        with opened:
            opened.load()
            img: Image.Image = opened
            fmt = (opened.format or "").upper()
            width, height = img.size
            alpha = img.mode in ("RGBA", "LA", "P", "PA")
            keep = fmt in ("JPEG", "GIF") or (fmt == "PNG" and (alpha or not photo_jpeg))
            if on_white and alpha:
                rgba = img.convert("RGBA")
                img = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
                img.alpha_composite(rgba)
                img = img.convert("RGB")
                keep = False
            if width <= max_width and keep:
                result = PreparedImage(data, "jpeg" if fmt == "JPEG" else fmt.lower(), width, height, True)
            else:
                if width > max_width:
                    height = max(1, round(height * max_width / width))
                    width = max_width
                    img = img.resize((width, height), Image.Resampling.LANCZOS)
                buf = io.BytesIO()
                if alpha:  # a flattened logo stays PNG too: sharp edges on its lettering
                    img.save(buf, "PNG", optimize=True)
                    result = PreparedImage(buf.getvalue(), "png", width, height, False)
                else:
                    img.convert("RGB").save(buf, "JPEG", quality=85, optimize=True, progressive=True)
                    result = PreparedImage(buf.getvalue(), "jpeg", width, height, False)
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise limit_error("the image is too large", "image_pixels", limits.image_pixels, where=str(path)) from None
    except UnidentifiedImageError:
        # Pillow's message names an in-memory buffer ("<_io.BytesIO object at 0x...>"), which helps nobody.
        raise InputError("not a readable image", where=str(path), hint="use a JPEG or PNG file") from None
    except OSError as exc:
        raise InputError(
            f"not a readable image ({exc})", where=str(path), hint="use a JPEG or PNG file"
        ) from None
    _IMAGES[key] = result
    return result


PRINT_PHOTO_MAX_WIDTH = 2000  # pixels: the A4 text width (170 mm) at 300 dpi


def print_image_uri(path: Path, limits: Limits = DEFAULT_LIMITS) -> str:
    """The photo for the PDF: a print-size JPEG passes as it is (WeasyPrint embeds JPEG bytes
    unchanged); a huge or PNG photo is scaled to 300 dpi as JPEG (a 3600 px PNG otherwise makes a
    2 MB PDF in 1.4 s)."""
    img = prepared_image(path, max_width=PRINT_PHOTO_MAX_WIDTH, photo_jpeg=True, limits=limits)
    if img.original:
        return path.as_uri()
    return f"data:image/{img.subtype};base64," + base64.b64encode(img.data).decode("ascii")
