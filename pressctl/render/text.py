"""Plain text from release Markdown (not from HTML): paragraphs, lists, quotes, tables, links as URLs.

Latin paragraphs are wrapped at ``width`` columns; a paragraph with CJK characters is left as one
line, because ``textwrap`` counts characters, not columns, and would break Chinese words anywhere.
"""

from __future__ import annotations

import textwrap
from dataclasses import dataclass, field

from markdown_it.token import Token

from pressctl.release.markdown import has_wide, is_wide, parse

__all__ = ["inline_text", "markdown_text", "wrap"]


def inline_text(children: list[Token] | None) -> str:
    """The text of an inline token's children: emphasis dropped, links as ``text (URL)``."""
    out: list[str] = []
    links: list[tuple[str, int]] = []
    for tok in children or []:
        if tok.type in ("text", "code_inline"):
            out.append(tok.content)
        elif tok.type == "softbreak":
            out.append(" ")
        elif tok.type == "hardbreak":
            out.append("\n")
        elif tok.type == "image":
            out.append(tok.content or str(tok.attrs.get("alt", "")))
        elif tok.type == "link_open":
            links.append((str(tok.attrs.get("href", "")), len(out)))
        elif tok.type == "link_close" and links:
            href, start = links.pop()
            label = "".join(out[start:])
            # A bare URL or an email address shown as its own label needs no repetition.
            if href and href not in (label, f"mailto:{label}", f"http://{label}", f"https://{label}"):
                shown = href.removeprefix("mailto:")
                # After Chinese text, full-width brackets without a space read naturally.
                out.append(f"（{shown}）" if label and is_wide(label[-1]) else f" ({shown})")
    return "".join(out)


def wrap(text: str, *, width: int = 72, first: str = "", rest: str = "") -> str:
    """Wrap Latin text at ``width`` columns with prefixes; CJK text keeps each line whole."""
    lines = text.split("\n")
    if _mostly_wide(text):
        return "\n".join((first if i == 0 else rest) + line for i, line in enumerate(lines))
    out: list[str] = []
    for i, line in enumerate(lines):
        out.append(
            textwrap.fill(
                line,
                width=max(width, len(first) + 20),
                initial_indent=first if i == 0 else rest,
                subsequent_indent=rest,
                break_long_words=False,  # never split a URL
                break_on_hyphens=False,
            )
            or (first if i == 0 else rest).rstrip()
        )
    return "\n".join(out)


def _mostly_wide(text: str) -> bool:
    """Chinese text, not an English sentence quoting a Chinese name: wrapping it at spaces would
    put line breaks mid-sentence. (textwrap breaks only at spaces here, never inside a word.)"""
    chars = [ch for ch in text if not ch.isspace()]
    wide = sum(1 for ch in chars if is_wide(ch))
    return wide > 0 and wide * 4 >= len(chars)


@dataclass
class _List:
    ordered: bool
    number: int = 1

    def marker(self) -> str:
        return f"{self.number}. " if self.ordered else "- "


@dataclass
class _State:
    width: int
    blocks: list[str] = field(default_factory=list)
    quote: int = 0
    lists: list[_List] = field(default_factory=list)
    item_first: bool = False  # the next paragraph is the first line of a list item
    heading: str | None = None
    table: list[list[str]] | None = None

    def prefixes(self) -> tuple[str, str]:
        base = "    " * self.quote
        if not self.lists:
            return base, base
        # A nested list lines up with the text of its parent item.
        indent = base + "".join(" " * len(outer.marker()) for outer in self.lists[:-1])
        marker = self.lists[-1].marker()
        if self.item_first:
            return indent + marker, indent + " " * len(marker)
        return indent + " " * len(marker), indent + " " * len(marker)

    def add(self, text: str, *, tight: bool = False) -> None:
        first, rest = self.prefixes()
        self.item_first = False
        block = wrap(text, width=self.width, first=first, rest=rest)
        if tight and self.blocks:
            self.blocks[-1] += "\n" + block
        else:
            self.blocks.append(block)


def markdown_text(source: str, *, width: int = 72, lead: str = "") -> str:
    """Plain text for a Markdown fragment; blocks separated by a blank line, list items kept together.

    ``lead`` (a dateline) opens the first paragraph if the fragment starts with one, else stands alone.
    """
    state = _State(width=width)
    tokens = parse(source)
    if lead and not (tokens and tokens[0].type == "paragraph_open"):
        state.blocks.append(wrap(lead.rstrip(), width=width))
        lead = ""
    tight_items = False
    prev_item = False  # the last block written was an item of a tight list
    for tok in tokens:
        kind = tok.type
        if kind == "blockquote_open":
            state.quote += 1
        elif kind == "blockquote_close":
            state.quote -= 1
        elif kind in ("bullet_list_open", "ordered_list_open"):
            start = int(str(tok.attrs.get("start", 1)))
            state.lists.append(_List(ordered=kind == "ordered_list_open", number=start))
        elif kind in ("bullet_list_close", "ordered_list_close"):
            state.lists.pop()
            prev_item = bool(state.lists)  # a nested list ended: its parent's next item follows tightly
        elif kind == "list_item_open":
            state.item_first = True
        elif kind == "list_item_close":
            state.lists[-1].number += 1
        elif kind == "heading_open":
            state.heading = tok.tag
        elif kind == "heading_close":
            state.heading = None
        elif kind == "inline" and state.table is not None:
            state.table[-1].append(inline_text(tok.children).strip())
        elif kind == "inline":
            text = inline_text(tok.children)
            if lead:
                text, lead = lead + text, ""
            if state.heading in ("h1", "h2") and not has_wide(text):
                text = text.upper()
            # Items of a tight list (no blank lines between them) stay on consecutive lines.
            state.add(text, tight=tight_items and state.item_first)
            tight_items = False
        elif kind == "paragraph_open":
            # markdown-it hides the paragraphs of a tight list's items.
            tight_items = bool(state.lists) and tok.hidden and state.item_first and prev_item
        elif kind == "paragraph_close":
            prev_item = bool(state.lists) and tok.hidden
        elif kind in ("fence", "code_block"):
            first, _ = state.prefixes()
            state.blocks.append(
                "\n".join(first + "    " + line for line in tok.content.rstrip("\n").split("\n"))
            )
        elif kind == "hr":
            state.blocks.append("-" * 20)
        elif kind == "table_open":
            state.table = []
        elif kind == "tr_open" and state.table is not None:
            state.table.append([])
        elif kind == "table_close" and state.table is not None:
            rows, state.table = state.table, None
            state.blocks.append("\n".join(" | ".join(row) for row in rows))
    return "\n\n".join(block.rstrip() for block in state.blocks).strip("\n")
