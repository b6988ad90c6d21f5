"""The locale table (pressctl/languages): one entry per version, complete, and the only place a language is
named by its tag. Every test here runs over every entry, so a language added to the table is checked too."""

from __future__ import annotations

import dataclasses
import re
import shutil
import subprocess
from dataclasses import replace
from pathlib import Path

import pytest
from render_support import make_workspace

import pressctl
from pressctl.config import Brand, Workspace
from pressctl.languages.locale import BRAND_CJK_FONT, BRAND_FONT, Locale
from pressctl.languages.routing import locale_for
from pressctl.languages.table import BY_TAG, CELL_WORDS, LOCALES
from pressctl.languages.tags import cell_tag, normalise_language, version_tags
from pressctl.release.load import Release, load_release_set
from pressctl.release.merge import MergePlan
from pressctl.render.email import render_email
from pressctl.render.pdf import print_html

PACKAGE = Path(pressctl.__file__).parent
# The project's before-stop check: a Chinese tag named, or "is Chinese" tested by a prefix.
CHINESE_TAG = re.compile(r"""["'](zh|zh-HK|zh-CN|zh-TW|zh-Hant|zh-Hans)["']|startswith\(["']zh""")


def test_no_module_outside_the_language_home_names_a_chinese_tag() -> None:
    """Issue 19: five word tables in four modules and "is Chinese" tested four ways; a third language then
    needed a 12-file change that failed silently where one was missed. Only pressctl/languages/ may."""
    found = []
    for path in sorted(PACKAGE.rglob("*.py")):
        if (PACKAGE / "languages") in path.parents:
            continue
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
            if CHINESE_TAG.search(line):
                found.append(f"{path.relative_to(PACKAGE.parent)}:{number}: {line.strip()}")
    assert found == []


def test_no_module_outside_the_language_home_names_a_cjk_face() -> None:
    """Font stacks are the table's: a face of one region named in a renderer is a Simplified reader's Hong
    Kong glyphs. Two settings name one as text for several languages, not as a version's face."""
    face = re.compile(r"""["'](PingFang|Microsoft JhengHei|Microsoft YaHei|Noto Sans CJK|Source Han Sans)[ A-Za-z]*["']""")
    allowed = {
        "pressctl/config/organisation.py",  # [brand] cjk_font's default: the workspace's own face, a setting
        "pressctl/send/preview.py",  # the dry run's index of every language's messages, for the officer
    }
    found = [
        f"{path.relative_to(PACKAGE.parent)}:{number}"
        for path in sorted(PACKAGE.rglob("*.py"))
        if (PACKAGE / "languages") not in path.parents and str(path.relative_to(PACKAGE.parent)) not in allowed
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1)
        if face.search(line)
    ]
    assert found == []


def test_one_entry_per_tag_and_every_word_given() -> None:
    tags = [locale.tag.lower() for locale in LOCALES]
    assert len(tags) == len(set(tags)) and set(tags) == set(BY_TAG)
    aliases = [a.lower() for locale in LOCALES for a in locale.aliases]
    assert len(aliases) == len(set(aliases)) and not set(aliases) & set(tags)
    for locale in LOCALES:
        for words in (locale.labels, locale.site):
            empty = [f.name for f in dataclasses.fields(words) if not str(getattr(words, f.name)).strip()]
            assert empty == [], f"{locale.tag}: {empty}"
        assert normalise_language(locale.tag.lower()) == locale.tag
        assert locale_for(locale.tag) is locale
        assert re.fullmatch(r"[a-z]{2}_[A-Z]{2}", locale.og_locale), locale.tag
        assert locale.script in ("Latn", "Hant", "Hans"), locale.tag
        assert "{when}" in locale.labels.embargoed and "{name}" in locale.labels.about, locale.tag
        assert "{{" in locale.greeting, locale.tag


def test_cell_words_name_tags_routing_knows() -> None:
    for word, tag in CELL_WORDS.items():
        assert word == word.casefold() and cell_tag(word.upper()) == tag
        assert locale_for(tag).tag.split("-")[0] == tag.split("-")[0], word


@pytest.mark.parametrize("locale", LOCALES, ids=lambda locale: locale.tag)
def test_the_version_s_own_face_is_named_first_and_installed(locale: Locale) -> None:
    """Pango takes the first face that has a glyph: the version's region's face must come first (FACTS:
    lang="zh-HK" plus "Noto Sans CJK HK" first gives Hong Kong forms), and exist here, or the PDF silently
    embeds another region's forms."""
    first = locale.fonts.pdf[0]
    first = {BRAND_FONT: Brand.font, BRAND_CJK_FONT: Brand.cjk_font}.get(first, first)
    if locale.cjk:
        # Noto's faces by the region whose forms they draw: Hong Kong (and Macao), Taiwan, the mainland.
        face = {"HK": "HK", "MO": "HK", "TW": "TC", "CN": "SC"}[locale.html_lang.split("-")[-1]]
        assert first == f"Noto Sans CJK {face}", locale.fonts.pdf
    if shutil.which("fc-list"):
        families = subprocess.run(["fc-list", ":", "family"], capture_output=True, text=True, check=True).stdout
        assert first in families, f"{first} is not installed"


@pytest.fixture(scope="module")
def sample(tmp_path_factory: pytest.TempPathFactory) -> tuple[Workspace, Release]:
    root, ws = make_workspace(tmp_path_factory.mktemp("languages"))
    return ws, load_release_set(root / "releases" / "sample.md", ws)[0]


@pytest.mark.parametrize("tag", version_tags())
def test_every_version_renders_with_its_own_words_lang_and_fonts(sample: tuple[Workspace, Release], tag: str) -> None:
    """One entry is enough for a version to render: the email and the print HTML read its lang=, fonts,
    words and date from the table, and nothing of another entry."""
    ws, main = sample
    release = replace(main, language=tag)
    locale = locale_for(tag)
    email = render_email(release, ws, MergePlan(), embargoed=True)
    page = print_html(release, ws, MergePlan(), embargoed=True)
    assert f'<html lang="{locale.html_lang}"' in email.html and f'<html lang="{locale.html_lang}"' in page
    assert email.subject.startswith(locale.labels.subject_embargoed.split("{when}")[0])
    assert locale.labels.media_contacts in email.text or locale.labels.media_contact in email.text
    first_face = locale.fonts.email[0]
    assert first_face in email.html
    print_first = locale.fonts.pdf[0]
    print_first = {BRAND_FONT: ws.brand.font, BRAND_CJK_FONT: ws.brand.cjk_font}.get(print_first, print_first)
    assert f'font-family: "{print_first}"' in page
    others = {other.labels.press_release for other in LOCALES} - {locale.labels.press_release}
    assert not any(f">{word}<" in page for word in others)
