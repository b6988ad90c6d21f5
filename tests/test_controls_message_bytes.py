"""The bytes of a message built from a contact full of control, line-breaking and invisible characters, pinned.

Two ways in: a list read by ``load_contacts`` (the contact cleaner runs first), and a ``Contact`` made directly
(library use; only the message builder's cleaning runs). A change in these bytes must be deliberate: named in
the commit and, when users can see it, in the README. (Issue 17: the List-Unsubscribe mailto carries the
reader's token, signed with messages_support.SECRET.)
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
        hashlib.sha256(data).hexdigest() == "e38e42a5826667258d393f75515643ba2343581aa4c7120c1ae89e4e34971b1e"
    )


def test_message_from_a_contact_made_directly(tmp_path: Path) -> None:
    """Since the one cleaner (pressctl/controls.py): invisible characters are deleted, not kept or spaced.

    Before, the display name kept the override and the zero-width space ("Amy\u202eCh\u200ban Bcc: ..." as
    encoded-words), the Subject and bodies kept the isolate and the mark, and NUL or a lone surrogate became
    a space ("Dear A my,"). A list read by ``load_contacts`` gave the bytes above then and now.
    """
    outlet = OUTLET.replace("\ufeff", "\ufeff\udcff")  # a lone surrogate too
    data = make_factory(tmp_path).build(contact(ADDRESS, NAME, first_name=FIRST, outlet=outlet)).data
    head = _head(data)
    assert 'To: "AmyChan Bcc: spy@evil.test" <amy.chan@harbourdaily.example>\r\n' in head
    assert "Subject: For Daily News Times: HVSP opens a tidal test bay\r\n" in head
    # merged into a body, a value keeps its own spacing: "\x85" a space, " \x0b\x0c " four
    assert _lines_with(data, b"Dear", b"Prepared") == [
        b"Dear Amy,",
        b"Prepared for Daily News    Times",
        b"<p>Dear Amy,</p>",
        b"<p>Prepared for Daily News    Times</p>",
    ]
    assert hashlib.sha256(data).hexdigest() == "ab6f5b5c9d01a3e34e48887d16f5add3d54810ad22b72e2322c5a6b431fa1c27"
