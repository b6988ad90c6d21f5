"""Where the embedded default templates and sample files live, installed or in a checkout."""

from __future__ import annotations

from pathlib import Path

__all__ = ["contacts_dir", "templates_dir"]

_PKG = Path(__file__).resolve().parent


def _find(installed: str, checkout: str) -> Path:
    # A wheel carries the files inside the package (see pyproject's force-include);
    # an editable install or a checkout finds them at the top of the repository.
    for candidate in (_PKG / installed, _PKG.parent / checkout):
        if candidate.is_dir():
            return candidate
    raise FileNotFoundError(f"pressctl's {checkout}/ folder is missing from the installation")


def templates_dir() -> Path:
    """The default brand templates (Jinja2 and CSS) and the workspace scaffold."""
    return _find("_templates", "templates")


def contacts_dir() -> Path:
    """The sample contact lists."""
    return _find("_contacts", "contacts")
