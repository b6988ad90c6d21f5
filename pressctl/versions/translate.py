"""``pressctl translate RELEASE --to zh-CN``: a Chinese version converted into the other script with OpenCC
(Hong Kong Traditional -> Simplified: ``hk2s``), written beside the release, marked ``draft: true`` with the
phrases the conversion changed beyond single characters listed for the person who reviews it, and added
to the release's translations. Nothing leaves the machine; no machine translation between languages."""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pressctl.atomic import shared_mode, write_atomic
from pressctl.config import Workspace
from pressctl.errors import InputError
from pressctl.languages.conversion import conversion_for
from pressctl.languages.tags import language_name, normalise_language
from pressctl.release.load import load_release_set
from pressctl.versions.frontfile import add_translation

__all__ = ["Translated", "translate_release"]

# Front-matter keys whose values are files or tags, never text to convert.
_KEEP_KEYS = re.compile(r"^\s*(?:-\s*)?(src|language|timezone|date|embargo|attachments|draft)\s*:")
_PROTECT = re.compile(r"\]\([^)]*\)|https?://\S+|\{\{\s*[A-Za-z_][\w.]*")


@dataclass
class Translated:
    path: Path
    source: str  # the version converted
    target: str
    config: str  # the OpenCC configuration
    phrases: list[tuple[str, str]] = field(default_factory=list)  # changed beyond characters: (from, to)
    main: Path | None = None


class _Converter:
    def __init__(self, config: str) -> None:
        import opencc

        self._cc: Any = opencc.OpenCC(config)
        self.phrases: dict[tuple[str, str], None] = {}

    def text(self, text: str) -> str:
        out, last = [], 0
        for m in _PROTECT.finditer(text):
            out += [self._convert(text[last : m.start()]), m.group(0)]
            last = m.end()
        out.append(self._convert(text[last:]))
        return "".join(out)

    def _convert(self, text: str) -> str:
        if not text:
            return text
        whole = str(self._cc.convert(text))
        chars = "".join(str(self._cc.convert(ch)) for ch in text)
        if whole != chars and len(chars) == len(text):
            for op, i1, i2, j1, j2 in difflib.SequenceMatcher(None, chars, whole, autojunk=False).get_opcodes():
                if op != "equal":  # shown with a character either side: 回覆 -> 回复
                    a, b = max(i1 - 1, 0), min(i2 + 1, len(text))
                    self.phrases[(text[a:b], whole[a : b + (j2 - j1) - (i2 - i1)])] = None
        return whole


def _converted(text: str, cc: _Converter, target: str) -> str:
    lines = text.split("\n")
    end = next((i for i in range(1, len(lines)) if lines[i].strip() == "---"), 0) if lines[:1] == ["---"] else 0
    out: list[str] = ["---"] if end else []
    skipping = False
    for line in lines[1:end]:
        if skipping and (line.startswith((" ", "\t")) or not line.strip()):
            continue
        skipping = False
        if re.match(r"^translations\s*:", line):
            skipping = True  # a translation lists no translations of its own
            continue
        if re.match(r"^(language|draft)\s*:", line):
            continue
        out.append(line if _KEEP_KEYS.match(line) or line.lstrip().startswith("#") else cc.text(line))
    body = cc.text("\n".join(lines[end + 1 :] if end else lines))
    phrases = [f"{a} -> {b}" for a, b in cc.phrases]
    notes = ["# Converted by `pressctl translate` with OpenCC; a person reads it, then removes 'draft: true'."]
    if phrases:
        notes.append("# Phrases changed beyond single characters (check each): " + "; ".join(phrases))
    head = ["---", *notes, f"language: {target}", "draft: true", *out[1:]] if end else []
    return "\n".join([*head, "---", body] if end else [body])


def translate_release(path: Path, workspace: Workspace, *, to: str, force: bool = False) -> Translated:
    """Write ``RELEASE.<to>.md`` converted from the version that converts into ``to``; point the release at it."""
    target = normalise_language(to, error=InputError)
    releases = load_release_set(Path(path), workspace)
    main = releases[0]
    if main.language.lower() == target.lower():
        raise InputError(f"{path} is itself the {target} version", where=str(path), hint="translate into another version")
    sources = [r for r in releases if conversion_for(r.language, target)]
    if not sources:
        have = ", ".join(r.language for r in releases)
        raise InputError(
            f"no version converts into {language_name(target)} ({target}): the release has {have}",
            where=str(path),
            hint="import or write the Traditional Chinese version first (pressctl import FILE.docx --translation-of RELEASE)",
        )
    source = sources[0]
    config = conversion_for(source.language, target) or ""
    out = main.path.parent / f"{main.path.name.split('.')[0]}.{target}.md"
    if out.exists() and not force:
        raise InputError("the converted version exists", where=str(out), hint="add --force to convert it again (a person's corrections there are lost)")
    cc = _Converter(config)
    text = source.path.read_text(encoding="utf-8-sig").replace("\r\n", "\n")
    converted = _converted(text, cc, target)
    write_atomic(out, converted.encode("utf-8"), mode=shared_mode())
    add_translation(main.path, target, out)
    return Translated(path=out, source=source.language, target=target, config=config, phrases=list(cc.phrases), main=main.path)
