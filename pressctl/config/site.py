"""``[site]`` of ``pressctl.toml``: the newsroom folder (``pressctl publish``), its public address and how it
is deployed. The folder may not be, hold or lie inside the workspace's private parts (``rules.public_folder``).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pressctl.config.keys import table, text
from pressctl.config.rules import env_names, public_folder
from pressctl.errors import ConfigError

__all__ = ["SiteSettings", "parse_site"]


@dataclass(frozen=True)
class SiteSettings:
    """``[site]``: the newsroom folder (``pressctl publish``), its public address and how it is deployed."""

    dir: Path  # absolute; default <workspace>/site
    base_url: str = ""  # https://newsroom.example/ (with the slash); empty: relative links only, no email links
    deploy: str = ""  # a shell command run in ``dir`` after each publish and at a scheduled lift
    deploy_timeout: float = 60.0  # seconds
    pass_env: tuple[str, ...] = ()  # secrets the deploy command may have after all (pressctl.children)


def parse_site(data: dict[str, Any], root: Path, where: str) -> SiteSettings | None:
    """``[site]``, or None when the table is absent. ``base_url`` must be a web address; the timeout positive."""
    if "site" not in data:
        return None
    site = table(data, "site", where)
    folder = text(site, "dir", "site", where, "site").strip() or "site"
    base_url = text(site, "base_url", "site", where).strip()
    if base_url and (not base_url.lower().startswith(("https://", "http://")) or any(c in base_url for c in " <>\"'")):
        raise ConfigError(
            f"site.base_url {base_url!r} is not a web address",
            where=where,
            hint="write a full https:// URL, e.g. https://newsroom.hvsp.example/",
        )
    timeout = site.get("deploy_timeout", 60)
    if isinstance(timeout, bool) or not isinstance(timeout, int | float) or not 0 < timeout <= 86400:
        raise ConfigError(
            f"site.deploy_timeout must be a number of seconds above 0 and at most a day (86400), not {timeout!r}",
            where=where,
            hint="write e.g. deploy_timeout = 60",
        )
    return SiteSettings(
        dir=public_folder(root, folder, where),
        base_url=(base_url.rstrip("/") + "/") if base_url else "",
        deploy=text(site, "deploy", "site", where).strip(),
        deploy_timeout=float(timeout),
        pass_env=env_names(site, "site", where),
    )
