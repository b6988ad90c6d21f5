"""Relay profiles and the effective limits of a run, with where each value came from."""

from __future__ import annotations

import pytest

from pressctl.config.smtp import parse_smtp_url
from pressctl.errors import InputError
from pressctl.rates import Rate, parse_rate
from pressctl.relays.profiles import (
    PROFILES,
    LimitOptions,
    get_profile,
    profile_for_host,
    relay_account,
    resolve_limits,
)


def test_the_table_of_issue_11() -> None:
    table = {n: (p.connections, str(p.rate) if p.rate else None, p.daily_cap) for n, p in PROFILES.items()}
    assert table == {
        "generic": (4, None, None),
        "microsoft365": (3, "30/min", 10_000),
        "gmail": (2, "20/min", 2_000),
        "google-relay": (4, "60/min", 10_000),
        "ses": (4, "1/s", 200),
    }
    for profile in PROFILES.values():  # every number has its source
        assert "connections" in profile.sources
        if profile.rate:
            assert profile.sources["rate"]
        if profile.daily_cap:
            assert profile.sources["daily_cap"]


def test_every_profile_and_source_is_in_the_docs() -> None:
    from pathlib import Path

    docs = (Path(__file__).parent.parent / "docs" / "relays.md").read_text()
    for profile in PROFILES.values():
        assert f"`{profile.name}`" in docs
        for source in profile.sources.values():
            assert source in docs, source


def test_profile_by_name_and_host() -> None:
    assert get_profile(" Microsoft365 ").name == "microsoft365"
    with pytest.raises(InputError, match=r"no relay profile 'outlook'.*microsoft365, gmail"):
        get_profile("outlook")
    assert profile_for_host("smtp.office365.com").name == "microsoft365"  # type: ignore[union-attr]
    assert profile_for_host("SMTP-RELAY.gmail.com.").name == "google-relay"  # type: ignore[union-attr]
    assert profile_for_host("email-smtp.eu-west-1.amazonaws.com").name == "ses"  # type: ignore[union-attr]
    assert profile_for_host("mail.hvsp.example") is None


def test_profile_defaults_with_origins() -> None:
    limits = resolve_limits(config=LimitOptions(profile="microsoft365"))
    assert limits.profile_origin == "smtp.profile, pressctl.toml"
    assert limits.lines() == [
        "3 connections (microsoft365 profile)",
        "rate 30/min (microsoft365 profile)",
        "10,000 recipients per 24 h (microsoft365 profile)",
    ]
    assert limits.warnings == ()


def test_command_line_wins_over_config_over_profile() -> None:
    limits = resolve_limits(
        cli=LimitOptions(rate=parse_rate("10/s")),
        config=LimitOptions(profile="gmail", connections=1, daily_cap=500, rate=Rate(5, 1.0)),
    )
    assert limits.connections.value == 1 and limits.connections.origin == "pressctl.toml"
    assert limits.lines() == [
        "smtp.concurrency 1 (pressctl.toml)",
        "--rate 10/s (command line)",
        "smtp.daily_cap 500 (pressctl.toml)",
    ]
    assert resolve_limits(cli=LimitOptions(profile="ses"), config=LimitOptions(profile="gmail")).profile.name == "ses"


def test_explicit_no_limit() -> None:
    limits = resolve_limits(cli=LimitOptions(profile="microsoft365", no_rate=True, no_daily_cap=True))
    assert limits.rate.value is None and limits.daily_cap.value is None
    assert limits.lines()[1:] == ["--rate 0 (command line)", "--daily-cap 0 (command line)"]


def test_generic_is_todays_behaviour() -> None:
    limits = resolve_limits(host="mail.hvsp.example")
    assert (limits.profile.name, limits.profile_origin) == ("generic", "default")
    assert limits.lines() == [
        "4 connections (generic profile)", "no rate limit (generic profile)", "no daily cap (generic profile)"
    ]


def test_profile_recognised_from_the_host() -> None:
    limits = resolve_limits(host="smtp.office365.com")
    assert limits.profile.name == "microsoft365"
    assert limits.profile_origin == "recognised from the host smtp.office365.com"
    # A named profile beats the host.
    assert resolve_limits(cli=LimitOptions(profile="generic"), host="smtp.office365.com").profile.name == "generic"


def test_warnings() -> None:
    too_many = resolve_limits(cli=LimitOptions(profile="microsoft365", connections=8))
    assert too_many.warnings == (
        "8 connections is more than Microsoft 365 (Exchange Online SMTP AUTH submission) allows (3); the relay "
        "will refuse the extra ones and pressctl will carry on with fewer",
    )
    ses = resolve_limits(cli=LimitOptions(profile="ses"))
    assert len(ses.warnings) == 2
    assert "set --rate to your account's maximum send rate" in ses.warnings[0]
    assert "set --daily-cap to your account's quota" in ses.warnings[1]
    told = resolve_limits(cli=LimitOptions(profile="ses", rate=Rate(14, 1.0), daily_cap=50_000))
    assert told.warnings == ()


def test_bad_values() -> None:
    with pytest.raises(InputError, match="--concurrency must be at least 1"):
        resolve_limits(cli=LimitOptions(connections=0))
    with pytest.raises(InputError, match=r"^pressctl.toml: smtp.daily_cap must be at least 1"):
        resolve_limits(config=LimitOptions(daily_cap=-1))
    with pytest.raises(InputError, match=r"smtp\.profile: no relay profile"):
        resolve_limits(config=LimitOptions(profile="hotmail"))


def test_relay_account() -> None:
    assert relay_account(parse_smtp_url("smtp://Press@SMTP.office365.com")) == "smtp://press@smtp.office365.com:587"
    assert relay_account(parse_smtp_url("smtps://press@smtp.gmail.com")) == "smtps://press@smtp.gmail.com:465"
    assert relay_account(parse_smtp_url("smtp://127.0.0.1:2525")) == "smtp://127.0.0.1:2525"
    assert relay_account(parse_smtp_url("smtp://a@h.example:25")) != relay_account(parse_smtp_url("smtp://b@h.example:25"))
