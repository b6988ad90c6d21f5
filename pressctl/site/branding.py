"""The newsroom's shared files: ``assets/site.css`` in the brand's colours, the logo and a square icon; the
brand and logo values the page templates use. Pure (reads the logo)."""

from __future__ import annotations

import io
from typing import Any

from pressctl.config import Workspace
from pressctl.render.colour import text_on
from pressctl.site import _reuse
from pressctl.site.pages import ASSETS, SiteFiles

__all__ = ["ICON", "brand_context", "logo_context", "logo_file", "render_assets"]

LOGO_MAX_WIDTH = 600


def logo_file(workspace: Workspace) -> tuple[str, _reuse.WebImage] | None:
    if workspace.brand.logo is None:
        return None
    img = _reuse.prepared_image(workspace.brand.logo, max_width=LOGO_MAX_WIDTH, photo=False, on_white=True)
    return f"{ASSETS}logo.{img.ext}", img


def brand_context(workspace: Workspace) -> dict[str, Any]:
    brand = workspace.brand
    return {
        "brand": brand,
        "on_primary": text_on(brand.primary, brand.text),
        "on_accent": text_on(brand.accent, brand.text),
    }


ICON = f"{ASSETS}icon.png"
ICON_SIZE = 192


def _icon(workspace: Workspace) -> bytes:
    """A square icon for browser tabs and home screens: the logo centred on white, or a brand-colour tile.

    Without an icon link a browser asks for ``/favicon.ico``, a 404 on every visit.
    """
    from PIL import Image, ImageColor

    if workspace.brand.logo is not None:
        logo = _reuse.prepared_image(workspace.brand.logo, max_width=LOGO_MAX_WIDTH, photo=False, on_white=True)
        with Image.open(io.BytesIO(logo.data)) as opened:
            mark = opened.convert("RGB")
        mark.thumbnail((ICON_SIZE - 16, ICON_SIZE - 16), Image.Resampling.LANCZOS)
        tile = Image.new("RGB", (ICON_SIZE, ICON_SIZE), (255, 255, 255))
        tile.paste(mark, ((ICON_SIZE - mark.width) // 2, (ICON_SIZE - mark.height) // 2))
    else:
        try:
            colour = ImageColor.getrgb(workspace.brand.primary)[:3]
        except ValueError:
            colour = (11, 92, 116)
        tile = Image.new("RGB", (ICON_SIZE, ICON_SIZE), colour)
    buf = io.BytesIO()
    tile.save(buf, "PNG", optimize=True)
    return buf.getvalue()


def render_assets(workspace: Workspace) -> SiteFiles:
    """The files every page shares: ``assets/site.css`` (branded), the logo and a square icon."""
    files: SiteFiles = {
        f"{ASSETS}site.css": _reuse.render_template(workspace, "site/site.css.j2", brand_context(workspace)).encode(
            "utf-8"
        )
    }
    logo = logo_file(workspace)
    if logo is not None:
        files[logo[0]] = logo[1].data
    files[ICON] = _icon(workspace)
    return files


def logo_context(workspace: Workspace, up: str) -> dict[str, Any] | None:
    logo = logo_file(workspace)
    if logo is None:
        return None
    path, img = logo
    shown_h = 48
    return {"src": up + path, "width": max(1, round(img.width * shown_h / img.height)), "height": shown_h}
