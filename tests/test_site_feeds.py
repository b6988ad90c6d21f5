"""Atom feeds and the sitemap: parsed with feedparser, validated against RFC 4287's RELAX NG schema (lxml),
plus the rules of the RFC that RELAX NG cannot say; previews appear in neither."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import feedparser
import pytest
from lxml import etree
from render_support import AFTER_LIFT, BEFORE_LIFT, make_workspace, write_release
from site_support import fixed_clock, sample_releases

from pressctl.release.load import load_release_set
from pressctl.site.feeds import render_feeds, render_sitemap
from pressctl.site.pages import IndexEntry, IndexVersion
from pressctl.site.publish import publish, publish_preview, site_config

ATOM = "{http://www.w3.org/2005/Atom}"
SCHEMA = etree.RelaxNG(etree.parse(str(Path(__file__).parent / "data" / "atom.rng")))
BASE = "https://newsroom.hvsp.example/"


def _valid(data: bytes) -> etree._Element:
    root = etree.fromstring(data)
    assert SCHEMA.validate(root), SCHEMA.error_log
    # RFC 4287 4.1.1: an author in the feed or in every entry; 4.1.1/4.1.2: no two alternate links with the
    # same type and hreflang.
    has_feed_author = root.find(f"{ATOM}author") is not None
    for entry in [root, *root.iterfind(f"{ATOM}entry")]:
        if entry is not root:
            assert has_feed_author or entry.find(f"{ATOM}author") is not None
        alternates = [
            (link.get("type"), link.get("hreflang"))
            for link in entry.iterfind(f"{ATOM}link")
            if link.get("rel", "alternate") == "alternate"
        ]
        assert len(alternates) == len(set(alternates)), alternates
    return root


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One published site (PDFs rendered once) for the tests below, which only read it."""
    root, ws = make_workspace(tmp_path_factory.mktemp("site"))
    config = site_config(ws, base_url=BASE)
    publish_preview(sample_releases(root, ws), ws, config, clock=fixed_clock(BEFORE_LIFT))
    publish(sample_releases(root, ws), ws, config, clock=fixed_clock(AFTER_LIFT), allow_public=True)
    later = write_release(root, "---\ntitle: Campus open day\ndate: 2030-04-01\nsummary: Come and see.\n---\n\nBody.\n", name="open-day.md")
    publish(load_release_set(later, ws), ws, config, clock=fixed_clock(AFTER_LIFT + dt.timedelta(days=20)), allow_public=True)
    return config.dir


def test_feeds_parse_validate_and_list_newest_first(site: Path) -> None:
    en_data, zh_data = (site / "feed.xml").read_bytes(), (site / "feed.zh-HK.xml").read_bytes()
    en_root, zh_root = _valid(en_data), _valid(zh_data)
    assert en_root.get("{http://www.w3.org/XML/1998/namespace}lang") == "en"
    assert zh_root.get("{http://www.w3.org/XML/1998/namespace}lang") == "zh-HK"

    en = feedparser.parse(en_data)
    assert not en.bozo, en.get("bozo_exception")
    assert en.feed.title == "Harbourview Science Park Newsroom"
    assert [e.title for e in en.entries] == [
        "Campus open day",
        "Harbourview Science Park Opens Tidal Energy Test Bay for Start-ups",
    ]
    tidal = en.entries[1]
    assert tidal.link == BASE + "releases/2030-03-12-sample/index.html"
    assert {(link.rel, link.type, link.href) for link in tidal.links} == {
        ("alternate", "text/html", BASE + "releases/2030-03-12-sample/index.html"),
        ("related", "application/pdf", BASE + "releases/2030-03-12-sample/sample.pdf"),
    }
    assert tidal.id.startswith("tag:www.hvsp.example,2030-03-12:")
    assert tidal.published_parsed[:5] == (2030, 3, 12, 2, 0)
    assert any(link.rel == "self" and link.href == BASE + "feed.xml" for link in en.feed.links)

    zh = feedparser.parse(zh_data)
    assert not zh.bozo
    # Only releases that have a Chinese version are in the Chinese feed.
    assert [e.title for e in zh.entries] == ["海景科學園啟用潮汐能源測試灣　助初創企業就近試驗海洋能源裝置"]
    assert zh.feed.title == "海景科學園 新聞中心"


def test_previews_are_in_no_feed_and_no_sitemap(site: Path) -> None:
    text = "".join((site / n).read_text(encoding="utf-8") for n in ("feed.xml", "feed.zh-HK.xml", "sitemap.xml"))
    assert "preview/" not in text


def test_the_sitemap_lists_public_pages_with_their_language_alternates(site: Path) -> None:
    root = etree.fromstring((site / "sitemap.xml").read_bytes())
    ns = {"s": "http://www.sitemaps.org/schemas/sitemap/0.9", "x": "http://www.w3.org/1999/xhtml"}
    locs = root.xpath("//s:url/s:loc/text()", namespaces=ns)
    assert sorted(locs) == sorted(
        BASE + p
        for p in (
            "index.html",
            "index.zh-HK.html",
            "releases/2030-03-12-sample/index.html",
            "releases/2030-03-12-sample/index.zh-HK.html",
            "releases/2030-04-01-open-day/index.html",
        )
    )
    sample = root.xpath(f"//s:url[s:loc='{BASE}releases/2030-03-12-sample/index.html']", namespaces=ns)[0]
    assert {(a.get("hreflang"), a.get("href")) for a in sample.xpath("x:link", namespaces=ns)} == {
        ("en", BASE + "releases/2030-03-12-sample/index.html"),
        ("zh-HK", BASE + "releases/2030-03-12-sample/index.zh-HK.html"),
    }
    assert all(x.endswith("Z") for x in root.xpath("//s:lastmod/text()", namespaces=ns))


def test_without_base_url_feeds_link_relative_and_there_is_no_sitemap(tmp_path: Path) -> None:
    _, ws = make_workspace(tmp_path)
    entry = IndexEntry(
        slug="x",
        date=dt.date(2030, 1, 2),
        published=AFTER_LIFT,
        updated=AFTER_LIFT,
        versions=(IndexVersion("en", "A & B <news>", "", "releases/2030-01-02-x/index.html"),),
    )
    files = render_feeds([entry], ws, now=AFTER_LIFT, base_url=None)
    assert set(files) == {"feed.xml"}
    _valid(files["feed.xml"])
    parsed = feedparser.parse(files["feed.xml"])
    assert parsed.entries[0].title == "A & B <news>"
    assert 'href="releases/2030-01-02-x/index.html"' in files["feed.xml"].decode()
    assert render_sitemap([entry], ws, base_url=None) == {}


def test_an_empty_site_still_has_a_valid_feed(tmp_path: Path) -> None:
    _, ws = make_workspace(tmp_path)
    files = render_feeds([], ws, now=AFTER_LIFT, base_url=BASE)
    _valid(files["feed.xml"])
    assert feedparser.parse(files["feed.xml"]).entries == []


def test_the_schema_rejects_a_broken_feed() -> None:
    """The hand-written schema is not a rubber stamp."""
    missing_id = b'<feed xmlns="http://www.w3.org/2005/Atom"><title>x</title><updated>2030-01-01T00:00:00Z</updated></feed>'
    bad_date = b'<feed xmlns="http://www.w3.org/2005/Atom"><id>x</id><title>x</title><updated>soon</updated></feed>'
    bad_entry = (
        b'<feed xmlns="http://www.w3.org/2005/Atom"><id>x</id><title>x</title><updated>2030-01-01T00:00:00Z</updated>'
        b"<entry><title>t</title><updated>2030-01-01T00:00:00Z</updated></entry></feed>"
    )
    for data in (missing_id, bad_date, bad_entry):
        assert not SCHEMA.validate(etree.fromstring(data))
