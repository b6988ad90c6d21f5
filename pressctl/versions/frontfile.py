"""A release file's ``translations:`` entry added or replaced in place, the rest of the file as written
(comments, order, quoting), the file replaced atomically: how ``import --translation-of`` and ``translate``
attach a new version to its release."""

from __future__ import annotations

import re
from pathlib import Path

import yaml

from pressctl.atomic import shared_mode, write_atomic
from pressctl.errors import ReleaseError

__all__ = ["add_translation", "with_translation"]


def with_translation(text: str, tag: str, file_name: str, *, where: str) -> str:
    """``text`` (a release file) with ``translations: {tag: file_name}`` in its front matter."""
    lines = text.split("\n")
    if not lines or lines[0].strip() != "---":
        raise ReleaseError("has no front matter", where=where, hint="a release file starts with '---'")
    try:
        end = next(i for i in range(1, len(lines)) if lines[i].strip() == "---")
    except StopIteration:
        raise ReleaseError("its front matter has no closing '---'", where=where) from None
    entry = f"  {tag}: {file_name}"
    for i in range(1, end):
        if not re.match(r"^translations\s*:", lines[i]):
            continue
        inline = lines[i].split(":", 1)[1].strip()
        if inline and not inline.startswith("#"):
            existing = yaml.safe_load(inline) or {}
            if not isinstance(existing, dict):
                raise ReleaseError("'translations' must map language tags to files", where=f"{where}:{i + 1}")
            kept = [f"  {k}: {v}" for k, v in existing.items() if str(k).lower() != tag.lower()]
            lines[i : i + 1] = ["translations:", *kept, entry]
            return "\n".join(lines)
        j = i + 1
        while j < end and (lines[j].startswith((" ", "\t")) or not lines[j].strip()):
            if re.match(rf"^\s+{re.escape(tag)}\s*:", lines[j], re.IGNORECASE):
                lines[j] = entry
                return "\n".join(lines)
            j += 1
        lines.insert(j, entry)
        return "\n".join(lines)
    lines[end:end] = ["translations:", entry]
    return "\n".join(lines)


def add_translation(release: Path, tag: str, translation: Path) -> None:
    """Point ``release``'s front matter at ``translation`` as its ``tag`` version."""
    text = release.read_text(encoding="utf-8-sig")
    name = translation.resolve().relative_to(release.resolve().parent).as_posix()
    updated = with_translation(text, tag, name, where=str(release))
    if updated != text:
        write_atomic(release, updated.encode("utf-8"), mode=shared_mode())
