"""Rendered PDFs kept in ``.pressctl/cache/``, keyed by everything that makes them: what was previewed is what goes.

Rendering the PDFs is most of a send's start-up (~0.8 s of WeasyPrint for English + Chinese, in a child
process) although they change only when the release, a photo, a template, the brand or the embargo
marking changes. The key is a hash of the print HTML (it carries the release text, the brand from
``pressctl.toml``, the templates' output, the language and the EMBARGOED marking), the bytes of every local
file it references (photos, logo, fonts in templates), every file under the workspace's ``templates/``,
and the pressctl and WeasyPrint versions. Any change gives a new key, so a stale PDF is never used; an
unreadable or damaged entry is treated as missing. Writes are atomic (temporary file, then rename).
"""

from __future__ import annotations

import contextlib
import hashlib
import re
from collections.abc import Sequence
from pathlib import Path
from urllib.parse import unquote, urlsplit

from pressctl.atomic import write_atomic
from pressctl.config import Workspace
from pressctl.digests import feed_file
from pressctl.private import private_dir
from pressctl.release.load import Release
from pressctl.release.merge import MergePlan

__all__ = ["KEEP", "cache_dir", "load_pdfs", "pdf_keys", "store_pdfs"]

KEEP = 32  # newest entries kept; older ones are removed when a new one is written

# References in the print HTML and its CSS: src="...", href="...", url(...).
_REFERENCE = re.compile(r"""(?:src|href)\s*=\s*["']([^"']+)["']|url\(\s*["']?([^"')]+)["']?\s*\)""")


def cache_dir(workspace: Workspace) -> Path:
    return workspace.state_dir / "cache"


def _versions() -> bytes:
    from importlib import metadata

    import pressctl

    try:
        weasyprint = metadata.version("weasyprint")
    except metadata.PackageNotFoundError:
        weasyprint = "?"
    return f"pressctl {pressctl.__version__}; weasyprint {weasyprint}\0".encode()


def _referenced_files(html: str, base: Path) -> list[Path]:
    found: dict[Path, None] = {}
    for match in _REFERENCE.finditer(html):
        ref = (match.group(1) or match.group(2) or "").strip()
        scheme = urlsplit(ref).scheme.lower()
        if scheme == "file":
            found.setdefault(Path(unquote(urlsplit(ref).path)), None)
        elif not scheme and ref and not ref.startswith("#"):
            found.setdefault(base / unquote(urlsplit(ref).path), None)
        # data:, http(s):, cid:, mailto: carry their content in the HTML itself or are not read
    return list(found)


def _hash_file(digest: hashlib._Hash, path: Path) -> None:
    digest.update(str(path).encode("utf-8", "surrogateescape") + b"\0")
    try:
        feed_file(digest, path)
    except OSError:
        digest.update(b"<unreadable>")
    digest.update(b"\0")


def pdf_keys(
    releases: Sequence[Release], workspace: Workspace, merge_plan: MergePlan, *, embargoed: bool
) -> dict[str, str]:
    """The cache key of each language's PDF (cheap: templates and hashing, no WeasyPrint)."""
    from pressctl.render.pdf import print_html

    # A scratch copy: the print HTML may tokenise merge fields the emails lack, and the caller's plan
    # (checked against the contacts) must stay as the emails left it, as it does when the PDF renders
    # in a child process.
    scratch = MergePlan(fields=list(merge_plan.fields), _by_source=dict(merge_plan._by_source))
    common = hashlib.sha256(_versions())
    templates = workspace.templates_dir
    if templates.is_dir():
        for path in sorted(p for p in templates.rglob("*") if p.is_file()):
            _hash_file(common, path)
    keys: dict[str, str] = {}
    for release in releases:
        html = print_html(release, workspace, scratch, embargoed=embargoed)
        digest = common.copy()
        digest.update(f"{release.language}\0{int(embargoed)}\0{release.path.parent}\0".encode())
        digest.update(html.encode("utf-8", "surrogateescape"))
        for path in _referenced_files(html, release.path.parent):
            _hash_file(digest, path)
        keys[release.language] = digest.hexdigest()[:40]
    return keys


def _entry(workspace: Workspace, key: str) -> Path:
    return cache_dir(workspace) / f"pdf-{key}.pdf"


def load_pdfs(workspace: Workspace, keys: dict[str, str]) -> dict[str, bytes] | None:
    """Every language's PDF from the cache, or None when any is missing or damaged."""
    pdfs: dict[str, bytes] = {}
    for language, key in keys.items():
        try:
            data = _entry(workspace, key).read_bytes()
        except OSError:
            return None
        # A PDF starts with its header and ends with %%EOF (and maybe a line end): anything else is damage.
        if not data.startswith(b"%PDF-") or b"%%EOF" not in data[-32:]:
            return None
        pdfs[language] = data
    return pdfs


def store_pdfs(workspace: Workspace, keys: dict[str, str], pdfs: dict[str, bytes]) -> None:
    """Keep the PDFs for the next command; a cache that cannot be written is no reason to fail a send."""
    folder = cache_dir(workspace)
    with contextlib.suppress(OSError):
        private_dir(folder)  # inside .pressctl/ (0700): PDFs of releases still under embargo
        for language, key in keys.items():
            target = _entry(workspace, key)
            if language not in pdfs or target.exists():
                continue
            write_atomic(target, pdfs[language], mode=0o600)
        fresh = {_entry(workspace, key) for key in keys.values()}
        entries = sorted(folder.glob("pdf-*.pdf"), key=lambda p: (p in fresh, p.stat().st_mtime), reverse=True)
        for old in entries[KEEP:]:
            old.unlink()
