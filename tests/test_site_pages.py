"""Newsroom pages, rendered in memory: files and names, language switch, photos, merge-field fallbacks,
Open Graph and JSON-LD, previews marked and hidden from search engines, brand and template overrides."""

from __future__ import annotations

import datetime as dt
import io
import json
import re
from html.parser import HTMLParser
from pathlib import Path

import pytest
from PIL import Image
from render_support import AFTER_LIFT, BEFORE_LIFT, make_workspace, write_release
from site_support import sample_releases

from pressctl.release.load import Release, load_release_set
from pressctl.release.merge import MergePlan
from pressctl.render.templates import TemplateFileError
from pressctl.site.branding import render_assets
from pressctl.site.index_page import render_index
from pressctl.site.pages import IndexEntry, IndexVersion, index_versions, release_folder
from pressctl.site.release_page import render_release

FOLDER = "releases/2030-03-12-sample/"


def fake_pdf(release: Release, ws: object, plan: MergePlan, embargoed: bool) -> bytes:
    """A stand-in for WeasyPrint where the PDF's content is not the point (test_site_publish makes real ones)."""
    return f"%PDF-1.7 {release.language} embargoed={embargoed}".encode()


def _render(tmp_path: Path, **kw: object) -> tuple[dict[str, bytes], list[Release]]:
    root, ws = make_workspace(tmp_path)
    releases = sample_releases(root, ws)
    options: dict[str, object] = {
        "folder": release_folder(releases[0]),
        "embargoed": False,
        "preview": False,
        "published": AFTER_LIFT,
        "updated": AFTER_LIFT,
        "base_url": "https://newsroom.hvsp.example/",
        "make_pdf": fake_pdf,
    }
    options.update(kw)
    return render_release(releases, ws, **options), releases  # type: ignore[arg-type]


class _Collect(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str]]] = []
        self.scripts: list[str] = []
        self._in_script = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, {k: v or "" for k, v in attrs}))
        self._in_script = tag == "script"

    def handle_endtag(self, tag: str) -> None:
        self._in_script = False

    def handle_data(self, data: str) -> None:
        if self._in_script:
            self.scripts.append(data)

    def find(self, tag: str, **attrs: str) -> list[dict[str, str]]:
        return [a for t, a in self.tags if t == tag and all(a.get(k) == v for k, v in attrs.items())]


def _parse(html: bytes) -> _Collect:
    parser = _Collect()
    parser.feed(html.decode("utf-8"))
    return parser


def test_a_page_per_language_the_pdfs_and_the_photos(tmp_path: Path) -> None:
    files, _ = _render(tmp_path)
    assert set(files) == {
        FOLDER + "index.html",
        FOLDER + "index.zh-HK.html",
        FOLDER + "sample.pdf",
        FOLDER + "sample.zh-HK.pdf",
        FOLDER + "photos/test-bay.jpg",
        FOLDER + "photos/test-bay-web.jpg",
    }
    en, zh = _parse(files[FOLDER + "index.html"]), _parse(files[FOLDER + "index.zh-HK.html"])
    assert en.find("html")[0]["lang"] == "en" and zh.find("html")[0]["lang"] == "zh-HK"
    # The language switch links the other language, named in its own words, marked with its language.
    switch = [a for a in en.find("a") if a.get("hreflang")]
    assert switch == [{"href": "index.zh-HK.html", "hreflang": "zh-HK", "lang": "zh-HK"}]
    assert [a["href"] for a in zh.find("a") if a.get("hreflang")] == ["index.html"]
    assert "繁體中文" in files[FOLDER + "index.html"].decode()
    alternates = {a["hreflang"]: a["href"] for a in en.find("link", rel="alternate")}
    assert alternates == {
        "en": "https://newsroom.hvsp.example/" + FOLDER + "index.html",
        "zh-HK": "https://newsroom.hvsp.example/" + FOLDER + "index.zh-HK.html",
    }
    # Each language links its own PDF.
    assert en.find("a", href="sample.pdf", type="application/pdf")
    assert zh.find("a", href="sample.zh-HK.pdf", type="application/pdf")


def test_photos_at_web_size_with_caption_alt_and_the_original_for_download(tmp_path: Path) -> None:
    root, ws = make_workspace(tmp_path)
    big = Image.new("RGB", (4000, 2500), (30, 90, 120))
    big.save(root / "releases" / "photos" / "Big Photo.png")
    path = write_release(
        root,
        "---\ntitle: Wide photo\ndate: 2030-04-01\nphotos:\n  - src: photos/Big Photo.png\n"
        "    caption: The bay from above.\n    alt: An aerial view of a long channel of seawater.\n---\n\nBody.\n",
    )
    releases = load_release_set(path, ws)
    folder = release_folder(releases[0])
    files = render_release(
        releases, ws, folder=folder, embargoed=False, preview=False, published=AFTER_LIFT, updated=AFTER_LIFT,
        make_pdf=fake_pdf,
    )
    original = files[folder + "photos/big-photo.png"]
    assert original == (root / "releases" / "photos" / "Big Photo.png").read_bytes()  # byte for byte
    web = Image.open(io.BytesIO(files[folder + "photos/big-photo-web.jpg"]))
    assert web.size == (1600, 1000) and web.format == "JPEG"
    page = _parse(files[folder + "index.html"])
    img = page.find("img", src="photos/big-photo-web.jpg")[0]
    assert img["alt"] == "An aerial view of a long channel of seawater."
    assert (img["width"], img["height"]) == ("1600", "1000")
    html = files[folder + "index.html"].decode()
    assert "The bay from above." in html
    link = page.find("a", href="photos/big-photo.png")[0]
    assert "download" in link
    assert "PNG, 4000 × 2500 px" in html


def test_merge_fields_show_their_fallbacks(tmp_path: Path) -> None:
    root, ws = make_workspace(tmp_path)
    path = write_release(
        root,
        '---\ntitle: Visit for {{ outlet or "your newsroom" }}\ndate: 2030-04-01\n'
        'summary: A tour for {{ outlet or "reporters" }}\n---\n\n'
        'Dear {{ first_name or "editor" }}, reporters from {{ outlet }} are welcome.\n',
    )
    releases = load_release_set(path, ws)
    folder = release_folder(releases[0])
    files = render_release(
        releases, ws, folder=folder, embargoed=False, preview=False, published=AFTER_LIFT, updated=AFTER_LIFT,
        make_pdf=fake_pdf,
    )
    html = files[folder + "index.html"].decode()
    assert "PCTLM" not in html and "{{" not in html
    assert "Dear editor, reporters from  are welcome." in html
    assert "<title>Visit for your newsroom</title>" in html
    page = _parse(files[folder + "index.html"])
    assert page.find("meta", property="og:description")[0]["content"] == "A tour for reporters"
    data = json.loads(page.scripts[0])
    assert data["headline"] == "Visit for your newsroom"
    versions = index_versions(releases, folder=folder)
    assert versions[0].title == "Visit for your newsroom" and versions[0].summary == "A tour for reporters"


def test_open_graph_twitter_and_news_article(tmp_path: Path) -> None:
    files, releases = _render(tmp_path)
    page = _parse(files[FOLDER + "index.html"])
    og = {m["property"]: m["content"] for m in page.find("meta") if m.get("property")}
    url = "https://newsroom.hvsp.example/" + FOLDER + "index.html"
    assert og["og:title"] == releases[0].title
    assert og["og:url"] == url
    assert og["og:image"] == "https://newsroom.hvsp.example/" + FOLDER + "photos/test-bay-web.jpg"
    assert og["og:locale"] == "en_GB"
    twitter = {m["name"]: m["content"] for m in page.find("meta") if m.get("name", "").startswith("twitter:")}
    assert twitter["twitter:card"] == "summary_large_image"
    assert page.find("link", rel="canonical")[0]["href"] == url
    data = json.loads(page.scripts[0])
    assert data["@type"] == "NewsArticle" and data["@context"] == "https://schema.org"
    assert data["inLanguage"] == "en" and data["datePublished"] == "2030-03-12T02:00:01Z"
    assert data["mainEntityOfPage"] == url
    assert data["publisher"]["name"] == "Harbourview Science Park"
    zh = json.loads(_parse(files[FOLDER + "index.zh-HK.html"]).scripts[0])
    assert zh["inLanguage"] == "zh-HK" and zh["publisher"]["name"] == "海景科學園"


def test_json_ld_cannot_close_its_script_element(tmp_path: Path) -> None:
    root, ws = make_workspace(tmp_path)
    path = write_release(
        root, "---\ntitle: 'A </script><script>alert(1)</script> title'\ndate: 2030-04-01\n---\n\nBody.\n"
    )
    releases = load_release_set(path, ws)
    folder = release_folder(releases[0])
    files = render_release(
        releases, ws, folder=folder, embargoed=False, preview=False, published=AFTER_LIFT, updated=AFTER_LIFT,
        make_pdf=fake_pdf,
    )
    html = files[folder + "index.html"].decode()
    assert html.count("<script") == 1 and "alert(1)</script>" not in html
    assert json.loads(_parse(files[folder + "index.html"]).scripts[0])["headline"].startswith("A </script>")


def test_without_base_url_links_stay_relative(tmp_path: Path) -> None:
    files, _ = _render(tmp_path, base_url=None)
    page = _parse(files[FOLDER + "index.html"])
    assert not page.find("link", rel="canonical")
    assert not [m for m in page.find("meta") if m.get("property") in ("og:url", "og:image")]
    html = files[FOLDER + "index.html"].decode()
    assert "http://" not in html.split("<body>")[0].replace("http://www.w3.org", "")


def test_a_public_page_is_not_marked_but_a_preview_is_embargoed_and_noindex(tmp_path: Path) -> None:
    public, _ = _render(tmp_path / "a")
    html = public[FOLDER + "index.html"].decode()
    assert "FOR IMMEDIATE RELEASE" in html and "noindex" not in html and "EMBARGOED" not in html
    preview, _ = _render(tmp_path / "b", folder="preview/tok/", embargoed=True, preview=True)
    en = preview["preview/tok/index.html"].decode()
    zh = preview["preview/tok/index.zh-HK.html"].decode()
    assert "EMBARGOED UNTIL 10:00 HKT, 12 March 2030" in en and "新聞稿禁發時間" in zh
    for page in (en, zh):
        robots = _parse(page.encode()).find("meta", name="robots")
        assert robots and "noindex" in robots[0]["content"]
        assert _parse(page.encode()).find("meta", name="referrer")[0]["content"] == "no-referrer"
        assert 'rel="canonical"' not in page
    assert preview["preview/tok/sample.pdf"].endswith(b"embargoed=True")


def test_no_javascript_and_accessibility_basics(tmp_path: Path) -> None:
    files, _ = _render(tmp_path)
    for name in (FOLDER + "index.html", FOLDER + "index.zh-HK.html"):
        page = _parse(files[name])
        scripts = page.find("script")
        assert [s["type"] for s in scripts] == ["application/ld+json"]
        assert page.find("a", href="#main")[0]["class"] == "skip-link"
        assert page.find("main", id="main")
        assert len(page.find("h1")) == 1
        assert all(img.get("alt") for img in page.find("img"))
        assert page.find("meta", name="viewport")


def test_the_brand_colours_reach_the_stylesheet_with_readable_text(tmp_path: Path) -> None:
    _root, ws = make_workspace(tmp_path)
    css = render_assets(ws)["assets/site.css"].decode()
    assert "--primary: #0b5c74;" in css and "--accent: #e07a2f;" in css
    # White on the sample's orange accent is under 4.5:1: the embargo banner's text is dark instead.
    assert "--on-accent: #1d1d1f;" in css and "--on-primary: #ffffff;" in css
    assets = render_assets(ws)
    assert set(assets) == {"assets/site.css", "assets/logo.png", "assets/icon.png"}
    assert Image.open(io.BytesIO(assets["assets/icon.png"])).size == (192, 192)


def test_a_workspace_template_overrides_the_default_by_name(tmp_path: Path) -> None:
    root, ws = make_workspace(tmp_path)
    (root / "templates" / "site").mkdir(parents=True)
    (root / "templates" / "site" / "release.html.j2").write_text(
        '{% extends "site/base.html.j2" %}{% block main %}<p>HVSP custom page: {{ title }}</p>{% endblock %}',
        encoding="utf-8",
    )
    releases = sample_releases(root, ws)
    files = render_release(
        releases, ws, folder=FOLDER, embargoed=False, preview=False, published=AFTER_LIFT, updated=AFTER_LIFT,
        make_pdf=fake_pdf,
    )
    assert "HVSP custom page: Harbourview Science Park Opens" in files[FOLDER + "index.html"].decode()

    (root / "templates" / "site" / "release.html.j2").write_text("{% if %}", encoding="utf-8")
    with pytest.raises(TemplateFileError) as err:
        render_release(
            releases, ws, folder=FOLDER, embargoed=False, preview=False, published=AFTER_LIFT,
            updated=AFTER_LIFT, make_pdf=fake_pdf,
        )
    assert "release.html.j2" in str(err.value) and "\n" not in str(err.value)


def _entry(slug: str, day: dt.date, versions: tuple[IndexVersion, ...]) -> IndexEntry:
    return IndexEntry(slug=slug, date=day, published=BEFORE_LIFT, updated=BEFORE_LIFT, versions=versions)


def test_the_index_lists_releases_newest_first_per_language(tmp_path: Path) -> None:
    _, ws = make_workspace(tmp_path)
    old = _entry(
        "old",
        dt.date(2030, 1, 5),
        (
            IndexVersion("en", "Old news", "", "releases/2030-01-05-old/index.html"),
            IndexVersion("zh-HK", "舊聞", "", "releases/2030-01-05-old/index.zh-HK.html"),
        ),
    )
    new = _entry("new", dt.date(2030, 3, 12), (IndexVersion("en", "New news", "Fresh.", "releases/2030-03-12-new/index.html"),))
    files = render_index([old, new], ws, base_url=None)
    assert set(files) == {"index.html", "index.zh-HK.html"}
    en = files["index.html"].decode()
    assert en.index("New news") < en.index("Old news")
    zh = files["index.zh-HK.html"].decode()
    # In Chinese: the Chinese version where there is one, else the English one, marked as English.
    assert "舊聞" in zh and "Old news" not in zh
    assert re.search(r'<article class="release-card" lang="en">\s*<h2><a href="releases/2030-03-12-new/index.html">New news', zh)
    assert _parse(files["index.html"]).find("link", rel="alternate", type="application/atom+xml")[0]["href"] == "feed.xml"
    empty = render_index([], ws)
    assert set(empty) == {"index.html"} and "No press releases yet." in empty["index.html"].decode()


def test_media_contacts_are_in_the_page_s_language_as_in_its_pdf_and_email(tmp_path: Path) -> None:
    """Promise 4: the Chinese page listed "Mei-ling Chow, Senior Manager, Communications" where its PDF and
    email read 周美玲, 傳訊高級經理 ([media_contacts.translations.zh-HK])."""
    files, _ = _render(tmp_path)
    zh, en = files[FOLDER + "index.zh-HK.html"].decode(), files[FOLDER + "index.html"].decode()
    assert "<strong>周美玲</strong><br>傳訊高級經理<br>海景科學園<br>" in zh and "Mei-ling Chow" not in zh
    assert "<strong>Mei-ling Chow</strong><br>Senior Manager, Communications<br>Harbourview Science Park<br>" in en
