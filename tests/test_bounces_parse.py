"""pressctl.bounces.parse: real-world bounces (flufl.bounce's corpus) and hand-written HVSP replies."""

from __future__ import annotations

from email.message import EmailMessage
from pathlib import Path

import pytest
from bounce_corpus_support import corpus_dir, expected_addresses

from pressctl.bounces.parse import Finding, mailto_address, parse_message

DATA = Path(__file__).parent / "bounces_data"


def _parse(name: str, **kw: object) -> Finding:
    return parse_message((DATA / name).read_bytes(), **kw)  # type: ignore[arg-type]


# -- the real-world corpus ----------------------------------------------------------------------------------


def test_corpus_every_expected_address_is_found() -> None:
    expected = expected_addresses()
    assert len(expected) > 100
    missing = {}
    for name, addresses in sorted(expected.items()):
        finding = parse_message((corpus_dir() / name).read_bytes())
        found = {r.address.casefold() for r in finding.recipients}
        if addresses and (finding.kind != "bounce" or not addresses <= found):
            missing[name] = (finding.kind, sorted(addresses - found))
    assert missing == {}


def test_corpus_severities_agree_with_flufl_temporary_and_permanent() -> None:
    import ast

    source = (corpus_dir().parent / "test_detectors.py").read_text(encoding="utf-8")
    table = next(
        ast.literal_eval(n.value)
        for n in ast.parse(source).body
        if isinstance(n, ast.Assign) and any(getattr(t, "id", "") == "DETECTORS" for t in n.targets)
    )
    wrong = []
    for _module, name, addresses, temporary in table:
        finding = parse_message((corpus_dir() / name).read_bytes())
        by_addr = {r.address.casefold(): r.severity for r in finding.recipients}
        for addr in addresses:
            severity = by_addr.get(addr.decode().casefold())
            ok = severity == "delayed" if temporary else severity in ("hard", "soft")
            if not ok:
                wrong.append((name, addr, severity))
    assert wrong == []


def test_corpus_never_raises_and_dsns_give_status_fields() -> None:
    files = sorted(p for p in corpus_dir().iterdir() if p.suffix == ".txt")
    findings = {p.name: parse_message(p.read_bytes()) for p in files}
    assert sum(f.kind == "bounce" for f in findings.values()) >= 110
    dsn11 = findings["dsn_11.txt"]
    [rec] = dsn11.recipients
    assert (rec.address, rec.severity, rec.status, rec.action) == ("joem@example.com", "hard", "5.1.1", "failed")
    assert dsn11.original_ids == ("<mailman.0.1035637201.19036.mailman-developers@python.org>",)
    # no Status field: the code comes from Diagnostic-Code, the pair kept with Remote-MTA
    [rec] = findings["dsn_14.txt"].recipients
    assert (rec.status, rec.diagnostic, rec.remote_mta) == ("5.1.1", "550 5.1.1 User unknown", "10.0.0.103")
    # Original-Recipient (what the sender wrote) wins over a forwarding mailbox's Final-Recipient
    [fwd] = findings["dsn_01.txt"].recipients
    assert (fwd.address, fwd.final_recipient) == ("userx@example.com", "userx@sims-ms-daemon")


# -- hand-written HVSP messages -----------------------------------------------------------------------------


def test_postfix_dsn_with_auto_submitted_is_a_bounce_not_an_auto_reply() -> None:
    f = _parse("dsn_postfix.eml")
    assert f.kind == "bounce"
    [rec] = f.recipients
    assert rec.address == "wing.chan@harbourtimes.example"
    assert (rec.severity, rec.action, rec.status) == ("hard", "failed", "5.1.1")
    assert rec.remote_mta == "mx.harbourtimes.example"
    assert rec.diagnostic.startswith("550 5.1.1 <wing.chan@harbourtimes.example>: Recipient address rejected")
    assert f.original_ids == ("<5e6f708192a3b4c5d6e7f8091a2b3c4d@hvsp.example>",)
    assert "bounces+wing.chan=harbourtimes.example@hvsp.example" in f.to
    assert f.message_id == "<20260312020211.7C0A61E7A5@relay.hvsp.example>"
    assert f.failed == ("wing.chan@harbourtimes.example",)


def test_dsn_soft_delayed_and_delivered_recipients() -> None:
    f = _parse("dsn_multi.eml")
    got = {r.address: (r.severity, r.status) for r in f.recipients}
    assert got == {
        "desk@islandtimes.example": ("soft", "4.4.7"),  # failed + 4.x.x: an MTA that gave up
        "kwok.wai@tidewire.example": ("delayed", "4.2.2"),
    }  # Action: delivered is no failure
    assert f.failed == ("desk@islandtimes.example",)
    assert f.original_ids == ("<6f708192a3b4c5d6e7f8091a2b3c4d5e@hvsp.example>",)


def test_non_standard_bounce_with_quoted_headers() -> None:
    f = _parse("qmail_quoted.eml")
    assert f.kind == "bounce"
    assert [r.address for r in f.recipients] == ["chris.ng@lantaunews.example"]
    assert f.recipients[0].severity == "hard"
    assert f.original_ids == ("<708192a3b4c5d6e7f8091a2b3c4d5e6f@hvsp.example>",)


def test_out_of_office_english_keeps_first_lines_and_is_not_moved() -> None:
    f = _parse("ooo_en.eml")
    assert f.kind == "auto-reply"
    assert f.automatic
    assert f.excerpt.splitlines()[0].startswith("Thank you for your email. I am out of the office")
    assert "techdesk@harbourdaily.example" in f.excerpt  # "for urgent matters please contact" is no move
    assert f.original_ids == ("<0a1b2c3d4e5f60718293a4b5c6d7e8f9@hvsp.example>",)
    assert f.sender == "amy.chan@harbourdaily.example"
    assert f.new_address == ""


def test_out_of_office_chinese_by_x_autoreply() -> None:
    f = _parse("ooo_zh.eml")
    assert f.kind == "auto-reply"
    assert f.subject.startswith("自動回覆")
    assert f.excerpt.startswith("您好！本人現正休假")


@pytest.mark.parametrize(
    "subject",
    ["Out of Office: HVSP", "Automatic reply: HVSP", "自動回覆：海港科學園", "不在辦公室", "休假通知", "自动回复"],
)
def test_out_of_office_by_subject_alone(subject: str) -> None:
    msg = EmailMessage()
    msg["From"] = "reporter@harbourdaily.example"
    msg["To"] = "press@hvsp.example"
    msg["Subject"] = subject
    msg.set_content("I will reply when I am back.")
    assert parse_message(msg.as_bytes()).kind == "auto-reply"


@pytest.mark.parametrize(
    ("header", "value", "automatic"),
    [
        ("Auto-Submitted", "auto-replied", True),
        ("Auto-Submitted", "auto-generated; type=vacation", True),
        ("Auto-Submitted", "no", False),
        ("Precedence", "bulk", True),
        ("Precedence", "junk", True),
        ("Precedence", "auto_reply", True),
        ("X-Autorespond", "1", True),
    ],
)
def test_automatic_headers(header: str, value: str, automatic: bool) -> None:
    msg = EmailMessage()
    msg["From"] = "reporter@harbourdaily.example"
    msg["Subject"] = "Re: HVSP tidal test bay"
    msg["In-Reply-To"] = "<0a1b2c3d4e5f60718293a4b5c6d7e8f9@hvsp.example>"
    msg[header] = value
    msg.set_content("Noted, thanks.")
    f = parse_message(msg.as_bytes())
    assert f.automatic is automatic
    assert f.kind == ("auto-reply" if automatic else "replied")


def test_moved_english_gives_the_new_address() -> None:
    f = _parse("moved_en.eml")
    assert f.kind == "moved"
    assert f.new_address == "grace.ip@asiabiztimes.example"
    assert f.excerpt.startswith("David Lau has left Asia Business Times")


def test_moved_chinese_base64_gives_the_new_address() -> None:
    f = _parse("moved_zh.eml")
    assert f.kind == "moved"
    assert f.new_address == "science@kowloonpost.test"
    assert f.excerpt.startswith("何小玲已離職本報")


def test_moved_in_big5_without_a_new_address() -> None:
    msg = EmailMessage()
    msg["From"] = "editor@tsuenwandaily.example"
    msg["Subject"] = "回覆：海港科學園"
    msg["In-Reply-To"] = "<0a1b2c3d4e5f60718293a4b5c6d7e8f9@hvsp.example>"
    msg.set_content("陳先生已離職，不再任職本報。".encode("big5"), "text", "plain")
    del msg["Content-Type"]
    msg["Content-Type"] = "text/plain; charset=big5"
    f = parse_message(msg.as_bytes())
    assert f.kind == "moved"
    assert f.new_address == ""
    assert f.excerpt == "陳先生已離職，不再任職本報。"


def test_human_reply_english_ignores_quoted_unsubscribe_footer() -> None:
    f = _parse("reply_en.eml")
    assert f.kind == "replied"
    assert not f.automatic
    assert f.original_ids == ("<3c4d5e6f708192a3b4c5d6e7f8091a2b@hvsp.example>",)
    assert f.excerpt.startswith("Hello,\nCould I interview someone")
    assert "unsubscribe" not in f.excerpt


def test_human_reply_chinese_ignores_quoted_text() -> None:
    f = _parse("reply_zh.eml")
    assert f.kind == "replied"
    assert f.excerpt.startswith("您好，想預約下星期參觀")
    assert "取消訂閱" not in f.excerpt


def test_unsubscribe_by_subject_in_chinese() -> None:
    f = _parse("unsub_zh.eml")
    assert f.kind == "unsubscribe"
    assert f.sender == "lee.yuetwah@eastharbour.example"


def test_unsubscribe_to_our_list_unsubscribe_mailbox() -> None:
    # The whole subject asks ("please remove ADDRESS"), and it went to our mailbox: a request either way
    # (with no token it changes nothing: pressctl.bounces.match lists it as unconfirmed).
    assert _parse("unsub_mailto.eml").asks_unsubscribe
    f = _parse("unsub_mailto.eml", unsubscribe_addresses=["Unsubscribe@hvsp.example"])
    assert f.kind == "unsubscribe"
    assert f.sender == "tom.yip@bayweekly.example"
    assert f.tokens == ()


def test_mail_to_our_mailbox_without_asking_is_still_a_request() -> None:
    raw = b"From: a@x.example\r\nTo: unsubscribe@hvsp.example\r\nSubject: Bay Weekly\r\n\r\nThanks.\r\n"
    assert parse_message(raw).kind == "other"
    assert parse_message(raw, unsubscribe_addresses=["unsubscribe@hvsp.example"]).kind == "unsubscribe"


TOKEN = "Qm9yZWFsLVRva2VuLTAwMQ"  # token-shaped: 22 URL-safe characters


@pytest.mark.parametrize(
    ("to", "subject", "tokens"),
    [
        ("unsubscribe@hvsp.example", f"unsubscribe {TOKEN}", (TOKEN,)),
        (f"unsubscribe+{TOKEN}@hvsp.example", "unsubscribe", (TOKEN,)),
        ("unsubscribe@hvsp.example", "unsubscribe", ()),
        ("press@hvsp.example", f"Re: tidal bay {TOKEN}", (TOKEN,)),  # a word of token shape: only a candidate
    ],
)
def test_token_candidates_come_from_the_subject_first_line_and_our_mailbox_address(
    to: str, subject: str, tokens: tuple[str, ...]
) -> None:
    raw = f"From: a@x.example\r\nTo: {to}\r\nSubject: {subject}\r\n\r\n\r\n".encode()
    f = parse_message(raw, unsubscribe_addresses=["unsubscribe+{token}@hvsp.example"])
    assert f.tokens == tokens


@pytest.mark.parametrize(
    ("subject", "first", "asks"),
    [
        ("unsubscribe", "", True),
        ("Unsubscribe me", "", True),
        ("Re: Please remove me from your press list, thanks", "", True),
        ("取消訂閱", "", True),
        ("Re: HVSP tidal bay", "Please unsubscribe me.", True),
        ("Re: HVSP tidal bay", "請把我從新聞稿名單中移除，謝謝。", True),
        ("Re: HVSP tidal bay", "Please don't unsubscribe me, can I get the photos?", False),
        ("Re: HVSP tidal bay", "Can I get the photos? Also, how do I unsubscribe my colleague?", False),
        ("Why did you unsubscribe me?", "", False),
        ("Re: HVSP tidal bay", "Thanks. (To unsubscribe, click here)", False),
    ],
)
def test_unsubscribe_words_count_only_as_the_whole_subject_or_first_line(subject: str, first: str, asks: bool) -> None:
    msg = EmailMessage()
    msg["From"] = "priya.raman@innovationwire.example"
    msg["Subject"] = subject
    msg.set_content(first + "\n\nPriya")
    assert parse_message(msg.as_bytes()).asks_unsubscribe is asks


def test_a_reply_saying_dont_unsubscribe_me_is_a_reply() -> None:
    msg = EmailMessage()
    msg["From"] = "priya.raman@innovationwire.example"
    msg["Subject"] = "Re: Harbourview Science Park Opens Tidal Energy Test Bay"
    msg["In-Reply-To"] = "<3c4d5e6f708192a3b4c5d6e7f8091a2b@hvsp.example>"
    msg.set_content("Please don't unsubscribe me, can I get the photos?\n\nPriya")
    f = parse_message(msg.as_bytes())
    assert (f.kind, f.asks_unsubscribe) == ("replied", False)


def test_the_envelope_is_only_the_delivery_block_at_the_top() -> None:
    raw = (
        b"Return-Path: <>\r\nX-Original-To: bounces+a=b.example@hvsp.example\r\n"
        b"Delivered-To: bounces+a=b.example@hvsp.example\r\n"
        b"Received: from mx.attacker.example by relay.hvsp.example\r\n"
        b"Delivered-To: bounces+victim=outlet.example@hvsp.example\r\n"
        b"To: bounces+victim=outlet.example@hvsp.example\r\nSubject: x\r\n\r\nx\r\n"
    )
    f = parse_message(raw)
    assert f.envelope == ("bounces+a=b.example@hvsp.example",)
    assert "bounces+victim=outlet.example@hvsp.example" in f.to  # written by the sender: never the envelope
    forged = parse_message(b"Received: by relay\r\nDelivered-To: bounces+victim=outlet.example@hvsp.example\r\n\r\nx")
    assert forged.envelope == ()


def test_a_moved_notice_names_every_new_address() -> None:
    msg = EmailMessage()
    msg["From"] = "david.lau@asiabiztimes.example"
    msg["Subject"] = "Re: HVSP"
    msg.set_content(
        "David Lau has left Asia Business Times. For science and technology please contact Jane Ho "
        "(jane.ho@asiabiztimes.example); for everything else write to newsdesk@asiabiztimes.example."
    )
    f = parse_message(msg.as_bytes())
    assert f.kind == "moved"
    assert f.new_addresses == ("jane.ho@asiabiztimes.example", "newsdesk@asiabiztimes.example")
    assert f.new_address == "jane.ho@asiabiztimes.example, newsdesk@asiabiztimes.example"


def _nested(depth: int) -> bytes:
    head = b"From: x@y.example\r\nSubject: nested\r\nMIME-Version: 1.0\r\n"
    body = b"Content-Type: text/plain\r\n\r\nhello\r\n"
    for n in range(depth):
        body = (
            f"Content-Type: multipart/mixed; boundary=\"b{n}\"\r\n\r\n--b{n}\r\n".encode()
            + body
            + f"\r\n--b{n}--\r\n".encode()
        )
    return head + body


@pytest.mark.parametrize(
    ("raw", "words"),
    [
        (b"From: x@y.example\r\nContent-Type: text/plain; charset=idna\r\n\r\nabc\xff\r\n", "charset 'idna'"),
        (b"From: x@y.example\r\nContent-Type: text/plain; charset=x-no-such\r\n\r\nabc\r\n", "no decoder"),
        (_nested(1500), "nested"),
        (_nested(40), "nested 40 deep"),
    ],
)
def test_a_message_that_cannot_be_read_is_unreadable_with_its_reason(raw: bytes, words: str) -> None:
    f = parse_message(raw)
    assert f.kind == "unreadable" and words in f.reason, f
    assert f.handled_key.startswith("sha256:")


def test_a_message_over_the_size_limit_is_unreadable_without_parsing() -> None:
    f = parse_message(b"Subject: big\r\n\r\n" + b"x" * 2000, max_bytes=1000)
    assert f.kind == "unreadable" and "over the limit (inbound_bytes = 1000" in f.reason


def test_raw_utf8_headers_and_undecodable_bytes_come_out_as_text_a_database_takes() -> None:
    raw = "From: 李月華 <lee@x.example>\r\nSubject: 取消訂閱\r\nMessage-ID: <\udcff@x>\r\n\r\n".encode(
        "utf-8", "surrogateescape"
    )
    f = parse_message(raw)
    assert f.subject == "取消訂閱" and f.kind == "unsubscribe"
    (f.subject + f.message_id + f.sender).encode("utf-8")  # no surrogates left


@pytest.mark.parametrize(
    "raw",
    [b"", b"\x00\xff garbage", b"Subject: =?bogus?Q?x?=\r\n\r\nhi", b"Content-Type: multipart/report\r\n\r\n"],
)
def test_garbage_never_raises(raw: bytes) -> None:
    assert parse_message(raw).kind in ("other", "bounce", "unreadable")


@pytest.mark.parametrize(
    "text",
    [
        "I have left the office for the Easter holidays and will be back on 7 April.",
        "Amy has left for Tokyo on assignment until Friday.",
        "I am on leave. For urgent matters please contact techdesk@harbourdaily.example.",
    ],
)
def test_out_of_office_is_not_mistaken_for_moved(text: str) -> None:
    msg = EmailMessage()
    msg["From"] = "amy.chan@harbourdaily.example"
    msg["Subject"] = "Out of Office"
    msg["Auto-Submitted"] = "auto-replied"
    msg.set_content(text)
    f = parse_message(msg.as_bytes())
    assert (f.kind, f.new_address) == ("auto-reply", "")


@pytest.mark.parametrize(
    ("text", "new"),
    [
        ("Wing is no longer with Harbour Times. Please write to newsdesk@harbourtimes.example.", "newsdesk@harbourtimes.example"),
        ("I have left the newspaper; my successor is at k.lee@harbourtimes.example — please contact k.lee@harbourtimes.example.", "k.lee@harbourtimes.example"),
        ("陳大文先生已不再任職本社，新聞稿請改寄 news@islanddaily.example。", "news@islanddaily.example"),
    ],
)
def test_moved_phrases(text: str, new: str) -> None:
    msg = EmailMessage()
    msg["From"] = "wing.chan@harbourtimes.example"
    msg["Subject"] = "Re: HVSP"
    msg.set_content(text)
    f = parse_message(msg.as_bytes())
    assert (f.kind, f.new_address) == ("moved", new)


def test_html_only_auto_reply_with_big5_subject() -> None:
    msg = EmailMessage()
    msg["From"] = "editor@tsuenwandaily.example"
    msg["Subject"] = "=?big5?B?" + __import__("base64").b64encode("自動回覆：海港科學園".encode("big5")).decode() + "?="
    msg.set_content("<html><body><p>本人休假中，三月二十三日返回。</p><p>謝謝</p></body></html>", subtype="html")
    f = parse_message(msg.as_bytes())
    assert f.kind == "auto-reply"
    assert f.subject == "自動回覆：海港科學園"
    assert f.excerpt == "本人休假中，三月二十三日返回。\n謝謝"


def test_handled_key_is_the_message_id_or_a_digest() -> None:
    assert _parse("reply_en.eml").handled_key == "<CAF9q1=reply-0003@innovationwire.example>"
    f = parse_message(b"Subject: no id\r\n\r\nhello\r\n")
    assert f.handled_key.startswith("sha256:") and len(f.digest) == 32
    assert parse_message(b"Subject: no id\r\n\r\nhello\r\n").handled_key == f.handled_key


@pytest.mark.parametrize(
    ("url", "address"),
    [
        ("mailto:unsubscribe@hvsp.example?subject=unsubscribe%20{email}", "unsubscribe@hvsp.example"),
        ("MAILTO:Unsubscribe%2Bpress@hvsp.example", "Unsubscribe+press@hvsp.example"),
        ("mailto:unsubscribe+{email}@hvsp.example", ""),
        ("mailto:unsubscribe+{token}@hvsp.example", "unsubscribe+{token}@hvsp.example"),
        ("https://hvsp.example/unsubscribe", ""),
    ],
)
def test_mailto_address(url: str, address: str) -> None:
    assert mailto_address(url) == address
