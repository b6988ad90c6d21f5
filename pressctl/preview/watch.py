"""``pressctl preview`` as one library call: render, serve, and re-render on every change to the release, its
translations, photos, the templates or ``pressctl.toml`` (watchfiles), until stopped.

What is watched: the workspace folder and the release's own folder (recursively), leaving out the private
state (``.pressctl/``, but for the ledger file itself: an approval shows at once), the newsroom and output
folders, hidden files and editors' temporary files. A change
to anything else re-renders: cheap for a text edit (well under a second), and the page never shows a
stale render silently.
"""

from __future__ import annotations

import threading
import webbrowser
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from pressctl.clock import Clock
from pressctl.config import Workspace, load_workspace
from pressctl.preview.build import PdfMemo, build_preview
from pressctl.preview.inbox import InboxWorker
from pressctl.preview.server import PreviewServer, PreviewState, make_server
from pressctl.preview.shown import Built
from pressctl.release.load import Release, read_release_text

__all__ = ["Preview", "open_browser", "running_preview", "watched_roots"]

_SKIPPED_DIRS = {".pressctl", ".git", "node_modules", "__pycache__", ".venv", "outbox", "out"}


def watched_roots(workspace: Workspace, release: Path) -> list[Path]:
    """The folders to watch: the workspace and the release's folder (one when one holds the other)."""
    roots: list[Path] = []
    for folder in (workspace.root.resolve(), release.resolve().parent, workspace.templates_dir.resolve()):
        if not folder.is_dir() or any(folder == r or folder.is_relative_to(r) for r in roots):
            continue
        roots = [r for r in roots if not r.is_relative_to(folder)] + [folder]
    return roots


def _interesting(
    skipped: Iterable[Path], roots: Iterable[Path], *, ledger: Path | None = None
) -> Callable[[object, str], bool]:
    from watchfiles import DefaultFilter

    default = DefaultFilter()
    skip = [p.resolve() for p in skipped]
    watched = list(roots)
    ledger_file = ledger.resolve() if ledger is not None else None

    def keep(change: object, path: str) -> bool:
        if not default(change, path):  # type: ignore[arg-type]
            return False
        target = Path(path)
        if ledger_file is not None and target == ledger_file:
            return True  # an approval written: the page's approval line follows
        # Judged inside the watched folder: a workspace kept under ~/.local is still watched.
        root = next((r for r in watched if target.is_relative_to(r)), None)
        inner = target.relative_to(root).parts if root is not None else target.parts[1:]
        if any(part in _SKIPPED_DIRS or part.startswith(".") for part in inner):
            return False
        return not any(target == s or target.is_relative_to(s) for s in skip)

    return keep


def _finished(quick: Built, build: Callable[[], Built]) -> Built:
    """The quick render completed with its PDFs; a fresh render when that fails (a file gone meanwhile)."""
    assert quick.finish is not None
    try:
        return quick.finish()
    except Exception:
        return build()


@dataclass
class Preview:
    """A running preview: its server, what it shows and how to stop it."""

    server: PreviewServer
    state: PreviewState
    stop: threading.Event
    builds: int = 1

    @property
    def url(self) -> str:
        return self.server.url


@contextmanager
def running_preview(
    release: Path,
    *,
    config: Path | None,
    clock: Clock,
    port: int = 0,
    approval: Callable[[list[Release], Workspace], tuple[str, bool]] | None = None,
    environ: Mapping[str, str] | None = None,
) -> Iterator[Preview]:
    """Render ``release``, serve it on 127.0.0.1 and watch its files, for the duration of a ``with`` block.

    With ``environ`` (the environment SpamAssassin runs with, ``PRESSCTL_SPAMASSASSIN``), the page also shows
    the sending-domain check and SpamAssassin's scores, made in a thread of their own
    (:mod:`pressctl.preview.inbox`)."""
    from watchfiles import watch

    read_release_text(Path(release))  # a missing or unreadable file: one line, nothing served
    release = Path(release).resolve()

    def workspace() -> Workspace:
        return load_workspace(config=config) if config is not None else load_workspace(release.parent)

    memo: PdfMemo = {}

    def build(previous: Built | None = None) -> Built:
        return build_preview(
            release, load_workspace=workspace, now=clock(), approval=approval, memo=memo, previous=previous
        )

    first = workspace()  # a broken pressctl.toml at the start: one line, nothing served
    state = PreviewState(build())
    server = make_server(state, port=port)
    stop = threading.Event()
    preview = Preview(server=server, state=state, stop=stop)
    inbox: InboxWorker | None = None
    if environ is not None:

        def names() -> dict[str, str]:
            shown = state.shown()
            return {view.language: view.name for view in shown.languages} if shown is not None else {}

        inbox = InboxWorker(
            release=release, workspace=workspace, environ=environ, show=state.show_inbox,
            words=lambda: (state.shown() or state.built).words, names=names,
        )
        state.inbox = inbox.view
        state.score = inbox.score
    site = first.site.dir if first.site is not None else first.root / "site"
    roots = watched_roots(first, release)
    keep = _interesting([site, first.outbox_dir], roots, ledger=first.ledger_path if isinstance(first.ledger_path, Path) else None)

    def watcher() -> None:
        for _changes in watch(
            *roots, watch_filter=keep, stop_event=stop, step=30, debounce=400,
            rust_timeout=500, yield_on_timeout=False, raise_interrupt=False,
        ):
            if stop.is_set():
                break
            quick = build(state.shown())  # the words first; a changed PDF keeps its old pages a moment
            state.publish(quick)
            if quick.finish is not None:
                state.publish(_finished(quick, build))
            preview.builds += 1
            if inbox is not None:
                inbox.changed()  # the domain check again if pressctl.toml's sender, relays or DNS changed

    threads = [
        threading.Thread(target=server.serve_forever, name="pressctl-preview-serve", daemon=True),
        threading.Thread(target=watcher, name="pressctl-preview-watch", daemon=True),
    ]
    for thread in threads:
        thread.start()
    if inbox is not None:
        inbox.start()  # after the page is up: DNS and SpamAssassin never hold up a render
    try:
        yield preview
    finally:
        stop.set()
        if inbox is not None:
            inbox.stop()
        state.close()
        server.shutdown()
        server.server_close()
        for thread in threads:
            thread.join(timeout=5)


def open_browser(url: str) -> None:
    """``--open``: the page in the user's browser (nothing when none is known)."""
    webbrowser.open(url)
