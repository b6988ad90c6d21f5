"""One rate grammar: ``--rate``, ``[smtp] rate`` and a relay's ``rate`` are read by the same parser, so a value
one accepts the others accept, and one refuses the others refuse (issue 19: the config and the pacer had two)."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from pressctl.config import load_workspace
from pressctl.errors import ConfigError, InputError
from pressctl.rates import Rate, parse_rate


def _config_accepts(tmp_path: Path, value: str) -> bool:
    (tmp_path / "pressctl.toml").write_text(f"[smtp]\nrate = {value!r}\n".replace("'", '"'), encoding="utf-8")
    try:
        load_workspace(tmp_path)
    except ConfigError as exc:
        assert "is not a rate" in exc.what
        return False
    return True


def _option_accepts(value: str) -> bool:
    try:
        parse_rate(value)
    except InputError:
        return False
    return True


@pytest.mark.parametrize(
    "value", ["10/s", "10 / min", "30/min", "100/h", "1/hour", "5/sec", "7/m", "0", "12", "2/d", "3/day", "fast", "-1/s", "1.5/s", ""]
)
def test_the_config_and_the_option_accept_the_same_rates(tmp_path: Path, value: str) -> None:
    assert _config_accepts(tmp_path, value) == _option_accepts(value)


def test_a_day_is_no_unit_of_a_rate_anywhere(tmp_path: Path) -> None:
    """The pacer's table once held ``d`` while its pattern refused it: a daily limit is ``daily_cap``."""
    assert not _option_accepts("100/d") and not _config_accepts(tmp_path, "100/d")


@given(st.integers(min_value=1, max_value=10**6), st.sampled_from(["s", "sec", "min", "m", "h", "hour"]))
def test_every_written_rate_reads_back(count: int, unit: str) -> None:
    rate = parse_rate(f"{count}/{unit}")
    assert isinstance(rate, Rate) and rate.count == count
    assert parse_rate(str(rate)) == rate
