"""A release file's text from what the import found: YAML front matter (multi-line text as literal blocks,
keys in the order the release format documents them) and the Markdown body. Pure."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import yaml

__all__ = ["release_text"]


class _Dumper(yaml.SafeDumper):
    pass


def _text(dumper: yaml.SafeDumper, value: str) -> yaml.Node:
    if "\n" in value:
        return dumper.represent_scalar("tag:yaml.org,2002:str", value.rstrip() + "\n", style="|")
    return dumper.represent_scalar("tag:yaml.org,2002:str", value)


_Dumper.add_representer(str, _text)


def release_text(front: Mapping[str, Any], body: str, *, comments: tuple[str, ...] = ()) -> str:
    """``---``, the front matter (empty values left out), ``comments`` as YAML comments, ``---``, the body."""
    data = {k: v for k, v in front.items() if v not in (None, "", [], {})}
    yaml_text = yaml.dump(data, Dumper=_Dumper, allow_unicode=True, sort_keys=False, width=1000, default_flow_style=False)
    notes = "".join(f"# {line}\n" for line in comments)
    return f"---\n{notes}{yaml_text}---\n\n{body.strip()}\n"
