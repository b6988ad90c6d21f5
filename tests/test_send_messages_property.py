"""Property: no contact name or field, however hostile, can add a header or a recipient to a message."""

from __future__ import annotations

import email
import html
from email import policy
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from messages_support import HEADERS, body, contact, display_name, make_factory

from pressctl.controls import clean_header_text, clean_merge_value
from pressctl.send.messages import MessageFactory

FRAGMENTS = [
    "\r\n",
    "\n",
    "\r",
    "\x00",
    "\t",
    "\x0b",
    "\x85",
    "\u2028",
    "\u2029",
    "\ufeff",
    "\x0c",
    "\ud800",
    "\u202e",
    "\u2066",
    "\u200e",
    "\u200b",
    "Bcc: spy@evil.test",
    "\r\nBcc: spy@evil.test",
    "\r\n\r\n<html>",
    "Cc:",
    ",",
    ";",
    "<",
    ">",
    "<spy@evil.test>",
    '"',
    "\\",
    "(",
    ")",
    ":",
    "@",
    ".",
    "=?utf-8?q?",
    "=?utf-8?b?QmNjOiBzcHlAZXZpbC50ZXN0?=",
    "?=",
    "=0D=0A",
    " ",
    "  ",
    "黃嘉明",
    "陳",
    "Ünïcödé",
    "😀",
]
hostile = st.lists(
    st.one_of(
        st.sampled_from(FRAGMENTS), st.text(max_size=12), st.text(alphabet="xy黃", min_size=60, max_size=1200)
    ),
    max_size=12,
).map("".join)
addresses = st.sampled_from(
    [
        "amy.chan@harbourdaily.example",
        "o'brien+press@news.test",
        "黃嘉明@mingpoint.example",
        "x@xn--4gq171p.example",
    ]
)

_FACTORY: dict[str, MessageFactory] = {}


def factory() -> MessageFactory:
    # One factory for all examples: building it is the slow, shared part; each example only builds messages.
    if "f" not in _FACTORY:
        import tempfile

        _FACTORY["f"] = make_factory(Path(tempfile.mkdtemp()))
    return _FACTORY["f"]


@pytest.mark.slow
@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    name=hostile, first=hostile, outlet=hostile, addr=addresses, lang=st.sampled_from(["en", "zh-HK", None])
)
def test_no_field_can_add_a_header_or_recipient(
    name: str, first: str, outlet: str, addr: str, lang: str | None
) -> None:
    out = factory().build(contact(addr, name, language=lang, first_name=first, outlet=outlet, name_zh=name))
    data = out.data
    assert data.count(b"\n") == data.count(b"\r\n") == data.count(b"\r")
    assert max(len(line) for line in data.split(b"\r\n")) <= 998
    assert out.smtputf8 is (not addr.partition("@")[0].isascii())
    head = data.partition(b"\r\n\r\n")[0]
    assert head.isascii() or out.smtputf8

    msg = email.message_from_string(data.decode("utf-8"), policy=policy.default)
    assert list(msg.keys()) == HEADERS  # the same header set, in the same order, every time
    assert [a.addr_spec for a in msg["To"].addresses] == [addr]
    assert msg["Bcc"] is None and msg["Cc"] is None
    assert len(msg.get_all("To") or []) == 1
    assert display_name(data) == clean_header_text(name)
    assert out.recipient == addr

    if out.language == "en":
        merged_outlet = clean_merge_value(outlet) or "your desk"
        assert msg["Subject"] == clean_header_text(f"For {merged_outlet}: HVSP opens a tidal test bay")
        greeting = clean_merge_value(first) or "editor"
        assert body(msg, "plain").startswith(f"Dear {greeting},\n")
        assert f"<p>Dear {html.escape(greeting, quote=True)},</p>" in body(msg, "html")
    else:
        assert msg["Subject"] == "海景科學園開設潮汐能測試灣"
