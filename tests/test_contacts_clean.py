"""Cleaning, de-duplication, suppression, segments, language routing and merge-field checks."""

from __future__ import annotations

import codecs
from pathlib import Path
from typing import cast

import pytest
from contacts_support import workspace, write_csv

from pressctl.addresses import AddressError
from pressctl.contacts.clean import clean_address, display_name, is_formula_like
from pressctl.contacts.load import load_contacts
from pressctl.contacts.mergecheck import check_merge_fields
from pressctl.contacts.outcome import ContactSet
from pressctl.contacts.segments import language_tag, parse_where
from pressctl.contacts.suppressfile import append_suppression, is_suppressed, read_suppression
from pressctl.controls import clean_cell
from pressctl.errors import ContactsError
from pressctl.languages.routing import route_language
from pressctl.model import Rendered
from pressctl.release.load import Release
from pressctl.release.merge import MergePlan

DATE = "2026-03-14T10:00:00+08:00"  # as the suppression service writes it: local time with its offset

# ---- addresses ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("  amy.chan@harbourdaily.example  ", "amy.chan@harbourdaily.example"),
        ("Amy.Chan@HarbourDaily.EXAMPLE", "Amy.Chan@harbourdaily.example"),  # local part keeps its case
        ("mailto:amy@x.example", "amy@x.example"),
        ("amy＠x．example", "amy@x.example"),  # typed with a Chinese input method
        ("amy@bücher.example", "amy@xn--bcher-kva.example"),  # IDN domain to A-labels
        ("amy@海景.example", "amy@xn--ukv89m.example"),
        ("grace.o'neill@labnotes.test", "grace.o'neill@labnotes.test"),  # .test accepted on purpose
        ("黃嘉明@mingpoint.example", "黃嘉明@mingpoint.example"),  # UTF-8 local part (SMTPUTF8)
        ("\ufeffamy@x.example\u3000", "amy@x.example"),
    ],
)
def test_clean_address_accepts(raw: str, expected: str) -> None:
    assert clean_address(raw) == expected


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        ("", "no email address"),
        ("amy", "not an email address (no @)"),
        ("amy@@x.example", "an address needs exactly one @"),
        ("a@x.test>,b@y.test", "the address contains an angle bracket"),
        ("a@x.test,b@y.test", "the address contains a comma (one cell must hold one address)"),
        ("a@x.test;b@y.test", "the address contains a semicolon (one cell must hold one address)"),
        ("amy@x.example\r\nBcc: x@evil.test", "the address contains a line break (U+000D)"),
        ("amy@x.example\nBcc: x@evil.test", "the address contains a line break (U+000A)"),
        ("amy@x.example\x00", "the address contains a control character (U+0000)"),
        ("amy@x.example\u2028x@evil.test", "the address contains a line break (U+2028)"),
        ("amy@x.example\x85x@evil.test", "the address contains a line break (U+0085)"),
        ("amy@x.example NOTIFY=NEVER", "the address contains a space"),
        ('"amy chan"@x.example', "the address contains a double quote"),
        ("amy(comment)@x.example", "the address contains a parenthesis"),
        ("amy@[127.0.0.1]", "the address contains a square bracket"),
        ("Amy Chan <amy@x.example>", 'looks like "Name <address>": put only the address in the email column'),
        ("amy\u202e@x.example", "the address contains a control character (U+202E)"),
    ],
)
def test_clean_address_rejects(raw: str, reason: str) -> None:
    with pytest.raises(AddressError) as caught:
        clean_address(raw)
    assert str(caught.value) == reason


@pytest.mark.parametrize(
    "raw", ["amy@printer.local", "amy@test", "amy@x.invalid", "amy@localhost", "amy.@x.example"]
)
def test_clean_address_rejects_special_use_and_bad_syntax(raw: str) -> None:
    with pytest.raises(AddressError):
        clean_address(raw)


# ---- text and names -----------------------------------------------------------------------------


def test_clean_text_removes_every_line_and_direction_control() -> None:
    assert clean_cell("Amy\r\nBcc: x@evil.test") == "Amy Bcc: x@evil.test"
    assert clean_cell("Amy\u2028Chan\u0085Jr\x00.") == "Amy Chan Jr."
    assert clean_cell("\u202eevil\u202c \u2066name\u2069\t") == "evil name"
    assert clean_cell("Zoë\u200d") == "Zoë\u200d"  # joiners stay


@pytest.mark.parametrize(
    ("fields", "name"),
    [
        ({"name": "Amy Chan"}, "Amy Chan"),
        ({"first_name": "Amy", "last_name": "Chan"}, "Amy Chan"),
        ({"first_name": "嘉明", "last_name": "黃"}, "黃嘉明"),  # family name first, no space
        ({"first_name": "Mandy", "last_name": "張"}, "Mandy 張"),  # mixed: western order
        ({"first_name": "Amy"}, "Amy"),
        ({"last_name": "黃"}, "黃"),
        ({}, ""),
        ({"name": "Amy\r\nBcc: evil"}, "Amy Bcc: evil"),
        ({"name": 'Lau, David "DL" <boss>'}, "Lau, David DL boss"),
        ({"name": "amy@x.example", "first_name": "Amy"}, "Amy"),  # an address is no name
        ({"name": "Amy\u202eChan"}, "AmyChan"),
    ],
)
def test_display_name(fields: dict[str, str], name: str) -> None:
    assert display_name(fields) == name


@pytest.mark.parametrize(
    ("value", "flagged"),
    [
        ('=HYPERLINK("http://evil.test","Click")', True),
        ("=1+1", True),
        ("+SUM(A1:A2)", True),
        ("-2+3+cmd|' /C calc'!A0", True),
        ("@SUM(A1)", True),
        ("+852 2123 4567", False),
        ("@amychan", False),
        ("-", False),
        ("=", False),
        ("Harbour Daily", False),
    ],
)
def test_formula_like(value: str, flagged: bool) -> None:
    assert is_formula_like(value) is flagged


# ---- whole lists --------------------------------------------------------------------------------

HEADER = ["Email", "Name", "Outlet", "Beat", "Language"]


def _load(tmp_path: Path, rows: list[list[str]], **options: object) -> ContactSet:
    path = write_csv(tmp_path / "list.csv", rows, header=HEADER)
    return load_contacts([path], **options)  # type: ignore[arg-type]


def test_injection_attempts_are_reported_or_neutralised(tmp_path: Path) -> None:
    result = _load(
        tmp_path,
        [
            ["amy@x.example", "Amy\r\nBcc: x@evil.test", "Daily", "tech", "en"],
            ["a@x.test>,b@y.test", "Two", "", "", ""],
            ["bob@x.example\r\nBcc: x@evil.test", "Bob", "", "", ""],
            ["cat@x.example\x00", "Cat", "", "", ""],
            ["dan@x.example", "Dan\u2028Bcc: x@evil.test\x85", "News\u2029Desk", "", ""],
            ["eve@x.example", "Eve\x00\u202e", "", "", ""],
        ],
    )
    assert [(p.row, p.reason) for p in result.invalid] == [
        (3, "the address contains an angle bracket"),
        (4, "the address contains a line break (U+000D)"),
        (5, "the address contains a control character (U+0000)"),
    ]
    assert [p.value for p in result.invalid] == [
        "a@x.test>,b@y.test",
        "bob@x.example\\r\\nBcc: x@evil.test",
        "cat@x.example\\x00",
    ]
    assert [(c.email, c.name) for c in result.selected] == [
        ("amy@x.example", ""),  # the "name" holds an address: no display name at all
        ("dan@x.example", ""),
        ("eve@x.example", "Eve"),
    ]
    assert result.selected[0].fields["name"] == "Amy Bcc: x@evil.test"  # body text, one line
    assert result.selected[1].fields["outlet"] == "News Desk"
    assert [(w.row, w.reason) for w in result.warnings] == [
        (2, "the name holds an @; not used as the display name"),
        (6, "the name holds an @; not used as the display name"),
    ]


def test_formula_cells_are_kept_as_text_and_warned(tmp_path: Path) -> None:
    result = _load(
        tmp_path,
        [
            ["amy@x.example", "Amy", '=HYPERLINK("http://evil.test","Click")', "tech", "en"],
            ["bob@x.example", "Bob", "+852 2123 4567", "@bob", "en"],
        ],
    )
    assert len(result.selected) == 2
    assert result.selected[0].fields["outlet"] == '=HYPERLINK("http://evil.test","Click")'
    assert [(w.row, w.column, w.reason) for w in result.warnings] == [
        (2, "Outlet", "looks like a spreadsheet formula; kept as plain text")
    ]


def test_duplicates_across_lists_first_wins_and_gaps_are_filled(tmp_path: Path) -> None:
    first = write_csv(
        tmp_path / "tech.csv",
        [
            ["amy.chan@harbourdaily.example", "Amy Chan", "", "tech", "en"],
            ["bob@x.example", "Bob", "", "", ""],
        ],
        header=HEADER,
    )
    second = write_csv(
        tmp_path / "finance.csv",
        [
            ["david@x.example", "David", "Asia Biz", "finance", "en"],
            ["AMY.CHAN@HarbourDaily.Example", "Amy C.", "Harbour Daily", "finance", "zh-HK"],
            ["Bob@X.example", "Robert", "", "", ""],
        ],
        header=HEADER,
    )
    result = load_contacts([first, second])
    assert [(c.email, c.name, c.source) for c in result.selected] == [
        ("amy.chan@harbourdaily.example", "Amy Chan", "tech.csv:2"),
        ("bob@x.example", "Bob", "tech.csv:3"),
        ("david@x.example", "David", "finance.csv:2"),
    ]
    amy = result.selected[0].fields
    assert (amy["outlet"], amy["beat"], amy["language"]) == ("Harbour Daily", "tech", "en")
    assert [(p.file, p.row, p.reason) for p in result.duplicates] == [
        (second, 3, f"same address as {first}:2 (that row is kept)"),
        (second, 4, f"same address as {first}:3 (that row is kept)"),
    ]
    assert (result.rows, result.valid, len(result.duplicates)) == (5, 5, 2)


def test_suppression_workspace_file_option_and_domain(tmp_path: Path) -> None:
    ws = workspace(tmp_path / "ws", suppressed=["Amy@X.Example"])
    extra = tmp_path / "bounced.txt"
    extra.write_text("# hard bounces\n\ncat@x.example\n@metroweekly.test\n", encoding="utf-8")
    rows = [
        ["amy@x.example", "Amy", "", "", ""],
        ["bob@x.example", "Bob", "", "", ""],
        ["cat@x.example", "Cat", "", "", ""],
        ["jordan@metroweekly.test", "Jordan", "", "", ""],
        ["lee@news.metroweekly.test", "Lee", "", "", ""],
        ["max@notmetroweekly.test", "Max", "", "", ""],
    ]
    result = _load(tmp_path, rows, workspace=ws, suppress=[extra])
    assert [c.email for c in result.selected] == ["bob@x.example", "max@notmetroweekly.test"]
    assert [c.email for c in result.suppressed] == [
        "amy@x.example",
        "cat@x.example",
        "jordan@metroweekly.test",
        "lee@news.metroweekly.test",
    ]
    # without the workspace, only the --suppress file applies
    result = _load(tmp_path, rows, suppress=[extra])
    assert "amy@x.example" in [c.email for c in result.selected]


def test_suppression_of_idn_domain_matches_a_labels(tmp_path: Path) -> None:
    extra = write_csv(tmp_path / "s.csv", [["@Bücher.example"], ["amy@海景.example"]], header=["E-mail"])
    assert read_suppression([extra]) == frozenset({"@xn--bcher-kva.example", "amy@xn--ukv89m.example"})
    result = _load(
        tmp_path,
        [["x@bücher.example", "", "", "", ""], ["amy@海景.example", "", "", "", ""]],
        suppress=[extra],
    )
    assert result.selected == [] and len(result.suppressed) == 2


def test_read_suppression_formats(tmp_path: Path) -> None:
    utf16 = tmp_path / "s.txt"
    utf16.write_bytes(codecs.BOM_UTF16_LE + "Reason\tEmail\r\nasked\tA@x.example\r\n".encode("utf-16-le"))
    plain = tmp_path / "plain.txt"
    plain.write_text("b@x.example\nMAILTO:c@x.example\nhvsp.example\nnot an entry\n")
    empty = tmp_path / "empty.csv"
    empty.write_text("")
    assert read_suppression([utf16, plain, empty]) == frozenset(
        {"a@x.example", "b@x.example", "c@x.example", "@hvsp.example"}
    )
    with pytest.raises(ContactsError, match="file not found"):
        read_suppression([tmp_path / "missing.csv"])


def test_is_suppressed() -> None:
    entries = frozenset({"amy@x.example", "@hvsp.example"})
    assert is_suppressed("AMY@x.example", entries)
    assert is_suppressed("press@hvsp.example", entries)
    assert is_suppressed("a@news.hvsp.example", entries)
    assert not is_suppressed("a@xhvsp.example", entries)
    assert not is_suppressed("bob@x.example", entries)


def test_append_suppression_creates_and_appends(tmp_path: Path) -> None:
    path = tmp_path / "contacts" / "suppressed.csv"
    append_suppression(path, "amy@x.example", "550 5.1.1 user unknown", date=DATE)
    append_suppression(path, "bob@x.example", "=cmd|'/C calc'!A0, then more", date=DATE)
    lines = path.read_text(encoding="utf-8").splitlines()
    assert lines[0] == "email,reason,date"
    assert lines[1].startswith("amy@x.example,550 5.1.1 user unknown,20")
    assert lines[2].startswith("bob@x.example,\"'=cmd|'/C calc'!A0, then more\",20")
    assert read_suppression([path]) == frozenset({"amy@x.example", "bob@x.example"})


def test_append_suppression_keeps_an_existing_layout(tmp_path: Path) -> None:
    path = tmp_path / "suppressed.csv"
    path.write_text("Reason,Email Address\nasked,amy@x.example", encoding="utf-8")  # no final newline
    append_suppression(path, "bob@x.example", "bounced", date=DATE)
    assert (
        path.read_text(encoding="utf-8")
        == "Reason,Email Address\nasked,amy@x.example\nbounced,bob@x.example\n"
    )
    headerless = tmp_path / "list.txt"
    headerless.write_text("amy@x.example\n")
    append_suppression(headerless, "bob@x.example", "bounced", date=DATE)
    assert headerless.read_text() == "amy@x.example\nbob@x.example\n"
    assert read_suppression([path, headerless]) == frozenset({"amy@x.example", "bob@x.example"})


def test_append_suppression_to_utf16_file(tmp_path: Path) -> None:
    path = tmp_path / "suppressed.txt"
    path.write_bytes(codecs.BOM_UTF16_LE + "email\treason\r\na@x.example\tasked\r\n".encode("utf-16-le"))
    append_suppression(path, "b@x.example", "bounced", date=DATE)
    assert read_suppression([path]) == frozenset({"a@x.example", "b@x.example"})


# ---- segments -----------------------------------------------------------------------------------

SEGMENT_ROWS = [
    ["amy@x.example", "Amy", "Daily", "technology", "en"],
    ["bob@x.example", "Bob", "Daily", "science", "zh-HK"],
    ["cat@x.example", "Cat", "Wire", "Business", "en"],
    ["dan@x.example", "Dan", "Wire", "", "en"],
]


@pytest.mark.parametrize(
    ("where", "selected"),
    [
        (["beat=technology"], ["amy"]),
        (["Beat = TECHNOLOGY"], ["amy"]),
        (["beat=technology,science"], ["amy", "bob"]),
        (["beat!=technology,science"], ["cat", "dan"]),
        (["beat=business", "outlet=wire"], ["cat"]),
        (["beat=technology,science,business", "language!=zh-hk"], ["amy", "cat"]),
        (["beat="], ["dan"]),
        (["beat!="], ["amy", "bob", "cat"]),
        (["email=cat@x.example"], ["cat"]),
    ],
)
def test_where(tmp_path: Path, where: list[str], selected: list[str]) -> None:
    result = _load(tmp_path, SEGMENT_ROWS, where=where)
    assert [c.email.split("@")[0] for c in result.selected] == selected
    assert result.excluded == 4 - len(selected)


def test_where_unknown_field_names_the_columns(tmp_path: Path) -> None:
    with pytest.raises(ContactsError) as caught:
        _load(tmp_path, SEGMENT_ROWS, where=["desk=news"])
    assert str(caught.value) == (
        "--where 'desk=news': no list has a column 'desk'. The columns are: beat, email, language, name, outlet"
    )


@pytest.mark.parametrize(
    ("expr", "message"),
    [
        ("beat", "has no = or !="),
        ("=tech", "names no field"),
        ("beat=a=b", "more than one ="),
    ],
)
def test_where_syntax_errors(expr: str, message: str) -> None:
    with pytest.raises(ContactsError, match=message):
        parse_where(expr)


def test_parse_where() -> None:
    condition = parse_where(" First Name != Amy, Bob ,")
    assert (condition.field, condition.values, condition.negate) == (
        "first_name",
        frozenset({"amy", "bob"}),
        True,
    )
    assert parse_where("beat==tech").values == frozenset({"tech"})


def test_counts_add_up(tmp_path: Path) -> None:
    ws = workspace(tmp_path / "ws", suppressed=["cat@x.example"])
    rows = [*SEGMENT_ROWS, ["bad", "", "", "", ""], ["AMY@x.example", "", "", "", ""]]
    result = _load(tmp_path, rows, where=["outlet=wire,daily"], workspace=ws)
    assert (result.rows, len(result.invalid), len(result.duplicates), result.excluded) == (6, 1, 1, 0)
    assert (len(result.suppressed), len(result.selected)) == (1, 3)
    assert result.rows == (
        len(result.invalid)
        + len(result.duplicates)
        + result.excluded
        + len(result.suppressed)
        + len(result.selected)
    )


# ---- language routing ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "tag"),
    [
        ("en", "en"),
        ("ZH_hk", "zh-HK"),
        ("zh-hant-tw", "zh-Hant-TW"),
        ("English", "en"),
        ("中文", "zh"),
        ("繁體中文", "zh-Hant"),
        ("廣東話", "zh-HK"),
        ("", ""),
        ("  ", ""),
        ("Klingon!", None),
    ],
)
def test_language_tag(value: str, tag: str | None) -> None:
    assert language_tag(value) == tag


@pytest.mark.parametrize(
    ("tag", "available", "default", "routed"),
    [
        ("zh-HK", ["en", "zh-HK"], "en", "zh-HK"),
        ("zh-hk", ["en", "zh-HK"], "en", "zh-HK"),
        ("zh-TW", ["en", "zh-HK"], "en", "zh-HK"),  # same language, another region
        ("zh", ["en", "zh-HK"], "en", "zh-HK"),
        ("zh-Hant-TW", ["en", "zh-HK", "zh-Hant"], "en", "zh-Hant"),  # shares more subtags
        ("zh-TW", ["en", "zh-HK", "zh-MO"], "en", "zh-HK"),  # equals: the first listed
        ("zh-TW", ["en", "zh-HK", "zh-TW"], "en", "zh-TW"),  # exact beats near
        ("en-GB", ["zh-HK", "en"], "zh-HK", "en"),
        ("fr", ["en", "zh-HK"], "en", "en"),  # not available: the default
        ("fr", ["en", "zh-HK"], "zh-HK", "zh-HK"),
        ("", ["en", "zh-HK"], "en", "en"),
        (None, ["en", "zh-HK"], "en", "en"),
        ("fr", ["zh-HK", "en"], "de", "zh-HK"),  # a default the release lacks: its first language
    ],
)
def test_route_language(tag: str | None, available: list[str], default: str, routed: str) -> None:
    assert route_language(tag, available, default) == routed


def test_language_routing_in_a_list(tmp_path: Path) -> None:
    rows = [
        ["a@x.example", "A", "", "", "en"],
        ["b@x.example", "B", "", "", "zh-HK"],
        ["c@x.example", "Mandy Cheung", "", "", "zh-TW"],
        ["d@x.example", "D", "", "", ""],
        ["e@x.example", "E", "", "", "fr"],
        ["f@x.example", "F", "", "", "??"],
    ]
    result = _load(tmp_path, rows, languages=["en", "zh-HK"], default_language="en")
    assert [c.language for c in result.selected] == ["en", "zh-HK", "zh-HK", "en", "en", "en"]
    assert result.per_language() == {"en": 4, "zh-HK": 2}
    assert [(w.row, w.reason, w.value) for w in result.warnings] == [
        (7, "language not recognised; gets en", "??")
    ]
    # a release only in Chinese: everyone gets it
    result = _load(tmp_path, rows, languages=["zh-HK"], default_language="zh-HK")
    assert {c.language for c in result.selected} == {"zh-HK"}
    # no release languages: the contact's own tag, or the default
    result = _load(tmp_path, rows, default_language="en")
    assert [c.language for c in result.selected] == ["en", "zh-HK", "zh-TW", "en", "fr", "en"]


# ---- merge fields -------------------------------------------------------------------------------


def _renders(**texts: str) -> dict[str, Rendered]:
    """Rendered emails whose text is ``texts[lang]`` (the release itself is not looked at by the check)."""
    return {
        lang.replace("_", "-"): Rendered(release=cast(Release, None), subject="", html="", text=text)
        for lang, text in texts.items()
    }


def test_check_merge_fields_names_field_and_contacts(tmp_path: Path) -> None:
    path = write_csv(
        tmp_path / "list.csv",
        [
            ["amy@x.example", "Amy", "Chan", "Harbour Daily"],
            ["bob@x.example", "", "Lau", ""],
            ["cat@x.example", "Cat", "", ""],
        ],
        header=["Email", "First Name", "Last Name", "Outlet"],
    )
    contacts = load_contacts([path]).selected
    plan = MergePlan()
    text = plan.tokenize('Dear {{ first_name }}, for {{ outlet or "your desk" }}: {{ title }} {{ name }}')
    missing = check_merge_fields(contacts, plan, _renders(en=text))
    assert [(m.field, [c.email for c in m.contacts]) for m in missing] == [
        ("first_name", ["bob@x.example"]),
        ("title", ["amy@x.example", "bob@x.example", "cat@x.example"]),
    ]
    plan = MergePlan()
    text = plan.tokenize('Dear {{ first_name or "editor" }}')
    assert check_merge_fields(contacts, plan, _renders(en=text)) == []


# ---- --check-dns (no network: the DNS step is replaced) -----------------------------------------


def test_check_dns_once_per_domain_and_test_domains_skipped(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import email_validator.deliverability as deliverability
    from email_validator import EmailUndeliverableError

    asked: list[str] = []

    def fake(domain: str, domain_i18n: str, timeout: int | None = None) -> dict[str, str]:
        asked.append(domain)
        if domain == "gone.example":
            raise EmailUndeliverableError("The domain name gone.example does not accept email.")
        return {}

    monkeypatch.setattr(deliverability, "validate_email_deliverability", fake)
    rows = [
        ["a@ok.example", "A", "", "", ""],
        ["b@gone.example", "B", "", "", ""],
        ["c@ok.example", "C", "", "", ""],
        ["d@gone.example", "D", "", "", ""],
        ["e@labnotes.test", "E", "", "", ""],
    ]
    result = _load(tmp_path, rows, check_dns=True)
    assert [c.email for c in result.selected] == ["a@ok.example", "c@ok.example", "e@labnotes.test"]
    assert [(p.row, p.reason) for p in result.invalid] == [
        (3, "The domain name gone.example does not accept email"),
        (5, "The domain name gone.example does not accept email"),
    ]
    assert asked == ["ok.example", "gone.example"]
    # without --check-dns nothing is looked up
    asked.clear()
    assert len(_load(tmp_path, rows).selected) == 5 and asked == []


def test_check_merge_fields_per_language(tmp_path: Path) -> None:
    rows = [["amy@x.example", "", "", "", "en"], ["wong@x.example", "", "", "", "zh-HK"]]
    contacts = _load(tmp_path, rows, languages=["en", "zh-HK"]).selected
    plan = MergePlan()
    english = plan.tokenize("For the {{ beat }} desk of {{ outlet }}")
    chinese = plan.tokenize("致{{ outlet }}編輯部")
    missing = check_merge_fields(contacts, plan, _renders(en=english, zh_HK=chinese))
    assert [(m.field, [c.email for c in m.contacts]) for m in missing] == [
        ("beat", ["amy@x.example"]),
        ("outlet", ["amy@x.example", "wong@x.example"]),
    ]


def test_where_language_matches_cell_or_routed_language(tmp_path: Path) -> None:
    rows = [
        ["a@x.example", "A", "", "", "en"],
        ["b@x.example", "B", "", "", "zh-TW"],
        ["c@x.example", "C", "", "", "中文"],
        ["d@x.example", "D", "", "", "zh-HK"],
    ]
    routed = {"languages": ["en", "zh-HK"], "default_language": "en"}
    chinese = _load(tmp_path, rows, where=["language=zh-HK"], **routed)
    assert [c.email[0] for c in chinese.selected] == ["b", "c", "d"]
    taiwan = _load(tmp_path, rows, where=["language=zh-TW"], **routed)
    assert [c.email[0] for c in taiwan.selected] == ["b"]
    english = _load(tmp_path, rows, where=["language!=zh-HK"], **routed)
    assert [c.email[0] for c in english.selected] == ["a"]
