"""The fixed words of answers in other languages: every catalog in prompts/ says every message, with its placeholders,
and counts follow each language's plural rule."""

from __future__ import annotations

from pathlib import Path
from string import Formatter

import pytest
from babel.messages.extract import extract_from_file
from babel.messages.pofile import read_po

import qa

from config import get_settings
from qa.prompts import Prompts


def _fields(text: str) -> set[str]:
    return {field for _, field, _, _ in Formatter().parse(text) if field}


CATALOGS = sorted(get_settings().prompts_dir.glob("answers.*.po"))


def _said_in_code() -> set[str]:
    """Every message the code words (``say(message, …)``, ``count(singular, plural, n, …)``), read by Babel's
    extractor."""
    found = set()
    for module in sorted(Path(qa.__file__).parent.glob("*.py")):
        for _, message, _, _ in extract_from_file("python", module,
                                                  keywords={"say": (1,), "count": (1, 2)}):
            found.add(message if isinstance(message, str) else message[0])
    return found


def test_catalogs_are_written_for_the_languages_the_issue_names():
    assert {path.name.split(".")[1] for path in CATALOGS} >= {"fr", "es", "zh"}


@pytest.mark.parametrize("path", CATALOGS, ids=lambda p: p.name)
def test_every_catalog_says_every_message_with_its_placeholders(path):
    with path.open("rb") as source:
        catalog = read_po(source)
    assert {m.id if isinstance(m.id, str) else m.id[0] for m in catalog if m.id} == _said_in_code()
    for message in catalog:
        if not message.id:
            continue
        ids = [message.id] if isinstance(message.id, str) else list(message.id)
        strings = [message.string] if isinstance(message.string, str) else list(message.string)
        assert len(strings) == catalog.num_plurals or isinstance(message.id, str), message.id
        for string in strings:
            assert string, f"{path.name}: {ids[0]!r} is not translated"
            # Placeholders of a plural's forms may drop {n} ("le plus proche" needs no figure), never add one.
            assert _fields(string) <= _fields(" ".join(ids)) and _fields(string) >= _fields(ids[0]) - {"n"}, string


def test_counts_follow_each_languages_plural_rule():
    prompts = Prompts.load(get_settings().prompts_dir)
    russian, french, chinese = (prompts.wording(code) for code in ("ru", "fr", "zh"))
    assert [russian.releases(n) for n in (1, 3, 5, 21)] == \
        ["1 пресс-релиз", "3 пресс-релиза", "5 пресс-релизов", "21 пресс-релиз"]
    assert [french.checked(n) for n in (0, 1, 2)] == \
        ["0 communiqué examiné", "1 communiqué examiné", "2 communiqués examinés"]
    assert chinese.releases(3) == "3篇新闻稿" and chinese.date("2011-03-15") == "2011年3月15日"
    assert french.date("2011-03-15") == "15 mars 2011" and prompts.wording("en").date("2011-03-15") == "15 March 2011"
    arabic = prompts.wording("ar")  # six forms: one, two, three to ten, eleven to ninety-nine, and a hundred's
    assert [arabic.releases(n) for n in (1, 2, 5, 11, 100)] == \
        ["1 بيان صحفي", "2 بيانان صحفيان", "5 بيانات صحفية", "11 بيانًا صحفيًا", "100 بيان صحفي"]


def test_a_language_without_a_catalog_is_worded_in_english_and_the_log_says_so(caplog):
    words = Prompts.load(get_settings().prompts_dir).wording("ja")
    assert words.language == "en" and words.releases(2) == "2 releases"
    assert "no prompts/answers.ja.po" in caplog.text
