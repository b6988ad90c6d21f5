"""An office of two officers for tests: two workspace folders (one a copy of the other, as git or a shared
drive gives each officer) whose ``pressctl.toml`` names one shared PostgreSQL ledger (``[ledger] url``), and
real ``pressctl`` processes run in either."""

from __future__ import annotations

import os
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

from send_support import PRESSCTL, make_workspace, write_contacts, write_release

__all__ = ["Office", "make_office"]


@dataclass
class Office:
    a: Path  # officer A's workspace folder
    b: Path  # officer B's: a copy of A's (its own .pressctl/)
    url: str  # the shared ledger
    env: dict[str, str]  # the password, as each officer's environment gives it

    def start(self, ws: Path, *args: str) -> subprocess.Popen[str]:
        return subprocess.Popen(
            [*PRESSCTL, *args], cwd=ws, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
            env={**os.environ, "COLUMNS": "200", **self.env},
        )

    def run(self, ws: Path, *args: str, timeout: float = 180) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [*PRESSCTL, *args], cwd=ws, capture_output=True, text=True, timeout=timeout, check=False,
            env={**os.environ, "COLUMNS": "200", **self.env},
        )


def make_office(tmp_path: Path, url: str, env: dict[str, str], *, recipients: int = 40) -> Office:
    """Officer A's workspace with a release (``releases/fellows.md``) and a list (``contacts/desks.csv``),
    officer B's a copy of it; both name ``url`` as their ledger."""
    a = make_workspace(tmp_path / "officer-a")
    write_release(a)
    write_contacts(a / "contacts" / "desks.csv", recipients)
    config = a / "pressctl.toml"
    config.write_text(config.read_text(encoding="utf-8") + f'\n[ledger]\nurl = "{url}"\n', encoding="utf-8")
    b = tmp_path / "officer-b"
    shutil.copytree(a, b, ignore=shutil.ignore_patterns(".pressctl"))
    # One secret for the office (unsubscribe tokens and VERP signed alike on every machine): copied, as
    # docs/team.md says.
    secret = a / ".pressctl" / "secret"
    if secret.exists():
        (b / ".pressctl").mkdir(mode=0o700, exist_ok=True)
        shutil.copy2(secret, b / ".pressctl" / "secret")
    return Office(a=a, b=b, url=url, env=env)
