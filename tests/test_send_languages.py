"""Issue 9 point 8: each reader's language is resolved before sending and shown, and a reader who gets a
version not in their language is greeted in that version's own form, never with a mixed-in name.

Real ``pressctl`` processes on a workspace from ``pressctl init``, a real aiosmtpd server on 127.0.0.1.
"""

from __future__ import annotations

import email
import json
import re
from email import policy
from email.message import EmailMessage
from pathlib import Path

import pytest

from tests.qa_support import pressctl, workspace
from tests.smtp_server import SmtpTestServer

LIST = "contacts/journalists.csv"


def _english_only(root: Path) -> str:
    text = (root / "releases" / "sample.md").read_text("utf-8")
    text = re.sub(r"^embargo:.*\n", "", text, flags=re.M)
    text = re.sub(r"^translations:\n(  .*\n)+", "", text, flags=re.M)
    (root / "releases" / "english.md").write_text(text, "utf-8")
    return "releases/english.md"


def _chinese_only(root: Path) -> str:
    text = (root / "releases" / "sample.zh-HK.md").read_text("utf-8")
    (root / "releases" / "chinese.md").write_text(text, "utf-8")
    return "releases/chinese.md"


def _plain(data: bytes) -> str:
    msg = email.message_from_string(data.decode("utf-8"), policy=policy.default)
    assert isinstance(msg, EmailMessage)
    part = msg.get_body(preferencelist=("plain",))
    assert part is not None
    return str(part.get_content()).replace("\r\n", "\n")


@pytest.mark.slow
def test_an_english_only_release_says_who_gets_english_instead(tmp_path: Path) -> None:
    root = workspace(tmp_path)
    release = _english_only(root)
    expected = (
        "English 11 (4 Traditional Chinese (Hong Kong) readers get English: no Traditional Chinese (Hong Kong) "
        "version; 1 Traditional Chinese (Taiwan) reader gets English: no Traditional Chinese (Taiwan) version)"
    )
    dry = pressctl("send", release, "-c", LIST, "--dry-run", cwd=root)
    assert dry.returncode == 0, dry.stderr
    assert f"languages {expected}" in dry.stdout
    assert expected in (root / "out" / "preview-english" / "index.html").read_text("utf-8")
    check = pressctl("contacts", "check", LIST, "--release", release, cwd=root)
    assert check.returncode == 0, check.stderr
    assert "4 Traditional Chinese (Hong Kong) readers get English: the release has no Traditional Chinese (Hong Kong) version" in check.stdout
    as_json = pressctl("contacts", "check", LIST, "--release", release, "--json", cwd=root)
    assert {"wanted": "zh-HK", "gets": "en", "readers": 4} in json.loads(as_json.stdout)["language_fallbacks"]
    with SmtpTestServer() as server:
        sent = pressctl("send", release, "-c", LIST, "--yes", "--smtp", server.url(), cwd=root)
        assert sent.returncode == 0, sent.stderr
        messages = {m.rcpt: m for m in server.messages}
    assert re.search(r"^languages +" + re.escape(expected) + "$", sent.stdout, re.M)
    # a zh-HK reader of the English version: the English greeting's own fallback, no Chinese name in it
    assert _plain(messages["wong.ka-ming@mingpoint.example"].data).startswith("Dear editor,\n")
    assert _plain(messages["amy.chan@harbourdaily.example"].data).startswith("Dear Amy,\n")


@pytest.mark.slow
def test_a_chinese_only_release_greets_english_readers_without_mixing(tmp_path: Path) -> None:
    root = workspace(tmp_path)
    release = _chinese_only(root)
    with SmtpTestServer() as server:
        sent = pressctl("send", release, "-c", LIST, "--yes", "--smtp", server.url(), cwd=root)
        assert sent.returncode == 0, sent.stderr
        messages = {m.rcpt: m for m in server.messages}
    assert (
        "Traditional Chinese (Hong Kong) 11 (5 English readers get Traditional Chinese (Hong Kong): no English version; "
        "1 Traditional Chinese (Taiwan) reader gets Traditional Chinese (Hong Kong): no Traditional Chinese (Taiwan) version)"
    ) in sent.stdout
    english_reader = _plain(messages["amy.chan@harbourdaily.example"].data)
    assert "Amy" not in english_reader and english_reader.startswith("編輯您好：")
    assert _plain(messages["wong.ka-ming@mingpoint.example"].data).startswith("黃嘉明您好：")
    # a zh-TW reader of the zh-HK version reads Chinese: greeted by name
    assert _plain(messages["chen.yuting@taipeitech.test"].data).startswith("陳雨婷您好：")


@pytest.mark.slow
def test_schedule_shows_the_languages(tmp_path: Path) -> None:
    root = workspace(tmp_path)
    proc = pressctl("schedule", "releases/sample.md", "-c", LIST, cwd=root)
    assert proc.returncode == 0, proc.stderr
    assert (
        "languages   English 6, Traditional Chinese (Hong Kong) 5 (1 Traditional Chinese (Taiwan) reader gets "
        "Traditional Chinese (Hong Kong): no Traditional Chinese (Taiwan) version)"
    ) in proc.stdout
