"""The one home of control, line-breaking and invisible characters (pressctl/controls.py): each policy, and
properties that no value a contact brings can add a header line or a recipient."""

from __future__ import annotations

import email
import tempfile
from email import policy
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from messages_support import HEADERS, contact, display_name, make_factory

from pressctl.addresses import parse_address
from pressctl.controls import (
    UNSAFE,
    clean_cell,
    clean_header_text,
    clean_merge_value,
    has_unsafe,
    printable,
)
from pressctl.send.messages import MessageFactory

# Every character the brief names, one of each kind: CR, LF, NEL, LS, PS, VT, FF, NUL, a lone surrogate,
# the bidi overrides and isolates, zero-width space, BOM; TAB and the separators FS/GS/RS; a C1 control.
DANGEROUS = [
    "\r",
    "\n",
    "\r\n",
    "\x85",
    "\u2028",
    "\u2029",
    "\x0b",
    "\x0c",
    "\x00",
    "\t",
    "\x1c",
    "\x1e",
    "\x1b",
    "\x7f",
    "\x9b",
    "\ud800",
    "\udcff",
    "\u202a",
    "\u202e",
    "\u2066",
    "\u2069",
    "\u200e",
    "\u200f",
    "\u061c",
    "\u200b",
    "\ufeff",
    "\ufff9",
]
LINE_BREAKING = ["\r", "\n", "\x85", "\u2028", "\u2029", "\x0b", "\x0c", "\t", "\x1c", "\x1d", "\x1e"]
PIECES = [
    *DANGEROUS,
    "Bcc: spy@evil.test",
    "\r\nBcc: spy@evil.test",
    "\r\n\r\n<html>",
    "<spy@evil.test>",
    ", spy@evil.test",
    '"',
    ":",
    "=?utf-8?q?Bcc=3A_x@evil.test?=",
    " ",
    "  ",
    "\u3000",
    "\u200d",
    "黃嘉明",
    "Zoë",
]
hostile = st.lists(st.one_of(st.sampled_from(PIECES), st.text(max_size=8)), max_size=10).map("".join)


def test_the_class_covers_every_named_character() -> None:
    for ch in DANGEROUS + LINE_BREAKING:
        assert has_unsafe(f"a{ch}b"), repr(ch)
    for ch in ["\u200d", "\u3000", "\u00a0", " ", "黃", "😀", "-"]:  # joiners, wide and no-break spaces stay
        assert not has_unsafe(ch), repr(ch)


def test_each_policy_on_one_value() -> None:
    value = " Amy\r\nChan\u202e \x00\u200b Jr\u2028  \u200e"
    # a contact cell: line breaks a space, invisible deleted, runs of spaces one, trimmed
    assert clean_cell(value) == "Amy Chan Jr"
    # a merged value: the same, but its own spacing kept (CR LF: two spaces)
    assert clean_merge_value(value) == "Amy  Chan  Jr"
    # header text: every run of white space one space
    assert clean_header_text(value + "\u3000x") == "Amy Chan Jr x"
    # on a terminal: shown, not changed; TAB and LF stay
    assert printable("a\x1b[31mb\tc\nd\r\u202e\udcff") == "a\\x1b[31mb\tc\nd\\x0d\\u202e\\udcff"
    assert clean_cell("Zoë\u200d") == "Zoë\u200d"  # joiners stay: names and emoji need them
    assert clean_merge_value(42) == "42"


@pytest.mark.parametrize("ch", DANGEROUS)
def test_an_address_with_any_of_them_is_refused(ch: str) -> None:
    with pytest.raises(ValueError):
        parse_address(f"amy{ch}@harbourdaily.example")


@settings(max_examples=150, deadline=None)
@given(value=hostile)
def test_no_policy_leaves_a_line_break_or_invisible_character(value: str) -> None:
    for cleaned in (clean_cell(value), clean_merge_value(value), clean_header_text(value)):
        assert not UNSAFE.search(cleaned)
        assert len(cleaned.splitlines()) <= 1
        assert cleaned == cleaned.strip()
    if has_unsafe(value):  # a cell with nothing to clean is only trimmed (as contacts always were)
        assert "  " not in clean_cell(value)
    header = clean_header_text(value)
    assert all(not ch.isspace() or ch == " " for ch in header) and "  " not in header
    # cleaning twice changes nothing; the header text of a cell is the header text of the value
    assert clean_cell(clean_cell(value)) == clean_cell(value)
    assert clean_header_text(clean_cell(value)) == clean_header_text(value)
    assert not UNSAFE.search(printable(value).replace("\t", "").replace("\n", ""))


_FACTORY: list[MessageFactory] = []


def _factory() -> MessageFactory:
    if not _FACTORY:  # one factory for every example: only building messages repeats
        _FACTORY.append(make_factory(Path(tempfile.mkdtemp())))
    return _FACTORY[0]


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(name=hostile, first=hostile, outlet=hostile)
def test_no_contact_field_adds_a_header_or_a_recipient(name: str, first: str, outlet: str) -> None:
    """The fast loop's version of test_send_messages_property (which runs 300 examples, marked slow)."""
    data = _factory().build(contact("amy@harbourdaily.example", name, first_name=first, outlet=outlet)).data
    head = data.partition(b"\r\n\r\n")[0]
    assert data.count(b"\n") == data.count(b"\r\n") == data.count(b"\r")
    msg = email.message_from_string(data.decode("utf-8"), policy=policy.default)
    assert list(msg.keys()) == HEADERS
    assert [a.addr_spec for a in msg["To"].addresses] == ["amy@harbourdaily.example"]
    assert display_name(data) == clean_header_text(name)
    assert not UNSAFE.search(str(msg["Subject"]))
    assert b"\r\n\r\n" not in head


@pytest.mark.parametrize("ch", ["\r\n", "\x00", "\u202e", "\u200b", "\ufeff"])
def test_a_sender_with_any_of_them_is_refused(tmp_path: Path, ch: str) -> None:
    """Since the one cleaner: a bidi or zero-width character in sender.from is refused like a line break."""
    from pressctl.errors import ConfigError

    with pytest.raises(ConfigError, match="line break or control character"):
        make_factory(tmp_path, sender={"from_addr": f"HVSP{ch} Press Office <press@hvsp.example>"})
