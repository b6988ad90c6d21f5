"""Which OpenCC conversion turns one Chinese version into another (Hong Kong Traditional -> Simplified is
``hk2s``: characters and Hong Kong variants; phrases are left to a person). Data."""

from __future__ import annotations

from collections.abc import Mapping

__all__ = ["CONVERSIONS", "conversion_for"]

# (from tag, to tag) -> the OpenCC configuration, lower-cased tags.
CONVERSIONS: Mapping[tuple[str, str], str] = {
    ("zh-hk", "zh-cn"): "hk2s",
    ("zh-hant-hk", "zh-cn"): "hk2s",
    ("zh-mo", "zh-cn"): "hk2s",
    ("zh-tw", "zh-cn"): "tw2sp",
    ("zh-hant-tw", "zh-cn"): "tw2sp",
    ("zh-hant", "zh-cn"): "t2s",
    ("zh-cn", "zh-hk"): "s2hk",
    ("zh-cn", "zh-tw"): "s2twp",
    ("zh-cn", "zh-hant"): "s2t",
}


def conversion_for(source: str, target: str) -> str | None:
    """The OpenCC configuration from ``source`` to ``target``, or None when there is none."""
    return CONVERSIONS.get((source.lower(), target.lower()))
