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

import dateparser
import pycountry
from dateparser.date import DateDataParser
from pydantic import BaseModel

from vectorstore.records import CleanRelease

# A full date written out: "15 March 2011", "March 15, 2011", "2011-03-15".
_MONTH = r"(?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Sept|Oct|Nov|Dec)[a-z]*\.?"
_FULL_DATE = re.compile(rf"\b(\d{{1,2}} {_MONTH},? (?:19|20)\d\d|{_MONTH} \d{{1,2}},? (?:19|20)\d\d"
                        r"|(?:19|20)\d\d-\d\d-\d\d)\b")
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
    country_source: str = ""  # dateline, or text (the country the release names most)
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


def _publication_date(release: CleanRelease) -> tuple[str, str]:
    if release.date:
        return release.date, "photo"
    head = " ".join(release.text.split("\n\n")[:2])  # a date line or dateline sits at the top
    if match := _FULL_DATE.search(head):
        parsed = dateparser.parse(match.group(), settings={"STRICT_PARSING": True, "REQUIRE_PARTS": ["day", "month",
                                                                                                    "year"]})
        if parsed:
            return parsed.date().isoformat(), "text"
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


def build_catalog(release: CleanRelease) -> Catalog:
    published, date_source = _publication_date(release)
    named = named_countries(release.text)
    country, source, place = "", "", ""
    if release.location:
        _, provinces = _places()
        if found := country_name(release.location):
            country, source = found, "dateline"
        elif found := provinces.get(release.location.lower()):
            country, source, place = found, "dateline", release.location
        else:
            place = release.location
    if not country and named:
        country, source = named.most_common(1)[0][0], "text"
    organisations = {}
    for match in _ORGANISATION.finditer(release.text):
        name = re.sub(r"^the\s+", "", " ".join(match.group().split()).rstrip(","), flags=re.I)
        if " " in name:  # a bare "Office" names nothing
            organisations.setdefault(name.lower(), name)
    return Catalog(date=published, date_source=date_source, country=country, country_source=source, place=place,
                   countries=sorted(named), organisations=list(organisations.values()),
                   relative_dates=relative_dates(release.text, published))
