"""pressctl.toml fully modelled: translations, greetings and the sender are typed fields, checked at load."""

from __future__ import annotations

from pathlib import Path

import pytest

from pressctl.config import load_workspace
from pressctl.config.sender import Sender, check_from_option, check_sender
from pressctl.errors import ConfigError, InputError

BASE = '[organisation]\nname = "Harbourview Science Park"\n'


def _load(tmp_path: Path, text: str) -> object:
    (tmp_path / "pressctl.toml").write_text(BASE + text, encoding="utf-8")
    return load_workspace(tmp_path)


def test_translations_and_greetings_are_typed(tmp_path: Path) -> None:
    (tmp_path / "pressctl.toml").write_text(
        BASE
        + '\n[organisation.translations.zh-HK]\nname = "海景科學園"\nfooter = "  "\n'
        + '\n[email.greeting]\nen = \'Hello {{ first_name or "editor" }},\'\n'
        + 'zh = \'{{ name or "編輯" }}，你好：\'\n',
        encoding="utf-8",
    )
    workspace = load_workspace(tmp_path)
    zh = workspace.organisation.in_language("zh-HK")
    assert (zh.name, zh.footer) == ("海景科學園", "")  # an empty translation keeps the default (empty here)
    assert workspace.organisation.in_language("en").name == "Harbourview Science Park"
    greeting = workspace.email.greeting_for("zh-TW")  # its first part, zh, serves it
    assert greeting is not None and greeting.text.endswith("你好：") and greeting.line == 10
    assert workspace.email.greeting_for("en-GB") is not None
    assert not hasattr(workspace, "raw")  # nothing reads the raw TOML any more


@pytest.mark.parametrize(
    ("text", "message", "hint"),
    [
        ('[organisation.translations.zh-HK]\nnmae = "海景科學園"\n', "organisation.translations.zh-HK.nmae", "'name'"),
        ('[organisation.translations.zh-KH]\nname = "海景科學園"\n', "unknown language 'zh-KH'", "'zh-HK'"),
        ("[organisation.translations.zh-HK]\nname = 3\n", "must be text", "quotes"),
        ("[email.greeting]\nzh-hk = 5\n", "email.greeting.zh-hk must be text", ""),
        ('[email.greeting]\nfr = "Bonjour,"\n', "unknown language 'fr'", "known"),
        ('[email]\ngreting = "x"\n', "email.greting", "'greeting'"),
        (
            '[[media_contacts]]\nname = "Amy"\n[media_contacts.translations.zh-HK]\ntitel = "經理"\n',
            "media_contacts.translations.zh-HK.titel",
            "'title'",
        ),
        ('[[media_contacts]]\nname = "Amy"\nphnoe = "1"\n', "media_contacts.phnoe", "'phone'"),
    ],
)
def test_typos_in_translations_and_greetings_are_refused(
    tmp_path: Path, text: str, message: str, hint: str
) -> None:
    with pytest.raises(ConfigError) as caught:
        _load(tmp_path, text)
    assert message in caught.value.what
    assert hint in (caught.value.hint or "")
    assert caught.value.where == str(tmp_path / "pressctl.toml")


def test_sender_checks_live_in_config() -> None:
    identity = check_sender(
        Sender(from_addr="HVSP Press Office <press@hvsp.example>", unsubscribe_mailto="unsubscribe@hvsp.example"),
        where="pressctl.toml",
    )
    assert (identity.from_name, identity.from_addr) == ("HVSP Press Office", "press@hvsp.example")
    assert identity.unsubscribe_mailto == "mailto:unsubscribe@hvsp.example"
    with pytest.raises(ConfigError, match=r"sender\.reply_to"):
        check_sender(Sender(reply_to="a@hvsp.example, b@hvsp.example"), where="pressctl.toml")
    with pytest.raises(ConfigError, match="pdf_base_url is empty"):
        check_sender(Sender(), where="pressctl.toml", pdf_mode="link")
    assert check_from_option("Press <press@hvsp.example>") == ("Press", "press@hvsp.example")
    with pytest.raises(InputError, match="--from 'not an address'"):
        check_from_option("not an address")
