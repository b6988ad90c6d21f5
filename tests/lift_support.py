"""Helpers for the issue-18 walk-through tests: the sample workspace (English and Chinese), a 40-row list with
4 trusted journalists, the real commands in this process (CliRunner: no seconds of imports per command) and
the messages an aiosmtpd server received, parsed."""

from __future__ import annotations

import datetime as dt
import re
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path
from typing import Any

from typer.testing import CliRunner

from pressctl.scaffold import init_workspace

__all__ = [
    "TRUSTED",
    "all_list",
    "invoke",
    "parsed",
    "sample_workspace",
    "set_embargo",
    "text_of",
    "trusted_list",
]

TRUSTED = [f"trusted{i}@wire{i}.example" for i in range(4)]


def sample_workspace(root: Path, *, internal: list[str] | None = None, smtp_url: str | None = None) -> Path:
    """``pressctl init``'s workspace (a release in English and Traditional Chinese); returns the release."""
    init_workspace(root)
    config = root / "pressctl.toml"
    text = config.read_text(encoding="utf-8")
    if internal:
        listed = ", ".join(f'"{a}"' for a in internal)
        text = text.replace("[sender]\n", f"[sender]\ninternal_copies = [{listed}]\n", 1)
    if smtp_url:
        text = re.sub(r"(?m)^\[smtp\]\n", f'[smtp]\nurl = "{smtp_url}"\n', text, count=1)
        if f'url = "{smtp_url}"' not in text:
            text += f'\n[smtp]\nurl = "{smtp_url}"\n'
    config.write_text(text, encoding="utf-8")
    return root / "releases" / "sample.md"


def set_embargo(release: Path, when: dt.datetime) -> None:
    """Move the release's embargo (and its translation's) to ``when``."""
    stamp = when.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    for path in (release, release.with_name(release.stem + ".zh-HK.md")):
        text = path.read_text(encoding="utf-8")
        text = re.sub(r"(?m)^embargo: .*$", f"embargo: {stamp}", text)
        path.write_text(text, encoding="utf-8")


def _write(path: Path, rows: list[tuple[str, str, str]]) -> Path:
    lines = ["email,first_name,last_name,outlet,language"]
    lines += [f"{email},{first},Lee,Wire,{lang}" for email, first, lang in rows]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def trusted_list(ws: Path) -> Path:
    return _write(ws / "contacts" / "trusted.csv", [(a, f"Trusted{i}", "en" if i % 2 else "zh-HK") for i, a in enumerate(TRUSTED)])


def all_list(ws: Path, count: int = 40) -> Path:
    """``count`` journalists, the 4 trusted among them, half English and half Chinese."""
    rows = [(a, f"Trusted{i}", "en" if i % 2 else "zh-HK") for i, a in enumerate(TRUSTED)]
    rows += [(f"desk{i:02d}@paper{i:02d}.example", f"Desk{i}", "en" if i % 2 else "zh-HK") for i in range(count - len(TRUSTED))]
    return _write(ws / "contacts" / "all.csv", rows)


def invoke(ws: Path, *args: str, monkeypatch: Any) -> Any:
    """A real command in this process (the CLI the user types), from the workspace folder."""
    from pressctl.cli import app

    monkeypatch.chdir(ws)
    return CliRunner().invoke(app, list(args))


def parsed(data: bytes) -> EmailMessage:
    msg = message_from_bytes(data, policy=policy.default)
    assert isinstance(msg, EmailMessage)
    return msg


def text_of(msg: EmailMessage) -> str:
    """The plain-text body."""
    part = msg.get_body(preferencelist=("plain",))
    assert part is not None
    return str(part.get_content())  # type: ignore[attr-defined]
