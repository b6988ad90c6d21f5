"""The rendered-PDF cache: a second plan with the same inputs renders nothing; any change renders again."""

from __future__ import annotations

from pathlib import Path

import pytest
from send_support import make_workspace, write_contacts, write_release

import pressctl.send.pdfs as pdfs
from pressctl.config import load_workspace
from pressctl.render.pdfcache import KEEP, cache_dir, load_pdfs, store_pdfs
from pressctl.send.options import SendOptions
from pressctl.send.plan import plan_send


@pytest.fixture
def ws(tmp_path: Path) -> Path:
    return make_workspace(tmp_path)


def _no_render(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*args: object, **kwargs: object) -> object:
        raise AssertionError("rendered although the cache holds these PDFs")

    monkeypatch.setattr(pdfs, "start_pdfs", refuse)


def _count_renders(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    calls: list[int] = []
    real = pdfs.start_pdfs

    def counting(*args: object, **kwargs: object) -> object:
        calls.append(1)
        return real(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(pdfs, "start_pdfs", counting)
    return calls


def test_second_plan_uses_the_cache_and_the_same_bytes(ws: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    workspace = load_workspace(ws)
    release = ws / "releases" / "sample.md"  # the sample: English + Chinese, a photo, the logo
    lists = [write_contacts(ws / "contacts" / "l.csv", 3)]
    for path in (release, ws / "releases" / "sample.zh-HK.md"):
        text = path.read_text(encoding="utf-8").splitlines(keepends=True)
        path.write_text("".join(x for x in text if not x.startswith("embargo:")), encoding="utf-8")
    first = plan_send(release, lists, workspace=workspace)
    assert set(first.pdfs) == {"en", "zh-HK"}
    assert len(list(cache_dir(workspace).glob("pdf-*.pdf"))) == 2
    _no_render(monkeypatch)
    second = plan_send(release, lists, workspace=workspace)
    assert second.pdfs == first.pdfs
    # The merge plan the contacts are checked against is the emails' own, cache or not.
    assert [f.source for f in second.merge_plan.fields] == [f.source for f in first.merge_plan.fields]


@pytest.mark.slow
def test_any_input_change_renders_again(ws: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    workspace = load_workspace(ws)
    release = write_release(ws, embargo="2030-03-12 10:00")
    lists = [write_contacts(ws / "contacts" / "l.csv", 2)]
    calls = _count_renders(monkeypatch)
    advance = SendOptions(advance_copy=True)

    def plan(options: SendOptions | None = None) -> bytes:
        return plan_send(release, lists, workspace=load_workspace(ws), options=options or advance).pdfs["en"]

    pdf = plan()
    assert plan() == pdf and len(calls) == 1  # cached
    # The embargo marking: the same release sent after the lift is another PDF.
    import datetime as dt

    after = dt.datetime(2030, 3, 12, 3, 0, tzinfo=dt.UTC)
    lifted = plan_send(release, lists, workspace=workspace, now=after).pdfs["en"]
    assert len(calls) == 2 and lifted != pdf
    # The release text.
    release.write_text(release.read_text(encoding="utf-8").replace("140 applicants", "150 applicants"), "utf-8")
    plan()
    assert len(calls) == 3
    # A template in the workspace (even one the print HTML does not show, e.g. a font file).
    (ws / "templates" / "extra-font.woff2").write_bytes(b"not really a font")
    plan()
    assert len(calls) == 4
    # The logo's bytes (its path, and so the print HTML, unchanged).
    logo = load_workspace(ws).brand.logo
    assert logo is not None
    logo.write_bytes(logo.read_bytes() + b"\0")
    plan()
    assert len(calls) == 5
    # The brand colours in pressctl.toml.
    config = ws / "pressctl.toml"
    text = config.read_text(encoding="utf-8")
    assert 'primary = "' in text
    config.write_text(text.replace('primary = "', 'primary = "#123456" #', 1), encoding="utf-8")
    plan()
    assert len(calls) == 6
    plan()
    assert len(calls) == 6


def test_damaged_or_missing_entries_are_rendered_again(ws: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    workspace = load_workspace(ws)
    release = write_release(ws)
    lists = [write_contacts(ws / "contacts" / "l.csv", 2)]
    pdf = plan_send(release, lists, workspace=workspace).pdfs["en"]
    (entry,) = cache_dir(workspace).glob("pdf-*.pdf")
    entry.write_bytes(pdf[: len(pdf) // 2])  # cut short, as a full disk might leave it
    calls = _count_renders(monkeypatch)
    assert plan_send(release, lists, workspace=workspace).pdfs["en"].startswith(b"%PDF-")
    assert len(calls) == 1
    assert load_pdfs(workspace, {"en": "0" * 40}) is None


def test_unwritable_cache_does_not_fail_the_send(ws: Path) -> None:
    workspace = load_workspace(ws)
    workspace.state_dir.mkdir(parents=True, exist_ok=True)
    cache_dir(workspace).write_text("a file where the folder should be")
    pdf = plan_send(write_release(ws), [write_contacts(ws / "contacts" / "l.csv", 2)], workspace=workspace).pdfs
    assert pdf["en"].startswith(b"%PDF-")


def test_only_the_newest_entries_are_kept(ws: Path) -> None:
    workspace = load_workspace(ws)
    fake = b"%PDF-1.7\n...\n%%EOF\n"
    for i in range(KEEP + 5):
        store_pdfs(workspace, {"en": f"{i:040d}"}, {"en": fake})
    assert len(list(cache_dir(workspace).glob("pdf-*.pdf"))) == KEEP
    assert load_pdfs(workspace, {"en": f"{KEEP + 4:040d}"}) == {"en": fake}
