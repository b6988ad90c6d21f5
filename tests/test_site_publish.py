"""Publishing to the site folder: the state file, updates in place, previews with kept tokens, unpublishing,
and what must never happen (a preview listed anywhere, a public page when not allowed, a file outside)."""

from __future__ import annotations

import datetime as dt
import json
import os
import stat
from pathlib import Path

import pytest
from render_support import AFTER_LIFT, BEFORE_LIFT, HAVE_POPPLER, make_workspace, pdftotext, write_release
from site_support import fixed_clock, sample_releases

from pressctl.errors import EmbargoError, InputError
from pressctl.release.load import load_release_set
from pressctl.site.publish import publish, publish_preview, site_config, unpublish
from pressctl.site.state import load_state

BASE = "https://newsroom.hvsp.example/"
FOLDER = "releases/2030-03-12-sample/"
LATER = AFTER_LIFT + dt.timedelta(days=2)


def _files(site: Path) -> set[str]:
    return {str(p.relative_to(site)) for p in site.rglob("*") if p.is_file()}


def test_publish_writes_pages_pdfs_photos_index_feeds_sitemap_and_state(tmp_path: Path) -> None:
    root, ws = make_workspace(tmp_path)
    config = site_config(ws, base_url=BASE)
    result = publish(sample_releases(root, ws), ws, config, clock=fixed_clock(AFTER_LIFT), allow_public=True)
    assert result.pages == (FOLDER + "index.html", FOLDER + "index.zh-HK.html")
    assert result.urls(config) == tuple(BASE + p for p in result.pages)
    assert _files(config.dir) == {
        FOLDER + "index.html",
        FOLDER + "index.zh-HK.html",
        FOLDER + "sample.pdf",
        FOLDER + "sample.zh-HK.pdf",
        FOLDER + "photos/test-bay.jpg",
        FOLDER + "photos/test-bay-web.jpg",
        "assets/site.css",
        "assets/logo.png",
        "assets/icon.png",
        "index.html",
        "index.zh-HK.html",
        "feed.xml",
        "feed.zh-HK.xml",
        "sitemap.xml",
    }
    assert config.dir == root / "site"
    # The state lives outside the served folder, readable by its owner only.
    assert config.state_path == root / ".pressctl" / "site.json"
    assert stat.S_IMODE(config.state_path.stat().st_mode) == 0o600
    state = json.loads(config.state_path.read_text(encoding="utf-8"))
    record = state["published"]["sample"]
    assert record["languages"] == ["en", "zh-HK"] and record["date"] == "2030-03-12"
    assert record["versions"][1]["title"].startswith("海景科學園啟用潮汐能源測試灣")
    assert FOLDER + "sample.pdf" in record["paths"]
    assert not list(config.dir.rglob("*.tmp")) and not list(config.dir.rglob(".*"))
    assert "Harbourview Science Park Opens Tidal Energy Test Bay" in (config.dir / "index.html").read_text()


@pytest.mark.skipif(not HAVE_POPPLER, reason="poppler-utils not installed")
def test_the_pdfs_are_the_real_ones_in_each_language(tmp_path: Path) -> None:
    root, ws = make_workspace(tmp_path)
    config = site_config(ws)
    publish(sample_releases(root, ws), ws, config, clock=fixed_clock(AFTER_LIFT), allow_public=True)
    en, zh = pdftotext(config.dir / FOLDER / "sample.pdf"), pdftotext(config.dir / FOLDER / "sample.zh-HK.pdf")
    assert "Opens Tidal Energy" in en and "FOR IMMEDIATE RELEASE" in en
    assert "潮汐能源測試灣" in zh
    # The preview's PDF is the advance copy, marked like the page.
    preview = publish_preview(sample_releases(root, ws), ws, config, clock=fixed_clock(BEFORE_LIFT))
    assert "EMBARGOED UNTIL 10:00 HKT, 12 March 2030" in pdftotext(config.dir / preview.folder / "sample.pdf")


def test_publish_refuses_without_allow_public_and_writes_nothing(tmp_path: Path) -> None:
    root, ws = make_workspace(tmp_path)
    config = site_config(ws, base_url=BASE)
    with pytest.raises(EmbargoError) as err:
        publish(sample_releases(root, ws), ws, config, clock=fixed_clock(BEFORE_LIFT), allow_public=False)
    assert "\n" not in str(err.value) and "sample.md" in str(err.value)
    assert not config.dir.exists() and not config.state_path.exists()


@pytest.mark.slow
def test_publish_again_updates_in_place_and_removes_what_the_release_lost(tmp_path: Path) -> None:
    root, ws = make_workspace(tmp_path)
    config = site_config(ws, base_url=BASE)
    source = root / "releases" / "sample.md"
    publish(load_release_set(source, ws), ws, config, clock=fixed_clock(AFTER_LIFT), allow_public=True)
    before = _files(config.dir)
    feeds = {name: (config.dir / name).read_bytes() for name in ("feed.xml", "feed.zh-HK.xml", "sitemap.xml")}

    # A second publish of the same release: the same files, byte for byte; nothing changed, so its time of
    # update stays and the feeds and sitemap are not touched (issue 18: feed readers saw a change each time).
    publish(load_release_set(source, ws), ws, config, clock=fixed_clock(LATER), allow_public=True)
    assert _files(config.dir) == before
    record = load_state(config.state_path).published["sample"]
    assert record.published == AFTER_LIFT and record.updated == AFTER_LIFT
    assert {name: (config.dir / name).read_bytes() for name in feeds} == feeds
    feed = (config.dir / "feed.xml").read_text()
    assert "<published>2030-03-12T02:00:01+00:00</published>" in feed and "2030-03-14T02:00:01" not in feed

    # A word changes: updated now, in the record and the feed.
    source.write_text(source.read_text(encoding="utf-8").replace("test bay", "test  bay", 1), encoding="utf-8")
    publish(load_release_set(source, ws), ws, config, clock=fixed_clock(LATER), allow_public=True)
    assert load_state(config.state_path).published["sample"].updated == LATER
    assert "<updated>2030-03-14T02:00:01+00:00</updated>" in (config.dir / "feed.xml").read_text()

    # The date moves and the photo goes: the old folder and the photo files are removed.
    text = source.read_text(encoding="utf-8").replace("date: 2030-03-12", "date: 2030-03-13")
    text = text.split("photos:")[0] + "translations:" + text.split("translations:")[1]
    source.write_text(text, encoding="utf-8")
    zh = root / "releases" / "sample.zh-HK.md"
    ztext = zh.read_text(encoding="utf-8").replace("date: 2030-03-12", "date: 2030-03-13")
    zh.write_text(ztext.split("photos:")[0] + "---" + ztext.split("---", 2)[2], encoding="utf-8")
    result = publish(load_release_set(source, ws), ws, config, clock=fixed_clock(LATER), allow_public=True)
    files = _files(config.dir)
    assert not [f for f in files if f.startswith(FOLDER)] and not (config.dir / FOLDER).exists()
    assert "releases/2030-03-13-sample/index.html" in files
    assert not [f for f in files if "photos/" in f]
    assert FOLDER + "index.html" in result.removed
    assert "2030-03-13-sample" in (config.dir / "index.html").read_text()
    assert "2030-03-12-sample" not in (config.dir / "sitemap.xml").read_text()


@pytest.mark.slow
def test_a_preview_keeps_its_token_and_is_listed_nowhere(tmp_path: Path) -> None:
    root, ws = make_workspace(tmp_path)
    config = site_config(ws, base_url=BASE)
    releases = sample_releases(root, ws)
    first = publish_preview(releases, ws, config, clock=fixed_clock(BEFORE_LIFT))
    token = first.folder.split("/")[1]
    assert first.folder == f"preview/{token}/" and len(token) >= 22 and first.preview
    assert first.pages == (first.folder + "index.html", first.folder + "index.zh-HK.html")
    page = (config.dir / first.pages[0]).read_text()
    assert "EMBARGOED UNTIL" in page and "noindex" in page

    second = publish_preview(releases, ws, config, clock=fixed_clock(BEFORE_LIFT + dt.timedelta(hours=1)))
    assert second.folder == first.folder  # advance-copy links keep working

    # The public site says nothing of it: no index entry, no feed entry, no sitemap URL, no state in the folder.
    public_files = [f for f in _files(config.dir) if not f.startswith("preview/")]
    for name in public_files:
        if name.endswith((".html", ".xml", ".css")):
            text = (config.dir / name).read_text(encoding="utf-8")
            assert token not in text, name
            assert "Tidal Energy" not in text, name
    assert token not in "".join(public_files)

    # Another release gets another token.
    other = write_release(root, "---\ntitle: Another one\ndate: 2030-04-01\n---\n\nBody.\n", name="other.md")
    third = publish_preview(load_release_set(other, ws), ws, config, clock=fixed_clock(BEFORE_LIFT))
    assert third.folder != first.folder

    # After the lift the public page comes; the preview stays where it was, now without the embargo line.
    publish(releases, ws, config, clock=fixed_clock(AFTER_LIFT), allow_public=True)
    again = publish_preview(releases, ws, config, clock=fixed_clock(AFTER_LIFT))
    assert again.folder == first.folder
    assert "EMBARGOED" not in (config.dir / again.pages[0]).read_text()
    assert token not in (config.dir / "feed.xml").read_text() + (config.dir / "sitemap.xml").read_text()


@pytest.mark.slow
def test_unpublish_takes_pages_index_feed_and_sitemap_entries_down(tmp_path: Path) -> None:
    root, ws = make_workspace(tmp_path)
    config = site_config(ws, base_url=BASE)
    releases = sample_releases(root, ws)
    preview = publish_preview(releases, ws, config, clock=fixed_clock(BEFORE_LIFT))
    publish(releases, ws, config, clock=fixed_clock(AFTER_LIFT), allow_public=True)
    other = write_release(root, "---\ntitle: Campus open day\ndate: 2030-04-01\n---\n\nBody.\n", name="open-day.md")
    publish(load_release_set(other, ws), ws, config, clock=fixed_clock(LATER), allow_public=True)

    result = unpublish("sample", ws, config, clock=fixed_clock(LATER))
    files = _files(config.dir)
    assert not [f for f in files if f.startswith(("releases/2030-03-12-sample", "preview/"))]
    assert not (config.dir / "preview").exists()
    assert FOLDER + "index.html" in result.removed
    # The only Chinese release went, so the Chinese index and feed go too.
    assert "index.zh-HK.html" not in files and "feed.zh-HK.xml" not in files
    for name in ("index.html", "feed.xml", "sitemap.xml"):
        text = (config.dir / name).read_text(encoding="utf-8")
        assert "Tidal Energy" not in text and "2030-03-12-sample" not in text
        assert "Campus open day" in text or name == "sitemap.xml"
    state = load_state(config.state_path)
    assert "sample" not in state.published and "open-day" in state.published
    # The token stays: a new preview gets the address journalists already have.
    assert publish_preview(releases, ws, config, clock=fixed_clock(LATER)).folder == preview.folder

    with pytest.raises(InputError) as err:
        unpublish("nothing-here", ws, config, clock=fixed_clock(LATER))
    assert "not published" in str(err.value) and "open-day" in str(err.value)


def test_two_release_files_with_one_slug_are_refused(tmp_path: Path) -> None:
    root, ws = make_workspace(tmp_path)
    config = site_config(ws, base_url=BASE)
    publish(sample_releases(root, ws), ws, config, clock=fixed_clock(AFTER_LIFT), allow_public=True)
    (root / "archive").mkdir()
    twin = root / "archive" / "sample.md"
    twin.write_text("---\ntitle: An older sample\ndate: 2029-01-01\n---\n\nBody.\n", encoding="utf-8")
    before = _files(config.dir)
    with pytest.raises(InputError) as err:
        publish(load_release_set(twin, ws), ws, config, clock=fixed_clock(LATER), allow_public=True)
    assert "another release is published as 'sample'" in str(err.value)
    assert _files(config.dir) == before


def test_a_damaged_state_is_one_clear_error(tmp_path: Path) -> None:
    root, ws = make_workspace(tmp_path)
    config = site_config(ws, base_url=BASE)
    config.state_path.parent.mkdir(parents=True, exist_ok=True)
    config.state_path.write_text("{not json", encoding="utf-8")
    with pytest.raises(InputError) as err:
        publish(sample_releases(root, ws), ws, config, clock=fixed_clock(AFTER_LIFT), allow_public=True)
    assert "site state is damaged" in str(err.value) and "\n" not in str(err.value)


def test_a_state_naming_files_outside_the_site_removes_nothing(tmp_path: Path) -> None:
    root, ws = make_workspace(tmp_path)
    config = site_config(ws, base_url=BASE)
    publish(sample_releases(root, ws), ws, config, clock=fixed_clock(AFTER_LIFT), allow_public=True)
    data = json.loads(config.state_path.read_text(encoding="utf-8"))
    data["published"]["sample"]["paths"].append("../pressctl.toml")
    config.state_path.write_text(json.dumps(data), encoding="utf-8")
    with pytest.raises(InputError) as err:
        unpublish("sample", ws, config, clock=fixed_clock(LATER))
    assert "outside the site folder" in str(err.value)
    assert (root / "pressctl.toml").is_file()
    # Nothing changed before the check: the index still lists the release.
    assert "Tidal Energy" in (config.dir / "index.html").read_text(encoding="utf-8")


@pytest.mark.slow
def test_unchanged_files_keep_their_time_so_sync_deploys_only_changes(tmp_path: Path) -> None:
    root, ws = make_workspace(tmp_path)
    config = site_config(ws, base_url=BASE)
    releases = sample_releases(root, ws)
    publish(releases, ws, config, clock=fixed_clock(AFTER_LIFT), allow_public=True)
    photo = config.dir / FOLDER / "photos" / "test-bay.jpg"
    os.utime(photo, ns=(1_000_000_000, 1_000_000_000))
    publish(releases, ws, config, clock=fixed_clock(LATER), allow_public=True)
    assert photo.stat().st_mtime_ns == 1_000_000_000


def test_site_config_checks_base_url(tmp_path: Path) -> None:
    _, ws = make_workspace(tmp_path)
    assert site_config(ws, base_url="https://x.example/news").base_url == "https://x.example/news/"
    assert site_config(ws, dir=Path("public")).dir == ws.root / "public"
    with pytest.raises(InputError):
        site_config(ws, base_url="newsroom.example")
