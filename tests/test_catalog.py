"""The release catalog on the five real releases: dates with their source, countries and places normalised,
countries and organisations named; stored with the chunks and used by the location filter."""

from __future__ import annotations

import pytest

from qa import Filters, ReleaseQA
from vectorstore.catalog import build_catalog, country_mentions, country_name

CHINA = {"000", "001", "002", "003"}


@pytest.fixture(scope="module")
def catalogs(cleaned):
    return {rid: build_catalog(release) for rid, release in cleaned.items()}


def test_countries_and_places_are_normalised(catalogs):
    assert {rid: c.country for rid, c in catalogs.items()} == {
        "000": "China", "001": "China", "002": "China", "003": "China", "004": "Timor-Leste"}
    assert (catalogs["003"].place, catalogs["003"].country_source) == ("Beijing", "dateline")  # a province of China
    assert catalogs["001"].country_source == "text" and catalogs["004"].country_source == "text"


def test_dates_are_known_with_their_source_and_never_guessed(catalogs):
    assert (catalogs["001"].date, catalogs["001"].date_source) == ("2011-03-15", "photo")  # cn20110315_1.jpg
    # "16 to 23 October", "this week", "(02/07)": no year, so no date.
    assert all(catalogs[rid].date == "" and catalogs[rid].date_source == "" for rid in ("000", "002", "003", "004"))


def test_relative_dates_are_resolved_against_the_publication_date(catalogs):
    assert catalogs["001"].relative_dates == ["today = 15 March 2011", "January this year = January 2011"]
    assert catalogs["004"].relative_dates == []  # "the event which concludes today": no date to resolve it by


def test_an_answer_shows_the_date_a_relative_date_stands_for(bundled_store):
    from tests.fakes import ScriptedLLM

    llm = ScriptedLLM(replies=["As of January this year, Chinese police had solved 9,165 trafficking cases [1]."])
    answer = ReleaseQA.from_settings(bundled_store, llm=llm).ask("How many trafficking cases had police solved?",
                                                                 mode="llm")
    assert answer.text.startswith("As of January this year [January 2011], Chinese police had solved 9,165")
    assert "January 2011" not in llm.prompts[0]  # the model reads the text as written (a resolved date lured it)
    assert answer.claims[0].supported and answer.citations[0].source.startswith("001")


@pytest.mark.parametrize(("year", "kept"), [("2011", True), ("2006", False)])
def test_a_year_the_question_asks_about_must_be_the_releases(bundled_store, year, kept):
    """The release dated 2011 gives its cases "as of January this year": asked about 2011 it answers; asked about
    2006, which it never names, what it says is of another year, and so is the same answer read again over the
    strongest sentences alone."""
    from tests.fakes import ScriptedLLM

    llm = ScriptedLLM(replies=["As of January this year, Chinese police had solved 9,165 trafficking cases [1]."] * 2)
    answer = ReleaseQA.from_settings(bundled_store, llm=llm).ask(
        f"How many trafficking cases had Chinese police solved in {year}?", mode="llm")
    assert answer.abstained is not kept and ("9,165" in answer.text) is kept


def test_a_date_range_keeps_undated_releases_only_when_asked(bundled_store):
    bot = ReleaseQA.from_settings(bundled_store, load_llm=False)
    year = {"location": "China", "date_from": "2011-01-01", "date_to": "2011-12-31"}
    found = bot.retrieve("counter-trafficking training", k=20, filters=Filters(**year)).retrieved
    assert {rid[:3] for rid in found} == {"001"}
    found = bot.retrieve("counter-trafficking training", k=20, filters=Filters(**year, undated=True)).retrieved
    assert {rid[:3] for rid in found} == CHINA
    later = Filters(location="China", date_from="2012-01-01", undated=True)  # the dated release is outside it
    assert {rid[:3] for rid in bot.retrieve("training", k=20, filters=later).retrieved} == {"000", "002", "003"}
    nothing = Filters(release_ids=[rid for rid in bot.retriever.metadata if rid.startswith("001")],
                      date_from="2012-01-01", undated=True)
    assert bot.retrieve("training", k=20, filters=nothing).retrieved == []


def test_countries_and_organisations_named(catalogs):
    assert {"Mongolia", "Viet Nam", "Thailand", "Russian Federation", "China"} <= set(catalogs["000"].countries)
    assert {"Viet Nam", "Lao People's Democratic Republic", "Myanmar"} <= set(catalogs["002"].countries)
    assert catalogs["001"].countries == ["China"] and catalogs["004"].countries == ["Timor-Leste"]
    assert "Ministry of Civil Affairs" in catalogs["001"].organisations
    assert "Bureau of Population, Refugees and Migration (PRM)" in catalogs["002"].organisations
    assert {"Alola Foundation", "Ministry of Foreign Affairs"} <= set(catalogs["004"].organisations)
    assert country_name("Russia") == "Russian Federation" and country_name("In") is None


def test_a_country_is_named_by_its_former_name_and_in_the_possessive():
    """pycountry's historic names are the country that kept their ISO number; "Jamaica's" names Jamaica."""
    assert country_mentions("Jamaica's hotline, and in Burma, East Timor and Zaire") == [
        ("Jamaica", "Jamaica"), ("Burma", "Myanmar"), ("East Timor", "Timor-Leste"),
        ("Zaire", "Congo, The Democratic Republic of the")]
    assert country_name("Yugoslavia") is None  # no country kept its number


def test_the_location_filter_finds_every_release_about_a_country(bundled_store):
    bot = ReleaseQA.from_settings(bundled_store, load_llm=False)
    assert {rid: m["country"] for rid, m in bot.retriever.metadata.items() if m["country"] == "China"}.keys() \
        == {rid for rid in bot.retriever.metadata if rid[:3] in CHINA}
    for location in ("China", "china"):
        found = bot.retrieve("counter-trafficking training", k=20, filters=Filters(location=location)).retrieved
        assert {rid[:3] for rid in found} == CHINA
    found = bot.retrieve("counter-trafficking training", k=20, filters=Filters(location="Beijing")).retrieved
    assert {rid[:3] for rid in found} == {"003"}  # a place: the dateline's


@pytest.mark.parametrize("opening, country, source, place, published", [
    ("Port of Spain - On February 9th, 2023, 28 Trinidad and Tobago government officials met.",
     "Trinidad and Tobago", "dateline", "Port of Spain", "2023-02-09"),  # a city's name holds no country
    ("GENEVA, 3 March 2015 - IOM welcomed the new protocol on forced labour.", "", "headquarters", "GENEVA",
     "2015-03-03"),  # a global statement, not news about Switzerland
    ("Tirana, 12-13 December 2023 – Prosecutors from six countries met.", "Albania", "dateline", "Tirana", "2023-12-12"),
    ("Nairobi, Kenya, 14/06/2018 – A new hotline opened.", "Kenya", "dateline", "Nairobi", "2018-06-14"),
    ("Bangkok – IOM today launched a hotline for workers returning from Spain.", "Thailand", "dateline", "Bangkok", ""),
])
def test_a_datelines_place_and_date_are_read_with_a_gazetteer_and_dateparser(opening, country, source, place,
                                                                              published):
    from vectorstore.cleaning import BoilerplateDetector, clean_release

    release = clean_release(f"A title\n\n{opening}\n\nIt was the second such event this year.\n", release_id="x",
                            source_path="x.txt", sha256="0", boilerplate=BoilerplateDetector(set()))
    catalog = build_catalog(release)
    assert (catalog.country, catalog.country_source, catalog.place, catalog.date) == (country, source, place,
                                                                                    published)
    assert catalog.date_source == ("dateline" if published else "")
