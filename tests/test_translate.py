"""Issue 20: `pressctl translate RELEASE --to zh-CN` writes a Simplified draft with OpenCC; `send`,
`schedule` and `publish` refuse a draft version; once a person removes the mark it renders in the SC face."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from pressctl.cli import app
from pressctl.cli._env import Env
from pressctl.clock import ManualClock
from pressctl.errors import ExitStatus
from pressctl.release.load import load_release_set
from pressctl.release.merge import MergePlan
from pressctl.render.email import render_email
from pressctl.render.pdf import print_html
from tests.render_support import AFTER_LIFT, BEFORE_LIFT, HAVE_POPPLER, make_workspace, pdffonts
from tests.smtp_server import SmtpTestServer

runner = CliRunner()


def _translate(root: Path) -> tuple[Path, str]:
    done = runner.invoke(app, ["translate", str(root / "releases" / "sample.md"), "--to", "zh-CN"], obj=Env.for_test(cwd=root))
    assert done.exit_code == ExitStatus.OK, done.output
    return root / "releases" / "sample.zh-CN.md", done.output


def _undraft(path: Path) -> None:
    path.write_text(path.read_text(encoding="utf-8").replace("draft: true\n", ""), encoding="utf-8")


def test_translate_writes_a_simplified_draft_and_lists_it(tmp_path: Path) -> None:
    root, ws = make_workspace(tmp_path)
    path, out = _translate(root)
    assert "sample.zh-CN.md" in out and "hk2s" in out and "draft: true" in out
    text = path.read_text(encoding="utf-8")
    assert "draft: true" in text and "language: zh-CN" in text
    assert "海景科学园启用潮汐能源测试湾" in text and "海景科學園" not in text
    assert "https://www.hvsp.example/test-bay" in text and "photos/test-bay.jpg" in text  # links and files as they were
    assert "回覆本 -> 回复本" in text  # the phrase a reviewer should look at, listed in the file
    releases = load_release_set(root / "releases" / "sample.md", ws)
    assert [r.language for r in releases] == ["en", "zh-HK", "zh-CN"] and releases[2].draft
    rendered = render_email(releases[2], ws, MergePlan(), embargoed=True)
    assert "新闻稿禁发时间" in rendered.html and "海景科学园" in rendered.html and 'lang="zh-CN"' in rendered.html
    check = runner.invoke(app, ["check", str(root / "releases" / "sample.md")], obj=Env.for_test(cwd=root))
    assert check.exit_code == ExitStatus.FAILED and "marked 'draft: true'" in check.output, check.output
    again = runner.invoke(app, ["translate", str(root / "releases" / "sample.md"), "--to", "zh-CN"], obj=Env.for_test(cwd=root))
    assert again.exit_code == ExitStatus.BAD_INPUT and "--force" in again.output


def test_send_schedule_and_publish_refuse_a_draft_in_one_line(tmp_path: Path) -> None:
    root, _ = make_workspace(tmp_path)
    _translate(root)
    env = Env.for_test(cwd=root, clock=ManualClock(AFTER_LIFT))
    release, contacts = str(root / "releases" / "sample.md"), str(root / "contacts" / "journalists.csv")
    before = Env.for_test(cwd=root, clock=ManualClock(BEFORE_LIFT))
    for args, at in (
        (["send", release, "-c", contacts, "--yes"], env),
        (["schedule", release, "-c", contacts], before),  # at the lift, from a snapshot taken now
        (["publish", release], env),
    ):
        done = runner.invoke(app, args, obj=at)
        assert done.exit_code == ExitStatus.BAD_INPUT, (args, done.output)
        assert "Simplified Chinese (China) version is a draft (draft: true)" in done.output, done.output
        assert "Traceback" not in done.output and len(done.output.strip().splitlines()) <= 3
    dry = runner.invoke(app, ["send", release, "-c", contacts, "--dry-run", "--out", str(tmp_path / "p")], obj=env)
    assert dry.exit_code == ExitStatus.OK and "marked 'draft: true'" in dry.output, dry.output
    only_en = runner.invoke(app, ["send", release, "-c", contacts, "--lang", "en", "--dry-run", "--out", str(tmp_path / "q")], obj=env)
    assert only_en.exit_code == ExitStatus.OK and "draft" not in only_en.output


@pytest.mark.slow
def test_a_draft_sends_nothing_and_goes_once_the_mark_is_removed(tmp_path: Path) -> None:
    root, _ = make_workspace(tmp_path)
    path, _ = _translate(root)
    env = Env.for_test(cwd=root, clock=ManualClock(AFTER_LIFT))
    release, contacts = str(root / "releases" / "sample.md"), str(root / "contacts" / "journalists.csv")
    with SmtpTestServer() as server:
        args = ["send", release, "-c", contacts, "--yes", "--smtp", server.url()]
        refused = runner.invoke(app, args, obj=env)
        assert refused.exit_code == ExitStatus.BAD_INPUT and server.connections == 0 and server.messages == []
        _undraft(path)
        sent = runner.invoke(app, args, obj=env)
        assert sent.exit_code == ExitStatus.OK, sent.output
        assert server.messages


@pytest.mark.slow
@pytest.mark.skipif(not HAVE_POPPLER, reason="poppler-utils (pdffonts) is not installed")
def test_the_simplified_version_renders_with_the_sc_face(tmp_path: Path) -> None:
    root, ws = make_workspace(tmp_path)
    path, _ = _translate(root)
    _undraft(path)
    zh_cn = load_release_set(root / "releases" / "sample.md", ws, only="zh-CN")[0]
    assert not zh_cn.draft and "Noto Sans CJK SC" in print_html(zh_cn, ws, MergePlan(), embargoed=False)
    done = runner.invoke(
        app, ["render", str(root / "releases" / "sample.md"), "--lang", "zh-CN", "-o", str(tmp_path / "out")],
        obj=Env.for_test(cwd=root, clock=ManualClock(AFTER_LIFT)),
    )
    assert done.exit_code == ExitStatus.OK, done.output
    fonts = [row["name"] for row in pdffonts(tmp_path / "out" / "sample.zh-CN.pdf")]
    assert any("Noto-Sans-CJK-SC" in name for name in fonts), fonts
    assert all("CJK-HK" not in name and "CJK-TC" not in name for name in fonts), fonts


def test_translate_needs_a_version_that_converts(tmp_path: Path) -> None:
    root, _ = make_workspace(tmp_path)
    main = root / "releases" / "sample.md"
    main.write_text(main.read_text(encoding="utf-8").replace("translations:\n  zh-HK: sample.zh-HK.md\n", ""), encoding="utf-8")
    done = runner.invoke(app, ["translate", str(main), "--to", "zh-CN"], obj=Env.for_test(cwd=root))
    assert done.exit_code == ExitStatus.BAD_INPUT and "no version converts into Simplified Chinese" in " ".join(done.output.split())
    bad = runner.invoke(app, ["translate", str(main), "--to", "xx-YY"], obj=Env.for_test(cwd=root))
    assert bad.exit_code == ExitStatus.BAD_INPUT and "unknown language" in bad.output
