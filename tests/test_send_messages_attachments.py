"""A release's `attachments` travel with every message, after the PDF, encoded once per language."""

from __future__ import annotations

import dataclasses
from pathlib import Path

from messages_support import contact, fake_pdf, make_renders, make_workspace, parse

from pressctl.send.messages import MessageFactory


def test_release_attachments_are_attached_after_the_pdf(tmp_path: Path) -> None:
    sheet = tmp_path / "fact-sheet.csv"
    sheet.write_bytes(b"site,length\nTest Bay,40 m\n")
    renders, plan = make_renders(languages=("en",))
    en = renders["en"]
    renders["en"] = dataclasses.replace(en, release=dataclasses.replace(en.release, attachments=(sheet,)))
    factory = MessageFactory(
        renders, {"en": fake_pdf()}, make_workspace(tmp_path), plan, campaign_id="c1"
    )
    first = factory.build(contact("amy@news.test", "Amy Chan", first_name="Amy"))
    second = factory.build(contact("bob@news.test", "Bob Lee", first_name="Bob"))
    msg = parse(first.data)
    parts = list(msg.iter_attachments())
    assert [p.get_filename() for p in parts] == ["tidal-bay.pdf", "fact-sheet.csv"]
    assert parts[1].get_content_type() == "text/csv"
    assert parts[1].get_content().replace("\r\n", "\n") == "site,length\nTest Bay,40 m\n"
    # Shared bytes: the attachment's encoded part is the same in both messages.
    encoded = first.data[first.data.index(b"fact-sheet.csv") :]
    assert encoded in second.data
