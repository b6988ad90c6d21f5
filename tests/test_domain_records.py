"""The pure parts of the sending-domain check: SPF walked over given answers (lookups counted, includes found,
addresses allowed), DMARC records and alignment, DKIM key records, reserved names."""

from __future__ import annotations

from dataclasses import dataclass, field

from pressctl.config.dns import Nameserver, parse_nameserver
from pressctl.domain.records import aligned, parse_dkim_key, parse_dmarc, reserved
from pressctl.domain.spf import walk_spf


@dataclass
class Answers:
    """DNS answers as a test writes them."""

    txts: dict[str, list[str]] = field(default_factory=dict)
    hosts: dict[str, list[str]] = field(default_factory=dict)
    mxs: dict[str, list[str]] = field(default_factory=dict)

    def txt(self, name: str) -> list[str]:
        return self.txts.get(name, [])

    def addresses(self, name: str) -> list[str]:
        return self.hosts.get(name, [])

    def mx(self, name: str) -> list[str]:
        return self.mxs.get(name, [])


def test_spf_counts_lookups_through_includes_and_finds_the_relay() -> None:
    answers = Answers(
        txts={
            "hvsp.example": ["v=spf1 mx include:_spf.hvsp.example redirect=tail.hvsp.example"],
            "_spf.hvsp.example": ["v=spf1 ip4:203.0.113.0/24 a:relay.hvsp.example ~all"],
            "tail.hvsp.example": ["v=spf1 -all"],
        },
        hosts={"relay.hvsp.example": ["198.51.100.7"], "mx1.hvsp.example": ["192.0.2.25"]},
        mxs={"hvsp.example": ["mx1.hvsp.example"]},
    )
    walk = walk_spf(answers, "hvsp.example", ["203.0.113.9", "198.51.100.7", "192.0.2.25", "192.0.2.99"])
    assert walk.records == 1 and walk.lookups == 4  # mx, include, redirect, a
    assert walk.includes == ["_spf.hvsp.example", "tail.hvsp.example"]
    assert walk.passes == {"203.0.113.9": True, "198.51.100.7": True, "192.0.2.25": True, "192.0.2.99": False}


def test_spf_includes_that_loop_or_are_missing_end() -> None:
    answers = Answers(txts={
        "hvsp.example": ["v=spf1 include:a.hvsp.example include:gone.hvsp.example -all"],
        "a.hvsp.example": ["v=spf1 include:hvsp.example -all"],
    })
    walk = walk_spf(answers, "hvsp.example", ["192.0.2.1"])
    assert walk.void == ["gone.hvsp.example"] and walk.passes == {"192.0.2.1": False}


def test_two_spf_records_are_counted() -> None:
    walk = walk_spf(Answers(txts={"hvsp.example": ["v=spf1 -all", "v=spf1 a -all", "other"]}), "hvsp.example")
    assert walk.records == 2


def test_dmarc_and_alignment() -> None:
    record = parse_dmarc("v=DMARC1; p=Reject; sp=none; aspf=s", "hvsp.example")
    assert record is not None and (record.policy, record.subdomain_policy, record.aspf, record.adkim) == ("reject", "none", "s", "r")
    assert parse_dmarc("v=DMARC1; p=sometimes", "hvsp.example") is None
    assert parse_dmarc("v=spf1 -all", "hvsp.example") is None
    assert aligned("hvsp.example", "bounce.hvsp.example", mode="r", organisation="hvsp.example")
    assert not aligned("hvsp.example", "bounce.hvsp.example", mode="s", organisation="hvsp.example")
    assert not aligned("hvsp.example", "mailer.example.net", mode="r", organisation="hvsp.example")


def test_dkim_key_records() -> None:
    assert parse_dkim_key("v=DKIM1; k=rsa; p=") != "has no p= tag"  # revoked: a key record with no key
    assert parse_dkim_key("v=DKIM1; k=dsa; p=AAAA") == "has key type k=dsa, which receivers do not know"
    assert parse_dkim_key("v=DKIM1; k=rsa; p=@@@") == "has a p= value that is not base64"
    assert parse_dkim_key("v=DKIM1; k=ed25519") == "has no p= tag"


def test_reserved_names_and_nameservers() -> None:
    assert reserved("hvsp.example") and reserved("press.example.com") and reserved("x.test")
    assert not reserved("hvsp.org.hk")
    assert parse_nameserver("127.0.0.1:5353") == Nameserver("127.0.0.1", 5353)
    assert parse_nameserver("[::1]:53") == Nameserver("::1", 53) and str(Nameserver("::1", 5353)) == "[::1]:5353"
