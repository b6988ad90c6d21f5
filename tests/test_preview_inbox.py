"""The preview's "landing in the inbox" card: the sending-domain check (against a real dnsmasq) and
SpamAssassin's score of one message per language (the real ``spamassassin``), made beside the page so an edit
still shows at once; ``POST /inbox/score`` only from the page's own script."""

from __future__ import annotations

import os
import shutil
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from dns_support import DnsServer, Zone, dns_server
from render_support import make_workspace
from wait_support import wait_for

from pressctl.clock import system_clock
from pressctl.preview.page import fragment
from pressctl.preview.server import SCORE_HEADER
from pressctl.preview.shown import Built, InboxView
from pressctl.preview.watch import Preview, running_preview

__all__ = ["dns_server"]

TITLE = "Harbourview Science Park Opens Tidal Energy Test Bay for Start-ups"
REJECT = "DMARC of hvsp.example says p=reject and neither SPF nor DKIM aligns with it"
SPAMASSASSIN = shutil.which("spamassassin")


def test_the_card_shows_the_findings_escaped_and_scores_made_for_earlier_words() -> None:
    built = Built(slug="s", title="Tidal Bay")
    inbox = InboxView(
        domain="sending domain hvsp.example: 2 ok, 1 stopping a send",
        findings=(("stops a send", "DMARC <p=reject>; publish v=spf1 ip4:192.0.2.10 -all"),),
        scores=(("English (en)", "0.6 points (not spam at 5): HTML_MESSAGE"),),
        scored="some earlier words",
    )
    shown = fragment(built, None, 3, inbox)
    assert "<strong>stops a send:</strong> DMARC &lt;p=reject&gt;; publish v=spf1 ip4:192.0.2.10 -all" in shown
    assert "<td>English (en)</td><td>0.6 points (not spam at 5): HTML_MESSAGE</td>" in shown
    assert "for an earlier version of the text" in shown and 'id="score-spam"' in shown
    current = fragment(built, None, 3, InboxView(scores=inbox.scores, scored=built.words))
    assert "earlier version" not in current
    busy = fragment(built, None, 3, InboxView(scoring=True))
    assert '<button type="button" id="score-spam" disabled>Scoring...</button>' in busy
    off = fragment(built, None, 3, InboxView(spam="SpamAssassin is switched off (PRESSCTL_SPAMASSASSIN=off)"))
    assert "switched off" in off and "score-spam" not in off
    assert 'id="inbox"' not in fragment(built, None, 3)  # without the worker, no card


@contextmanager
def _preview(root: Path, environ: dict[str, str]) -> Iterator[Preview]:
    with running_preview(
        root / "releases" / "sample.md", config=root / "pressctl.toml", clock=system_clock, environ=environ
    ) as shown:
        yield shown


def _get(url: str) -> str:
    with urllib.request.urlopen(url, timeout=10) as answer:
        return str(answer.read().decode("utf-8"))


def _post(url: str, headers: dict[str, str]) -> int:
    request = urllib.request.Request(url + "inbox/score", data=b"", method="POST", headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=10) as answer:
            return int(answer.status)
    except urllib.error.HTTPError as refused:
        return int(refused.code)


@pytest.mark.slow
def test_the_preview_shows_the_domain_check_and_asks_only_the_configured_server(
    tmp_path: Path, dns_server: Callable[[Zone], DnsServer]
) -> None:
    zone = Zone().txt("hvsp.example", "v=spf1 ip4:192.0.2.10 -all").txt("_dmarc.hvsp.example", "v=DMARC1; p=reject")
    zone.mx("hvsp.example", "mail.hvsp.example").a("mail.hvsp.example", "192.0.2.10").ptr("127.0.0.1", "mail.hvsp.example")
    server = dns_server(zone)
    root, _ws = make_workspace(tmp_path)
    config = root / "pressctl.toml"
    config.write_text(
        config.read_text("utf-8") + f'\n[dns]\nnameservers = ["{server.address}"]\ntimeout = 2\n'
        '\n[smtp]\nurl = "smtp://127.0.0.1:2525?tls=none"\n', "utf-8",
    )
    with _preview(root, {"PATH": os.environ.get("PATH", ""), "PRESSCTL_SPAMASSASSIN": "off"}) as shown:
        assert wait_for(lambda: REJECT in _get(shown.url + "fragment"), 20), _get(shown.url + "fragment")
        page = _get(shown.url)
        assert "<strong>stops a send:</strong> " + REJECT in page
        assert "sending domain hvsp.example: " in page and "1 stopping a send" in page
        assert "SpamAssassin is switched off (PRESSCTL_SPAMASSASSIN=off)" in page and "score-spam" not in page
        # Only the page's own script may ask for a score: its header, and its own origin when one is named.
        assert _post(shown.url, {}) == 403
        assert _post(shown.url, {SCORE_HEADER: "1", "Origin": "http://rebind.attacker.example"}) == 403
        assert _post(shown.url, {SCORE_HEADER: "1", "Origin": shown.url.rstrip("/")}) == 409  # none to run


@pytest.mark.slow
@pytest.mark.skipif(SPAMASSASSIN is None, reason="spamassassin not installed (Debian: spamassassin)")
def test_spamassassin_scores_beside_the_page_and_an_edit_still_shows_at_once(tmp_path: Path) -> None:
    root, _ws = make_workspace(tmp_path)
    environ = {"PATH": os.environ.get("PATH", ""), "PRESSCTL_SPAMASSASSIN": "spamassassin"}
    with _preview(root, environ) as shown:
        # Scored once the page is up, one message per language as a send builds it.
        assert wait_for(lambda: len(shown.state.inbox.scores) == 2 and not shown.state.inbox.scoring, 60)
        page = _get(shown.url)
        for name in ("English (en)", "Traditional Chinese (Hong Kong) (zh-HK)"):
            assert f"<td>{name}</td><td>" in page and " points (" in page
        assert "ALL_TRUSTED" not in page and "earlier version" not in page

        # Asked again from the page, then the release edited while SpamAssassin runs: the edit shows at once.
        assert _post(shown.url, {SCORE_HEADER: "1", "Origin": shown.url.rstrip("/")}) == 202
        assert wait_for(lambda: shown.state.inbox.scoring, 10)
        release = root / "releases" / "sample.md"
        started = time.monotonic()
        release.write_text(release.read_text("utf-8").replace(TITLE, "Tidal Bay Now Open to Every Start-up", 1), "utf-8")
        assert wait_for(lambda: "Tidal Bay Now Open to Every Start-up" in shown.state.built.title, 10)
        assert time.monotonic() - started < 2.0
        # The scores that were being made are for the earlier words, and say so; asked again, they are current.
        assert wait_for(lambda: not shown.state.inbox.scoring, 60)
        assert wait_for(lambda: not shown.state.built.pending, 20)
        assert "for an earlier version of the text" in _get(shown.url + "fragment")
        assert _post(shown.url, {SCORE_HEADER: "1"}) == 202
        assert wait_for(lambda: shown.state.inbox.scored == shown.state.built.words and not shown.state.inbox.scoring, 60)
        assert "earlier version" not in _get(shown.url + "fragment")
