"""The front matter of a release file: the YAML between the two ``---`` lines, read without YAML 1.1's traps,
each top-level key with its line (a key given twice refused). Pure."""

from __future__ import annotations

import itertools
import re
from typing import Any

import yaml

from pressctl.errors import ReleaseError
from pressctl.release.markdown import is_wide

__all__ = ["parse_yaml", "split_front_matter"]


class _Loader(yaml.SafeLoader):
    """SafeLoader without YAML 1.1's traps: yes/no/on/off stay text, and so does 12:30 (not 750)."""


_Loader.yaml_implicit_resolvers = {
    key: [
        (tag, regexp)
        for tag, regexp in resolvers
        if tag not in ("tag:yaml.org,2002:bool", "tag:yaml.org,2002:int", "tag:yaml.org,2002:float")
    ]
    for key, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.copy().items()
}
_Loader.add_implicit_resolver(
    "tag:yaml.org,2002:bool", re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"), list("tTfF")
)
_Loader.add_implicit_resolver(
    "tag:yaml.org,2002:int", re.compile(r"^[-+]?(?:0|[1-9][0-9]*)$"), list("-+0123456789")
)
_Loader.add_implicit_resolver(
    "tag:yaml.org,2002:float",
    re.compile(r"^[-+]?(?:[0-9]+\.[0-9]*|\.[0-9]+)(?:[eE][-+]?[0-9]+)?$"),
    list("-+0123456789."),
)



def _timestamp(loader: yaml.SafeLoader, node: yaml.ScalarNode) -> Any:
    # An impossible date (2030-02-30) makes PyYAML raise a bare ValueError; keep it as text so the
    # date or embargo check reports it with its line, instead of an internal error.
    try:
        return yaml.SafeLoader.construct_yaml_timestamp(loader, node)
    except ValueError:
        return loader.construct_scalar(node)


_Loader.add_constructor("tag:yaml.org,2002:timestamp", _timestamp)


def _text(loader: yaml.SafeLoader, node: yaml.ScalarNode) -> Any:
    """A text value; where YAML folded a line break into a space between two wide (CJK) characters
    (``>-``, or a plain or quoted value over several lines), the space is dropped: Chinese has no spaces
    between words, and "公布， 對創科界" showed one in the caption. Literal blocks (``|``) keep their lines."""
    value = loader.construct_scalar(node)
    if node.style == "|" or node.start_mark.line == node.end_mark.line or not isinstance(value, str):
        return value
    raw = str(node.start_mark.buffer or "")[node.start_mark.index : node.end_mark.index]
    lines = raw.splitlines()[1 if node.style == ">" else 0 :]
    for above, below in itertools.pairwise(lines):
        a, b = above.rstrip(), below.lstrip()
        if a and b and is_wide(a[-1]) and is_wide(b[0]):
            value = value.replace(f"{a[-1]} {b[0]}", a[-1] + b[0])
    return value


_Loader.add_constructor("tag:yaml.org,2002:str", _text)

def split_front_matter(text: str, where: str) -> tuple[str, str, int]:
    lines = text.splitlines(keepends=True)
    if not lines or lines[0].strip() != "---":
        raise ReleaseError(
            "no front matter",
            where=f"{where}:1",
            hint="start the file with a line '---', the YAML keys (title, date, ...), then '---'",
        )
    for i, line in enumerate(lines[1:], start=1):
        if line.strip() in ("---", "..."):
            return "".join(lines[1:i]), "".join(lines[i + 1 :]), i + 2
    raise ReleaseError(
        "front matter is not closed", where=f"{where}:1", hint="add a line '---' after the last YAML key"
    )


def parse_yaml(source: str, where: str) -> tuple[dict[str, Any], dict[str, int]]:
    """Parse the front matter; also return the file line of each top-level key."""
    try:
        node = yaml.compose(source, Loader=_Loader)
        data = yaml.load(source, Loader=_Loader) if node is not None else {}
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = (mark.line + 2) if mark else 1  # +1 for 0-based, +1 for the opening ---
        problem = exc.problem or exc.context or "invalid YAML"
        raise ReleaseError(
            f"front matter is not valid YAML: {problem}",
            where=f"{where}:{line}",
            hint="check indentation, and quote values that contain ': ' or start with a special character",
        ) from None
    except yaml.YAMLError as exc:
        problem = " ".join(str(exc).split())  # one line: a reader error names its position on a second
        raise ReleaseError(f"front matter is not valid YAML: {problem}", where=where) from None
    except RecursionError:  # [[[[... a thousand levels deep: no release needs that
        raise ReleaseError(
            "front matter nests lists or tables too deeply", where=where, hint="write the keys as a release has them"
        ) from None
    if not isinstance(data, dict):
        raise ReleaseError(
            "front matter must be YAML keys and values", where=f"{where}:2", hint="write e.g. 'title: ...'"
        )
    lines: dict[str, int] = {}
    if isinstance(node, yaml.MappingNode):
        for key_node, _ in node.value:
            key, line = str(key_node.value), key_node.start_mark.line + 2
            if key in lines:
                # YAML keeps the last silently; a second 'embargo:' left from an edit could lift an embargo early.
                raise ReleaseError(
                    f"'{key}' is given twice (lines {lines[key]} and {line})",
                    where=f"{where}:{line}",
                    hint="keep one of them",
                )
            lines[key] = line
    return data, lines
