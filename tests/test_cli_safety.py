"""Issue 8, the smaller findings: terminal escapes in replies, --out folders, AUTH, --from, ftp://, underlines."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.qa_support import one_error_line, pressctl, workspace
from tests.smtp_server import SmtpTestServer

pytestmark = pytest.mark.slow

ESCAPES = "\x1b[2J\x1b]0;owned\x07\x1b[31m"


def _one_contact(root: Path, email: str = "desk@harbour-daily.test") -> str:
    path = root / "contacts" / "one.csv"
    path.write_text(f"email,first_name,outlet\n{email},Ada,Harbour Daily\n", encoding="utf-8")
    return "contacts/one.csv"


def _now_release(root: Path, title: str = "HVSP opens its test bay") -> str:
    (root / "releases" / "now.md").write_text(
        f'---\ntitle: "{title}"\ndate: 2026-03-12\n---\n\nHarbourview Science Park opened a test bay.\n',
        encoding="utf-8",
    )
    return "releases/now.md"


def test_reply_with_terminal_escapes_is_shown_harmless_and_kept_raw(tmp_path: Path) -> None:
    root = workspace(tmp_path)
    release, lst = _now_release(root), _one_contact(root)
    with SmtpTestServer() as server:
        server.script("desk@harbour-daily.test", f"550 5.1.1 gone{ESCAPES}")
        proc = pressctl("send", release, "-c", lst, "--yes", "--smtp", server.url(), cwd=root)
    assert proc.returncode == 1, proc.stderr  # one refused: exit 1, not a crash
    assert "Traceback" not in proc.stderr and "internal error" not in proc.stderr, proc.stderr
    assert "\x1b" not in proc.stdout + proc.stderr and "\x07" not in proc.stdout + proc.stderr
    assert "gone\\x1b[2J" in proc.stdout
    report = pressctl("report", cwd=root)
    # The table clips the reply to fit ~120 columns (issue 18), after making control characters visible.
    assert "\x1b" not in report.stdout and "550 5.1.1" in report.stdout
    data = json.loads(pressctl("report", "--format", "json", cwd=root).stdout)
    rows = data["recipients"] if isinstance(data, dict) else data
    assert any("\x1b[2J" in (r.get("last_reply") or "") for r in rows)  # the ledger keeps the raw text


def test_dry_run_out_never_deletes_a_users_folder(tmp_path: Path) -> None:
    root = workspace(tmp_path)
    args = ("send", "releases/sample.md", "-c", "contacts/journalists.csv", "--dry-run", "--out")
    mine = tmp_path / "mine"
    mine.mkdir()
    (mine / "notes.txt").write_text("my notes", encoding="utf-8")
    (mine / "sub").mkdir()
    proc = pressctl(*args, str(mine), cwd=root)
    assert proc.returncode == 2 and "was not made by a dry run" in one_error_line(proc)
    assert (mine / "notes.txt").read_text(encoding="utf-8") == "my notes" and (mine / "sub").is_dir()
    for fresh in (tmp_path / "empty", tmp_path / "missing"):
        if fresh.name == "empty":
            fresh.mkdir()
        assert pressctl(*args, str(fresh), cwd=root).returncode == 0
    again = tmp_path / "empty"
    assert pressctl(*args, str(again), cwd=root).returncode == 0  # its own folder: cleared and rewritten
    (again / "keep.docx").write_text("a user's file dropped into the preview", encoding="utf-8")
    proc = pressctl(*args, str(again), cwd=root)
    assert proc.returncode == 2 and "keep.docx" in one_error_line(proc)
    assert (again / "keep.docx").exists()


def test_user_name_against_a_server_without_auth_says_so(tmp_path: Path) -> None:
    root = workspace(tmp_path)
    release, lst = _now_release(root), _one_contact(root)
    with SmtpTestServer() as server:
        proc = pressctl(
            "send", release, "-c", lst, "--yes", "--smtp", server.url(user="press"),
            cwd=root, env={"PRESSCTL_SMTP_PASSWORD": "s3cret-pw"},
        )
    line = one_error_line(proc)
    assert proc.returncode == 1
    assert "offers no authentication" in line and "STARTTLS" not in line
    assert "s3cret-pw" not in proc.stdout + proc.stderr


def test_bad_from_option_blames_the_option_in_a_dry_run(tmp_path: Path) -> None:
    root = workspace(tmp_path)
    proc = pressctl(
        "send", "releases/sample.md", "-c", "contacts/journalists.csv", "--dry-run",
        "--from", "A <a@b.c>, b@d.e", cwd=root,
    )
    assert proc.returncode == 2
    line = one_error_line(proc)
    assert "--from" in line and "pressctl.toml" not in line


def test_smtp_url_that_is_not_smtp_is_refused_everywhere(tmp_path: Path) -> None:
    root = workspace(tmp_path)
    with (root / "pressctl.toml").open("a", encoding="utf-8") as fh:
        fh.write('\n[smtp]\nurl = "ftp://files.hvsp.example/"\n')
    for args in (
        ("send", "releases/sample.md", "-c", "contacts/journalists.csv", "--dry-run"),
        ("render", "releases/sample.md"),
    ):
        proc = pressctl(*args, cwd=root)
        assert proc.returncode == 2, args
        assert "must start with smtp:// or smtps://" in one_error_line(proc)


def test_text_underline_matches_the_merged_title(tmp_path: Path) -> None:
    root = workspace(tmp_path)
    release = _now_release(root, "HVSP {{ 7*7 }} 海港 {{ outlet or 'newsroom' }}")
    lst = _one_contact(root)
    proc = pressctl("render", release, "-o", "out", cwd=root)
    assert proc.returncode == 0, proc.stderr
    lines = (root / "out" / "now.txt").read_text(encoding="utf-8").splitlines()
    title = "HVSP 49 海港 newsroom"
    assert lines[lines.index(title) + 1] == "=" * 21  # 17 narrow characters and 2 wide ones
    proc = pressctl("send", release, "-c", lst, "--dry-run", "--out", "out/p", cwd=root)
    assert proc.returncode == 0, proc.stderr
    text = next((root / "out" / "p" / "messages").glob("*.txt")).read_text(encoding="utf-8").splitlines()
    title = "HVSP 49 海港 Harbour Daily"
    assert text[text.index(title) + 1] == "=" * 26


@pytest.mark.parametrize(
    ("extra", "body", "expected"),
    [
        ('attachments: ["fact\\0sheet.pdf"]\n', "Body\n", ":4: attachment 'fact\\x00sheet.pdf' holds a NUL"),
        ('photos: ["bay\\0.jpg"]\n', "Body\n", ":4: photo 1 'bay\\x00.jpg' holds a NUL"),
        ("", "Text.\n\n![The bay](bay%00.png)\n", ":7: body image 'bay%00.png' holds a NUL"),
        ('attachments: ["' + "a" * 5000 + '"]\n', "Body\n", "is not a usable file name"),
    ],
)
def test_file_names_no_file_can_have_are_one_line(tmp_path: Path, extra: str, body: str, expected: str) -> None:
    # These were ValueError / OSError tracebacks (exit 70) from Path.resolve().
    from pressctl.config import load_workspace
    from pressctl.errors import ReleaseError
    from pressctl.release.load import load_release

    root = workspace(tmp_path)
    path = root / "releases" / "odd.md"
    path.write_text(f"---\ntitle: HVSP\ndate: 2026-03-12\n{extra}---\n{body}", encoding="utf-8")
    with pytest.raises(ReleaseError) as caught:
        load_release(path, load_workspace(root))
    assert expected in str(caught.value)


def test_a_fifo_as_an_attachment_is_refused(tmp_path: Path) -> None:
    import os

    from pressctl.config import load_workspace
    from pressctl.errors import ReleaseError
    from pressctl.release.load import load_release

    root = workspace(tmp_path)
    os.mkfifo(root / "releases" / "pipe.pdf")
    path = root / "releases" / "odd.md"
    path.write_text("---\ntitle: HVSP\ndate: 2026-03-12\nattachments: [pipe.pdf]\n---\nBody\n", encoding="utf-8")
    with pytest.raises(ReleaseError) as caught:
        load_release(path, load_workspace(root))
    assert ":4: attachment 'pipe.pdf' is not a regular file" in str(caught.value)
