"""Merge fields: ``{{ first_name or "editor" }}`` in a release, resolved per contact after rendering.

Rendering is the slow part, so a release is rendered once per language with each merge expression
replaced by an opaque token (letters and digits only, so Markdown, HTML and CSS inlining leave it
alone); sending then swaps each token for the contact's value, HTML-escaped where it lands in HTML.
"""

from __future__ import annotations

import html
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from jinja2 import Undefined, meta, nodes
from jinja2.exceptions import TemplateSyntaxError
from jinja2.sandbox import SandboxedEnvironment

from pressctl.errors import ReleaseError

__all__ = ["TOKEN_FIELD", "TOKEN_MERGE", "MergeField", "MergePlan"]

# The merge field that carries a recipient's unsubscribe token (``{token}`` in ``sender.unsubscribe_url``):
# filled by the message builder from the workspace secret, never from a contact list's column.
TOKEN_FIELD = "unsubscribe_token"
TOKEN_MERGE = "{{ " + TOKEN_FIELD + ' | default("") }}'

_EXPR = re.compile(r"\{\{(.*?)\}\}", re.S)
_TOKEN = re.compile(r"PCTLM(\d{4})X")
_ENV = SandboxedEnvironment(undefined=Undefined, autoescape=False)


@dataclass(frozen=True)
class MergeField:
    """One ``{{ ... }}`` expression found in a release."""

    token: str
    source: str  # the expression as written, without braces
    variables: frozenset[str]  # contact fields it reads
    has_fallback: bool  # written with `or` / `default`, so an empty field is fine
    evaluate: Callable[..., Any] = field(compare=False, repr=False)
    # The same expression as a plain function of the contact's fields, when it is one of the common forms
    # (``a``, ``a or b or "x"``, ``a | default("x")``): made once per release, ~50x cheaper per contact than
    # a Jinja evaluation (a context and a frame each time). None: Jinja evaluates it.
    lookup: Callable[[Mapping[str, Any]], Any] | None = field(default=None, compare=False, repr=False)
    markup: bool = False  # the value is HTML made (and escaped) by the field itself: not escaped again
    made: bool = False  # made by ``derived`` from fields already cleaned: its line breaks are its own


@dataclass
class MergePlan:
    """The merge fields of one release (all languages share one plan so tokens stay unique)."""

    fields: list[MergeField] = field(default_factory=list)
    _by_source: dict[str, MergeField] = field(default_factory=dict)

    def tokenize(self, text: str, *, where: str = "", first_line: int = 1, own: bool = False) -> str:
        """Replace each ``{{ expr }}`` in ``text`` with its token; raise ReleaseError on a bad expression.

        ``own``: give ``text`` tokens of its own, not shared with the same expression elsewhere (the
        greeting's, so a reader's greeting can be filled differently from the body).
        """

        def swap(match: re.Match[str]) -> str:
            source = match.group(1).strip()
            known = None if own else self._by_source.get(source)
            if known is not None:
                return known.token
            line = first_line + text.count("\n", 0, match.start())
            try:
                evaluate = _ENV.compile_expression(source, undefined_to_none=False)
                ast = _ENV.parse("{{ " + source + " }}")
                lookup = _plain(ast)
            except TemplateSyntaxError as exc:
                raise ReleaseError(
                    f"merge field {{{{ {source} }}}} is not valid: {exc.message}",
                    where=f"{where}:{line}" if where else None,
                    hint='write e.g. {{ first_name or "editor" }}',
                ) from None
            token = f"PCTLM{len(self.fields):04d}X"
            merged = MergeField(
                token=token,
                source=source,
                variables=frozenset(meta.find_undeclared_variables(ast)),
                has_fallback=bool(re.search(r"\bor\b|\|\s*default\b|\|\s*d\b", source)),
                evaluate=evaluate,
                lookup=lookup,
            )
            self.fields.append(merged)
            if not own:
                self._by_source[source] = merged
            return token

        return _EXPR.sub(swap, text)

    def derived(self, key: str, text: str, make: Callable[[str], str], *, markup: bool = False) -> str:
        """A token whose value is ``make(text merged for the contact)``: e.g. the text version's underline
        of a title with merge fields, as wide as the title each journalist sees (not the placeholder).

        ``markup``: ``make`` returns HTML, escaping the contact's text itself (a personal note's paragraph,
        absent when the note is empty); such a value is put into HTML as it is (``markup_tokens``)."""
        source = f"\0derived:{key}:{text}"
        known = self._by_source.get(source)
        if known is not None:
            return known.token
        used = [f for f in self.fields if f.token in text]

        def evaluate(**present: Any) -> str:
            merged = _TOKEN.sub(lambda m: _value(next((f for f in used if f.token == m.group(0)), None), present), text)
            return make(merged)

        token = f"PCTLM{len(self.fields):04d}X"
        merged_field = MergeField(
            token=token,
            source=source,
            variables=frozenset().union(*(f.variables for f in used)) if used else frozenset(),
            has_fallback=True,  # its inputs are checked as themselves
            evaluate=evaluate,
            markup=markup,
            made=True,
        )
        self.fields.append(merged_field)
        self._by_source[source] = merged_field
        return token

    @property
    def made_tokens(self) -> frozenset[str]:
        """Tokens of ``derived`` fields (their inputs are cleaned; their own layout, e.g. a blank line, stays)."""
        return frozenset(f.token for f in self.fields if f.made)

    @property
    def markup_tokens(self) -> frozenset[str]:
        """Tokens whose values are HTML already (see ``derived``)."""
        return frozenset(f.token for f in self.fields if f.markup)

    def html_values(self, values: Mapping[str, str]) -> dict[str, str]:
        """``values`` ready for HTML: each escaped, except the markup fields' own (already escaped) HTML."""
        markup = self.markup_tokens
        return {k: x if k in markup else html.escape(x, quote=True) for k, x in values.items()}

    @property
    def variables(self) -> frozenset[str]:
        return frozenset().union(*(f.variables for f in self.fields)) if self.fields else frozenset()

    def values(self, contact: Mapping[str, str]) -> dict[str, str]:
        """Each token's text for one contact. Empty fields count as missing, so fallbacks apply."""
        present = {k: v for k, v in contact.items() if v not in ("", None)}
        out = {}
        for f in self.fields:
            if f.lookup is not None:
                value = f.lookup(present)
            else:
                try:
                    value = f.evaluate(**present)
                except Exception:  # a sandboxed expression failing on odd data must not stop a send
                    value = ""
            out[f.token] = "" if value is None or isinstance(value, Undefined) else str(value)
        return out

    def missing(self, contact: Mapping[str, str]) -> list[str]:
        """Fields an expression without a fallback needs but this contact lacks."""
        lacking: set[str] = set()
        for f in self.fields:
            if f.has_fallback:
                continue
            lacking.update(v for v in f.variables if not contact.get(v))
        return sorted(lacking)

    @staticmethod
    def apply(rendered: str, values: Mapping[str, str], *, escape_html: bool) -> str:
        """Put the values into text rendered from tokenized sources."""
        if "PCTLM" not in rendered:
            return rendered
        if escape_html:
            return _TOKEN.sub(lambda m: html.escape(values.get(m.group(0), ""), quote=True), rendered)
        return _TOKEN.sub(lambda m: values.get(m.group(0), ""), rendered)

    def blank(self) -> dict[str, str]:
        """Values for no contact at all (the PDF, `pressctl render`): fallbacks apply, the rest is empty."""
        return self.values({})


def _value(f: MergeField | None, present: Mapping[str, Any]) -> str:
    if f is None:
        return ""
    if f.lookup is not None:
        found = f.lookup(present)
        return "" if found is None else str(found)
    try:
        value = f.evaluate(**present)
    except Exception:  # as in MergePlan.values
        return ""
    return "" if value is None or isinstance(value, Undefined) else str(value)


_MISSING = None  # what a missing field reads as in a plain lookup (Jinja's Undefined: falsy, shown as "")
_DEFAULTS = ("default", "d")
# Names Jinja may answer itself rather than from the fields: its globals and the context's own names.
_RESERVED = frozenset(_ENV.globals) | {"self", "loop", "super", "caller", "varargs", "kwargs", "context"}


def _plain(ast: nodes.Template) -> Callable[[Mapping[str, Any]], Any] | None:
    """``{{ expr }}`` as a plain function of the contact's fields when ``expr`` is built only from field
    names, text constants, ``or`` and ``default``/``d`` with constant arguments; None for anything else
    (Jinja then evaluates it: attribute access, other filters, tests, arithmetic...).

    The same value as the sandboxed Jinja evaluation for every contact (``tests/test_release_merge_plain.py``
    checks it against Jinja with Hypothesis): a missing field is falsy and shows as "", ``a or b`` is
    Python's ``or``, ``default(x)`` replaces a missing field only (``default(x, true)`` an empty one too).
    Jinja's own globals (``range``, ``dict``, ...) are left to Jinja, as a field of that name would shadow one.
    """
    if len(ast.body) != 1 or not isinstance(ast.body[0], nodes.Output) or len(ast.body[0].nodes) != 1:
        return None
    return _plain_node(ast.body[0].nodes[0])


def _plain_node(node: nodes.Node) -> Callable[[Mapping[str, Any]], Any] | None:
    if isinstance(node, nodes.Name) and node.ctx == "load" and node.name not in _RESERVED:
        name = node.name
        return lambda present: present.get(name, _MISSING)
    if isinstance(node, nodes.Const) and isinstance(node.value, str):
        value = node.value
        return lambda present: value
    if isinstance(node, nodes.Or):
        left, right = _plain_node(node.left), _plain_node(node.right)
        if left is None or right is None:
            return None
        return lambda present: left(present) or right(present)
    if (
        isinstance(node, nodes.Filter)
        and node.name in _DEFAULTS
        and node.node is not None
        and not node.kwargs
        and node.dyn_args is None
        and node.dyn_kwargs is None
        and 1 <= len(node.args) <= 2
        and all(isinstance(a, nodes.Const) for a in node.args)
    ):
        inner = _plain_node(node.node)
        fallback = node.args[0].value  # type: ignore[attr-defined]
        boolean = len(node.args) == 2 and node.args[1].value  # type: ignore[attr-defined]
        if inner is None or not isinstance(fallback, str) or not isinstance(boolean, bool):
            return None
        if boolean:
            return lambda present: inner(present) or fallback
        return lambda present: fallback if (found := inner(present)) is _MISSING else found
    return None


def tokens_in(texts: Iterable[str]) -> set[str]:
    """The tokens that occur in some rendered texts (for checks)."""
    found: set[str] = set()
    for text in texts:
        found.update(m.group(0) for m in _TOKEN.finditer(text))
    return found
