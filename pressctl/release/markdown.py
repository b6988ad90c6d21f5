"""Markdown for releases: one CommonMark parser (tables on, raw HTML off) shared by HTML and text output.

Raw HTML is off because release text ends up in emails: an author's ``<script>`` or stray ``<table>``
must show as text, not become markup. Soft line breaks between two CJK characters are dropped: Chinese
has no spaces between words, and a source newline there would show as a visible gap.
"""

from __future__ import annotations

import html
import re
import unicodedata
from collections.abc import Mapping, Sequence
from functools import lru_cache
from typing import Any

from markdown_it import MarkdownIt
from markdown_it.rules_core import StateCore
from markdown_it.token import Token

__all__ = ["has_wide", "is_wide", "lang_spans", "markdown_html", "parse", "parser", "text_width"]

# Runs of CJK ideographs, kana, CJK punctuation and full-width forms.
_CJK_RUN = re.compile(r"[\u2e80-\u2fff\u3000-\u30ff\u3100-\u31ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uff00-\uffef]+")


def is_wide(ch: str) -> bool:
    """True for characters that take two columns and need no spaces around them (CJK, full-width)."""
    return unicodedata.east_asian_width(ch) in ("W", "F")


def has_wide(text: str) -> bool:
    return any(is_wide(ch) for ch in text)


def text_width(text: str) -> int:
    """Columns ``text`` takes in a monospaced terminal or plain-text email."""
    return sum(2 if is_wide(ch) else 1 for ch in text)


def _edge_char(children: list[Token], start: int, step: int) -> str:
    """The nearest visible character before (step -1) or after (step +1) position ``start``."""
    i = start + step
    while 0 <= i < len(children):
        tok = children[i]
        if tok.type in ("text", "code_inline") and tok.content:
            return tok.content[-1] if step < 0 else tok.content[0]
        if tok.type in ("softbreak", "hardbreak", "image"):
            return ""
        i += step
    return ""


def _cjk_softbreaks(state: StateCore) -> None:
    for block in state.tokens:
        if block.type != "inline" or not block.children:
            continue
        children = block.children
        for i, tok in enumerate(children):
            if tok.type != "softbreak":
                continue
            before, after = _edge_char(children, i, -1), _edge_char(children, i, +1)
            if before and after and is_wide(before) and is_wide(after):
                # An empty text token renders as nothing in both the HTML and the text renderer.
                children[i] = Token("text", "", 0, content="")


def lang_spans(text: str, lang: str | None) -> str:
    """HTML-escape ``text``; with ``lang``, wrap each CJK run in ``<span lang=...>``.

    In an English document, Chinese names need their own language tag, or Pango may pick another
    region's glyph forms for them.
    """
    escaped = html.escape(text, quote=False)
    if not lang or not _CJK_RUN.search(escaped):
        return escaped
    return _CJK_RUN.sub(lambda m: f'<span lang="{lang}">{m.group(0)}</span>', escaped)


def _render_text(self: Any, tokens: Sequence[Token], idx: int, options: Any, env: Any) -> str:
    return lang_spans(tokens[idx].content, env.get("cjk_lang") if isinstance(env, dict) else None)


def _render_image(self: Any, tokens: Sequence[Token], idx: int, options: Any, env: Any) -> str:
    # Body images point at files checked by the release loader; the caller says what each becomes
    # (a cid: part in the email, a file URL for the PDF). One it doesn't know is left out, not linked.
    tok = tokens[idx]
    images = env.get("images") if isinstance(env, dict) else None
    if images is not None:
        src = str(tok.attrGet("src") or "")
        if src not in images:
            return ""
        tok.attrSet("src", images[src])
    return str(self.image(tokens, idx, options, env))


@lru_cache(maxsize=1)
def parser() -> MarkdownIt:
    """The shared parser: CommonMark + tables + strikethrough + curly quotes, no raw HTML."""
    # Typographic quotes (“…”, ’) as in print; the other "typographer" replacements stay off.
    md = MarkdownIt("commonmark", {"html": False, "typographer": True})
    md.enable(["table", "strikethrough", "smartquotes"])
    md.core.ruler.push("cjk_softbreaks", _cjk_softbreaks)
    md.add_render_rule("text", _render_text)
    md.add_render_rule("image", _render_image)
    return md


def parse(source: str) -> list[Token]:
    return parser().parse(source)


def markdown_html(
    source: str, *, cjk_lang: str | None = None, images: Mapping[str, str] | None = None
) -> str:
    """HTML for a Markdown fragment; ``cjk_lang`` tags Chinese runs in a non-Chinese document.

    ``images`` maps each image ``src`` to what the HTML gets instead; images not in it are dropped.
    """
    return str(parser().render(source, {"cjk_lang": cjk_lang, "images": images}))
