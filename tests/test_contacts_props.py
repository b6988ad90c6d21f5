"""Property: whatever a cell holds, no selected contact can carry a control character into a message,
and no address or name can add a header or a recipient."""

from __future__ import annotations

import csv
import email
import re
import tempfile
import unicodedata
from email import policy
from email.headerregistry import Address
from email.message import EmailMessage
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pressctl.contacts.load import load_contacts
from pressctl.controls import clean_header_text
from tests.messages_support import display_name, make_factory

_FACTORY = make_factory(Path(tempfile.mkdtemp()))

# Characters that could end a header line, or hide/reorder text, anywhere in a header.
_BAD = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069\u200e\u200f\u061c\ufeff]")

_NASTY = st.sampled_from(
    [
        "\r\n",
        "\n",
        "\r",
        "\x00",
        "\u2028",
        "\u2029",
        "\x85",
        "\x0b",
        "\x0c",
        "\t",
        "\u202e",
        "\u2066",
        "Bcc: x@evil.test",
        ">,b@evil.test",
        ", x@evil.test",
        "; x@evil.test",
        '"',
        "<",
        ">",
        ":",
        "@",
        "=?utf-8?q?x?=",
        "=HYPERLINK(",
        " ",
        "\u3000",
        "＠",
        "黃",
        "(",
        ")",
    ]
)
_PIECE = st.one_of(
    _NASTY, st.text(max_size=6), st.sampled_from(["amy", "x.example", "hvsp.example", ".", "-", "'"])
)
_CELL = st.lists(_PIECE, max_size=6).map("".join)
_ADDRESS = st.one_of(
    _CELL,
    st.tuples(_CELL, st.sampled_from(["@", "＠", "@@"]), _CELL).map("".join),
    st.tuples(st.sampled_from(["amy", "b.c", "黃", "o'neill"]), _CELL, st.just("@x.example"), _CELL).map(
        "".join
    ),
)
_ROW = st.tuples(_ADDRESS, _CELL, _CELL, _CELL, _CELL)


def _write(path: Path, rows: list[tuple[str, ...]]) -> None:
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["Email", "Name", "First Name", "Last Name", "Outlet"])
        writer.writerows(rows)


def _recipients_via_email_package(name: str, address: str) -> list[str]:
    """The To addresses of a message built with the standard library, serialised and parsed back."""
    message = EmailMessage(policy=policy.SMTPUTF8)
    local, _, domain = address.rpartition("@")
    message["To"] = Address(display_name=name, username=local, domain=domain)
    parsed = email.message_from_string(message.as_string(), policy=policy.SMTPUTF8)
    return [a.addr_spec for a in parsed["To"].addresses]


def _naive_addresses(name: str, address: str) -> list[str]:
    """Addresses a parser finds when name and address are pasted into a header without quoting."""
    header = f"{name} <{address}>" if name else address
    try:
        message = email.message_from_string(f"To: {header}\r\n\r\nbody\r\n", policy=policy.default)
        return [a.addr_spec for a in message["To"].addresses if "@" in a.addr_spec]
    except Exception:  # the stdlib parser can crash on odd comments; that adds nobody
        return []


@pytest.mark.slow
@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(rows=st.lists(_ROW, min_size=1, max_size=8))
def test_no_cell_can_add_a_header_or_recipient(rows: list[tuple[str, ...]]) -> None:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "list.csv"
        _write(path, rows)
        result = load_contacts([path])
    assert result.rows == len(result.invalid) + len(result.duplicates) + len(result.selected)
    for contact in result.selected:
        # the address: plain, one @, nothing a header parser could split on
        assert not _BAD.search(contact.email)
        assert not re.search(r'[\s<>,;"()\[\]\\:]', contact.email)
        assert contact.email.count("@") == 1
        assert contact.email.rpartition("@")[2].isascii()
        # the display name: one line, no angle brackets, quotes or @ (commas and colons may stay: "Fernandes, Zoë")
        assert not _BAD.search(contact.name)
        assert not re.search(r'[<>"\\@＠]', contact.name)
        assert all(unicodedata.category(ch) not in ("Cc", "Zl", "Zp") for ch in contact.name)
        # every merge field: one line, no control characters
        for value in contact.fields.values():
            assert not _BAD.search(value)
        # built with the email package, exactly this one recipient comes back
        assert _recipients_via_email_package(contact.name, contact.email) == [contact.email]
        # built by pressctl's own message builder, too: one To address, the name intact
        data = _FACTORY.build(contact).data
        sent = email.message_from_string(data.decode("utf-8"), policy=policy.default)
        assert [a.addr_spec for a in sent["To"].addresses] == [contact.email]
        assert display_name(data) == clean_header_text(contact.name)
        # even pasted into a header without quoting, no other address can appear
        assert set(_naive_addresses(contact.name, contact.email)) <= {contact.email}
    # no two selected contacts share an address
    keys = [c.email.lower() for c in result.selected]
    assert len(keys) == len(set(keys))


def test_a_comma_in_a_name_stays_one_quoted_recipient(tmp_path: Path) -> None:
    """Issue 9: "Fernandes, Zoë" was sent as `Fernandes Zoë`; it keeps its comma and stays one recipient."""
    path = tmp_path / "list.csv"
    _write(path, [("zoe@paper.test", "Fernandes, Zoë", "", "", ""), ("li@paper.test", "Li, Wei: Jr", "", "", "")])
    result = load_contacts([path])
    assert [c.name for c in result.selected] == ["Fernandes, Zoë", "Li, Wei: Jr"]
    for contact in result.selected:
        data = _FACTORY.build(contact).data
        to_line = data.partition(b"\r\nTo: ")[2].partition(b"\r\n")[0]
        sent = email.message_from_string(data.decode("utf-8"), policy=policy.default)
        assert [(a.display_name, a.addr_spec) for a in sent["To"].addresses] == [(contact.name, contact.email)]
        if contact.name.isascii():
            assert to_line == f'"{contact.name}" <{contact.email}>'.encode()
