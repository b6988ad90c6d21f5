"""The dispatcher's systemd units and cron line: they run the commands that exist, the way the docs say."""

from __future__ import annotations

import configparser
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
DEPLOY = ROOT / "deploy"
UNITS = ["pressctl-dispatch.service", "pressctl-dispatch-once.service", "pressctl-dispatch.timer"]


def _unit(name: str) -> configparser.ConfigParser:
    parser = configparser.ConfigParser(strict=False, interpolation=None)
    parser.optionxform = str  # type: ignore[assignment,method-assign]
    parser.read(DEPLOY / name, encoding="utf-8")
    return parser


def test_service_runs_the_watching_dispatcher_and_stops_gently() -> None:
    service = _unit("pressctl-dispatch.service")["Service"]
    assert service["ExecStart"].split()[1:3] == ["dispatch", "--watch"]
    assert service["KillSignal"] == "SIGTERM"
    assert "PRESSCTL_SMTP_PASSWORD" not in (DEPLOY / "pressctl-dispatch.service").read_text().split("#")[0]
    once = _unit("pressctl-dispatch-once.service")["Service"]
    assert once["ExecStart"].split()[1:2] == ["dispatch"] and "--watch" not in once["ExecStart"]
    assert _unit("pressctl-dispatch.timer")["Timer"]["Unit"] == "pressctl-dispatch-once.service"


def test_docs_show_cron_systemd_and_foreground() -> None:
    text = (ROOT / "docs" / "dispatch.md").read_text(encoding="utf-8")
    assert "* * * * *  cd /srv/press && " in text and "pressctl dispatch" in text
    assert "deploy/pressctl-dispatch.service" in text
    assert "pressctl dispatch --watch" in text


@pytest.mark.slow
@pytest.mark.skipif(shutil.which("systemd-analyze") is None, reason="systemd-analyze not installed")
def test_units_pass_systemd_analyze(tmp_path: Path) -> None:
    # The units name /usr/local/bin/pressctl; point them at this installation so the check can find it.
    pressctl = str(Path(sys.executable).with_name("pressctl"))
    for name in UNITS:
        text = (DEPLOY / name).read_text(encoding="utf-8").replace("/usr/local/bin/pressctl", pressctl)
        (tmp_path / name).write_text(text, encoding="utf-8")
    done = subprocess.run(
        ["systemd-analyze", "verify", *(str(tmp_path / n) for n in UNITS)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
