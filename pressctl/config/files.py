"""The files a workspace reads, as ``pressctl.toml`` bounds them: ``[assets] allow`` (folders outside the
workspace files may come from) and ``[limits]`` (caps on input, defaults in :mod:`pressctl.limits`).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from pressctl.errors import ConfigError
from pressctl.limits import DEFAULT_LIMITS, Limits

__all__ = ["parse_assets_allow", "parse_limits"]


def parse_assets_allow(table: dict[str, Any], root: Path, where: str) -> tuple[Path, ...]:
    """``[assets] allow``: folders (absolute, or relative to the workspace root) files may also come from."""
    raw = table.get("allow", [])
    if not isinstance(raw, list) or not all(isinstance(v, str) and v.strip() for v in raw):
        raise ConfigError(
            "assets.allow must be a list of folder paths",
            where=where,
            hint='write e.g. allow = ["/srv/press/shared"]',
        )
    folders = []
    for value in raw:
        try:
            folder = (root / value.strip()).resolve()
            is_dir = folder.is_dir()
        except (OSError, ValueError):
            is_dir = False
        if not is_dir:
            raise ConfigError(
                f"assets.allow {value!r} is not a folder",
                where=where,
                hint="name an existing folder (absolute, or relative to the workspace), or remove it",
            )
        if folder == Path(folder.anchor):
            raise ConfigError(
                f"assets.allow {value!r} would allow every file on the machine",
                where=where,
                hint="name the one folder shared files live in",
            )
        folders.append(folder)
    return tuple(folders)


def parse_limits(table: dict[str, Any], where: str) -> Limits:
    """``[limits]``: positive whole numbers; keys not given keep their defaults (pressctl.limits)."""
    values: dict[str, int] = {}
    for key, value in table.items():
        if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= 10**12:
            raise ConfigError(
                f"limits.{key} must be a whole number from 1 to 10**12, not {value!r}",
                where=where,
                hint=f"write e.g. {key} = {getattr(DEFAULT_LIMITS, key)}",
            )
        values[key] = value
    return Limits(**values)
