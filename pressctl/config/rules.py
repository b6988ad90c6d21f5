"""Rules for ``pressctl.toml``'s values that are not about one table's shape. Pure but for resolving paths.

* Text without control characters: a TOML escape (``\\u000b``) can write what no editor shows, a vertical
  tab or a direction override, which would then reach every page, email and feed (the organisation's name is
  in all of them). Refused with its key; ``controls.py`` says which characters.
* ``pass_env``: names of environment variables a command pressctl runs may have although they hold a secret
  (``pressctl.children``).
* ``[site] dir``: the newsroom folder is served and deployed as it is, so it may not be the workspace folder,
  hold it, or lie inside its private parts.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from pressctl.controls import describe, unsafe_in_text
from pressctl.errors import ConfigError

__all__ = ["ENV_NAME", "PRIVATE_FOLDERS", "check_text", "env_names", "public_folder"]

ENV_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


def check_text(value: Any, key: str, where: str) -> None:
    """Every text value of the file, however deep: TOML escapes (``\\u000b``) can write characters no editor
    shows (a vertical tab, a direction override) that would reach every page, email and feed: refused, named."""
    if isinstance(value, dict):
        for k, v in value.items():
            check_text(v, f"{key}.{k}" if key else str(k), where)
    elif isinstance(value, list):
        for n, v in enumerate(value, 1):
            check_text(v, f"{key}[{n}]", where)
    elif isinstance(value, str) and (found := unsafe_in_text(value)):
        raise ConfigError(
            f"{key} holds {describe(found[0][1])}",
            where=where,
            hint='remove it; a line break belongs in a """ block as a new line',
        )


# What the newsroom folder may never serve or deploy (a folder of the workspace -> what it holds).
PRIVATE_FOLDERS = {
    ".pressctl": "the ledger, the unsubscribe secret and the preview tokens",
    "contacts": "the journalists' lists and suppressions",
    "releases": "releases still under embargo",
}


def public_folder(root: Path, folder: str, where: str) -> Path:
    """``[site] dir`` resolved; refused when it is, holds or lies inside the workspace's private parts."""
    site = (root / folder).resolve()
    base = root.resolve()
    problem = ""
    if site == base or site in base.parents:
        what = "is the workspace folder" if site == base else "holds the workspace folder"
        problem = f"{what}, with the ledger, the unsubscribe secret, the contact lists and embargoed releases"
    for name, holds in PRIVATE_FOLDERS.items():
        private = (base / name).resolve()
        if not problem and (site == private or private in site.parents):
            problem = f"is inside {name}/, with {holds}"
    if problem:
        raise ConfigError(
            f"site.dir {folder!r} {problem}: publishing would serve and deploy them",
            where=where,
            hint='give the newsroom a folder of its own, e.g. dir = "site"',
        )
    return site


def env_names(table: dict[str, Any], section: str, where: str) -> tuple[str, ...]:
    """``pass_env``: names of environment variables a command pressctl runs may have although they hold a
    secret (see pressctl.children)."""
    raw = table.get("pass_env", [])
    if not isinstance(raw, list) or not all(isinstance(n, str) and ENV_NAME.match(n) for n in raw):
        raise ConfigError(
            f"{section}.pass_env must be a list of environment variable names, not {raw!r}"[:200],
            where=where,
            hint='e.g. pass_env = ["GITHUB_TOKEN"]',
        )
    return tuple(raw)
