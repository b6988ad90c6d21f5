"""The one address rule (``pressctl.addresses``): parse, normalise (IDNA 2008 / UTS 46 non-transitional) and key;
the sender keeps its IDN domain; loaded contacts carry their checked address."""

from __future__ import annotations

import base64
import dataclasses
import hashlib
import hmac
import unicodedata
from pathlib import Path

import idna
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from messages_support import contact, make_factory

from pressctl.addresses import (
    Address,
    AddressError,
    address_key,
    ascii_domain,
    domain_key,
    parse_address,
    same_address,
    unwrap,
)
from pressctl.config import load_workspace
from pressctl.config.sender import check_from_option, check_sender
from pressctl.contacts.clean import cell_address, clean_address
from pressctl.contacts.unsubscribe import token_for
from pressctl.model import Contact
from pressctl.scaffold import init_workspace
from pressctl.verp import verp_decode, verp_encode

SECRET = b"s" * 32


def test_an_idn_domain_keeps_its_sharp_s_on_the_wire() -> None:
    found = parse_address("press@straße.de")
    assert found == Address("press@xn--strae-oqa.de", "press@xn--strae-oqa.de", False)
    assert idna.decode(found.domain) == "straße.de"  # not strasse.de: another domain
    assert ascii_domain("Straße.DE") == "xn--strae-oqa.de"
    assert ascii_domain("ﬁnance.example") == "finance.example"  # UTS 46 maps the ligature
    assert ascii_domain("news.example") == "news.example"
    assert parse_address("Amy@HVSP.example").text == "Amy@HVSP.example"  # ASCII kept as written
    assert parse_address("Amy@HVSP.example").key == "amy@hvsp.example"
    assert parse_address("黃嘉明@hvsp.example").smtputf8


@pytest.mark.parametrize(
    "raw",
    ["", "amy", "amy@", "@x.example", "a b@x.example", "amy@x..example", "amy@-x.example", "a\u202e@x.example",
     "amy@x\u200b.example", "amy@straße..de", "amy@" + "x" * 64 + ".example", "a" * 250 + "@x.example"],
)
def test_what_is_no_address_is_refused_with_a_reason(raw: str) -> None:
    with pytest.raises(AddressError) as caught:
        parse_address(raw)
    assert str(caught.value)


def test_one_key_for_ledger_suppression_and_bounces() -> None:
    sent = "müller@straße.de"
    assert address_key("Müller@Straße.de") == address_key(sent) == "müller@xn--strae-oqa.de"
    assert address_key("MÜLLER@XN--STRAE-OQA.DE") == "müller@xn--strae-oqa.de"
    assert address_key("Mu\u0308ller@straße.de") == address_key(sent)  # NFD, as some servers write it
    assert same_address("Desk@Wire.Example.", "desk@wire.example")
    # Lower-casing, not case folding: strauß and strauss are two mailboxes.
    assert address_key("Strauß@x.example") == "strauß@x.example" != address_key("strauss@x.example")
    assert domain_key("bad..例子") == "bad..例子"  # no valid IDN: never raises, matches only itself
    assert address_key("@Straße.de") == "@xn--strae-oqa.de"


def test_keys_tokens_and_signatures_of_loaded_addresses_did_not_change() -> None:
    """For every address loading accepts, the key is the address lower-cased (what the ledger, tokens and
    VERP signatures always used): nothing already sent or recorded changes."""
    for raw in ["Amy.Chan@HarbourDaily.example", "黃嘉明@海景.example", "Zoë@Straße.de", "o'neill@x.example"]:
        address = clean_address(raw)
        assert address_key(address) == address.lower()
        before = hmac.new(SECRET, address.strip().lower().encode("utf-8"), hashlib.sha256).digest()  # the old rule
        assert token_for(address, SECRET) == base64.urlsafe_b64encode(before[:16]).rstrip(b"=").decode("ascii")
    template = "bounces+{local}={domain}@hvsp.example"
    signed = verp_encode(template, "müller@xn--strae-oqa.de", SECRET)
    # A server that folds the local part's case, or reports the Unicode form, still names the same reader.
    assert verp_decode(template, signed.upper().replace("BOUNCES", "bounces"), SECRET)


def test_unwrap_is_the_one_place_full_width_at_signs_are_read() -> None:
    assert unwrap(" mailto:amy＠hvsp．example\u3000") == "amy@hvsp.example"
    assert unwrap("MAILTO:a@b。example") == "a@b.example"
    assert clean_address("amy＠hvsp．example") == "amy@hvsp.example"


def test_a_loaded_contact_carries_its_checked_address(tmp_path: Path) -> None:
    checked = cell_address("Müller@Straße.de")
    assert checked.text == "Müller@xn--strae-oqa.de" and checked.key == "müller@xn--strae-oqa.de"
    reader = Contact(email=checked.text, address=checked)
    assert reader.checked is checked and reader.key == checked.key
    assert Contact(email=checked.text).key == checked.key  # made by hand: the same key
    factory = make_factory(tmp_path)
    message = factory.build(reader)
    assert message.recipient == "Müller@xn--strae-oqa.de" and message.smtputf8
    other = dataclasses.replace(reader, email="other@hvsp.example")
    assert other.checked is None and other.key == "other@hvsp.example"  # a stale address never counts
    assert factory.build(other).recipient == "other@hvsp.example"


def test_the_sender_keeps_its_idn_domain(tmp_path: Path) -> None:
    ws = tmp_path / "ws"
    init_workspace(ws)
    toml = ws / "pressctl.toml"
    text = toml.read_text("utf-8").replace("<press@hvsp.example>", "<presse@straße.de>")
    toml.write_text(text, "utf-8")
    identity = check_sender(load_workspace(toml).sender, where=None)
    assert identity.from_addr == "presse@xn--strae-oqa.de"  # was presse@strasse.de: someone else's domain
    assert check_from_option("presse@Straße.de")[1] == "presse@xn--strae-oqa.de"
    message = make_factory(tmp_path, sender={"from_addr": "Presse <presse@straße.de>"}).build(contact("amy@x.example"))
    head = message.data.partition(b"\r\n\r\n")[0].decode("ascii")
    assert "From: Presse <presse@xn--strae-oqa.de>" in head and message.message_id.endswith("@xn--strae-oqa.de>")


_LOCAL = st.text(alphabet=st.sampled_from("aAzZ09._-ßẞÜüİıΣσςé\u0301"), min_size=1, max_size=12)
_DOMAIN = st.sampled_from(["x.example", "Straße.de", "STRASSE.DE", "xn--strae-oqa.de", "海景.example", "Ünï.example"])


@settings(max_examples=300, deadline=None)
@given(local=_LOCAL, domain=_DOMAIN)
def test_the_key_of_a_key_is_itself(local: str, domain: str) -> None:
    key = address_key(f"{local}@{domain}")
    assert address_key(key) == key
    assert key == unicodedata.normalize("NFC", key) and key.rpartition("@")[2].isascii()


# -- the guard: one home ---------------------------------------------------------------------------------------

PACKAGE = Path(__file__).resolve().parent.parent / "pressctl"
HOME = PACKAGE / "addresses.py"
# Where addresses are compared or keyed: none of them folds case on its own.
KEYED = ["bounces", "ledger", "verp.py", "mailto.py", "send", "contacts/suppression.py", "contacts/suppressfile.py",
         "contacts/suppressimport.py", "contacts/unsubscribe.py", "contacts/load.py", "model.py"]


def _sources(*places: str) -> list[Path]:
    found: list[Path] = []
    for place in places:
        path = PACKAGE / place
        found.extend(sorted(path.rglob("*.py")) if path.is_dir() else [path])
    return found


def test_an_address_has_one_home() -> None:
    """IDNA conversion, the key's case rule and the full-width ＠ live in pressctl/addresses.py only."""
    problems = []
    for path in _sources("."):
        text = path.read_text("utf-8")
        where = str(path.relative_to(PACKAGE))
        if path != HOME and ("import idna" in text or '"idna"' in text or "'idna'" in text):
            problems.append(f"{where}: converts IDN domains itself")
        if path != HOME and ('"\\uff20": "@"' in text or 'replace("\\uff20"' in text or 'replace("＠"' in text):
            problems.append(f"{where}: normalises the full-width at sign itself")
    for path in _sources(*KEYED):
        if any(".casefold()" in line and "the old rule" not in line for line in path.read_text("utf-8").splitlines()):
            problems.append(f"{path.relative_to(PACKAGE)}: folds case itself (use addresses.address_key)")
    assert problems == []
