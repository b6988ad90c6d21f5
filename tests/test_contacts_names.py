"""Issue 18 point 8: names read as a person reads them, for the greeting (pressctl.contacts.names)."""

from __future__ import annotations

import pytest

from pressctl.contacts.clean import column_key
from pressctl.contacts.names import fill_name_fields, name_view, read_name


@pytest.mark.parametrize(
    ("fields", "given", "family", "chinese"),
    [
        ({"name": "Ho, Siu-ling"}, "Siu-ling", "Ho", ""),
        ({"name": "Ho, Siu-ling", "chinese_name": "何小玲"}, "Siu-ling", "Ho", "何小玲"),
        ({"name": "Priya Raman"}, "Priya", "Raman", ""),
        ({"name": "Dr. Priya Raman"}, "Priya", "Raman", ""),
        ({"name": "Ho Siu-ling"}, "Siu-ling", "Ho", ""),  # Hong Kong order: family name first
        ({"name": "CHAN Tai-man"}, "Tai-man", "Chan", ""),
        ({"name": "Amy Chan Wai-ling"}, "Amy", "Chan", ""),  # an English name before the Chinese one
        ({"first_name": "嘉明", "last_name": "黃"}, "嘉明", "黃", "黃嘉明"),
        ({"name": "黃嘉明", "english_name": "Ka-ming Wong"}, "Ka-ming", "Wong", "黃嘉明"),
        ({"name": "黃嘉明", "english_name": "Kelvin"}, "Kelvin", "", "黃嘉明"),
        ({"first_name": "Amy", "name": "Chan, Amy"}, "Amy", "Chan", ""),
    ],
)
def test_names_are_read_as_written(fields: dict[str, str], given: str, family: str, chinese: str) -> None:
    reading = read_name(fields)
    assert (reading.given, reading.family, reading.chinese) == (given, family, chinese)
    assert not reading.why_no_given


@pytest.mark.parametrize(
    ("fields", "why"),
    [
        ({"name": "Chan Tai Man"}, "no clear given name in 'Chan Tai Man'"),
        ({"name": "Madonna"}, "one word only"),
        ({"name": "黃嘉明"}, "only a Chinese name (黃嘉明)"),
        ({}, "no name in the row"),
    ],
)
def test_no_given_name_is_guessed(fields: dict[str, str], why: str) -> None:
    reading = read_name(fields)
    assert reading.given == "" and why in reading.why_no_given


def test_filling_never_overwrites_and_puts_last_first_in_reading_order() -> None:
    fields = {"name": "Ho, Siu-ling", "last_name": "HO"}
    fill_name_fields(fields)
    assert fields == {"name": "Siu-ling Ho", "first_name": "Siu-ling", "last_name": "HO"}
    assert name_view({"name": "Siu-ling Ho", "chinese_name": "何小玲"}, "chinese_name")["name"] == "何小玲"
    assert name_view({"name": "Siu-ling Ho"}, "chinese_name")["name"] == "Siu-ling Ho"


def test_chinese_and_english_name_columns_are_recognised() -> None:
    assert {column_key(h) for h in ("中文姓名", "Chinese Name", "Name (Chinese)")} == {"chinese_name"}
    assert {column_key(h) for h in ("英文姓名", "English Name")} == {"english_name"}
    assert column_key("姓名") == "name"
