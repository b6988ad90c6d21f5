"""Issue 18 points 8 and 14: greetings that fit the name, and a personal note, through `pressctl send` to a
real SMTP server on 127.0.0.1; `contacts check --release` says who is greeted without a name, and why."""

from __future__ import annotations

import email
import json
from email import policy
from email.message import EmailMessage
from pathlib import Path

import pytest
from typer.testing import CliRunner

from pressctl.cli import app
from pressctl.scaffold import init_workspace
from tests.smtp_server import SmtpTestServer

runner = CliRunner()
LIST = """Email,Name,中文姓名,First Name,Language,Note
ho@kowloonpost.test,"Ho, Siu-ling",何小玲,,zh-HK,小玲：行政總裁星期四下午可接受訪問。
ho.en@kowloonpost.test,"Ho, Siu-ling",何小玲,,en,
wong@mingpoint.test,黃嘉明,,,en,
wong.zh@mingpoint.test,黃嘉明,,,zh-HK,
lee@x.test,Lee Ka-yan,,,en,"As promised: the CEO at 3 pm. <b>Bring</b> a photographer & <script>x</script>
 meet at the gate."
chan@x.test,Chan Tai Man,,,en,
amy@x.test,,,Amy,en,   \t
"""


@pytest.fixture
def root(tmp_path: Path) -> Path:
    ws = tmp_path / "ws"
    init_workspace(ws)
    (ws / "contacts" / "names.csv").write_text(LIST, encoding="utf-8")
    return ws


def _parts(data: bytes) -> tuple[EmailMessage, str, str]:
    msg = email.message_from_bytes(data, policy=policy.default)
    assert isinstance(msg, EmailMessage)
    text, page = msg.get_body(("plain",)), msg.get_body(("html",))
    assert text is not None and page is not None
    return msg, str(text.get_content()).replace("\r\n", "\n"), str(page.get_content())


def test_greetings_and_notes_as_sent(root: Path) -> None:
    with SmtpTestServer() as server:
        result = runner.invoke(app, [
            "send", str(root / "releases/sample.md"), "-c", str(root / "contacts/names.csv"),
            "--under-embargo", "--yes", "--smtp", server.url(),
        ])
        assert result.exit_code == 0, result.output
        got = {m.rcpt: _parts(m.data) for m in server.accepted}
    first = {rcpt: text.splitlines()[0] for rcpt, (_, text, _) in got.items()}
    assert first == {
        "ho@kowloonpost.test": "何小玲您好：",  # the Chinese name, whole and in its order
        "ho.en@kowloonpost.test": "Dear Siu-ling,",  # "Last, First" read as such
        "wong@mingpoint.test": "Dear editor,",  # only a Chinese name: no English given name guessed
        "wong.zh@mingpoint.test": "黃嘉明您好：",  # a name column alone serves the Chinese greeting
        "lee@x.test": "Dear Ka-yan,",  # Hong Kong order with a hyphenated given name
        "chan@x.test": "Dear editor,",  # no clear given name
        "amy@x.test": "Dear Amy,",
    }
    msg, _, _ = got["ho.en@kowloonpost.test"]
    assert msg["To"] == '"Ho, Siu-ling" <ho.en@kowloonpost.test>'  # the To name stays as the list has it

    # The note: its own paragraph after the greeting, in text and HTML, escaped; nothing when empty.
    _, text, page = got["lee@x.test"]
    lines = text.splitlines()
    assert lines[1] == "" and lines[2].startswith("As promised: the CEO at 3 pm. <b>Bring</b> a photographer")
    assert "meet at the gate." in text.split("\n\n")[1] and text.split("\n\n")[2].strip()
    assert "<script>" not in page and "&lt;script&gt;" in page and "&lt;b&gt;Bring&lt;/b&gt;" in page
    greeting_at, note_at, title_at = page.index(">Dear Ka-yan,<"), page.index('class="note"'), page.index("<h1")
    assert greeting_at < note_at < title_at
    _, text_zh, page_zh = got["ho@kowloonpost.test"]
    assert 'lang="zh-HK"' in page_zh[page_zh.index('class="note"') - 20 :][:80]
    assert text_zh.split("\n\n")[1] == "小玲：行政總裁星期四下午可接受訪問。"
    for rcpt in ("amy@x.test", "chan@x.test", "ho.en@kowloonpost.test"):
        _, text, page = got[rcpt]
        assert 'class="note"' not in page
        assert text.split("\n\n")[1].startswith("EMBARGOED")  # the greeting, then straight to the banner


def test_the_pdf_carries_no_note(root: Path, tmp_path: Path) -> None:
    out = tmp_path / "preview"
    result = runner.invoke(app, [
        "send", str(root / "releases/sample.md"), "-c", str(root / "contacts/names.csv"), "--dry-run",
        "--out", str(out),
    ])
    assert result.exit_code == 0, result.output
    import subprocess

    pdf = subprocess.run(["pdftotext", str(out / "sample.pdf"), "-"], capture_output=True, text=True, check=True)
    assert "As promised" not in pdf.stdout and "Bring" not in pdf.stdout


def test_contacts_check_lists_who_is_greeted_without_a_name(root: Path) -> None:
    args = ["contacts", "check", str(root / "contacts/names.csv"), "--release", str(root / "releases/sample.md")]
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    assert "2 contact(s) greeted without a name:" in result.stdout
    lines = result.stdout.splitlines()
    wong = next(line for line in lines if "wong@mingpoint.test" in line)
    assert "Dear editor," in wong and "only a Chinese name (黃嘉明)" in wong
    chan = next(line for line in lines if "chan@x.test" in line)
    assert "no clear given name in 'Chan Tai Man'" in chan
    data = json.loads(runner.invoke(app, [*args, "--json"]).stdout)
    assert {f["email"]: f["greeting"] for f in data["greeting_fallbacks"]} == {
        "wong@mingpoint.test": "Dear editor,", "chan@x.test": "Dear editor,",
    }
