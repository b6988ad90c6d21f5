"""The slow-down controller and the rolling 24-hour cap (pressctl/relays/adaptive.py)."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pressctl.relays.adaptive import (
    DAY,
    AdaptiveConfig,
    AdaptiveController,
    cap_allows,
    max_in_any_window,
    plan_cap,
)

HKT = ZoneInfo("Asia/Hong_Kong")
T0 = dt.datetime(2030, 3, 12, 2, 0, tzinfo=dt.UTC)


# -- controller ------------------------------------------------------------------------------------------
def test_halves_on_throttling_and_recovers_slowly() -> None:
    ctl = AdaptiveController(AdaptiveConfig(max_connections=4, max_rate=10.0, recover_after=60), now=0)
    assert ctl.allowed(0).connections == 4 and ctl.allowed(0).rate == 10.0
    assert ctl.slow_down(1.0)
    assert (ctl.allowed(1).connections, ctl.allowed(1).rate) == (2, 5.0)
    # Other connections' replies to the same episode change nothing.
    assert not ctl.slow_down(2.0)
    assert ctl.allowed(2).connections == 2
    # A clean minute after the last throttle: one step up, not all the way.
    for t in range(3, 62):
        ctl.ok(float(t))
    assert ctl.allowed(61).connections == 2
    ctl.ok(62.0)
    assert ctl.allowed(62).connections == 3 and ctl.allowed(62).rate == pytest.approx(6.25)
    for t in range(62, 400):
        ctl.ok(float(t))
    assert ctl.allowed(400).connections == 4 and ctl.allowed(400).rate == 10.0  # never above the configured
    assert ctl.cuts == 1


def test_connections_only_or_rate_only() -> None:
    ctl = AdaptiveController(AdaptiveConfig(max_connections=4, max_rate=8.0), now=0)
    ctl.slow_down(0, "connections")  # 432 4.3.2 / 421 too many connections
    assert (ctl.allowed(0).connections, ctl.allowed(0).rate) == (2, 8.0)
    assert ctl.allowed(0).wait_until is None  # the connections still open carry on: no pause
    ctl.slow_down(10, "rate")  # 450 too much mail
    assert (ctl.allowed(10).connections, ctl.allowed(10).rate) == (2, 4.0)


def test_no_configured_rate_measures_one() -> None:
    ctl = AdaptiveController(AdaptiveConfig(max_connections=4, window=10), now=0)
    for i in range(20):  # 20 messages in the first 10 seconds: 2/s
        ctl.ok((i + 1) * 0.5)
    ctl.slow_down(10.0, "rate")
    assert ctl.allowed(10).rate == pytest.approx(1.0)
    assert ctl.allowed(10).interval == pytest.approx(1.0)
    # Recovery climbs back to the pace the relay refused (2/s), no further.
    for t in range(11, 2000):
        ctl.ok(float(t))
    assert ctl.allowed(2000).rate == pytest.approx(2.0)


def test_throttled_before_anything_went_through() -> None:
    ctl = AdaptiveController(AdaptiveConfig(max_connections=2, fallback_rate=1.0), now=0)
    ctl.slow_down(0.1)
    assert (ctl.allowed(0.1).connections, ctl.allowed(0.1).rate) == (1, 1.0)


def test_stop() -> None:
    ctl = AdaptiveController(AdaptiveConfig(max_connections=3), now=0)
    ctl.stop(5.0, until=65.0)
    held = ctl.allowed(10)
    assert held.stopped and held.connections == 0 and held.resume_at == 65.0
    assert ctl.allowed(65).connections == 3
    ctl.stop(70.0)
    assert ctl.allowed(10_000).stopped and ctl.allowed(10_000).resume_at is None


def test_bad_config() -> None:
    with pytest.raises(ValueError):
        AdaptiveConfig(max_connections=0)
    with pytest.raises(ValueError):
        AdaptiveConfig(max_connections=1, max_rate=0.001)


events = st.lists(
    st.tuples(st.floats(0, 30, allow_nan=False), st.sampled_from(["ok", "ok", "ok", "conn", "rate", "both"])),
    max_size=200,
)


@given(st.integers(1, 16), st.one_of(st.none(), st.floats(0.02, 100)), events)
@settings(deadline=None)
def test_never_above_the_configured_nor_below_the_floor(
    max_connections: int, max_rate: float | None, script: list[tuple[float, str]]
) -> None:
    cfg = AdaptiveConfig(max_connections=max_connections, max_rate=max_rate, floor_rate=0.01, recover_after=5)
    ctl = AdaptiveController(cfg, now=0)
    now = 0.0
    for step, what in script:
        now += step
        before = ctl.allowed(now)
        if what == "ok":
            ctl.ok(now)
        else:
            cut = ctl.slow_down(now, {"conn": "connections", "rate": "rate", "both": "both"}[what])  # type: ignore[arg-type]
            after = ctl.allowed(now)
            if cut:  # a throttle never raises a limit
                assert after.connections <= before.connections
                if before.rate is not None and after.rate is not None:
                    assert after.rate <= before.rate
        allowed = ctl.allowed(now)
        assert 1 <= allowed.connections <= max_connections
        if allowed.rate is not None:
            assert allowed.rate >= cfg.floor_rate
            if max_rate is not None:
                assert allowed.rate <= max_rate + 1e-9
        elif max_rate is not None:
            raise AssertionError("a configured rate was lifted")


# -- rolling cap -----------------------------------------------------------------------------------------
def test_cap_summary_line() -> None:
    earlier = [T0 - dt.timedelta(hours=20) + dt.timedelta(seconds=i) for i in range(8_900)]
    plan = plan_cap(earlier, 10_000, T0, 3_000)
    assert (plan.used, plan.now, plan.pending) == (8_900, 1_100, 1_900)
    # The oldest hand-over (20 h ago) frees the first slot 4 h from now: 06:00 UTC = 14:00 HKT.
    assert plan.resume_at == T0 + dt.timedelta(hours=4)
    assert plan.describe(HKT) == (
        "8,900 of 10,000 used in the last 24 h: 1,100 now, 1,900 left pending; re-run after 2030-03-12 14:00 HKT"
    )


def test_resume_time_rounds_up_to_the_minute() -> None:
    earlier = [T0 - DAY + dt.timedelta(minutes=5, seconds=1)]
    plan = plan_cap(earlier, 1, T0, 2)
    assert plan.now == 0 and plan.resume_at == T0 + dt.timedelta(minutes=5, seconds=1)
    assert plan.describe(HKT).endswith("re-run after 2030-03-12 10:06 HKT")


def test_everything_fits() -> None:
    plan = plan_cap([T0 - DAY, T0 - dt.timedelta(days=3)], 10, T0, 10)  # exactly 24 h ago no longer counts
    assert (plan.used, plan.now, plan.pending, plan.resume_at) == (0, 10, 0, None)
    assert plan.describe(HKT) == "0 of 10 used in the last 24 h: 10 now"


def test_when_the_slots_are_all_taken_by_this_run() -> None:
    plan = plan_cap([], 100, T0, 150)
    assert (plan.now, plan.pending, plan.resume_at) == (100, 50, T0 + DAY)


def test_cap_allows_at_a_future_lift() -> None:
    earlier = [T0 + dt.timedelta(minutes=i) for i in range(50)]
    assert cap_allows(earlier, 60, T0 + dt.timedelta(hours=1)) == 10
    assert cap_allows(earlier, 60, T0 + DAY + dt.timedelta(minutes=30)) == 60 - 19
    with pytest.raises(ValueError):
        plan_cap([], 0, T0, 1)


@given(
    cap=st.integers(1, 30),
    runs=st.lists(st.tuples(st.integers(0, 48 * 60), st.integers(0, 40)), max_size=25),
)
@settings(deadline=None)
def test_never_more_than_the_cap_in_any_24_hours(cap: int, runs: list[tuple[int, int]]) -> None:
    """Runs at arbitrary minutes each send what plan_cap allows: no 24 h window ever holds more than cap."""
    sent: list[dt.datetime] = []
    for minute, wanted in sorted(runs):
        at = T0 + dt.timedelta(minutes=minute)
        plan = plan_cap(sent, cap, at, wanted)
        assert plan.now + plan.pending == wanted
        sent.extend([at] * plan.now)
        if plan.pending:
            assert plan.resume_at is not None and plan.resume_at > at
            # At resume_at, at least one more fits; just before it, none does.
            assert cap_allows(sent, cap, plan.resume_at) >= 1
            assert cap_allows(sent, cap, plan.resume_at - dt.timedelta(microseconds=1)) == 0
    assert max_in_any_window(sent) <= cap


def test_a_cut_pauses_sending() -> None:
    ctl = AdaptiveController(AdaptiveConfig(max_connections=2, pause=5.0), now=0)
    assert ctl.allowed(0).wait_until is None
    ctl.slow_down(1.0)
    assert ctl.allowed(1.0).wait_until == 6.0
    assert ctl.allowed(6.0).wait_until is None


def test_measured_since_the_last_cut() -> None:
    ctl = AdaptiveController(AdaptiveConfig(max_connections=2, pause=0, settle=0), now=0)
    for i in range(20):  # a burst of 20 in 0.2 s
        ctl.ok(0.01 * (i + 1))
    ctl.slow_down(0.2, "rate")
    assert ctl.allowed(0.2).rate == pytest.approx(50.0)  # the burst's pace, halved: still too fast
    ctl2 = AdaptiveController(AdaptiveConfig(max_connections=2, pause=0, settle=0), now=0)
    ctl2.slow_down(0.0, "connections")
    for i in range(20):  # then 20 more over the next 10 s: 2/s
        ctl2.ok(0.5 * (i + 1))
    ctl2.slow_down(10.0, "rate")
    assert ctl2.allowed(10.0).rate == pytest.approx(1.0)


def test_no_second_cut_before_the_lower_pace_was_tried() -> None:
    ctl = AdaptiveController(AdaptiveConfig(max_connections=4, max_rate=8.0), now=0)
    assert ctl.slow_down(1.0, "rate")
    assert ctl.allowed(1.0).rate == 4.0
    # The pause ended, the first message is refused again (the relay's time unit has not passed): pause again.
    assert not ctl.slow_down(6.5, "rate")
    assert ctl.allowed(6.5).rate == 4.0 and ctl.allowed(6.5).wait_until == 11.5
    ctl.ok(12.0)
    assert ctl.slow_down(18.0, "rate")  # refused after something went through at 4/s: cut
    assert ctl.allowed(18.0).rate == 2.0


def test_aspects_settle_separately() -> None:
    ctl = AdaptiveController(AdaptiveConfig(max_connections=4, max_rate=8.0), now=0)
    assert ctl.slow_down(0.0, "connections")
    ctl.ok(0.05)
    assert ctl.slow_down(0.1, "rate")  # another kind of throttle: not the same episode
    assert (ctl.allowed(0.1).connections, ctl.allowed(0.1).rate) == (2, 4.0)
    assert not ctl.slow_down(0.2, "both")
