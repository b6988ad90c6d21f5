"""A release's version for approvals: digests that do not depend on where the files are (a scheduled job's
copy) but change with any word, photo or translation, said in words per language and part; the
``[workflow]`` table; the ``approvals`` table family."""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

import pytest
from render_support import make_workspace

from pressctl.approvals.check import NotApproved, require_approval
from pressctl.approvals.versions import changes, version_of
from pressctl.clock import ManualClock
from pressctl.config import load_workspace
from pressctl.errors import ConfigError
from pressctl.ledger import Ledger
from pressctl.release.load import load_release_set


def _version(root: Path):  # type: ignore[no-untyped-def]
    ws = load_workspace(root)
    return version_of(load_release_set(root / "releases" / "sample.md", ws), ws)


def test_a_copy_elsewhere_is_the_same_version(tmp_path: Path) -> None:
    root, _ws = make_workspace(tmp_path)
    copy = tmp_path / "elsewhere" / "copy"
    shutil.copytree(root, copy)
    assert _version(root) == _version(copy)
    assert set(_version(root).digests) == {"en", "zh-HK"}


def test_each_change_is_named_by_language_and_part(tmp_path: Path) -> None:
    root, _ws = make_workspace(tmp_path)
    before = _version(root)
    zh = root / "releases" / "sample.zh-HK.md"
    zh.write_text(zh.read_text("utf-8") + "\n另一段。\n", "utf-8")
    assert changes(before.digests, _version(root).digests) == ["zh-HK text, email and PDF"]

    photo = next((root / "releases" / "photos").iterdir())
    from PIL import Image

    with Image.open(photo) as img:
        img.rotate(180).save(photo)
    after = _version(root)
    assert after.assets != before.assets
    assert all("photos" in line for line in changes(before.digests, after.digests))


def test_changes_reads_added_and_removed_versions() -> None:
    a = {"en": {"subject": "1", "text": "1"}}
    b = {"en": {"subject": "2", "text": "1"}, "zh-CN": {"subject": "1"}}
    assert changes(a, b) == ["en subject", "a new version in zh-CN"]
    assert changes(b, a) == ["en subject", "the zh-CN version was removed"]
    assert changes(a, a) == []


@pytest.mark.parametrize(
    ("table", "said"),
    [
        ('approval = "sometimes"', "workflow.approval 'sometimes' is not one of off, required"),
        ('approvers = "Amy"', "workflow.approvers must be a list of names"),
        ("approvals_needed = 0", "workflow.approvals_needed must be a whole number from 1 to 20"),
        ('approvers = ["Amy"]\napprovals_needed = 2', "approvals_needed is 2 but only 1 approver(s) are listed"),
        ("approval_needed = 2", "unknown key 'workflow.approval_needed'"),
    ],
)
def test_the_workflow_table_is_checked(tmp_path: Path, table: str, said: str) -> None:
    root, _ws = make_workspace(tmp_path)
    toml = root / "pressctl.toml"
    toml.write_text(toml.read_text("utf-8") + f"\n[workflow]\n{table}\n", "utf-8")
    with pytest.raises(ConfigError) as refused:
        load_workspace(root)
    assert said in str(refused.value)


def test_the_approvals_family_keeps_every_approval_newest_first(tmp_path: Path) -> None:
    clock = ManualClock(dt.datetime(2030, 3, 1, tzinfo=dt.UTC))
    with Ledger(tmp_path / "ledger.sqlite3", clock=clock) as ledger:
        first = ledger.approvals.add(
            slug="s", release_path="/r/s.md", title="T", approver="Amy Chan", digests={"en": {"text": "a"}}, assets="x",
            warnings=["s.md:3: a doubtful dateline"],
        )
        clock.now += dt.timedelta(minutes=5)
        second = ledger.approvals.add(
            slug="s", release_path="/r/s.md", title="T", approver="Lee Wai", digests={"en": {"text": "b"}}, assets="x"
        )
        ledger.approvals.add(slug="other", release_path="/r/o.md", title="O", approver="Amy Chan", digests={}, assets="")
        assert [r.id for r in ledger.approvals.of_release("s")] == [second.id, first.id]
        assert first.warnings == ("s.md:3: a doubtful dateline",) and first.digests == {"en": {"text": "a"}}
        assert len(ledger.approvals.all()) == 3


def test_without_the_workflow_nothing_is_asked(tmp_path: Path) -> None:
    root, ws = make_workspace(tmp_path)
    releases = load_release_set(root / "releases" / "sample.md", ws)
    assert require_approval(releases, ws, ledger_path=tmp_path / "none.sqlite3", command="send") == []
    toml = root / "pressctl.toml"
    toml.write_text(toml.read_text("utf-8") + '\n[workflow]\napproval = "required"\n', "utf-8")
    ws = load_workspace(root)
    with pytest.raises(NotApproved) as refused:
        require_approval(releases, ws, ledger_path=tmp_path / "none.sqlite3", command="send")
    assert refused.value.exit_code == 2 and "send refused: the release is not approved" in str(refused.value)
    assert not (tmp_path / "none.sqlite3").exists()  # asking does not make a ledger


PACKAGE = Path(__file__).resolve().parent.parent / "pressctl"
# The one place each command asks (send, schedule, publish and a job's page, dispatch).
CALLERS = {
    "cli/send.py": 1,
    "schedule/request.py": 1,
    "site/newsroom.py": 1,
    "schedule/dispatcher.py": 1,
}


def test_the_approval_check_has_one_home_and_one_caller_per_command() -> None:
    """``require_approval`` lives in approvals/check.py and is called once in each command's path; nothing
    else compares approval digests or reads the approvals table."""
    found: dict[str, int] = {}
    problems = []
    for path in sorted(PACKAGE.rglob("*.py")):
        where = path.relative_to(PACKAGE).as_posix()
        text = path.read_text("utf-8")
        calls = text.count("require_approval(")
        if where == "approvals/check.py":
            continue
        if calls:
            found[where] = calls
        if ".approvals.of_release(" in text and where not in ("approvals/record.py",):
            problems.append(f"{where}: reads the approvals table itself")
    assert found == CALLERS
    assert problems == []
