"""The development archive (data/dev-archive/: pages written for this project in the shapes of the IOM web estate,
facts planted from plan-*.jsonl beside them), read through the real loading, cleaning and catalog, checked against
the plan: every planted fact kept, the publication date and the country as the plan has them."""

from __future__ import annotations

import json

import pytest

from config import PROJECT_ROOT, Settings
from vectorstore.catalog import build_catalog
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
