"""MessageFactory: structure, headers, encodings, PDF modes, stable Message-IDs, shared parts reused."""

from __future__ import annotations

import email
import re
from email import policy
from email.message import EmailMessage, MIMEPart
from pathlib import Path

import pytest
from messages_support import (
    DATE,
    HEADERS,
    body,
    contact,
    display_name,
    fake_pdf,
    make_factory,
    parse,
    structure,
)

import pressctl.send.bodies as bodies
import pressctl.send.messages as messages
from pressctl.controls import clean_header_text
from pressctl.errors import ConfigError, ContactsError, InputError
from pressctl.model import Contact

AMY = contact("amy.chan@harbourdaily.example", "Amy Chan", first_name="Amy", outlet="Harbour Daily")
WONG = contact(
    "wong.ka-ming@mingpoint.example", "黃嘉明", language="zh-HK", fields={"name": "黃嘉明"}, outlet="明點日報"
)


def check_wire(data: bytes) -> None:
    """CRLF line ends only, no bare CR or LF, no NUL, every line <= 998 octets."""
    assert b"\x00" not in data
    assert data.count(b"\n") == data.count(b"\r\n") == data.count(b"\r")
    assert max(len(line) for line in data.split(b"\r\n")) <= 998


def test_structure_headers_and_bodies_english(tmp_path: Path) -> None:
    factory = make_factory(tmp_path)
    out = factory.build(AMY)
    msg = parse(out.data)
    check_wire(out.data)
    assert structure(msg) == [
        "multipart/mixed",
        [
            ["multipart/alternative", ["text/plain", ["multipart/related", ["text/html", "image/png"]]]],
            "application/pdf",
        ],
    ]
    assert list(msg.keys()) == HEADERS
    assert msg["From"] == "HVSP Press Office <press@hvsp.example>"
    assert msg["To"] == "Amy Chan <amy.chan@harbourdaily.example>"
    assert msg["Subject"] == "For Harbour Daily: HVSP opens a tidal test bay"
    assert msg["Date"] == "Tue, 12 Mar 2030 10:00:00 +0800"
    assert msg["Reply-To"] == "press@hvsp.example"
    assert msg["MIME-Version"] == "1.0"
    assert re.fullmatch(r"<[0-9a-f]{32}@hvsp\.example>", msg["Message-ID"])
    assert msg["Message-ID"] == out.message_id == factory.message_id(AMY)
    assert out.recipient == "amy.chan@harbourdaily.example"
    assert out.language == "en" and out.smtputf8 is False
    assert not msg.defects and all(not p.defects for p in msg.walk())

    text, page = msg.get_body(("plain",)), msg.get_body(("html",))
    assert text is not None and page is not None
    assert body(msg, "plain").startswith(
        "Dear Amy,\n\nHarbourview Science Park Opens Tidal Energy Test Bay\n"
    )
    assert "Prepared for Harbour Daily\n" in body(msg, "plain")
    assert "<p>Dear Amy,</p>" in body(msg, "html")
    assert text["Content-Transfer-Encoding"] == "quoted-printable"  # English: readable on the wire
    image, pdf = [p for p in msg.walk() if not p.is_multipart()][2:]
    assert image.get_content_disposition() == "inline"
    assert image["Content-ID"] == "<logo.tidal-bay@pressctl>"
    assert 'src="cid:logo.tidal-bay@pressctl"' in body(msg, "html")
    assert pdf.get_content_disposition() == "attachment"
    assert pdf.get_filename() == "tidal-bay.pdf"  # the main language, as `pressctl render` names it
    assert pdf.get_content() == fake_pdf(seed="en")


def test_chinese_name_and_release_are_encoded(tmp_path: Path) -> None:
    out = make_factory(tmp_path).build(WONG)
    check_wire(out.data)
    head = out.data.partition(b"\r\n\r\n")[0]
    assert head.isascii()  # RFC 2047: no raw UTF-8 in the headers of a plain (non-SMTPUTF8) message
    assert b"To: =?utf-8?b?6buD5ZiJ5piO?= <wong.ka-ming@mingpoint.example>\r\n" in head
    msg = parse(out.data)
    assert msg["To"].addresses[0].display_name == "黃嘉明"
    assert msg["Subject"] == "海景科學園開設潮汐能測試灣"
    assert out.language == "zh-HK"
    text = msg.get_body(("plain",))
    assert text is not None
    assert text["Content-Transfer-Encoding"] == "base64"  # CJK: a third smaller than quoted-printable
    assert body(msg, "plain").startswith("黃嘉明您好：\n\n海景科學園開設潮汐能測試灣\n")
    pdf = next(p for p in msg.walk() if p.get_content_type() == "application/pdf")
    assert pdf.get_filename() == "tidal-bay.zh-HK.pdf"
    assert pdf.get_content() == fake_pdf(seed="zh-HK")


def test_chinese_name_in_english_release_and_fallback_greeting(tmp_path: Path) -> None:
    factory = make_factory(tmp_path)
    mixed = parse(factory.build(contact("chan@news.test", "陳大文", first_name="大文", outlet="")).data)
    assert mixed["To"].addresses[0].display_name == "陳大文"
    assert mixed["Subject"] == "For your desk: HVSP opens a tidal test bay"  # the subject's fallback
    assert body(mixed, "plain").startswith("Dear 大文,")
    nameless = parse(factory.build(contact("desk@news.test")).data)
    assert nameless["To"] == "desk@news.test"
    assert body(nameless, "plain").startswith("Dear editor,")


def test_contact_values_are_escaped_in_html_only(tmp_path: Path) -> None:
    out = make_factory(tmp_path).build(
        contact("tom@news.test", "Tom", first_name="<b>Tom</b>", outlet='Tom & "Jerry" <Weekly>')
    )
    msg = parse(out.data)
    page, text = msg.get_body(("html",)), msg.get_body(("plain",))
    assert page is not None and text is not None
    assert "<p>Dear &lt;b&gt;Tom&lt;/b&gt;,</p>" in body(msg, "html")
    assert "Prepared for Tom &amp; &quot;Jerry&quot; &lt;Weekly&gt;" in body(msg, "html")
    assert "<b>Tom</b>" not in body(msg, "html")
    assert "Dear <b>Tom</b>," in body(msg, "plain")
    assert msg["Subject"] == 'For Tom & "Jerry" <Weekly>: HVSP opens a tidal test bay'


@pytest.mark.parametrize(
    ("sender", "unsubscribe", "post"),
    [
        (
            {},
            "<mailto:unsubscribe@hvsp.example?subject=unsubscribe%20{T}>, "
            "<https://www.hvsp.example/press/unsubscribe?email=a%2Bb%40news.test>",
            True,
        ),
        ({"unsubscribe_url": ""}, "<mailto:unsubscribe@hvsp.example?subject=unsubscribe%20{T}>", False),
        (
            {"unsubscribe_mailto": "mailto:unsub@hvsp.example?subject=stop%20{email}", "unsubscribe_url": ""},
            "<mailto:unsub@hvsp.example?subject=stop%20a%2Bb%40news.test%20{T}>",
            False,
        ),
        (
            {"unsubscribe_mailto": "mailto:unsubscribe+{token}@hvsp.example", "unsubscribe_url": ""},
            "<mailto:unsubscribe+{T}@hvsp.example>",
            False,
        ),
        (
            {"unsubscribe_mailto": "", "unsubscribe_url": "https://hvsp.example/u/{email}"},
            "<https://hvsp.example/u/a%2Bb%40news.test>",
            True,
        ),
        ({"unsubscribe_mailto": "", "unsubscribe_url": "http://hvsp.example/u?e={email}"}, None, False),
        ({"unsubscribe_mailto": "", "unsubscribe_url": ""}, None, False),
    ],
)
def test_list_unsubscribe_variants(
    tmp_path: Path, sender: dict[str, str], unsubscribe: str | None, post: bool
) -> None:
    """The mailto always carries the reader's token (issue 17): a request by email proves itself."""
    from messages_support import SECRET

    from pressctl.contacts.unsubscribe import token_for

    msg = parse(make_factory(tmp_path, sender=sender).build(contact("a+b@news.test", "A B")).data)
    token = token_for("a+b@news.test", SECRET)
    if sender.get("unsubscribe_url", "").startswith("http://"):
        assert msg["List-Unsubscribe"] == "<http://hvsp.example/u?e=a%2Bb%40news.test>"
    else:
        assert msg["List-Unsubscribe"] == (unsubscribe.replace("{T}", token) if unsubscribe else None)
    # RFC 8058 one-click needs an HTTPS URL; a mailto or plain http must not claim it.
    assert (msg["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click") is post
    assert msg["List-Unsubscribe-Post"] is None or post


def test_pdf_link_mode(tmp_path: Path) -> None:
    msg = parse(make_factory(tmp_path, pdf_mode="link").build(AMY).data)
    assert structure(msg) == [
        "multipart/mixed",
        [["multipart/alternative", ["text/plain", ["multipart/related", ["text/html", "image/png"]]]]],
    ]
    url = "https://www.hvsp.example/press/pdf/tidal-bay.pdf"
    text, page = msg.get_body(("plain",)), msg.get_body(("html",))
    assert text is not None and page is not None
    assert body(msg, "plain").endswith(f"The full release as a PDF:\n{url}\n")
    assert f'<a href="{url}">Download the release (PDF)</a>' in body(msg, "html")
    zh = parse(make_factory(tmp_path, pdf_mode="link").build(WONG).data)
    assert body(zh, "plain").endswith(
        "新聞稿PDF版本：\nhttps://www.hvsp.example/press/pdf/tidal-bay.zh-HK.pdf\n"
    )


def test_pdf_both_mode_and_single_language_name(tmp_path: Path) -> None:
    factory = make_factory(
        tmp_path, languages=("en",), pdf_mode="both", sender={"pdf_base_url": "https://x.example/p"}
    )
    msg = parse(factory.build(AMY).data)
    pdf = next(p for p in msg.walk() if p.get_content_type() == "application/pdf")
    assert pdf.get_filename() == "tidal-bay.pdf"
    assert body(msg, "plain").endswith("\nhttps://x.example/p/tidal-bay.pdf\n")
    assert factory.pdf_url("en") == "https://x.example/p/tidal-bay.pdf"


def test_pdf_mode_from_workspace_and_no_pdf(tmp_path: Path) -> None:
    msg = parse(make_factory(tmp_path, sender={"pdf": "link"}).build(AMY).data)
    assert "application/pdf" not in [p.get_content_type() for p in msg.walk()]
    bare = parse(make_factory(tmp_path, pdfs={}).build(AMY).data)
    assert structure(bare)[1][-1] != "application/pdf"


def test_link_mode_needs_a_base_url(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="pdf_base_url"):
        make_factory(tmp_path, pdf_mode="link", sender={"pdf_base_url": ""})
    with pytest.raises(ConfigError, match="attach, link or both"):
        make_factory(tmp_path, pdf_mode="fax")


def test_message_id_is_stable_per_campaign_and_recipient(tmp_path: Path) -> None:
    one = make_factory(tmp_path)
    again = make_factory(tmp_path, date=None)  # another run, another time
    other = make_factory(tmp_path, campaign_id="another-campaign")
    assert (
        one.message_id(AMY)
        == again.message_id(AMY)
        == one.build(AMY).message_id
        == again.build(AMY).message_id
    )
    assert one.message_id(AMY) != other.message_id(AMY)
    assert one.message_id(AMY) != one.message_id(WONG)
    shouting = contact("AMY.CHAN@harbourdaily.example", "Amy Chan")
    assert one.message_id(shouting) == one.message_id(AMY)  # the key is case-folded
    moved = make_factory(tmp_path, from_addr="Newsroom <news@press.hvsp.example>")
    assert moved.message_id(AMY).endswith("@press.hvsp.example>")
    assert parse(moved.build(AMY).data)["From"] == "Newsroom <news@press.hvsp.example>"


def test_subject_prefix_and_date_default(tmp_path: Path) -> None:
    msg = parse(make_factory(tmp_path, subject_prefix="[TEST]", date=None).build(WONG).data)
    assert msg["Subject"] == "[TEST] 海景科學園開設潮汐能測試灣"
    assert msg["Date"].datetime.tzinfo is not None


def test_language_routing_falls_back(tmp_path: Path) -> None:
    factory = make_factory(tmp_path)
    assert factory.build(contact("a@news.test", language=None)).language == "en"
    assert factory.build(contact("b@news.test", language="fr")).language == "en"
    assert factory.build(contact("c@news.test", language="zh-hk")).language == "zh-HK"
    assert factory.build(contact("d@news.test", language="zh-TW")).language == "zh-HK"  # same primary tag


def test_utf8_local_part_needs_smtputf8(tmp_path: Path) -> None:
    out = make_factory(tmp_path).build(contact("黃嘉明@mingpoint.example", "黃嘉明", language="zh-HK"))
    assert out.smtputf8 is True
    assert out.recipient == "黃嘉明@mingpoint.example"
    assert "黃嘉明@mingpoint.example>".encode() in out.data  # raw UTF-8, never an encoded-word in an address
    # The parser reads raw UTF-8 headers as surrogates from bytes; from text it reads them as written.
    msg = email.message_from_string(out.data.decode("utf-8"), policy=policy.default)
    assert msg["To"].addresses[0].addr_spec == "黃嘉明@mingpoint.example"
    assert msg["To"].addresses[0].display_name == "黃嘉明"
    check_wire(out.data)


def test_utf8_sender_makes_every_message_smtputf8(tmp_path: Path) -> None:
    factory = make_factory(tmp_path, from_addr="新聞處 <新聞@hvsp.example>")
    out = factory.build(AMY)
    assert out.smtputf8 is True
    assert parse(out.data)["From"].addresses[0].addr_spec == "新聞@hvsp.example"


def test_idn_domain_becomes_a_label(tmp_path: Path) -> None:
    out = make_factory(tmp_path).build(contact("editor@報館.example", "Editor"))
    assert out.recipient == "editor@" + "報館.example".encode("idna").decode("ascii")
    assert out.recipient.startswith("editor@xn--")
    assert out.smtputf8 is False


@pytest.mark.parametrize(
    "bad",
    [
        "amy@news.test\r\nBcc: x@evil.test",
        "amy@news.test> NOTIFY=NEVER",
        "a b@news.test",
        "no-at-sign",
        "a@-x-.test",
    ],
)
def test_bad_addresses_are_refused(tmp_path: Path, bad: str) -> None:
    with pytest.raises(ContactsError, match="can't be used") as info:
        make_factory(tmp_path).build(contact(bad, "X"))
    assert info.value.where == "contacts.csv:2"


def test_bad_sender_config(tmp_path: Path) -> None:
    # a From given for the run (--from) is named as the option, by the config check the CLI uses too
    with pytest.raises(InputError, match=r"--from"):
        make_factory(tmp_path, from_addr="press@hvsp.example, other@evil.test")
    with pytest.raises(InputError, match=r"--from"):
        make_factory(tmp_path, from_addr="Press\r\nBcc: x@evil.test <press@hvsp.example>")
    with pytest.raises(ConfigError, match=r"sender\.from"):
        make_factory(tmp_path, sender={"from_addr": "press@hvsp.example, other@evil.test"})
    with pytest.raises(ConfigError, match="unsubscribe_url"):
        make_factory(tmp_path, sender={"unsubscribe_url": "https://x.example/u?e={email}> , <x"})


def test_long_and_hostile_headers_fold_safely(tmp_path: Path) -> None:
    long_name = "Professor " + "Wellington-Smythe " * 12
    factory = make_factory(tmp_path)
    for name, outlet in [
        (long_name, "The " + "Very " * 60 + "Long Gazette"),
        ("=?utf-8?q?Evil=0D=0ABcc=3A_x@evil.test?=", "=?utf-8?b?QmNjOiB4QGV2aWwudGVzdA==?="),
        ("Amy\r\nBcc: x@evil.test", "Daily\nCc: y@evil.test"),
        ("黃" * 80, "明點日報" * 40),
        ('"Chan, Amy" <boss@evil.test>', "x\u2028Bcc: z@evil.test"),
        ("Amy\udce9 Chan", "Daily\udcff News"),  # lone surrogates from a lenient decoder
        # Spreadsheet formulas are text here: never evaluated, never an address.
        ('=HYPERLINK("http://evil.test","click")', "+cmd|' /C calc'!A0"),
        ("@SUM(1+1)", "-2+3"),
    ]:
        out = factory.build(contact("amy@news.test", name, first_name=name, outlet=outlet))
        check_wire(out.data)
        msg = parse(out.data)
        assert list(msg.keys()) == HEADERS
        assert [a.addr_spec for a in msg["To"].addresses] == ["amy@news.test"]
        assert display_name(out.data) == clean_header_text(name)
        head = out.data.partition(b"\r\n\r\n")[0].decode()
        assert max(len(line) for line in head.split("\r\n")) <= 998


def test_building_reuses_the_encoded_pdf_and_images(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """1,000 messages: no PDF re-encoding, no email-package serialising, no rendering; same shared bytes."""
    pdfs = {"en": fake_pdf(seed="en"), "zh-HK": fake_pdf(seed="zh-HK")}
    factory = make_factory(tmp_path, pdfs=pdfs)
    shared = {lang: factory.variant_for(lang).after_html for lang in ("en", "zh-HK")}
    pdf_parts = {lang: factory.variant_for(lang).pdf_part for lang in ("en", "zh-HK")}
    encoded: list[int] = []
    real_encode = bodies.encode_body

    def spy(text: str, cte: str) -> bytes:
        encoded.append(len(text))
        return real_encode(text, cte)

    def forbidden(*args: object, **kwargs: object) -> None:
        raise AssertionError("the email package must not build or serialise parts per message")

    monkeypatch.setattr(bodies, "encode_body", spy)
    monkeypatch.setattr(MIMEPart, "set_content", forbidden)
    monkeypatch.setattr(MIMEPart, "as_bytes", forbidden)
    monkeypatch.setattr(EmailMessage, "as_bytes", forbidden)
    import pressctl

    for name in ("render", "render_pdf"):  # whatever the renderer module is called, it must not be used
        if hasattr(pressctl, name):
            monkeypatch.setattr(pressctl, name, None)

    people: list[Contact] = []
    for i in range(1000):
        lang = "zh-HK" if i % 3 == 0 else "en"
        people.append(
            contact(f"r{i}@news.test", f"Reporter {i}", language=lang, first_name=f"R{i}", outlet="X")
        )
    for person in people:
        out = factory.build(person)
        v = factory.variant_for(person.language)
        assert v.after_html is shared[out.language]  # the same bytes object every time
        assert out.data.endswith(v.after_html)
        assert pdf_parts[out.language] and pdf_parts[out.language] in out.data
    # Only the personal bits of the text and HTML bodies are encoded per message: never the PDF or images.
    assert 2000 <= len(encoded) <= 6000
    assert max(encoded) < 20_000 < len(pdfs["en"])


def test_bodies_without_merge_fields_are_encoded_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from messages_support import make_renders, make_workspace

    from pressctl.release.merge import MergePlan

    renders, _ = make_renders(languages=("en",))
    plain = {
        "en": renders["en"].__class__(
            release=renders["en"].release,
            subject="HVSP opens a tidal test bay",
            html="<html><body><p>Hello</p></body></html>",
            text="Hello\n",
        )
    }
    factory = messages.MessageFactory(
        plain, {}, make_workspace(tmp_path), MergePlan(), campaign_id="c", date=DATE
    )
    calls: list[str] = []
    monkeypatch.setattr(bodies, "encode_body", lambda t, c: calls.append(t) or b"")
    a = factory.build(AMY)
    b = factory.build(WONG)
    assert calls == []
    assert structure(parse(a.data)) == [
        "multipart/mixed",
        [["multipart/alternative", ["text/plain", "text/html"]]],
    ]
    assert parse(b.data)["Subject"] == "HVSP opens a tidal test bay"


def test_quoted_printable_by_lines_equals_encoding_the_whole() -> None:
    """Encoding only the lines with merge fields gives the very bytes of encoding the whole body."""
    template = (
        '<p style="font-family:Arial">Dear PCTLM0000X,</p>\r\n'
        + "<p>"
        + "long line with = signs and trailing space " * 8
        + " \r\n"
        + '\r\n<a href="https://x.example/u?e=PCTLM0001X">unsubscribe</a> \r\n'
        + "PCTLM0000X\tend\r\nlast line\r\n"
    )
    body = bodies.Body(template, "quoted-printable")
    assert sum(isinstance(p, bytes) for p in body.pieces) == 2
    for values in ({"PCTLM0000X": "Amy", "PCTLM0001X": "a%40b"}, {"PCTLM0000X": "黃嘉明 " * 30}):
        whole = bodies.encode_body(body.template.fill(values), "quoted-printable")
        assert body.encode(values) == whole


def test_pdf_link_goes_into_the_template_slot_or_vanishes(tmp_path: Path) -> None:
    from dataclasses import replace

    from messages_support import make_renders, make_workspace

    renders, plan = make_renders(languages=("en",))
    slot = "<!--pressctl:pdf-link-->"
    en = renders["en"]
    renders["en"] = replace(
        en,
        text=en.text.replace("\n\n", f"\n\n{slot}\n", 1),
        html=en.html.replace("<h1", f"{slot}<h1", 1),
    )
    workspace = make_workspace(tmp_path)
    linked = messages.MessageFactory(
        renders, {"en": b"%PDF"}, workspace, plan, campaign_id="c", date=DATE, pdf_mode="link"
    )
    msg = parse(linked.build(AMY).data)
    url = "https://www.hvsp.example/press/pdf/tidal-bay.pdf"
    assert body(msg, "plain").startswith(f"Dear Amy,\n\nThe full release as a PDF:\n{url}\nHarbourview")
    assert f'<a href="{url}">Download the release (PDF)</a></p><h1' in body(msg, "html")
    attached = messages.MessageFactory(renders, {"en": b"%PDF"}, workspace, plan, campaign_id="c", date=DATE)
    msg = parse(attached.build(AMY).data)
    assert slot not in body(msg, "plain") and slot not in body(msg, "html")
    assert body(msg, "plain").startswith("Dear Amy,\n\nHarbourview")
