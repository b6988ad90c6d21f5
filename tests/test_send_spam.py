"""SpamAssassin (its packaged rules, no network tests) on the messages ``send --dry-run`` would write.

English messages fire no rule above 0.01 but HTML_MESSAGE and ALL_TRUSTED; Chinese ones score at most 1.0
(inline tags between CJK characters count as "obfuscation" to SpamAssassin: the author's own bold text and
links in Chinese sentences can still add HTML_OBFUSCATE_05_10, 0.6).
"""

from __future__ import annotations

import datetime as dt
import re
import shutil
import subprocess
from dataclasses import replace

import pytest

from pressctl.contacts.load import load_contacts
from pressctl.release.load import load_release_set
from pressctl.release.merge import MergePlan
from pressctl.render.email import render_email
from pressctl.render.pdf import render_pdf
from pressctl.send.messages import MessageFactory
from tests.render_support import make_workspace

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(shutil.which("spamassassin") is None, reason="spamassassin not installed (Debian: spamassassin)"),
]

ALLOWED = {"HTML_MESSAGE", "ALL_TRUSTED"}
_RULE = re.compile(r"^\s*(-?\d+(?:\.\d+)?)\s+([A-Z0-9_]+)\s", re.M)


@pytest.fixture(scope="module")
def messages(tmp_path_factory: pytest.TempPathFactory) -> dict[str, bytes]:
    """One message per language, built as a dry run builds them, unsubscribing by a URL without an address."""
    root, ws = make_workspace(tmp_path_factory.mktemp("spam"))
    ws = replace(ws, sender=replace(ws.sender, unsubscribe_url="https://hvsp.example/unsubscribe"))
    releases = load_release_set(root / "releases" / "sample.md", ws)
    plan = MergePlan()
    renders = {r.language: render_email(r, ws, plan, embargoed=True) for r in releases}
    pdfs = {r.language: render_pdf(r, ws, plan, embargoed=True) for r in releases}
    contacts = load_contacts(
        [root / "contacts" / "journalists.csv"],
        workspace=ws,
        languages=[r.language for r in releases],
        default_language=releases[0].language,
    )
    factory = MessageFactory(
        renders, pdfs, ws, plan, campaign_id="spam-test", date=dt.datetime(2030, 3, 11, 9, 0, tzinfo=dt.UTC)
    )
    out: dict[str, bytes] = {}
    for person in contacts.selected:
        built = factory.build(person)
        out.setdefault(built.language, built.data)
    assert set(out) == {"en", "zh-HK"}
    return out


def _rules(message: bytes) -> dict[str, float]:
    proc = subprocess.run(
        ["spamassassin", "-L", "-t"], input=message, capture_output=True, check=True, timeout=300
    )
    report = proc.stdout.decode("utf-8", "replace").partition("Content analysis details:")[2]
    return {name: float(points) for points, name in _RULE.findall(report)}


def test_english_message_fires_no_rule_but_html_message(messages: dict[str, bytes]) -> None:
    rules = _rules(messages["en"])
    fired = {name: pts for name, pts in rules.items() if pts > 0.01 and name not in ALLOWED}
    assert fired == {}, rules
    assert "HTML_FONT_LOW_CONTRAST" not in rules and "HTML_OBFUSCATE_05_10" not in rules


def test_chinese_message_scores_at_most_one(messages: dict[str, bytes]) -> None:
    rules = _rules(messages["zh-HK"])
    assert sum(rules.values()) <= 1.0, rules
    assert "HTML_FONT_LOW_CONTRAST" not in rules, rules
