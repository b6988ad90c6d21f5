"""Loading a list asks email-validator once per domain, not once per address (issue 19 "speed back", second
pass): :func:`pressctl.contacts.clean.cell_address` gives exactly what the whole check gives (the address, or
the same reason) for any address, role names and over-long ones included."""

from __future__ import annotations

import pytest
from email_validator.rfc_constants import CASE_INSENSITIVE_MAILBOX_NAMES
from hypothesis import given, settings
from hypothesis import strategies as st

from pressctl.addresses import Address, AddressError
from pressctl.contacts import clean
from pressctl.contacts.clean import cell_address

LOCAL = st.text(alphabet="aZ9._+-!~\"é ", min_size=0, max_size=70) | st.sampled_from(
    ["Postmaster", "INFO", "news", "a..b", ".a", "a.", "x" * 64, "x" * 65]
)
DOMAIN = st.sampled_from(
    ["news.example", "NEWS.Example", "straße.de", "xn--strae-oqa.de", "localhost", "nodot", "a..b.example",
     "-bad.example", "x.test", "123.456", "ex_ample.com", "", "mingpoint.example", ("d" * 63 + ".") * 3 + "example"]
)


def _whole(text: str) -> Address | str:
    try:
        return clean._validated(text)
    except AddressError as exc:
        return str(exc)


def _cell(text: str) -> Address | str:
    try:
        return cell_address(text)
    except AddressError as exc:
        return str(exc)


@settings(max_examples=400, deadline=None)
@given(LOCAL, DOMAIN)
def test_the_per_domain_check_gives_what_the_whole_check_gives(local: str, domain: str) -> None:
    text = f"{local}@{domain}"
    if not local or " " in local or '"' in local:
        return  # caught before either check (no address, a space), or a quoted local part: not this path
    assert _cell(text) == _whole(text)


def test_the_role_names_are_email_validators() -> None:
    assert frozenset(CASE_INSENSITIVE_MAILBOX_NAMES) == clean._MAILBOX_NAMES


@pytest.mark.parametrize("text", ["Postmaster@News.Example", "reporter@nodot", "r@localhost", ("x" * 64) + "@" + ("d" * 63 + ".") * 3 + "ex"])
def test_edge_cases_read_as_before(text: str) -> None:
    assert _cell(text) == _whole(text)
