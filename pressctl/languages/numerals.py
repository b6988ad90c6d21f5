"""Numbers as each language writes them: Chinese numerals (二千四百, 二點五, 百分之三十) and English number
words (twenty, six), read to their values, for comparing the figures of two language versions. Pure."""

from __future__ import annotations

import re
from collections.abc import Iterator
from decimal import Decimal, InvalidOperation

__all__ = ["IDIOMS", "chinese_numbers", "english_number_words"]

_DIGITS = {"零": 0, "〇": 0, "一": 1, "二": 2, "兩": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7,
           "八": 8, "九": 9}
_UNITS = {"十": 10, "百": 100, "千": 1000}
_BIG = {"萬": 10_000, "万": 10_000, "億": 100_000_000, "亿": 100_000_000}
_POINT = "點点"
_RUN = re.compile(r"(百分之)?([零〇一二兩两三四五六七八九十百千萬万億亿]+(?:[點点][零〇一二三四五六七八九]+)?)")

# Words after a number written in digits that scale it: "2.5 million" = 2500000 = 250萬 = 二百五十萬.
SCALES = {
    "thousand": 1_000, "million": 1_000_000, "billion": 1_000_000_000, "bn": 1_000_000_000, "mn": 1_000_000,
    "千萬": 10_000_000, "千万": 10_000_000, "百萬": 1_000_000, "百万": 1_000_000, "萬": 10_000, "万": 10_000,
    "億": 100_000_000, "亿": 100_000_000,
}

# Words that hold numeral characters but mean no number ("十分" very, "千萬" by all means, "萬一" in case).
IDIOMS = ("十分", "千萬", "千万", "萬一", "万一", "一一", "一些", "一直", "一起", "一般", "一定", "一同", "統一",
          "统一", "之一", "第一", "一流", "唯一", "一致", "一帶一路", "一带一路", "一站式", "萬象", "万象",
          "三思", "十足", "百貨", "百货", "千禧", "一向", "一手", "一切", "一方面", "一年一度")


def _small(text: str) -> int | None:
    """Up to 9999 (十, 二十四, 三百零五, 兩千四百)."""
    total, digit = 0, None
    for ch in text:
        if ch in _DIGITS:
            digit = _DIGITS[ch]
        elif ch in _UNITS:
            total += (1 if digit is None else digit) * _UNITS[ch]
            digit = None
        else:
            return None
    return total + (digit or 0)


def _value(text: str) -> Decimal | None:
    whole, frac = text, ""
    for point in _POINT:
        if point in text:
            whole, _, frac = text.partition(point)
    total, rest = 0, whole
    for ch, size in sorted(_BIG.items(), key=lambda kv: -kv[1]):
        if ch in rest:
            head, _, rest = rest.partition(ch)
            part = _small(head) if head else 1
            if part is None:
                return None
            total += part * size
    if rest:
        part = _small(rest)
        if part is None:
            return None
        total += part
    if frac:
        digits = "".join(str(_DIGITS.get(ch, "")) for ch in frac)
        try:
            return Decimal(f"{total}.{digits}")
        except InvalidOperation:
            return None
    return Decimal(total)


def chinese_numbers(text: str) -> Iterator[tuple[Decimal, str, bool]]:
    """Each Chinese numeral in ``text``: (value, as written, whether it is a figure worth comparing: ten or
    more, a decimal or a percentage; a lone 一 or 兩 is more often a word than a count)."""
    for idiom in IDIOMS:
        text = text.replace(idiom, "　" * len(idiom))
    for match in _RUN.finditer(text):
        written = match.group(2)
        value = _value(written)
        if value is None:
            continue
        figure = value >= 10 or value != value.to_integral_value() or bool(match.group(1))
        yield value, match.group(0), figure


_ONES = {"zero": 0, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8,
         "nine": 9, "ten": 10, "eleven": 11, "twelve": 12, "thirteen": 13, "fourteen": 14, "fifteen": 15,
         "sixteen": 16, "seventeen": 17, "eighteen": 18, "nineteen": 19, "twenty": 20, "thirty": 30,
         "forty": 40, "fifty": 50, "sixty": 60, "seventy": 70, "eighty": 80, "ninety": 90, "dozen": 12}
_SCALE = {"hundred": 100, "thousand": 1000, "million": 1_000_000, "billion": 1_000_000_000}
_WORDS = re.compile(
    r"\b(?:(?:" + "|".join(sorted({*_ONES, *_SCALE}, key=len, reverse=True)) + r")(?:[\s-]+(?:and[\s-]+)?)?)+",
    re.IGNORECASE,
)


def english_number_words(text: str) -> Iterator[tuple[Decimal, str]]:
    """Each number written in words ("twenty", "two hundred and forty", "six"), with its value."""
    for match in _WORDS.finditer(text):
        words = [w for w in re.split(r"[\s-]+", match.group(0).lower()) if w and w != "and"]
        total, current = 0, 0
        for word in words:
            if word in _ONES:
                current += _ONES[word]
            elif word == "hundred":
                current = (current or 1) * 100
            else:
                total += (current or 1) * _SCALE[word]
                current = 0
        yield Decimal(total + current), match.group(0).strip()
