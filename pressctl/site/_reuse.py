"""The parts of pressctl.render the site shares with the email and the PDF, in one place.

The newsroom reaches render's shared parts, images and templates through this module only, so a change there
is fixed here once; the pure words and names (``render.words``, ``render.names``, ``render.colour``) and the
PDF maker are imported where they are used.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from pressctl.config import Workspace
from pressctl.release.load import Release
from pressctl.release.merge import MergePlan
from pressctl.render import images, templates
from pressctl.render import parts as shared_parts

__all__ = ["WebImage", "font_stack", "media_contacts", "organisation", "parts", "prepared_image", "render_template"]


class WebImage:
    """An image prepared for the web: bytes, subtype (jpeg/png/gif), size in pixels."""

    def __init__(self, data: bytes, subtype: str, width: int, height: int) -> None:
        self.data, self.subtype, self.width, self.height = data, subtype, width, height

    @property
    def ext(self) -> str:
        return "jpg" if self.subtype == "jpeg" else self.subtype


def prepared_image(path: Path, *, max_width: int, photo: bool = True, on_white: bool = False) -> WebImage:
    img = images.prepared_image(path, max_width=max_width, photo_jpeg=photo, on_white=on_white)
    return WebImage(img.data, img.subtype, img.width, img.height)


def parts(release: Release, workspace: Workspace, plan: MergePlan, *, embargoed: bool) -> Any:
    """Title, subtitle, summary, banner, body HTML (dateline included), about: tokenized like the email's."""
    return shared_parts.build_parts(release, workspace, plan, embargoed=embargoed)


def organisation(workspace: Workspace, language: str) -> Any:
    """The organisation's name, address, footer, website and about in ``language``."""
    return shared_parts.organisation_in(workspace, language)


def media_contacts(release: Release, workspace: Workspace) -> tuple[Any, ...]:
    """The release's media contacts in its language, as the PDF and the email show them."""
    return shared_parts.contacts_in_language(release, workspace, shared_parts.organisation_in(workspace, release.language))


def font_stack(workspace: Workspace, language: str) -> str:
    """The newsroom's CSS font stack for ``language`` (the locale table's, with the brand's faces)."""
    return shared_parts.font_stacks(workspace, language)["site"]


def render_template(workspace: Workspace, name: str, context: Mapping[str, Any]) -> str:
    """A template by name, the workspace's templates/ first; a broken override is one clear error."""
    return templates.render_template(workspace, name, context)
