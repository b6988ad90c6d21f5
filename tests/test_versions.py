"""Issue 20: the language versions agree (dates, figures, phones, e-mail addresses, URLs, photos, quotes),
or `pressctl check` and the dry run say where, and `send` refuses (exit 2) unless --allow-differences."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from typer.testing import CliRunner

from pressctl.cli import app
from pressctl.cli._env import Env
from pressctl.errors import ExitStatus
from pressctl.release.load import load_release_set
from pressctl.versions.agreement import differences
from pressctl.versions.frontfile import with_translation
from tests.render_support import make_workspace
from tests.send_support import write_contacts
from tests.smtp_server import SmtpTestServer

runner = CliRunner()

EN = """\
---
title: HVSP Opens a Coral Nursery Lab
date: {date}
dateline: Hong Kong
language: en
translations:
  zh-HK: coral.zh-HK.md
---

Harbourview Science Park (HVSP) today opened a lab with 2,400 square metres of seawater tanks, twenty
of them for young companies.

> "Reef science needs patience and seawater," said Dr Evelyn Tsang, Chief Executive Officer of HVSP.

Enquiries: +852 3000 0101 or press@hvsp.example; details at https://www.hvsp.example/coral.
"""

ZH = """\
---
title: 海景科學園啟用珊瑚培育實驗室
date: {date}
dateline: 香港
language: zh-HK
---

海景科學園今日啟用設有{area}平方米海水缸的實驗室，其中二十個供年輕企業使用。

> 海景科學園行政總裁曾穎欣博士表示：「珊瑚礁研究需要耐性和海水。」

查詢：{phone}或press@hvsp.example；詳情載於https://www.hvsp.example/coral。
"""


def _pair(root: Path, *, date: str = "2030-06-03", zh_date: str = "2030-06-03", area: str = "二千四百",
          phone: str = "+852 3000 0101") -> Path:
    (root / "releases" / "coral.zh-HK.md").write_text(ZH.format(date=zh_date, area=area, phone=phone), encoding="utf-8")
    main = root / "releases" / "coral.md"
    main.write_text(EN.format(date=date), encoding="utf-8")
    return main


@pytest.mark.parametrize("area", ["二千四百", "2,400", "2 400", "2400", "兩千四百"])
def test_a_figure_agrees_however_it_is_written(tmp_path: Path, area: str) -> None:
    root, ws = make_workspace(tmp_path)
    assert differences(load_release_set(_pair(root, area=area), ws)) == []


def test_the_sample_release_s_versions_agree(tmp_path: Path) -> None:
    root, ws = make_workspace(tmp_path)
    assert differences(load_release_set(root / "releases" / "sample.md", ws)) == []


def test_each_difference_is_one_line_naming_both_versions_and_the_paragraph(tmp_path: Path) -> None:
    root, ws = make_workspace(tmp_path)
    main = _pair(root, zh_date="2030-06-04", area="二千六百", phone="+852 3000 0199")
    lines = differences(load_release_set(main, ws))
    assert len(lines) == 3, lines
    date, figure, phone = lines
    assert "date '2030-06-04' in the Traditional Chinese (Hong Kong) version differs from '2030-06-03' in the English version" in date
    assert "coral.zh-HK.md:8: figure '二千六百'" in figure and "'2,400'" in figure and "coral.md:10)" in figure
    assert "coral.zh-HK.md:12: phone '+852 3000 0199'" in phone and "'+852 3000 0101'" in phone


def test_check_lists_the_differences_and_exits_1(tmp_path: Path) -> None:
    root, _ = make_workspace(tmp_path)
    main = _pair(root, area="二千六百")
    done = runner.invoke(app, ["check", str(main)], obj=Env.for_test(cwd=root))
    assert done.exit_code == ExitStatus.FAILED, done.output
    assert "figure '二千六百'" in done.output and "1 difference(s)" in done.output
    _pair(root)
    done = runner.invoke(app, ["check", str(main)], obj=Env.for_test(cwd=root))
    assert done.exit_code == ExitStatus.OK and "the versions agree" in done.output, done.output


def test_quotes_missing_from_a_version_are_counted(tmp_path: Path) -> None:
    root, ws = make_workspace(tmp_path)
    main = _pair(root)
    zh = root / "releases" / "coral.zh-HK.md"
    zh.write_text(zh.read_text(encoding="utf-8").replace("> 海景", "海景"), encoding="utf-8")
    lines = differences(load_release_set(main, ws))
    assert len(lines) == 1 and "has 0 quote(s), the English version 1" in lines[0], lines


def test_the_dry_run_warns_and_the_send_refuses_without_a_connection(tmp_path: Path) -> None:
    root, _ = make_workspace(tmp_path)
    main = _pair(root, zh_date="2030-06-04", area="二千六百", phone="+852 3000 0199")
    contacts = write_contacts(tmp_path / "list.csv", 3)
    env = Env.for_test(cwd=root)
    dry = runner.invoke(app, ["send", str(main), "-c", str(contacts), "--dry-run", "--out", str(tmp_path / "p")], obj=env)
    assert dry.exit_code == ExitStatus.OK, dry.output
    flat = dry.output.replace("\n", " ")
    assert sum(f"{kind} '" in flat for kind in ("date", "figure", "phone")) == 3 and flat.count("differs from") == 3, dry.output
    sent = runner.invoke(app, ["send", str(main), "-c", str(contacts), "--yes"], obj=env)
    assert sent.exit_code == ExitStatus.BAD_INPUT, sent.output
    assert "differ in 3 place(s); nothing was sent" in sent.output and "--allow-differences" in sent.output


@pytest.mark.slow
def test_a_send_with_differences_sends_nothing_unless_allowed(tmp_path: Path) -> None:
    root, _ = make_workspace(tmp_path)
    main = _pair(root, zh_date="2030-06-04", area="二千六百", phone="+852 3000 0199")
    contacts = write_contacts(tmp_path / "list.csv", 3)
    env = Env.for_test(cwd=root)
    with SmtpTestServer() as server:
        refused = runner.invoke(app, ["send", str(main), "-c", str(contacts), "--yes", "--smtp", server.url()], obj=env)
        assert refused.exit_code == ExitStatus.BAD_INPUT, refused.output
        assert server.messages == [] and server.connections == 0
        assert not (root / ".pressctl" / "ledger.sqlite3").exists() or "campaign" not in runner.invoke(
            app, ["campaigns"], obj=env
        ).output.lower().replace("campaigns", "")
        allowed = runner.invoke(
            app, ["send", str(main), "-c", str(contacts), "--yes", "--smtp", server.url(), "--allow-differences"], obj=env
        )
        assert allowed.exit_code == ExitStatus.OK, allowed.output
        assert len(server.messages) == 3
        assert "warning:" in allowed.output and "differs from" in allowed.output


def test_with_translation_adds_or_replaces_the_entry() -> None:
    base = "---\ntitle: T\ndate: 2030-06-03\n---\n\nBody.\n"
    assert "translations:\n  zh-CN: t.zh-CN.md\n---" in with_translation(base, "zh-CN", "t.zh-CN.md", where="t.md")
    flow = base.replace("title: T", "title: T\ntranslations: {zh-HK: t.zh-HK.md}")
    out = with_translation(flow, "zh-CN", "t.zh-CN.md", where="t.md")
    assert "translations:\n  zh-HK: t.zh-HK.md\n  zh-CN: t.zh-CN.md\ndate:" in out
    block = base.replace("title: T", "title: T\ntranslations:\n  zh-CN: old.md\n  zh-HK: t.zh-HK.md")
    replaced = with_translation(block, "zh-CN", "t.zh-CN.md", where="t.md")
    assert replaced.count("  zh-CN:") == 1 and "old.md" not in replaced
    assert "# kept" in with_translation(base.replace("title: T", "# kept\ntitle: T"), "zh-CN", "x.md", where="t.md")


def test_drafts_and_differences_are_decided_in_one_place() -> None:
    """`versions.gate.check_versions` is the one decision; send's plan and publish ask it, no one else reads
    a version's draft mark or compares versions itself."""
    root = Path(__file__).resolve().parents[1] / "pressctl"
    for path in root.rglob("*.py"):
        rel = path.relative_to(root).as_posix()
        if rel.startswith("versions/") or rel == "release/load.py":
            continue
        text = path.read_text(encoding="utf-8")
        assert re.search(r"\.draft\b", text) is None and "agreement import" not in text, rel
    for asker in ("send/plan.py", "site/newsroom.py", "render/files.py"):
        assert "check_versions(" in (root / asker).read_text(encoding="utf-8"), asker


@pytest.mark.parametrize(
    ("english", "chinese"),
    [
        ("a HK$2.5 million fund for 15,000 staff", "二百五十萬港元基金，供一萬五千名員工"),
        ("a HK$2.5 million fund for 15,000 staff", "250萬港元基金，供15,000名員工"),
        ("30% of the 180 companies, twenty years on", "180間企業中百分之三十，二十年後"),
        ("at 10:00 a.m. on 14 March 2030, Photo 1", "2030年3月14日上午10時，圖一"),
    ],
)
def test_figures_written_each_language_s_way_agree(tmp_path: Path, english: str, chinese: str) -> None:
    root, ws = make_workspace(tmp_path)
    (root / "releases" / "f.zh-HK.md").write_text(f"---\ntitle: 測試\ndate: 2030-06-03\nlanguage: zh-HK\n---\n\n{chinese}。\n", encoding="utf-8")
    main = root / "releases" / "f.md"
    main.write_text(f"---\ntitle: T\ndate: 2030-06-03\ntranslations: {{zh-HK: f.zh-HK.md}}\n---\n\n{english}.\n", encoding="utf-8")
    assert differences(load_release_set(main, ws)) == []


def test_a_name_in_quotation_marks_is_not_a_quote(tmp_path: Path) -> None:
    root, ws = make_workspace(tmp_path)
    main = _pair(root)
    zh = root / "releases" / "coral.zh-HK.md"
    text = zh.read_text(encoding="utf-8").replace("今日啟用", "今日啟用「珊瑚培育實驗室」及「海洋初創企業培育及測試計劃」，")
    zh.write_text(text, encoding="utf-8")
    assert differences(load_release_set(main, ws)) == []


def test_schedule_refuses_differences_naming_the_user_s_files(tmp_path: Path) -> None:
    root, _ = make_workspace(tmp_path)
    main = _pair(root, area="二千六百")
    contacts = write_contacts(tmp_path / "list.csv", 2)
    env = Env.for_test(cwd=root)
    done = runner.invoke(app, ["schedule", str(main), "-c", str(contacts), "--at", "2030-06-03 10:00"], obj=env)
    assert done.exit_code == ExitStatus.BAD_INPUT, done.output
    flat = " ".join(done.output.split())
    assert f"{root / 'releases' / 'coral.zh-HK.md'}:8: figure '二千六百'" in flat and ".pressctl" not in flat, done.output
    allowed = runner.invoke(
        app, ["schedule", str(main), "-c", str(contacts), "--at", "2030-06-03 10:00", "--allow-differences"], obj=env
    )
    assert allowed.exit_code == ExitStatus.OK, allowed.output
