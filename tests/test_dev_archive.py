"""The development archive (data/dev-archive/: pages written for this project in the shapes of the IOM web estate,
facts planted from plan-*.jsonl beside them), read through the real loading, cleaning and catalog, checked against
the plan: every planted fact kept, the publication date and the country as the plan has them."""

from __future__ import annotations

import json

import pytest

from config import PROJECT_ROOT, Settings
from qa.quotes import quotes
from qa.text import split_sentences
from vectorstore.catalog import build_catalog
from vectorstore.contacts import CONTACT_MARKER
from vectorstore.ingest import clean_files

ARCHIVE = PROJECT_ROOT / "data" / "dev-archive"
PLAN = [json.loads(line) for path in sorted(ARCHIVE.glob("plan-*.jsonl"))
        for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def _squeezed(text: str) -> str:
    return " ".join(text.split())


@pytest.fixture(scope="module")
def catalogued():
    notes: list[str] = []
    releases = clean_files([ARCHIVE / entry["file"] for entry in PLAN], Settings(), notes.append)
    assert len(releases) == len(PLAN), [n for n in notes if n.startswith("skipped")]
    return {release.id: (release, build_catalog(release)) for release in releases}


def test_the_archive_looks_like_the_real_one():
    countries = {entry["country"] for entry in PLAN} - {"global"}
    years = {entry["date"][:4] for entry in PLAN if entry["date"]}
    shapes = {entry["shape"] for entry in PLAN}
    assert len(PLAN) >= 150 and len(countries) >= 40 and len(years) >= 15 and len(shapes) >= 7, (
        len(PLAN), len(countries), len(years), shapes)


def test_cleaning_keeps_every_planted_fact(catalogued):
    lost = [(entry["id"], fact) for entry in PLAN for fact in entry["facts"]
            if _squeezed(fact) not in _squeezed(catalogued[entry["id"]][0].text)]
    assert lost == []


def _body_lines(text: str) -> list[str]:
    """The release's lines before its contact block (an office named in both a footer and the block is a contact)."""
    lines = [" ".join(line.split()).lower() for line in text.splitlines() if line.strip()]
    end = next((i for i, line in enumerate(lines) if CONTACT_MARKER.match(line)), len(lines))
    return lines[:end]


def test_no_navigation_line_is_left(catalogued):
    """Every menu, share bar, style rule and tag the plan put on a page is gone from the stored text, in a line of its
    own or glued to a paragraph; photo captions are the release's and stay."""
    left, captions_lost = [], []
    for entry in PLAN:
        release = catalogued[entry["id"]][0]
        lines = _body_lines(release.text)
        for item in entry["navigation"]:
            item = " ".join(item.split()).lower()
            glued = len(item.split()) >= 3 or "<" in item or "{" in item  # too distinctive to occur in prose
            if item and any(line == item or glued and item in line for line in lines):
                left.append((entry["id"], item))
        captions_lost += [(entry["id"], c) for c in entry["captions"] if _squeezed(c) not in _squeezed(release.text)]
    assert left == [] and captions_lost == []


def test_a_page_address_is_stored(catalogued):
    """A text page's "url:" line and an HTML page's canonical link become the release's url, not its text."""
    with_url = [entry for entry in PLAN if entry.get("url")]
    wrong = [(e["id"], catalogued[e["id"]][0].url) for e in with_url if catalogued[e["id"]][0].url != e["url"]]
    assert len(with_url) >= 60 and wrong == []
    assert not any("url:" in catalogued[e["id"]][0].text.lower() for e in with_url)
    assert all(catalogued[e["id"]][0].url is None for e in PLAN if not e.get("url"))


def _catalog_figures(catalogued) -> tuple[float, float, list, list]:
    dated = [entry for entry in PLAN if entry["date"]]
    wrong_dates = [(e["id"], e["date"], catalogued[e["id"]][1].date) for e in dated
                   if catalogued[e["id"]][1].date != e["date"]]
    wrong_countries = []
    for entry in PLAN:
        catalog = catalogued[entry["id"]][1]
        got = "global" if catalog.country_source == "headquarters" else catalog.country
        if got != entry["country"]:
            wrong_countries.append((entry["id"], entry["country"], got, catalog.country_source))
    return 1 - len(wrong_dates) / len(dated), 1 - len(wrong_countries) / len(PLAN), wrong_dates, wrong_countries


def test_the_catalog_agrees_with_the_plan(catalogued):
    dates, countries, wrong_dates, wrong_countries = _catalog_figures(catalogued)
    print(f"DEV ARCHIVE catalog: dates {dates:.3f}, countries {countries:.3f}\n{wrong_dates}\n{wrong_countries}")
    invented = [e["id"] for e in PLAN if not e["date"] and catalogued[e["id"]][1].date]
    assert invented == []  # unknown stays unknown
    assert dates >= 0.97 and countries >= 0.97


def test_quotes_are_attributed_to_the_planted_speakers(catalogued):
    """The quote reader over every cleaned page: the people the plan has quoted are named in the words around a quote
    (all but those reported in indirect speech: "said the state would…"), and a quote whose attribution names someone
    names a planted speaker, never a quoted title or a contact."""
    named, planned, strays = 0, 0, []
    for entry in PLAN:
        found = quotes(split_sentences(entry["id"], catalogued[entry["id"]][0].text))
        speakers = [person["name"] for person in entry.get("quoted", [])]
        planned += len(speakers)
        named += sum(any(name in quote.attribution for quote in found) for name in speakers)
        strays += [quote.attribution for quote in found if not any(name in quote.attribution for name in speakers)]
    assert named >= 0.9 * planned, (named, planned)
    assert [stray for stray in strays if any(word[0].isupper() for word in stray.split()[1:])] == []
    assert strays, "the pages' unnamed speakers (\"he said\") are quotes too"
