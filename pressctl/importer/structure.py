"""Where each block of a Word release belongs: the marker lines, the headline and subheading (by style, or
by position before the dateline), the dateline, the body with its quotes, lists and tables, photos with
their captions, the end mark, the About sections and the media enquiries. What fits nowhere stays in the
body, with a warning naming its paragraph. Words of every language come from ``pressctl.languages``. Pure."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

from pressctl.importer.contacts import read_contacts
from pressctl.importer.dates import parse_dateline, parse_moment
from pressctl.importer.html import Block
from pressctl.languages.documents import DOCUMENT_WORDS
from pressctl.release.markdown import is_wide

__all__ = ["PlacedPhoto", "Structure", "place_blocks"]


@dataclass
class PlacedPhoto:
    image: str  # the image id (docx.read_docx)
    caption: str = ""
    paragraph: int = 0


@dataclass
class Structure:
    title: str = ""
    subtitle: str = ""
    date: dt.date | None = None
    place: str = ""
    embargo: dt.datetime | None = None
    embargo_text: str = ""  # an embargo line whose moment could not be read
    photos: list[PlacedPhoto] = field(default_factory=list)
    body: list[str] = field(default_factory=list)  # Markdown blocks
    about: list[tuple[str, str]] = field(default_factory=list)  # (organisation, Markdown)
    media_contacts: list[dict[str, str]] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


def _words(attr: str) -> tuple[str, ...]:
    return tuple(w for words in DOCUMENT_WORDS for w in getattr(words, attr))


_PRESS, _IMMEDIATE, _EMBARGO = _words("press_release"), _words("immediate"), _words("embargo")
_END, _ABOUT, _MEDIA = _words("end_marks"), _words("about"), _words("media")
_CAPTION = re.compile("^(?:" + "|".join(w.caption for w in DOCUMENT_WORDS) + ")", re.IGNORECASE)


def _norm(text: str) -> str:
    return " ".join(text.lower().split()).strip(" :：")


def _squash(text: str) -> str:
    return re.sub(r"\s+", "", text.lower())


def _short(text: str) -> str:
    text = " ".join(text.split())
    return text if len(text) <= 60 else text[:57] + "..."


def _join(parts: Sequence[str]) -> str:
    out = ""
    for part in (p.strip(" ") for p in parts if p.strip()):
        out = out + part if out and (is_wide(out[-1]) or is_wide(part[0])) else (f"{out} {part}" if out else part)
    return out


def _embargo_text(text: str) -> str | None:
    low = text.lower().strip()
    for word in _EMBARGO:
        if low.startswith(word):
            return text.strip()[len(word) :].strip(" :：")
    return None


def _is_marker(block: Block) -> bool:
    if block.kind not in ("p", "h"):
        return False
    parts = [p for line in block.lines for p in re.split(r"\s*[/|｜]\s*", line) if p.strip()]
    return bool(parts) and all(_norm(p) in _PRESS or _norm(p) in _IMMEDIATE or _embargo_text(p) is not None for p in parts)


def _is_end(block: Block) -> bool:
    return block.kind == "p" and _squash(block.text) in {_squash(m) for m in _END}


def _about_of(block: Block) -> str | None:
    """The organisation an About heading names ("About HVSP" -> "HVSP"), or None."""
    text = block.text.strip()
    if block.kind not in ("p", "h") or len(text) > 100 or "\n" in text or text.endswith((".", "。")):
        return None
    for word in _ABOUT:
        if text.lower().startswith(word.lower()):
            name = text[len(word) :].strip(" :：")
            if name and not name[0].isdigit():
                return name
    return None


def _is_media(block: Block) -> bool:
    if block.kind not in ("p", "h") or not block.lines:
        return False
    first = _norm(block.lines[0])
    return len(first) <= 80 and any(first == m or first.startswith(m + " ") or first.startswith(m + ",") or
                                     (not m.isascii() and first.startswith(m)) for m in _MEDIA)


def _is_caption(block: Block) -> bool:
    return block.kind == "p" and (block.cls == "caption" or bool(_CAPTION.match(block.text.strip())))


def _headline(blocks: Sequence[Block], i: int, s: Structure) -> int:
    styled = [b for b in blocks[i : i + 6] if b.cls == "title" or (b.kind == "h" and b.level == 1)]
    if styled:
        start = blocks.index(styled[0], i)
        for skipped in blocks[i:start]:
            s.warnings.append(f"paragraph {skipped.index}: {_short(skipped.text)!r} before the headline was kept in the body")
            s.body.append(skipped.md)
        j = start
        title = []
        while j < len(blocks) and (blocks[j].cls == "title" or (blocks[j].kind == "h" and blocks[j].level == 1)):
            title.append(blocks[j].text.replace("\n", " "))
            j += 1
        s.title = _join(title)
        sub = []
        while j < len(blocks) and (blocks[j].cls == "subtitle" or (blocks[j].kind == "h" and blocks[j].level == 2)):
            sub.append(blocks[j].text.replace("\n", " "))
            j += 1
        s.subtitle = _join(sub)
        return j
    sized = _by_size(blocks, i)
    if sized is not None:
        title_end, sub_end = sized
        s.title = _join([b.text.replace("\n", " ") for b in blocks[i:title_end]])
        s.subtitle = _join([b.text.replace("\n", " ") for b in blocks[title_end:sub_end]])
        return sub_end
    # No styles, no sizes: the first paragraph is the headline; short paragraphs before the dateline the
    # subheading.
    s.title = blocks[i].text.replace("\n", " ")
    j = i + 1
    ahead = [k for k in range(j, min(j + 3, len(blocks))) if parse_dateline(blocks[k].text)]
    if ahead and all(blocks[k].kind == "p" and len(blocks[k].text) <= 200 for k in range(j, ahead[0])):
        s.subtitle = _join([blocks[k].text.replace("\n", " ") for k in range(j, ahead[0])])
        j = ahead[0]
    return j


def _by_size(blocks: Sequence[Block], i: int) -> tuple[int, int] | None:
    """Headline and subheading typed larger than the body text: (end of the headline, end of the
    subheading), or None when sizes say nothing."""
    sizes = [b.size for b in blocks if b.kind == "p"]  # 0: the document's default size
    if not blocks[i].size:
        return None
    body = max(set(sizes), key=sizes.count)
    top = blocks[i].size
    if top <= body:
        return None
    j = i
    while j < len(blocks) and blocks[j].kind in ("p", "h") and blocks[j].size == top and not parse_dateline(blocks[j].text):
        j += 1
    k = j
    while k < len(blocks) and blocks[k].kind in ("p", "h") and body < blocks[k].size < top and not parse_dateline(blocks[k].text):
        k += 1
    return j, k


def _strip_dateline(block: Block, s: Structure) -> str:
    found = parse_dateline(block.text)
    if found is None:
        return block.md
    s.date, s.place = found.date, found.place
    md = re.sub(r"^(\*\*|\*)(.*?)\1", r"\2", block.md, count=1)  # a bold dateline: "**(Hong Kong, ...)**"
    in_md = parse_dateline(md.replace("\\", ""))
    return in_md.rest if in_md is not None and in_md.rest else found.rest


def place_blocks(blocks: Sequence[Block], *, zone: ZoneInfo) -> Structure:
    """The release's parts from the document's blocks (``zone`` reads an embargo line's local time)."""
    s = Structure()
    i = 0
    while i < len(blocks) and (_is_marker(blocks[i]) or blocks[i].kind == "image"):
        block = blocks[i]
        if block.kind == "image":
            s.warnings.append(f"paragraph {block.index}: a picture before the headline (a letterhead logo?) was left out")
        for line in block.lines:
            for part in re.split(r"\s*[/|｜]\s*", line):
                when = _embargo_text(part)
                if when is not None:
                    s.embargo = parse_moment(when, zone)
                    if s.embargo is None:
                        s.embargo_text = part.strip()
        i += 1
    if i >= len(blocks):
        return s
    i = _headline(blocks, i, s)
    if i < len(blocks) and parse_dateline(blocks[i].text):
        s.body.append(_strip_dateline(blocks[i], s))
        i += 1
    elif i < len(blocks):
        s.warnings.append(
            f"paragraph {blocks[i].index}: no dateline such as '(Hong Kong, 12 March 2030) –' opens the body: "
            "check 'date' and 'dateline' in the front matter"
        )
    i = _body(blocks, i, s)
    _sections(blocks, i, s)
    return s


def _body(blocks: Sequence[Block], i: int, s: Structure) -> int:
    # With an end mark ahead, everything before it is body ("About the lab" may head a section of it);
    # without one, an About or media heading ends the body.
    end_ahead = any(_is_end(b) for b in blocks[i:])
    while i < len(blocks):
        block = blocks[i]
        if _is_end(block):
            return i + 1
        if not end_ahead and (_about_of(block) is not None or _is_media(block)):
            return i
        if block.kind == "image":
            for image in block.images:
                s.photos.append(PlacedPhoto(image, paragraph=block.index))
            if block.text and _CAPTION.match(block.text):
                s.photos[-1].caption = block.text.replace("\n", " ")
            elif i + 1 < len(blocks) and _is_caption(blocks[i + 1]):
                s.photos[-1].caption = blocks[i + 1].text.replace("\n", " ")
                i += 1
        elif _is_caption(block) and s.photos and not s.photos[-1].caption:
            s.photos[-1].caption = block.text.replace("\n", " ")
        elif _is_caption(block):
            s.warnings.append(f"paragraph {block.index}: caption {_short(block.text)!r} has no picture beside it: kept in the body")
            s.body.append(block.md)
        elif block.kind == "h":
            s.body.append("## " + block.md)
        else:
            s.body.append(block.md)
        i += 1
    return i


def _sections(blocks: Sequence[Block], i: int, s: Structure) -> None:
    while i < len(blocks):
        block = blocks[i]
        organisation = _about_of(block)
        if organisation is not None:
            j = i + 1
            text = []
            while j < len(blocks) and _about_of(blocks[j]) is None and not _is_media(blocks[j]) and not _is_end(blocks[j]):
                text.append(blocks[j].md)
                j += 1
            if text:
                s.about.append((organisation, "\n\n".join(text)))
            else:
                s.warnings.append(f"paragraph {block.index}: 'About {organisation}' has no text below it: left out")
            i = j
        elif _is_media(block):
            j = i + 1
            columns: list[list[str]] = [block.lines[1:]]
            while j < len(blocks) and _about_of(blocks[j]) is None and not _is_end(blocks[j]):
                nxt = blocks[j]
                if nxt.kind == "table" and nxt.cells:
                    width = max(len(r) for r in nxt.cells)
                    columns += [[line for r in nxt.cells if c < len(r) for line in r[c].split("\n")] for c in range(width)]
                else:
                    columns[-1].extend(nxt.lines)
                j += 1
            people, unplaced = read_contacts(columns)
            s.media_contacts.extend(people)
            for line in unplaced:
                s.warnings.append(f"paragraph {block.index}: media enquiries line {_short(line)!r} names no one with a phone or e-mail: left out")
            i = j
        elif _is_end(block):
            i += 1
        else:
            s.warnings.append(f"paragraph {block.index}: {_short(block.text)!r} after the end mark was not recognised: kept at the end of the body")
            s.body.append(block.md if block.kind != "image" else "")
            for image in block.images:
                s.photos.append(PlacedPhoto(image, paragraph=block.index))
            i += 1
