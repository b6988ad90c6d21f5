"""Control and invisible characters in a release file, cleaned once at load (issue 17, point 6).

Word pastes a vertical tab for Shift+Enter; a copy from a web page can bring a zero-width space or a
direction override. Whether the character is in the file itself (YAML used to refuse it with no line) or
written as a YAML escape (``"\\v"``: it loaded, and the feed writer raised at the lift), it is now read as a
space (line breaks) or removed (invisible ones), the same for render, send, publish and schedule, with a
warning naming the field, its line and column.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from qa_support import one_error_line, pressctl
from render_support import make_workspace, write_release

from pressctl.controls import UNSAFE, clean_text, describe, unsafe_in_text
from pressctl.errors import ReleaseError
from pressctl.release.load import load_release
from pressctl.site.feeds import render_feeds
from pressctl.site.pages import IndexEntry, index_versions

HEAD = "---\ntitle: Test\ndate: 2030-03-12\n"


def test_each_field_is_cleaned_and_named_with_its_line_and_column(tmp_path: Path) -> None:
    root, ws = make_workspace(tmp_path)
    text = (
        "---\n"
        "title: Ripple\x0bReef opens\n"  # line 2, column 14: raw, as Word pastes it
        'subtitle: "A\\vB\\u202eC"\n'  # line 3: YAML escapes
        "date: 2030-03-12\n"
        "summary: Zero\u200bwidth\n"  # line 5
        "photos:\n"
        "  - src: photos/test-bay.jpg\n"
        "    caption: Line\u2028separated\n"  # line 8, column 18: inside photos
        "    alt: A photo\n"
        "---\n"
        "\n"
        "Body with a form\x0cfeed and a NUL\x00.\n"  # line 12
    )
    release = load_release(write_release(root, text), ws)
    assert release.title == "Ripple Reef opens"
    assert release.subtitle == "A BC"
    assert release.summary == "Zerowidth"
    assert release.photos[0].caption == "Line separated"
    assert "form feed and a NUL." in release.body
    where = str(root / "releases" / "test.md")
    assert f"{where}:2:14: 'title' has a vertical tab (Word's Shift+Enter) U+000B: read as a space" in release.warnings
    assert f"{where}:5:14: 'summary' has a zero-width space U+200B: removed" in release.warnings
    assert f"{where}:8:18: 'photos' has a line separator U+2028: read as a space" in release.warnings
    assert (
        f"{where}:12:17: the body has 2 control or invisible characters (the first: a form feed (a page break) "
        "U+000C): line breaks read as spaces, the others removed"
    ) in release.warnings
    assert (
        f"{where}:3: 'subtitle' has 2 control or invisible characters (the first: a vertical tab (Word's "
        "Shift+Enter) U+000B), written as an escape: line breaks read as spaces, the others removed"
    ) in release.warnings
    for value in (release.title, release.subtitle, release.summary, release.body, release.photos[0].caption):
        assert not UNSAFE.search(value.replace("\n", " "))


def test_a_file_name_is_never_cleaned_into_another_one(tmp_path: Path) -> None:
    root, ws = make_workspace(tmp_path)
    raw = f"{HEAD}photos:\n  - src: photos/test\x00-bay.jpg\n    alt: A photo\n---\n\nBody.\n"
    with pytest.raises(ReleaseError) as info:
        load_release(write_release(root, raw), ws)
    assert str(info.value).startswith(f"{root / 'releases' / 'test.md'}:5:21: a file name holds a NUL character")
    escaped = f'{HEAD}attachments: ["photos/test\\v-bay.jpg"]\n---\n\nBody.\n'
    with pytest.raises(ReleaseError) as info:
        load_release(write_release(root, escaped), ws)
    assert "attachment 'photos/test\\x0b-bay.jpg' does not exist" in str(info.value)


def test_a_file_without_such_characters_has_no_warning_and_keeps_its_line_numbers(tmp_path: Path) -> None:
    root, ws = make_workspace(tmp_path)
    release = load_release(write_release(root, f"{HEAD}---\n\nBody\twith a tab.\n"), ws)
    assert release.warnings == () and release.body == "\nBody\twith a tab.\n"
    assert clean_text("a\x0bb\nc\td\u202e") == "a b\nc\td"
    assert unsafe_in_text("a\x0bb\nc\td\u202e") == [(1, "\x0b"), (7, "\u202e")]
    assert describe("\u2066") == "a text-direction override U+2066"


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.text(alphabet=st.sampled_from(["a", "\x0b", "\x0c", "\u2028", "\x00", "\x1b", "\u202e", "\ufeff", "\x85", "&", "<"]), min_size=1, max_size=12))
def test_whatever_a_title_holds_the_feed_can_be_written(tmp_path: Path, junk: str) -> None:
    root, ws = make_workspace(tmp_path, name=f"ws{abs(hash(junk))}")
    title = "Title " + junk.encode("unicode_escape").decode("ascii").replace('"', '\\"')
    release = load_release(write_release(root, f'---\ntitle: "{title}"\ndate: 2030-03-12\n---\n\nBody.\n'), ws)
    now = dt.datetime(2030, 3, 12, tzinfo=dt.UTC)
    entry = IndexEntry(
        slug="test", date=release.date, published=now, updated=now,
        versions=index_versions([release], folder="releases/2030-03-12-test/"),
    )
    assert b"<title>Title" in render_feeds([entry], ws, now=now)["feed.xml"]


@pytest.mark.slow
def test_render_and_a_dry_run_say_it_once_and_carry_on(tmp_path: Path) -> None:
    root, _ = make_workspace(tmp_path)
    sample = root / "releases" / "sample.md"
    lines = sample.read_text(encoding="utf-8").split("\n")
    lines[1] = lines[1].replace("Park Opens", "Park\x0bOpens")
    sample.write_text("\n".join(lines), encoding="utf-8")
    rendered = pressctl("render", "releases/sample.md", "-o", "out", cwd=root, timeout=180)
    assert rendered.returncode == 0, rendered.stderr
    assert rendered.stderr.count("'title' has a vertical tab") == 1, rendered.stderr
    html = (root / "out" / "sample.html").read_text(encoding="utf-8")
    assert "\x0b" not in html and "Science Park Opens" in html
    contacts = next(p for p in (root / "contacts").iterdir() if "suppress" not in p.name)
    dry = pressctl("send", "releases/sample.md", "-c", str(contacts), "--dry-run", "--under-embargo", cwd=root, timeout=180)
    assert dry.returncode == 0, dry.stderr
    assert "'title' has a vertical tab" in dry.stderr


@pytest.mark.parametrize(
    ("find", "replace", "key"),
    [
        ('name = "Harbourview Science Park"', 'name = "Harbourview\\u000bScience Park"', "organisation.name"),
        ('name = "海景科學園"', 'name = "海景\\u202e科學園"', "organisation.translations.zh-HK.name"),
        ('title = "傳訊高級經理"', 'title = "傳訊\\u0000高級經理"', "media_contacts[1].translations.zh-HK.title"),
    ],
)
@pytest.mark.slow
def test_pressctl_toml_refuses_them_with_the_key(tmp_path: Path, find: str, replace: str, key: str) -> None:
    # The organisation's name is in every page, email and feed title: a TOML escape must not smuggle one in.
    root, _ = make_workspace(tmp_path)
    toml = root / "pressctl.toml"
    text = toml.read_text(encoding="utf-8")
    assert find in text
    toml.write_text(text.replace(find, replace, 1), encoding="utf-8")
    done = pressctl("publish", "releases/sample.md", "--preview", cwd=root)
    assert done.returncode == 2 and f"pressctl.toml: {key} holds" in one_error_line(done)


def test_yaml_aliases_and_deep_nesting_stay_one_line(tmp_path: Path) -> None:
    # The cleaning walks every value: nine levels of nine aliases ("billion laughs") must stay nine lists.
    root, ws = make_workspace(tmp_path)
    levels = ['a0: &a0 ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]']
    levels += [f"a{n}: &a{n} [{', '.join([f'*a{n - 1}'] * 9)}]" for n in range(1, 9)]
    bomb = "---\ntitle: T\ndate: 2030-03-12\nphotos: &p [*a8]\n" + "\n".join(levels).replace("a0: ", "about: ", 1)
    with pytest.raises(ReleaseError):
        load_release(write_release(root, bomb + "\n---\n\nBody.\n"), ws)
    deep = f"---\ntitle: {'[' * 3000}{']' * 3000}\ndate: 2030-03-12\n---\n\nBody.\n"
    with pytest.raises(ReleaseError, match="nests lists or tables too deeply"):
        load_release(write_release(root, deep, name="deep.md"), ws)
