"""The pacer and the rate/duration options, with a fake clock."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from pressctl.errors import InputError
from pressctl.rates import parse_rate
from pressctl.send.options import SendOptions
from pressctl.send.pacing import Pacer, Rate, format_duration
from pressctl.times import parse_duration


def test_parse_rate() -> None:
    assert parse_rate("10/s") == Rate(10, 1.0)
    assert parse_rate("600/min") == Rate(600, 60.0)
    assert parse_rate("100/h") == Rate(100, 3600.0)
    assert parse_rate("5") == Rate(5, 1.0)
    assert parse_rate("0") is None
    assert str(Rate(100, 3600.0)) == "100/h"
    with pytest.raises(InputError, match="N/s"):
        parse_rate("fast")


def test_parse_duration() -> None:
    assert parse_duration("90", option="--x").total_seconds() == 90
    assert parse_duration("1.5s", option="--x").total_seconds() == 1.5
    assert parse_duration("10min", option="--x").total_seconds() == 600
    assert parse_duration("2h", option="--x").total_seconds() == 7200
    assert parse_duration("1hour", option="--x").total_seconds() == 3600
    with pytest.raises(InputError, match="--retry-for"):
        parse_duration("soon", option="--retry-for")
    assert format_duration(30) == "30 s"
    assert format_duration(3600 * 3 + 300) == "3 h 5 min"


def _run(pacer: Pacer, n: int, wakeup_lateness: list[float]) -> list[float]:
    """Simulate workers that sleep until the pacer allows, waking late by the given amounts."""
    now, times = 0.0, []
    for i in range(n):
        now += pacer.delay(now) + wakeup_lateness[i % len(wakeup_lateness)]
        while pacer.delay(now) > 0:  # woke early? wait again
            now += pacer.delay(now)
        pacer.take(now)
        times.append(now)
    return times


@given(
    count=st.integers(1, 50),
    per=st.sampled_from([1.0, 60.0, 3600.0]),
    late=st.lists(st.floats(0, 2), min_size=1, max_size=5),
)
def test_never_more_than_the_rate_in_any_window(count: int, per: float, late: list[float]) -> None:
    rate = Rate(count, per)
    times = _run(Pacer(rate), 120, late)
    # Any half-open window of length `per` holds at most `count` hand-overs.
    for i, start in enumerate(times):
        inside = [t for t in times[i:] if t < start + per - 1e-9]
        assert len(inside) <= count


def test_batches_pause_between() -> None:
    pacer = Pacer(None, batch_size=3, batch_pause=10.0)
    times = _run(pacer, 7, [0.0])
    assert times == [0.0, 0.0, 0.0, 10.0, 10.0, 10.0, 20.0]


def test_unlimited_never_waits() -> None:
    pacer = Pacer(None)
    assert _run(pacer, 5, [0.0]) == [0.0] * 5


def test_estimate() -> None:
    assert Pacer(Rate(1, 1.0)).estimate(10, per_message=0.01) == pytest.approx(9.01)
    assert Pacer(None, batch_size=5, batch_pause=60).estimate(10, per_message=0.0) == 60


@pytest.mark.parametrize(("text", "seconds"), [("1h30m", 5400), ("90m", 5400), ("1d", 86400), ("30s", 30), ("45", 45)])
def test_send_durations_use_the_one_parser(text: str, seconds: float) -> None:
    """--retry-for and --batch-pause read durations as --max-late does: 1h30m was refused before."""
    options = SendOptions(retry_for=text, batch_pause=text).delivery_options()
    assert (options.retry_for, options.batch_pause) == (seconds, seconds)
