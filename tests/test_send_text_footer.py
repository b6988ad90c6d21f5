"""The plain-text footer's unsubscribe mailto carries the reader's token, as the HTML footer and
List-Unsubscribe do: a journalist who writes to it from the text version is a confirmed unsubscribe."""

from __future__ import annotations

from pathlib import Path

from messages_support import body, parse
from render_support import make_workspace

from pressctl.bounces.match import match_findings
from pressctl.bounces.parse import parse_message
from pressctl.contacts.unsubscribe import load_or_create_secret, token_for
from pressctl.model import Contact
from pressctl.release.load import load_release_set
from pressctl.release.merge import MergePlan
from pressctl.render.email import render_email
from pressctl.send.messages import MessageFactory


def test_the_text_footer_mailto_carries_the_readers_token(tmp_path: Path) -> None:
    root, workspace = make_workspace(tmp_path)
    releases = load_release_set(root / "releases" / "sample.md", workspace)
    plan = MergePlan()
    renders = {r.language: render_email(r, workspace, plan, embargoed=False) for r in releases}
    factory = MessageFactory(renders, {}, workspace, plan, campaign_id="footer-2030")
    secret = load_or_create_secret(workspace.state_dir)
    for language in renders:
        reader = Contact(email="kwok.wai@tidewire.example", name="Kwok Wai", language=language)
        text = body(parse(factory.build(reader).data), "plain")
        token = token_for(reader.email, secret)
        mailto = f"mailto:unsubscribe@hvsp.example?subject=unsubscribe%20{token}"
        assert mailto in text, text[-600:]
        # Clicked in a text-only client: the subject it fills in is a proven request.
        request = (
            f"From: {reader.email}\r\nTo: unsubscribe@hvsp.example\r\nSubject: unsubscribe {token}\r\n\r\nPlease.\r\n"
        ).encode()
        finding = parse_message(request, unsubscribe_addresses=["unsubscribe@hvsp.example"])
        matched = match_findings(
            [finding], lambda _mid: None, address_for_token={token: reader.email}.get
        ).matched
        assert [(m.address, m.how) for m in matched] == [(reader.email, "token")]
