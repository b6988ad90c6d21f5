"""Option bounds the QA pass left: a silly --concurrency and port 0 are input errors."""

from __future__ import annotations

import pytest

from pressctl.config.smtp import parse_smtp_url
from pressctl.errors import InputError
from pressctl.send.options import SendOptions


@pytest.mark.parametrize("value", [0, 101, 100_000])
def test_concurrency_out_of_range_is_refused(value: int) -> None:
    with pytest.raises(InputError, match="between 1 and 100"):
        SendOptions(concurrency=value).delivery_options()


def test_port_zero_is_refused() -> None:
    with pytest.raises(InputError, match="port 0"):
        parse_smtp_url("smtp://mail.hvsp.example:0")
