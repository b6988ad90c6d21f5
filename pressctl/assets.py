"""Which files a release may pull in: the workspace's, and nothing from the network.

Photos, body images, attachments, translations, the logo and anything a template refers to must resolve
(symlinks followed) inside the release's folder tree, the workspace root's tree, or a folder the workspace
allows with ``[assets] allow`` in pressctl.toml. Without this, ``attachments: [/proc/self/environ]`` mailed
the environment, password included, to every journalist.

``Fetcher`` is what WeasyPrint gets as its ``url_fetcher``: ``data:`` URLs and allowed files, nothing
else; what it refused is kept so the caller can fail with one line instead of a PDF missing a picture.
``email_html_problem`` checks a finished email for local paths and loopback addresses.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit
from urllib.request import url2pathname

__all__ = [
    "OUTSIDE_HINT",
    "REMOTE_HINT",
    "Fetcher",
    "email_html_problem",
    "is_remote",
    "outside",
    "roots_for",
]

OUTSIDE_HINT = (
    "copy the file into the workspace folder, or allow its folder with [assets] allow = [\"/path\"] in pressctl.toml"
)
REMOTE_HINT = "download the file into the workspace (e.g. next to the release) and refer to it by its path"

_SCHEME = re.compile(r"^[A-Za-z][A-Za-z0-9+.\-]*:")


def is_remote(src: str) -> bool:
    """True for anything with a URL scheme (``http:``, ``file:``, ``ftp:``, ...) or a ``//host`` prefix."""
    src = src.strip()
    return bool(_SCHEME.match(src)) or src.startswith("//")


def roots_for(workspace_root: Path, release_dir: Path | None, allow: Iterable[Path]) -> tuple[Path, ...]:
    """The folders (resolved) whose trees files may come from."""
    roots = [workspace_root.resolve()]
    if release_dir is not None:
        roots.append(release_dir.resolve())
    roots += [Path(a).resolve() for a in allow]
    return tuple(roots)


def outside(path: Path, roots: Sequence[Path]) -> bool:
    """True when ``path``, symlinks resolved, lies in none of ``roots``' trees."""
    resolved = Path(path).resolve()
    return not any(resolved.is_relative_to(Path(root).resolve()) for root in roots)


class Fetcher:
    """A WeasyPrint URL fetcher that serves ``data:`` URLs and files under ``roots``; nothing else.

    ``fetcher`` is what ``weasyprint.HTML(url_fetcher=...)`` gets. Refused URLs raise inside WeasyPrint
    (which then leaves the resource out) and are kept in ``refused`` for the caller to report.
    """

    def __init__(self, roots: Sequence[Path]) -> None:
        from weasyprint.urls import URLFetcher

        self.roots = tuple(Path(r).resolve() for r in roots)
        self.refused: list[str] = []
        outer = self

        class _Fetcher(URLFetcher):  # type: ignore[misc]
            def fetch(self, url: str, headers: Any = None) -> Any:
                if outer.allows(url):
                    return super().fetch(url, headers)
                outer.refused.append(url)
                raise ValueError(f"pressctl does not fetch {url[:200]!r}: only files inside the workspace")

        self.fetcher = _Fetcher(allowed_protocols=("file", "data"), allow_redirects=False, timeout=1)

    def allows(self, url: str) -> bool:
        scheme = url.split(":", 1)[0].lower() if ":" in url else ""
        if scheme == "data":
            return True
        if scheme != "file":
            return False
        parts = urlsplit(url)
        if parts.netloc not in ("", "localhost"):
            return False
        path = Path(url2pathname(unquote(parts.path)))
        return path.is_file() and not outside(path, self.roots)


# Attributes and CSS that make a mail client load or link something.
_ATTR = re.compile(r"""\b(src|href|background|poster|srcset|action)\s*=\s*("([^"]*)"|'([^']*)'|([^\s>]+))""", re.I)
_CSS_URL = re.compile(r"""url\(\s*(?:"([^"]*)"|'([^']*)'|([^)]*?))\s*\)|@import\s+(?:"([^"]*)"|'([^']*)')""", re.I)
_TAG = re.compile(r"<[A-Za-z][^>]*>")
_STYLE_BLOCK = re.compile(r"<style\b[^>]*>(.*?)</style>", re.I | re.S)
_STYLE_ATTR = re.compile(r"""\bstyle\s*=\s*(?:"([^"]*)"|'([^']*)')""", re.I)
_LOOPBACK_NAMES = ("localhost", "localhost.localdomain", "ip6-localhost", "ip6-loopback")


def _bad_host(host: str) -> bool:
    host = host.strip("[]").lower().rstrip(".")
    if host in _LOOPBACK_NAMES or host.endswith(".localhost"):
        return True
    try:
        ip = ipaddress.ip_address(host)
    except ValueError:
        return False
    return ip.is_loopback or ip.is_unspecified or ip.is_link_local


def _value_problem(value: str) -> str | None:
    import html

    value = html.unescape(value).strip()
    if not value or value.startswith(("#", "cid:", "mailto:", "tel:", "PCTLM")):
        return None
    if value.lower().startswith("data:"):
        return None
    if value.startswith("{{") or value.startswith("{%"):
        return None
    parts = urlsplit(value)
    scheme = parts.scheme.lower()
    if scheme in ("http", "https"):
        return f"a loopback address {value[:120]!r}" if _bad_host(parts.hostname or "") else None
    if scheme:
        return None if scheme not in ("file", "ftp", "smb", "ssh", "sftp") else f"a local or non-web address {value[:120]!r}"
    if value.startswith("//"):
        return f"a loopback address {value[:120]!r}" if _bad_host(parts.hostname or "") else None
    return f"a local path {value[:120]!r}"


def email_html_problem(html_text: str) -> str | None:
    """What in the email HTML points at this machine (a local path, ``file:``, a loopback URL), or None."""
    for tag in _TAG.finditer(html_text):
        for match in _ATTR.finditer(tag.group(0)):
            value = match.group(3) if match.group(3) is not None else match.group(4) or match.group(5) or ""
            if match.group(1).lower() == "srcset":
                candidates = [c.strip().split(" ")[0] for c in value.split(",")]
            else:
                candidates = [value]
            for candidate in candidates:
                problem = _value_problem(candidate)
                if problem:
                    return problem
    css = [m.group(1) for m in _STYLE_BLOCK.finditer(html_text)]
    css += [m.group(1) or m.group(2) or "" for m in _STYLE_ATTR.finditer(html_text)]
    for block in css:
        for match in _CSS_URL.finditer(block):
            value = next((g for g in match.groups() if g is not None), "")
            problem = _value_problem(value)
            if problem:
                return problem
    return None
