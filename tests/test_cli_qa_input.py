"""QA regressions: bad release, config and list input gives one clear line, exit 2, nothing written."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from typer.testing import CliRunner

from pressctl.cli import app
from pressctl.config import load_workspace
from pressctl.contacts.suppressfile import read_suppression
from pressctl.errors import ConfigError, ContactsError
from tests.qa_support import workspace

runner = CliRunner()


def _replace(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        ('primary = "#0b5c74"', 'primary = "red; background: url(x)"', "brand.primary"),
        ('font = "Noto Sans"', 'font = "Noto\\"; } body { display: none"', "brand.font"),
        ('language = "en"', 'language = "xx yy"', "defaults.language"),
        ('timezone = "Asia/Hong_Kong"', 'timezon = "Asia/Hong_Kong"', "ean 'timezone'"),
        ('[brand]', '[brand]\ncolour = "#000000"', "brand.colour"),
        ('logo = "brand/logo.png"', 'logo = "brand"', "brand.logo 'brand' is a folder"),
        ('phone = "+852 3000 0101"', "phone = 85230000101", "media_contacts.phone must be text"),
        ('phone = "+852 3000 0101"', 'phone = "+852 3000 0101"\nmobile = "1"', "unknown key 'media_contacts.mobile'"),
        ('unsubscribe_url = "https', 'unsubscribe_url = "javascript:alert(1)"\n# "https', "not a web address"),
    ],
)
def test_config_mistakes_are_named(tmp_path: Path, old: str, new: str, expected: str) -> None:
    root = workspace(tmp_path)
    _replace(root / "pressctl.toml", old, new)
    with pytest.raises(ConfigError) as info:
        load_workspace(root)
    assert expected in str(info.value)
    assert str(root / "pressctl.toml") in str(info.value)


def test_config_that_is_a_folder(tmp_path: Path) -> None:
    root = workspace(tmp_path)
    result = runner.invoke(app, ["campaigns", "--config", str(root / "brand")])
    assert result.exit_code == 2
    assert "cannot read the file" in result.output and "Traceback" not in result.output


def test_good_config_still_loads(tmp_path: Path) -> None:
    ws = load_workspace(workspace(tmp_path))
    assert (ws.language, ws.brand.primary, ws.brand.cjk_font) == ("en", "#0b5c74", "Noto Sans CJK HK")


def test_media_contact_list_value_is_refused(tmp_path: Path) -> None:
    root = workspace(tmp_path)
    release = root / "releases" / "bad.md"
    release.write_text("---\ntitle: T\ndate: 2030-03-12\nmedia_contacts: [{name: [1]}]\n---\nBody\n", "utf-8")
    out = tmp_path / "out"
    result = runner.invoke(app, ["render", str(release), "-o", str(out)])
    assert result.exit_code == 2, result.output
    assert "bad.md:4: media contact 1: 'name' must be text" in result.output
    assert not out.exists()


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads every file")
def test_unreadable_release(tmp_path: Path) -> None:
    root = workspace(tmp_path)
    release = root / "releases" / "sample.md"
    release.chmod(0)
    result = runner.invoke(app, ["render", str(release), "-o", str(tmp_path / "out")])
    assert result.exit_code == 2 and "cannot read the file" in result.output


def test_logo_that_is_not_an_image_names_the_file_only(tmp_path: Path) -> None:
    root = workspace(tmp_path)
    (root / "brand" / "logo.png").write_bytes(b"not a png at all")
    result = runner.invoke(app, ["render", str(root / "releases" / "sample.md"), "-o", str(tmp_path / "out")])
    assert result.exit_code == 2, result.output
    assert "logo.png: not a readable image" in result.output
    assert "BytesIO" not in result.output


def test_binary_garbage_as_suppression_list_is_refused(tmp_path: Path) -> None:
    garbage = tmp_path / "garbage.csv"
    garbage.write_bytes(bytes(range(256)) * 20 + b"\n@,x@\xff\xfe,,\n")
    with pytest.raises(ContactsError, match="no address or @domain found"):
        read_suppression([garbage])


def test_ordinary_suppression_lists_still_read(tmp_path: Path) -> None:
    plain = tmp_path / "s.csv"
    plain.write_text("email,reason\nA@Example.test,asked\n\n", "utf-8")
    bare = tmp_path / "b.csv"
    bare.write_text("@competitor.example\nsomeone@x.example\n", "utf-8")
    header_only = tmp_path / "h.csv"
    header_only.write_text("email,reason,date\n", "utf-8")
    empty = tmp_path / "e.csv"
    empty.write_text("", "utf-8")
    assert read_suppression([plain, bare, header_only, empty]) == {
        "a@example.test", "@competitor.example", "someone@x.example"
    }


def test_render_into_a_file_is_refused(tmp_path: Path) -> None:
    root = workspace(tmp_path)
    target = tmp_path / "a-file"
    target.write_text("keep me", "utf-8")
    result = runner.invoke(app, ["render", str(root / "releases" / "sample.md"), "-o", str(target), "--lang", "en"])
    assert result.exit_code == 2
    assert "a-file: is a file, not a folder" in result.output
    assert target.read_text("utf-8") == "keep me"


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("photos: [{src: photos, alt: a}]", "bad.md:4: photo 1 'photos' is a folder, not a file"),
        ("attachments: [photos]", "bad.md:4: attachment 'photos' is a folder, not a file"),
        ("photos: [{src: photos/test-bay.jpg, alt: [x]}]", "bad.md:4: photo 1: 'alt' must be text"),
        ("photos: [{src: photos/test-bay.jpg, caption: {a: b}}]", "bad.md:4: photo 1: 'caption' must be text"),
    ],
)
def test_photo_and_attachment_mistakes(tmp_path: Path, line: str, expected: str) -> None:
    root = workspace(tmp_path)
    release = root / "releases" / "bad.md"
    release.write_text(f"---\ntitle: T\ndate: 2030-03-12\n{line}\n---\nBody\n", "utf-8")
    result = runner.invoke(app, ["render", str(release), "-o", str(tmp_path / "out")])
    assert result.exit_code == 2
    assert expected in result.output
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize(
    ("name", "content", "expected"),
    [
        ("email.txt.j2", b"\xff\xfe\x00garbage\x81\x82", "is not UTF-8 text"),
        ("print.html.j2", b'{% extends "print.html.j2" %}', "includes or extends itself"),
        ("email.html.j2", b"{% if x %}\n<p>{{ broken }\n", "email.html.j2:2: template error"),
    ],
)
def test_broken_template_overrides(tmp_path: Path, name: str, content: bytes, expected: str) -> None:
    root = workspace(tmp_path)
    (root / "templates" / name).write_bytes(content)
    out = tmp_path / "out"
    result = runner.invoke(app, ["render", str(root / "releases" / "sample.md"), "-o", str(out), "--lang", "en"])
    assert result.exit_code == 2, result.output
    assert expected in result.output and "internal error" not in result.output
    assert not out.exists()


_MEM = Path("/proc/self/mem")  # exists and is a file, but reading it from the start fails with EIO


@pytest.mark.slow
@pytest.mark.skipif(not _MEM.exists(), reason="needs Linux /proc")
def test_files_that_fail_to_read_are_input_errors(tmp_path: Path) -> None:
    from tests.qa_support import one_error_line, pressctl

    root = workspace(tmp_path)
    (root / "releases" / "broken.pdf").symlink_to(_MEM)
    (root / "releases" / "att.md").write_text(
        "---\ntitle: T\ndate: 2030-03-12\nattachments: [broken.pdf]\n---\nBody\n", "utf-8"
    )
    (root / "brand" / "bad-logo.png").symlink_to(_MEM)
    # Files outside the workspace are refused unless allowed; allow /proc/self to reach the read itself.
    with (root / "pressctl.toml").open("a", encoding="utf-8") as fh:
        fh.write('\n[assets]\nallow = ["/proc/self"]\n')
    lists = ("-c", "contacts/journalists.csv")
    for args in (
        ("send", "releases/att.md", *lists, "--dry-run"),
        ("schedule", "releases/att.md", *lists, "--at", "+1h"),
        ("contacts", "check", str(_MEM)),
        ("send", "releases/sample.md", *lists, "--dry-run", "--suppress", str(_MEM)),
    ):
        proc = pressctl(*args, cwd=root)
        assert proc.returncode == 2, (args, proc.stderr)
        assert "cannot read the file" in one_error_line(proc)
    assert not any((root / ".pressctl").glob("jobs/*"))
    _replace(root / "pressctl.toml", 'logo = "brand/logo.png"', 'logo = "brand/bad-logo.png"')
    proc = pressctl("render", "releases/sample.md", "--lang", "en", "-o", "out", cwd=root)
    assert proc.returncode == 2
    assert "cannot read the image" in one_error_line(proc)
    assert not (root / "out").exists()


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads every file")
def test_unreadable_photo_is_named_at_its_line(tmp_path: Path) -> None:
    root = workspace(tmp_path)
    (root / "releases" / "photos" / "test-bay.jpg").chmod(0)
    result = runner.invoke(app, ["render", str(root / "releases" / "sample.md"), "-o", str(tmp_path / "out")])
    assert result.exit_code == 2 and "cannot be read (permission denied)" in result.output


def test_a_key_given_twice_is_refused(tmp_path: Path) -> None:
    root = workspace(tmp_path)
    release = root / "releases" / "dup.md"
    release.write_text(
        "---\ntitle: T\ndate: 2030-03-12\nembargo: 2030-03-12T10:00:00+08:00\n"
        "embargo: 2020-03-12T10:00:00+08:00\n---\nBody\n",
        "utf-8",
    )
    result = runner.invoke(app, ["render", str(release), "-o", str(tmp_path / "out")])
    assert result.exit_code == 2
    assert "dup.md:5: 'embargo' is given twice (lines 4 and 5)" in result.output


def test_a_utf8_list_survives_an_encoding_meant_for_another_list(tmp_path: Path) -> None:
    from pressctl.contacts.read import decode_bytes

    utf8 = "email,name\nwong@x.example,黃嘉明\n".encode()
    assert "黃嘉明" in decode_bytes(utf8, path=Path("a.csv"), encoding="big5")
    assert "黃嘉明" in decode_bytes(utf8, path=Path("a.csv"), encoding="latin-1")
    big5 = "email,name\nwong@x.example,黃嘉明\n".encode("big5")
    assert "黃嘉明" in decode_bytes(big5, path=Path("b.csv"), encoding="big5")
    latin = "email,name\nrene@x.example,René\n".encode("cp1252")
    assert "René" in decode_bytes(latin, path=Path("c.csv"), encoding="cp1252")
