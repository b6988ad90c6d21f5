"""The Jinja2 environment (workspace overrides first, then the defaults), its filters, and rendering one
template with one clear error for a broken override. Reads template files, and keeps them compiled between
commands in Jinja's per-user folder (``_CompiledTemplates``)."""

from __future__ import annotations

import contextlib
import hashlib
import re
from collections.abc import Mapping
from typing import Any

import jinja2
from jinja2 import (
    ChoiceLoader,
    FileSystemBytecodeCache,
    FileSystemLoader,
    StrictUndefined,
    TemplateError,
    TemplateNotFound,
    TemplateSyntaxError,
    pass_context,
    select_autoescape,
)
from jinja2.bccache import Bucket
from jinja2.exceptions import SecurityError
from jinja2.sandbox import ImmutableSandboxedEnvironment
from markupsafe import Markup

from pressctl import resources
from pressctl.config import Workspace
from pressctl.errors import InputError
from pressctl.release.markdown import lang_spans, text_width
from pressctl.render.colour import text_on
from pressctl.render.text import wrap

__all__ = ["TEXT_WIDTH", "TemplateFileError", "render_template", "rule"]

TEXT_WIDTH = 72


class TemplateFileError(InputError):
    """A template (a workspace override, usually) is broken."""


# --- templates ----------------------------------------------------------------------------------

_ENVIRONMENTS: dict[str, ImmutableSandboxedEnvironment] = {}
_AUTOESCAPE = ("html", "html.j2")


def _environment(workspace: Workspace) -> ImmutableSandboxedEnvironment:
    """One Jinja2 environment per templates folder: the workspace's overrides first, then the defaults.

    Jinja's sandbox, as for merge fields: a template (a workspace's own, or one a scheduled job copied) may
    show what it is given, but not reach Python through it (``cycler.__init__.__globals__.os``), call
    methods that change things, or loop without end over a huge range.
    """
    key = str(workspace.templates_dir)
    env = _ENVIRONMENTS.get(key)
    if env is None:
        env = ImmutableSandboxedEnvironment(
            loader=ChoiceLoader(
                [FileSystemLoader(workspace.templates_dir), FileSystemLoader(resources.templates_dir())]
            ),
            autoescape=select_autoescape(enabled_extensions=_AUTOESCAPE, default_for_string=False),
            undefined=StrictUndefined,
            trim_blocks=True,
            lstrip_blocks=True,
            keep_trailing_newline=True,
        )
        env.filters["wrap"] = lambda text: wrap(str(text), width=TEXT_WIDTH)
        env.filters["css_string"] = _css_string
        env.filters["cjk"] = _cjk_filter
        env.filters["table_scroll"] = _table_scroll
        env.filters["text_on"] = text_on
        env.filters["keep_tail"] = _keep_tail
        env.globals["rule"] = rule
        env.bytecode_cache = _compiled_templates(env)
        _ENVIRONMENTS[key] = env
    return env


class _CompiledTemplates(FileSystemBytecodeCache):
    """The templates as Jinja compiled them, kept between commands: each render or send otherwise compiles
    its five templates again (~0.03 s of CPU).

    In Jinja's own per-user folder (``$TMPDIR/_jinja2-cache-<uid>``: made 0700, refused unless this user owns
    it and it is a real folder), never in the workspace, which may be shared: bytecode is code, and the
    sandbox holds because what runs was compiled here from the template's source. An entry is found by the
    template's name and file, and used only while its source's checksum matches; its file name carries a
    digest of the environment's settings (see ``_compiled_templates``). An entry that cannot be read, or
    written, is compiled as before."""

    def load_bytecode(self, bucket: Bucket) -> None:
        try:
            super().load_bytecode(bucket)
        except Exception:  # a truncated or foreign entry: compile the template instead
            bucket.reset()

    def dump_bytecode(self, bucket: Bucket) -> None:
        with contextlib.suppress(OSError):  # a full disk or a folder gone: the next command compiles again
            super().dump_bytecode(bucket)


def _compiled_templates(env: ImmutableSandboxedEnvironment) -> _CompiledTemplates | None:
    """The cache of compiled templates for ``env``, or None where Jinja's folder is not safe to use. Code
    compiled under other settings (another sandbox, syntax, escaping or Jinja version) is never loaded: they
    are part of every entry's file name."""
    settings = (
        type(env).__module__, type(env).__qualname__, jinja2.__version__, sorted(env.extensions), _AUTOESCAPE,
        env.block_start_string, env.block_end_string, env.variable_start_string, env.variable_end_string,
        env.comment_start_string, env.comment_end_string, env.line_statement_prefix, env.line_comment_prefix,
        env.trim_blocks, env.lstrip_blocks, env.newline_sequence, env.keep_trailing_newline, env.optimized,
        env.is_async,
    )
    digest = hashlib.sha256(repr(settings).encode()).hexdigest()[:16]
    try:
        return _CompiledTemplates(pattern=f"pressctl-{digest}-%s.cache")
    except (OSError, RuntimeError):  # another user's folder, a link, a file in its place, no temporary folder
        return None


def rule(text: object) -> str:
    """The ``=`` line under a title in the text version: as wide as the title (CJK count two), 3 to 72."""
    return "=" * min(TEXT_WIDTH, max(3, text_width(str(text))))


@pass_context
def _cjk_filter(context: Any, value: object) -> Markup:
    """Escape text and tag its runs of another script with their lang= (``cjk_span_lang``, the locale's
    ``cjk_spans``: Chinese names in an English document; none in a Chinese one). See markdown.lang_spans."""
    return Markup(lang_spans(str(value), context.get("cjk_span_lang")))


# The last few characters of a Chinese heading: CJK characters and the punctuation that closes them.
_CJK_TAIL = re.compile(r"[\u3000-\u303f\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uff00-\uffef]{2,5}\Z")


@pass_context
def _keep_tail(context: Any, value: object) -> Markup:
    """In a Chinese document, keep a heading's last 2-5 CJK characters on one line (print only).

    WeasyPrint has neither ``text-wrap: balance`` nor ``word-break: keep-all``, and broke headlines as
    "...海洋能 / 源裝置" or left "額。" alone on the last line; ``white-space: nowrap`` it does honour.
    The email uses ``text-wrap: balance`` instead (a tag between CJK characters counts as obfuscation
    to spam filters).
    """
    html = str(value if isinstance(value, Markup) else Markup.escape(value))
    if not context.get("is_chinese"):
        return Markup(html)
    match = _CJK_TAIL.search(html)
    if match is None:
        return Markup(html)
    return Markup(f'{html[: match.start()]}<span class="nobr">{match.group(0)}</span>')


def _table_scroll(value: object) -> Markup:
    """Wrap each Markdown table in a ``div.table-scroll`` so a wide one scrolls on a phone (email only).

    The body comes from the Markdown renderer, which allows no raw HTML: a literal ``<table>`` is a real tag.
    """
    html = str(value).replace("<table>", '<div class="table-scroll"><table>').replace("</table>", "</table></div>")
    return Markup(html)


def _css_string(value: object) -> str:
    """A CSS string literal (for ``content:``) that can't end the string or the <style> element."""
    text = str(value).replace("\\", "\\\\").replace('"', '\\"').replace("<", "\\3C ").replace("\n", " ")
    return f'"{text}"'


def render_template(workspace: Workspace, name: str, context: Mapping[str, Any]) -> str:
    try:
        return _environment(workspace).get_template(name).render(context)
    except SecurityError as exc:
        raise TemplateFileError(
            f"template {name!r} was refused: it reaches past what templates may use ({str(exc.message or exc).rstrip('.')})",
            where=_template_line(exc, workspace, name),
            hint="templates may show the values they are given, with filters; remove that part, or delete the "
            "file from the workspace's templates/ to use the default",
        ) from None
    except OverflowError as exc:  # the sandbox's cap on range(): a loop of a billion turns
        raise TemplateFileError(
            f"template {name!r} was refused: it loops over a range of more than 100,000 items",
            where=_template_line(exc, workspace, name),
            hint="loop over the values it is given instead",
        ) from None
    except TemplateNotFound as exc:
        raise TemplateFileError(
            f"template {exc.name!r} not found",
            where=str(workspace.templates_dir),
            hint="restore the file or remove the template that includes it",
        ) from None
    except TemplateSyntaxError as exc:
        raise TemplateFileError(
            f"template error: {exc.message}",
            where=f"{exc.filename or name}:{exc.lineno}",
            hint="fix the template, or delete it from the workspace's templates/ to use the default",
        ) from None
    except TemplateError as exc:
        raise TemplateFileError(
            f"template {name!r} failed: {exc.message or type(exc).__name__}",
            where=str(workspace.templates_dir / name),
            hint="fix the template, or delete it from the workspace's templates/ to use the default",
        ) from None
    except UnicodeDecodeError:
        # Jinja reads overrides as UTF-8; a file saved in another encoding (or not text) fails here.
        raise TemplateFileError(
            f"template {name!r} (or one it includes) is not UTF-8 text",
            where=str(workspace.templates_dir),
            hint="save it as UTF-8, or delete it from the workspace's templates/ to use the default",
        ) from None
    except RecursionError:
        raise TemplateFileError(
            f"template {name!r} includes or extends itself, without end",
            where=str(workspace.templates_dir),
            hint="extend or include a template of another name",
        ) from None


def _template_line(exc: BaseException, workspace: Workspace, name: str) -> str:
    """``file:line`` of the template line that raised ``exc`` (Jinja puts template lines in the traceback)."""
    import traceback

    where = str(workspace.templates_dir / name)
    for frame in traceback.extract_tb(exc.__traceback__):
        if frame.filename.endswith((".j2", ".html", ".txt", ".css")):
            where = f"{frame.filename}:{frame.lineno}"
    return where
