"""The bytes of a message built from a contact full of control, line-breaking and invisible characters, pinned.

Two ways in: a list read by ``load_contacts`` (the contact cleaner runs first), and a ``Contact`` made directly
(library use; only the message builder's cleaning runs). A change in these bytes must be deliberate: named in
the commit and, when users can see it, in the README.
"""

from __future__ import annotations

import csv
import hashlib
from pathlib import Path

from messages_support import contact, make_factory

from pressctl.contacts.load import load_contacts

ADDRESS = "amy.chan@harbourdaily.example"
NAME = "Amy\u202eCh\u200ban\r\nBcc: spy@evil.test"
FIRST = "A\x00my\u2028"
OUTLET = "Daily\x85News\u2066\ufeff \x0b\x0c Times\u200e"


def _head(data: bytes) -> str:
    return data.partition(b"\r\n\r\n")[0].decode("ascii")


def _lines_with(data: bytes, *words: bytes) -> list[bytes]:
    return [line for line in data.split(b"\r\n") if any(w in line for w in words)]


def test_message_from_a_loaded_list(tmp_path: Path) -> None:
    path = tmp_path / "list.csv"
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["Email", "Name", "First Name", "Outlet"])
        writer.writerow([ADDRESS, NAME, FIRST, OUTLET])
    (loaded,) = load_contacts([path]).selected
    assert loaded.name == "Amy"  # the name cell holds an @ after cleaning: no name; first name instead
    assert loaded.fields["outlet"] == "Daily News Times"
    data = make_factory(tmp_path).build(loaded).data
    head = _head(data)
    assert "To: Amy <amy.chan@harbourdaily.example>\r\n" in head
    assert "Subject: For Daily News Times: HVSP opens a tidal test bay\r\n" in head
    assert _lines_with(data, b"Dear", b"Prepared") == [
        b"Dear Amy,",
        b"Prepared for Daily News Times",
        b"<p>Dear Amy,</p>",
        b"<p>Prepared for Daily News Times</p>",
    ]
    assert (
        hashlib.sha256(data).hexdigest() == "e97cdb728e33628a9fd38d898e63a1663e3eb04dee6a1e124aa53edd2e5a776e"
    )


def test_message_from_a_contact_made_directly(tmp_path: Path) -> None:
    built = contact(
        ADDRESS, NAME, first_name=FIRST, outlet=OUTLET.replace("\ufeff", "\ufeff\udcff")
    )  # a lone surrogate too
    data = make_factory(tmp_path).build(built).data
    head = _head(data)
    # "Amy\u202eCh\u200ban Bcc: spy@evil.test": the override and the zero-width space kept, CRLF a space
    assert (
        "To: =?utf-8?b?QW154oCuQ2jigIthbiBCY2M6IHNweUBldmlsLnRlc3Q=?=\r\n <amy.chan@harbourdaily.example>\r\n"
        in head
    )
    # "For Daily News\u2066 Times\u200e: ...": the isolate and the mark kept, controls spaces, spaces collapsed
    assert (
        "Subject: =?utf-8?b?Rm9yIERhaWx5IE5ld3PigaYgVGltZXPigI46IEhWU1Agb3BlbnMg?=\r\n"
        " =?utf-8?b?YSB0aWRhbCB0ZXN0IGJheQ==?=\r\n"
    ) in head
    assert _lines_with(data, b"Dear", b"Prepared") == [
        b"Dear A my,",
        b"Prepared for Daily News=E2=81=A6      Times=E2=80=8E",
        b"<p>Dear A my,</p>",
        b"<p>Prepared for Daily News=E2=81=A6      Times=E2=80=8E</p>",
    ]
    assert (
        hashlib.sha256(data).hexdigest() == "5fdd3ec40000925e9281f076beeff0a1428d3cb3a962e77554a0ce4911bf1bba"
    )
