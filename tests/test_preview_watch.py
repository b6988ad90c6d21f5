"""What the preview watches (the workspace and the release's folder, not its private state, the newsroom or
the outbox, wherever the workspace is) and what its page says of an error (escaped, with its line)."""

from __future__ import annotations

from pathlib import Path

from watchfiles import Change

from pressctl.config import load_workspace
from pressctl.preview.page import fragment, page
from pressctl.preview.shown import Built
from pressctl.preview.watch import _interesting, watched_roots
from pressctl.scaffold import init_workspace


def test_the_workspace_and_an_outside_release_folder_are_watched(tmp_path: Path) -> None:
    root = tmp_path / "ws"
    init_workspace(root)
    ws = load_workspace(root)
    assert watched_roots(ws, root / "releases" / "sample.md") == [root.resolve()]
    outside = tmp_path / "drafts"
    outside.mkdir()
    assert watched_roots(ws, outside / "draft.md") == [root.resolve(), outside.resolve()]


def test_private_state_output_and_editor_files_are_not_changes(tmp_path: Path) -> None:
    root = tmp_path / ".local" / "ws"  # a workspace under a hidden folder is still watched
    keep = _interesting([root / "site", root / "outbox"], [root], ledger=root / ".pressctl" / "ledger.sqlite3")
    assert keep(Change.modified, str(root / ".pressctl" / "ledger.sqlite3"))  # an approval recorded
    assert keep(Change.modified, str(root / "releases" / "sample.md"))
    assert keep(Change.modified, str(root / "releases" / "photos" / "test-bay.jpg"))
    assert keep(Change.modified, str(root / "pressctl.toml"))
    assert keep(Change.modified, str(root / "templates" / "print.css"))
    for ignored in (
        root / ".pressctl" / "ledger.sqlite3-wal",
        root / ".pressctl" / "cache" / "pdf-1.pdf",
        root / "site" / "index.html",
        root / "outbox" / "new" / "1.eml",
        root / "releases" / ".sample.md.swp",
        root / ".git" / "index",
    ):
        assert not keep(Change.modified, str(ignored)), ignored


def test_an_error_is_one_escaped_line_over_the_last_good_render() -> None:
    good = Built(slug="s", title="Tidal <Bay>")
    broken = Built(error="releases/s.md:3: front matter is not valid YAML <script>alert(1)</script>")
    shown = fragment(broken, good, 7)
    assert 'role="alert"' in shown and "releases/s.md:3: front matter is not valid YAML" in shown
    assert "<script>" not in shown and "&lt;script&gt;" in shown
    assert "Tidal &lt;Bay&gt; (error)" in shown and "the last version that rendered" in shown
    alone = fragment(broken, None, 1)
    assert "the release has an error" in alone
    whole = page(broken, good, 7)
    assert whole.count("<script") == 1 and 'src="/preview.js"' in whole  # no inline script (CSP: script-src 'self')


def test_a_missing_release_or_a_folder_is_one_line_and_nothing_is_served(tmp_path: Path) -> None:
    """``pressctl preview`` of a path that is no release file says so and exits 2 (it used to serve a page)."""
    from typer.testing import CliRunner

    from pressctl.cli import app
    from pressctl.cli._env import Env

    root = tmp_path / "ws"
    init_workspace(root)
    for given, said in (("releases/nope.md", "file not found"), ("releases", "is a folder, not a release file")):
        done = CliRunner().invoke(app, ["preview", str(root / given), "--port", "0"], obj=Env.for_test(cwd=root))
        assert done.exit_code == 2, done.output
        assert said in done.output and "Preview of" not in done.output and "Traceback" not in done.output
