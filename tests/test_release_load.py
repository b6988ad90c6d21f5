"""Release files: front matter keys, YAML's traps, time zones, translations, and the errors users see."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from pressctl.errors import ReleaseError
from pressctl.release.load import load_release, load_release_set
from tests.render_support import make_workspace, write_release

HEAD = "---\ntitle: Test\ndate: 2030-03-12\n"


def _load(tmp_path: Path, front: str, body: str = "Body text.\n") -> object:
    root, ws = make_workspace(tmp_path)
    return load_release(write_release(root, f"{HEAD}{front}---\n\n{body}"), ws)


def test_yaml_traps_stay_text(tmp_path: Path) -> None:
    r = _load(tmp_path, "subtitle: no\ndateline: 12:30\nsummary: on\n")
    assert (r.subtitle, r.dateline, r.summary) == ("no", "12:30", "on")  # type: ignore[attr-defined]


def test_embargo_without_offset_is_read_in_the_release_zone(tmp_path: Path) -> None:
    r = _load(tmp_path, "embargo: 2030-03-12T10:00\n")
    assert r.embargo == dt.datetime(2030, 3, 12, 2, 0, tzinfo=dt.UTC)  # type: ignore[attr-defined]
    assert r.is_embargoed(dt.datetime(2030, 3, 12, 1, 59, tzinfo=dt.UTC))  # type: ignore[attr-defined]
    assert not r.is_embargoed(dt.datetime(2030, 3, 12, 2, 0, tzinfo=dt.UTC))  # type: ignore[attr-defined]


def test_embargo_in_a_missing_local_hour_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ReleaseError, match="does not exist in Europe/London"):
        _load(tmp_path, "timezone: Europe/London\nembargo: 2030-03-31T01:30\n")


def test_errors_point_at_the_line(tmp_path: Path) -> None:
    with pytest.raises(ReleaseError) as info:
        _load(tmp_path, "subtitel: Oops\n")
    assert "test.md:4" in str(info.value) and "Did you mean 'subtitle'" in str(info.value)
    with pytest.raises(ReleaseError, match=r"test.md:4: 'embargo'"):
        _load(tmp_path / "b", "embargo: 2030-02-30T10:00:00+08:00\n")


def test_empty_body_and_no_front_matter(tmp_path: Path) -> None:
    with pytest.raises(ReleaseError, match="no body text"):
        _load(tmp_path, "", body="\n\n")
    root, ws = make_workspace(tmp_path / "c")
    with pytest.raises(ReleaseError, match="no front matter"):
        load_release(write_release(root, "# Just Markdown\n"), ws)


def test_bom_and_crlf_are_fine(tmp_path: Path) -> None:
    root, ws = make_workspace(tmp_path)
    path = root / "releases" / "win.md"
    path.write_bytes(("\ufeff" + HEAD + "---\r\n\r\nBody.\r\n").replace("\n", "\r\n").encode("utf-8"))
    assert load_release(path, ws).title == "Test"


def test_translation_inherits_embargo_and_photos(tmp_path: Path) -> None:
    root, ws = make_workspace(tmp_path)
    en, zh = load_release_set(root / "releases" / "sample.md", ws)
    assert zh.slug == en.slug == "sample"
    assert zh.embargo == en.embargo
    zh_path = root / "releases" / "sample.zh-HK.md"
    zh_path.write_text(
        zh_path.read_text(encoding="utf-8").replace(
            "language: zh-HK\n", "language: zh-HK\nembargo: 2030-03-13T10:00:00+08:00\n"
        ),
        encoding="utf-8",
    )
    with pytest.raises(ReleaseError, match="embargo differs"):
        load_release_set(root / "releases" / "sample.md", ws)


def test_translation_language_must_agree(tmp_path: Path) -> None:
    root, ws = make_workspace(tmp_path)
    zh_path = root / "releases" / "sample.zh-HK.md"
    zh_path.write_text(
        zh_path.read_text(encoding="utf-8").replace("language: zh-HK", "language: en"), encoding="utf-8"
    )
    with pytest.raises(ReleaseError, match="translation"):
        load_release_set(root / "releases" / "sample.md", ws)


def test_impossible_date_is_a_release_error(tmp_path: Path) -> None:
    root, ws = make_workspace(tmp_path)
    with pytest.raises(ReleaseError, match=r"test.md:3: 'date' '2030-02-30' is not a date"):
        load_release(write_release(root, "---\ntitle: T\ndate: 2030-02-30\n---\n\nBody.\n"), ws)


def test_photo_credit(tmp_path: Path) -> None:
    r = _load(
        tmp_path,
        "photos:\n  - src: photos/test-bay.jpg\n    alt: A turbine in a channel.\n    credit: HVSP / Jane Lee\n",
    )
    assert r.photos[0].credit == "HVSP / Jane Lee"  # type: ignore[attr-defined]
    with pytest.raises(ReleaseError, match="'credit' must be text"):
        _load(tmp_path / "b", "photos:\n  - src: photos/test-bay.jpg\n    alt: A turbine.\n    credit: [a, b]\n")


def test_site_table_in_pressctl_toml(tmp_path: Path) -> None:
    from pressctl.config import load_workspace
    from pressctl.errors import ConfigError

    root, ws = make_workspace(tmp_path)
    assert ws.site is None
    toml = root / "pressctl.toml"
    base = toml.read_text(encoding="utf-8")
    toml.write_text(base + '\n[site]\nbase_url = "https://newsroom.hvsp.example"\ndeploy = "rsync -a ./ web:/srv/"\n')
    site = load_workspace(root).site
    assert site is not None and site.dir == (root / "site").resolve()
    assert site.base_url == "https://newsroom.hvsp.example/" and site.deploy_timeout == 60
    for bad, message in (
        ('base_url = "newsroom.hvsp.example"', "is not a web address"),
        ("deploy_timeout = 0", "deploy_timeout must be a number of seconds"),
        ('deploy_timeout = "60"', "deploy_timeout must be a number of seconds"),
        ("dir = 5", "site.dir must be text"),
    ):
        toml.write_text(base + f"\n[site]\n{bad}\n")
        with pytest.raises(ConfigError, match=message):
            load_workspace(root)


def test_a_variant_without_the_organisation_s_words_is_named(tmp_path: Path) -> None:
    """A zh-CN version in a workspace with only [organisation.translations.zh-HK] would read "关于Harbourview
    Science Park": the warning says which table to add. A language with no words at all stays quiet."""
    from pressctl.config import load_workspace

    root, ws = make_workspace(tmp_path)
    write_release(root, "---\ntitle: 测试\ndate: 2030-03-12\nlanguage: zh-CN\n---\n正文。\n", name="t.zh-CN.md")
    main = write_release(root, "---\ntitle: Test\ndate: 2030-03-12\ntranslations:\n  zh-CN: t.zh-CN.md\n---\nBody.\n", name="t.md")
    warned = [w for r in load_release_set(main, ws) for w in r.warnings if "organisation" in w]
    assert warned == [
        f"{root / 'releases' / 't.zh-CN.md'}: pressctl.toml has [organisation.translations.zh-HK] but none for "
        "zh-CN: this version names the organisation as [organisation] writes it; add "
        "[organisation.translations.zh-CN]"
    ]
    config = root / "pressctl.toml"
    text = config.read_text("utf-8").replace("\n[brand]\n", '\n[organisation.translations.zh-CN]\nname = "海景科学园"\n\n[brand]\n', 1)
    config.write_text(text, "utf-8")
    assert not [w for r in load_release_set(main, load_workspace(root)) for w in r.warnings if "organisation" in w]
