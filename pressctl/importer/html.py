"""mammoth's HTML of a .docx as a list of blocks (paragraph, heading, list, table, quote, image), each with
its plain text, its Markdown and its place in the document. Pure."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field

__all__ = ["Block", "blocks_of", "escape_markdown", "table_markdown"]


@dataclass
class Block:
    kind: str  # p, h, list, table, quote, image
    text: str  # plain text, lines joined with "\n"
    md: str  # Markdown of the whole block
    index: int = 0  # the paragraph's number in the document (1-based), for warnings
    cls: str = ""  # a style class from the style map: title, subtitle, caption
    level: int = 0  # a heading's level
    images: list[str] = field(default_factory=list)  # image ids in the block (see docx.read_docx)
    cells: list[list[str]] = field(default_factory=list)  # a table's cells, plain text, row by row
    size: float = 0.0  # the largest type size in the paragraph (pt), 0 when unknown

    @property
    def lines(self) -> list[str]:
        return [line.strip() for line in self.text.split("\n") if line.strip()]


_SPECIAL = re.compile(r"([\\`*_\[\]<])")
_LEADING = re.compile(r"^(\s*)([#>+-]|\d+[.)])(\s)")


def escape_markdown(text: str) -> str:
    """Text that Markdown shows as written (no stray emphasis, links or headings)."""
    return _LEADING.sub(lambda m: f"{m[1]}\\{m[2]}{m[3]}", _SPECIAL.sub(r"\\\1", text))


class _Inline:
    def __init__(self) -> None:
        self.text: list[str] = []
        self.md: list[str] = []
        self.images: list[str] = []

    def walk(self, el: ET.Element) -> None:
        if el.text:
            self._add(el.text)
        for child in el:
            tag = child.tag
            if tag == "br":
                self.text.append("\n")
                self.md.append("  \n")
            elif tag == "img":
                self.images.append(child.get("src", ""))
            elif tag in ("strong", "b", "em", "i"):
                inner = _Inline()
                inner.walk(child)
                body = "".join(inner.md)
                mark = "**" if tag in ("strong", "b") else "*"
                stripped = body.strip()
                self.text.extend(inner.text)
                self.images.extend(inner.images)
                if stripped:
                    lead = body[: len(body) - len(body.lstrip())]
                    tail = body[len(body.rstrip()) :]
                    self.md.append(f"{lead}{mark}{stripped}{mark}{tail}")
            elif tag == "a":
                inner = _Inline()
                inner.walk(child)
                href = child.get("href", "")
                label = "".join(inner.md).strip()
                self.text.extend(inner.text)
                self.images.extend(inner.images)
                if href and not href.startswith("#") and label:
                    self.md.append(f"[{label}]({href.replace(' ', '%20').replace(')', '%29')})")
                else:
                    self.md.append("".join(inner.md))
            else:
                self.walk(child)
            if child.tail:
                self._add(child.tail)

    def _add(self, text: str) -> None:
        text = text.replace("\u00a0", " ")
        self.text.append(text)
        self.md.append(escape_markdown(text))


def _spaces(line: str) -> str:
    """Runs of spaces as one; an ideographic space (a headline's 　 between two phrases) is kept."""
    return re.sub(r"[ \t\r\f\v\n]+", " ", line).strip(" ")


def _inline(el: ET.Element) -> tuple[str, str, list[str]]:
    walker = _Inline()
    walker.walk(el)
    text = "\n".join(_spaces(line) for line in "".join(walker.text).split("\n")).strip()
    md = "  \n".join(_spaces(line) for line in "".join(walker.md).split("  \n")).strip()
    return text, md, walker.images


def _list(el: ET.Element, depth: int = 0) -> tuple[list[str], list[str]]:
    ordered = el.tag == "ol"
    text, md = [], []
    for n, li in enumerate(el.findall("li"), start=1):
        nested = [c for c in li if c.tag in ("ul", "ol")]
        for c in nested:
            li.remove(c)
        t, m, _ = _inline(li)
        text.append(t)
        md.append("   " * depth + (f"{n}. " if ordered else "- ") + m)
        for c in nested:
            nt, nm = _list(c, depth + 1)
            text += nt
            md += nm
    return text, md


def _table(el: ET.Element) -> tuple[list[list[str]], list[list[str]]]:
    text_rows, md_rows = [], []
    for tr in el.iter("tr"):
        cells = [c for c in tr if c.tag in ("td", "th")]
        text_rows.append(["\n".join(_inline(p)[0] for p in c) or _inline(c)[0] for c in cells])
        md_rows.append([" ".join(_inline(p)[1] for p in c) or _inline(c)[1] for c in cells])
    return text_rows, md_rows


def table_markdown(rows: list[list[str]]) -> str:
    if not rows:
        return ""
    width = max(len(r) for r in rows)
    rows = [[c.replace("|", "\\|").replace("  \n", " ") for c in r] + [""] * (width - len(r)) for r in rows]
    lines = ["| " + " | ".join(rows[0]) + " |", "|" + "---|" * width]
    lines += ["| " + " | ".join(r) + " |" for r in rows[1:]]
    return "\n".join(lines)


def blocks_of(html: str) -> list[Block]:
    """The document's blocks in order; empty paragraphs are left out (their numbers still count)."""
    root = ET.fromstring(f"<root>{html}</root>")
    blocks: list[Block] = []
    index = 0
    for el in root:
        index += 1
        tag, cls = el.tag, el.get("class", "")
        if tag in ("p", "h1", "h2", "h3", "h4", "h5", "h6"):
            text, md, images = _inline(el)
            if images:
                blocks.append(Block("image", text, md, index, cls, images=images))
                continue
            if not text:
                continue
            level = int(tag[1]) if tag.startswith("h") else 0
            blocks.append(Block("h" if level else "p", text, md, index, cls, level))
        elif tag in ("ul", "ol"):
            text_items, md_items = _list(el)
            blocks.append(Block("list", "\n".join(text_items), "\n".join(md_items), index))
        elif tag == "table":
            text_rows, md_rows = _table(el)
            text = "\n".join("\n".join(r) for r in text_rows)
            blocks.append(Block("table", text, table_markdown(md_rows), index, cells=text_rows))
        elif tag == "blockquote":
            parts = [_inline(p) for p in el] or [_inline(el)]
            text = "\n".join(t for t, _, _ in parts if t)
            md = "\n>\n".join("> " + m.replace("  \n", "  \n> ") for _, m, _ in parts if m)
            if text:
                blocks.append(Block("quote", text, md, index))
    return blocks
