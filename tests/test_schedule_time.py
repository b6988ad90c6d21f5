"""Time rules for scheduling: parsing --at and durations, refusing past and pre-embargo times, DST, display."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pressctl.embargo import check_send_time
from pressctl.errors import EmbargoError, InputError
from pressctl.times import format_local, format_utc, parse_at, parse_duration

HK = ZoneInfo("Asia/Hong_Kong")
LONDON = ZoneInfo("Europe/London")
NEW_YORK = ZoneInfo("America/New_York")
NOW = dt.datetime(2030, 3, 1, 0, 0, tzinfo=dt.UTC)


def _show(when: dt.datetime) -> str:
    return format_local(when, HK)


@pytest.mark.parametrize(
    ("text", "seconds"),
    [
        ("90s", 90),
        ("15m", 900),
        ("1h", 3600),
        ("1h30m", 5400),
        ("2d", 172800),
        ("45", 45),
        ("0.5s", 0.5),
        ("10 min", 600),
    ],
)
def test_parse_duration(text: str, seconds: float) -> None:
    assert parse_duration(text) == dt.timedelta(seconds=seconds)


@pytest.mark.parametrize("text", ["", "soon", "1x", "h", "1h-3m", "-5m"])
def test_parse_duration_refuses_nonsense(text: str) -> None:
    with pytest.raises(InputError, match="not a duration"):
        parse_duration(text, option="--max-late")


def test_at_with_offset_is_taken_as_is() -> None:
    at = parse_at("2030-03-12T10:00:00+08:00", zone=LONDON, now=NOW)
    assert at == dt.datetime(2030, 3, 12, 2, 0, tzinfo=dt.UTC)
    assert parse_at("2030-03-12T02:00Z", zone=HK, now=NOW) == at


def test_local_time_is_read_in_the_zone() -> None:
    assert parse_at("2030-03-12 10:00", zone=HK, now=NOW) == dt.datetime(2030, 3, 12, 2, 0, tzinfo=dt.UTC)
    # London in summer is UTC+1, in winter UTC+0: the same wall-clock hour is a different instant.
    assert parse_at("2030-07-01 09:00", zone=LONDON, now=NOW) == dt.datetime(2030, 7, 1, 8, tzinfo=dt.UTC)
    assert parse_at("2030-01-15 09:00", zone=LONDON, now=NOW) == dt.datetime(2030, 1, 15, 9, tzinfo=dt.UTC)


def test_relative_at_counts_from_now() -> None:
    assert parse_at("+90s", zone=HK, now=NOW) == NOW + dt.timedelta(seconds=90)
    assert parse_at("+2h", zone=HK, now=NOW) == NOW + dt.timedelta(hours=2)


def test_local_time_in_a_dst_gap_is_refused() -> None:
    # 2030-03-31 01:30 does not exist in London (clocks go from 01:00 to 02:00).
    with pytest.raises(EmbargoError, match="does not exist"):
        parse_at("2030-03-31 01:30", zone=LONDON, now=NOW)
    # 2030-03-10 02:30 does not exist in New York.
    with pytest.raises(EmbargoError, match="does not exist"):
        parse_at("2030-03-10 02:30", zone=NEW_YORK, now=NOW)


def test_local_time_in_a_dst_overlap_is_refused() -> None:
    # 2030-11-03 01:30 happens twice in New York (clocks go back at 02:00 EDT).
    with pytest.raises(EmbargoError, match="twice"):
        parse_at("2030-11-03 01:30", zone=NEW_YORK, now=NOW)
    # ... but with an offset it is one moment, and it is accepted.
    at = parse_at("2030-11-03T01:30-05:00", zone=NEW_YORK, now=NOW)
    assert format_local(at, NEW_YORK) == "2030-11-03 01:30 EST"
    assert format_local(at - dt.timedelta(hours=1), NEW_YORK) == "2030-11-03 01:30 EDT"


@pytest.mark.parametrize("text", ["tomorrow", "2030-03-12", "12:30", "2030-13-01 10:00"])
def test_unusable_at_is_refused_with_a_hint(text: str) -> None:
    with pytest.raises(EmbargoError) as info:
        parse_at(text, zone=HK, now=NOW)
    assert "ISO 8601" in str(info.value)


def test_past_time_is_refused() -> None:
    with pytest.raises(EmbargoError, match="in the past"):
        check_send_time(NOW - dt.timedelta(seconds=1), now=NOW, embargo=None, under_embargo=False, show=_show)
    with pytest.raises(EmbargoError, match="in the past"):
        check_send_time(NOW, now=NOW, embargo=None, under_embargo=False, show=_show)
    check_send_time(NOW + dt.timedelta(seconds=1), now=NOW, embargo=None, under_embargo=False, show=_show)


def test_time_before_the_embargo_is_refused() -> None:
    embargo = NOW + dt.timedelta(days=2)
    with pytest.raises(EmbargoError, match="before the embargo lifts") as info:
        check_send_time(
            embargo - dt.timedelta(minutes=1), now=NOW, embargo=embargo, under_embargo=False, show=_show
        )
    assert "--under-embargo" in str(info.value)
    check_send_time(embargo, now=NOW, embargo=embargo, under_embargo=False, show=_show)
    check_send_time(embargo + dt.timedelta(hours=1), now=NOW, embargo=embargo, under_embargo=False, show=_show)


def test_advance_copy_must_go_before_the_lift() -> None:
    embargo = NOW + dt.timedelta(days=2)
    check_send_time(NOW + dt.timedelta(hours=1), now=NOW, embargo=embargo, under_embargo=True, show=_show)
    with pytest.raises(EmbargoError, match="after the embargo lifts"):
        check_send_time(embargo, now=NOW, embargo=embargo, under_embargo=True, show=_show)
    with pytest.raises(EmbargoError, match="needs a release with an 'embargo'"):
        check_send_time(NOW + dt.timedelta(hours=1), now=NOW, embargo=None, under_embargo=True, show=_show)


def test_display_uses_abbreviation_or_offset() -> None:
    at = dt.datetime(2030, 3, 12, 2, 0, tzinfo=dt.UTC)
    assert format_local(at, HK) == "2030-03-12 10:00 HKT"
    assert format_utc(at) == "2030-03-12 02:00 UTC"
    # tzdata has no letters for Dubai ("+04"): show a clear offset instead.
    assert format_local(at, ZoneInfo("Asia/Dubai")) == "2030-03-12 06:00 UTC+04:00"
    assert format_local(at, ZoneInfo("Asia/Kolkata")) == "2030-03-12 07:30 IST"
    assert format_local(at + dt.timedelta(seconds=5), HK) == "2030-03-12 10:00:05 HKT"


def test_display_across_london_dst_change() -> None:
    before = dt.datetime(2030, 3, 31, 0, 30, tzinfo=dt.UTC)
    after = before + dt.timedelta(hours=1)
    assert format_local(before, LONDON) == "2030-03-31 00:30 GMT"
    assert format_local(after, LONDON) == "2030-03-31 02:30 BST"


ZONES = ["Europe/London", "America/New_York", "Asia/Hong_Kong", "Australia/Sydney", "Asia/Kolkata"]


@settings(max_examples=300, deadline=None)
@given(
    minutes=st.integers(min_value=0, max_value=10 * 366 * 24 * 60),
    zone_name=st.sampled_from(ZONES),
)
def test_local_wall_times_read_back_to_the_same_instant(minutes: int, zone_name: str) -> None:
    """Any real instant, written as a wall-clock time in a zone, reads back as that instant, or is refused
    as ambiguous (the hour clocks go back); it is never taken for another moment, never called a gap."""
    zone = ZoneInfo(zone_name)
    instant = dt.datetime(2026, 1, 1, tzinfo=dt.UTC) + dt.timedelta(minutes=minutes)
    local = instant.astimezone(zone)
    text = local.strftime("%Y-%m-%d %H:%M")
    try:
        assert parse_at(text, zone=zone, now=NOW) == instant
    except EmbargoError as exc:
        assert "twice" in str(exc)
        other = local.replace(fold=1 - local.fold)
        assert other.utcoffset() != local.utcoffset()


def test_one_offset_format_everywhere() -> None:
    """UTC offsets read UTC+08:00 in summaries, schedule lines and the rendered release alike (render wrote UTC+4)."""
    from zoneinfo import ZoneInfo

    from pressctl.render.words import _format_moment
    from pressctl.times import format_offset

    dubai = dt.datetime(2030, 3, 12, 10, 0, tzinfo=ZoneInfo("Asia/Dubai"))
    kolkata = dt.datetime(2030, 3, 12, 10, 0, tzinfo=ZoneInfo("Asia/Kolkata"))
    assert format_offset(dubai) == "UTC+04:00"
    assert format_offset(dt.datetime(2030, 1, 1, tzinfo=ZoneInfo("America/St_Johns"))) == "UTC-03:30"
    assert _format_moment(dubai, "Asia/Dubai", "en") == "10:00 UTC+04:00, 12 March 2030"
    assert format_local(dubai, ZoneInfo("Asia/Dubai")) == "2030-03-12 10:00 UTC+04:00"
    assert _format_moment(kolkata, "Asia/Kolkata", "zh-HK").endswith("（UTC+05:30）")
