"""Real parts end to end: a workspace from `pressctl init`, the real renderer and PDF, the real contact
reader; every selected journalist gets one correct, personal message, and the dry run shows them."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from urllib.parse import quote

import pytest
from messages_support import body, parse, structure
from render_support import HAVE_POPPLER, make_workspace, pdftotext

from pressctl.contacts.load import load_contacts
from pressctl.contacts.unsubscribe import load_or_create_secret, token_for
from pressctl.model import Contact
from pressctl.release.load import load_release_set
from pressctl.release.merge import MergePlan
from pressctl.render.email import render_email
from pressctl.render.pdf import render_pdf
from pressctl.send.messages import MessageFactory
from pressctl.send.preview import write_preview


@pytest.fixture(scope="module")
def campaign(
    tmp_path_factory: pytest.TempPathFactory,
) -> tuple[MessageFactory, list[Contact], dict[str, bytes]]:
    root, workspace = make_workspace(tmp_path_factory.mktemp("integration"))
    releases = load_release_set(root / "releases" / "sample.md", workspace)
    plan = MergePlan()
    renders = {r.language: render_email(r, workspace, plan, embargoed=True) for r in releases}
    pdfs = {r.language: render_pdf(r, workspace, plan, embargoed=True) for r in releases}
    contacts = load_contacts(
        [root / "contacts" / "journalists.csv"],
        workspace=workspace,
        languages=[r.language for r in releases],
        default_language=releases[0].language,
    )
    factory = MessageFactory(
        renders,
        pdfs,
        workspace,
        plan,
        campaign_id="sample-2030",
        date=dt.datetime(2030, 3, 11, 9, 0, tzinfo=dt.UTC),
    )
    return factory, contacts.selected, pdfs


def test_every_selected_journalist_gets_one_personal_message(
    campaign: tuple[MessageFactory, list[Contact], dict[str, bytes]],
) -> None:
    factory, people, pdfs = campaign
    assert len(people) >= 8
    secret = load_or_create_secret(factory.workspace.state_dir)
    ids = set()
    for person in people:
        out = factory.build(person)
        msg = parse(out.data)
        assert [a.addr_spec for a in msg["To"].addresses] == [person.email]
        assert msg["Bcc"] is None and msg["Cc"] is None
        ids.add(out.message_id)
        kinds = structure(msg)
        assert kinds[0] == "multipart/mixed" and kinds[1][-1] == "application/pdf"
        alternative = kinds[1][0]
        assert alternative[0] == "multipart/alternative" and alternative[1][0] == "text/plain"
        related = alternative[1][1]
        assert related[0] == "multipart/related" and related[1][0] == "text/html"
        assert all(kind.startswith("image/") for kind in related[1][1:])
        assert out.data.count(b"\n") == out.data.count(b"\r\n")

        page, text = body(msg, "html"), body(msg, "plain")
        # Every inline image the HTML refers to is in the message, and nothing else.
        cids = {p["Content-ID"].strip("<>") for p in msg.walk() if p.get_content_disposition() == "inline"}
        assert cids and all(f"cid:{cid}" in page for cid in cids)
        # The unsubscribe link in the body and in the header: one URL, with this contact's token (not address).
        url = f"https://www.hvsp.example/press/unsubscribe?t={token_for(person.email, secret)}"
        assert quote(person.email, safe="/") not in page and person.email not in url
        assert f'href="{url}"' in page
        token = token_for(person.email, secret)
        assert msg["List-Unsubscribe"] == f"<mailto:unsubscribe@hvsp.example?subject=unsubscribe%20{token}>, <{url}>"
        # the footer's mailto link carries the same token: a request written from it proves itself
        assert f'href="mailto:unsubscribe@hvsp.example?subject=unsubscribe%20{token}"' in page
        assert msg["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
        pdf = next(p for p in msg.walk() if p.get_content_type() == "application/pdf")
        assert pdf.get_content() == pdfs[out.language]
        assert "PCTLM" not in page and "PCTLM" not in text and "PCTLM" not in msg["Subject"]
        if out.language == "en":
            first = person.fields.get("first_name") or "editor"
            assert f"Dear {first}," in text
            assert "EMBARGOED" in msg["Subject"]
        else:
            assert f"{person.fields.get('name') or '編輯'}您好：" in text
            assert "禁" in msg["Subject"]  # the Chinese embargo marking
    assert len(ids) == len(people)


def test_routing_by_language_column(campaign: tuple[MessageFactory, list[Contact], dict[str, bytes]]) -> None:
    factory, people, _ = campaign
    by_address = {p.email: factory.build(p).language for p in people}
    assert by_address["amy.chan@harbourdaily.example"] == "en"
    assert by_address["wong.ka-ming@mingpoint.example"] == "zh-HK"
    assert by_address["kenji.sato@pacificscience.example"] == "en"  # no language: the release's own


@pytest.mark.skipif(not HAVE_POPPLER, reason="poppler-utils not installed")
def test_dry_run_on_the_sample(
    campaign: tuple[MessageFactory, list[Contact], dict[str, bytes]], tmp_path: Path
) -> None:
    factory, people, pdfs = campaign
    result = write_preview(
        factory, people, out_dir=tmp_path / "preview", pdfs=pdfs, summary={"suppressed": 1}
    )
    assert result.written == len(people) == len(result.messages)
    assert set(result.languages) == {"en", "zh-HK"}
    zh_pdf = tmp_path / "preview" / "sample.zh-HK.pdf"
    assert "海景科學園" in pdftotext(zh_pdf)
    index = result.index.read_text(encoding="utf-8")
    assert "Dear Amy," in index and "黃嘉明您好：" in index
    for eml in result.messages:
        page = eml.with_suffix(".html").read_text(encoding="utf-8")
        assert "cid:" not in page
