"""The release catalog: when a release was published (and how that is known), where it is about, and which
countries and organisations it names. Unknown stays unknown: nothing is guessed.

Countries and provinces come from pycountry (ISO 3166), full dates from dateparser. Organisation names are
found by hand (capitalised names around words like Ministry, Bureau, Foundation): no NER model ships on PyPI.
"""

from __future__ import annotations

import re
from collections import Counter
from functools import lru_cache

import dateparser
import pycountry
from pydantic import BaseModel

from vectorstore.records import CleanRelease

# A full date written out: "15 March 2011", "March 15, 2011", "2011-03-15".
_MONTH = r"(?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Sept|Oct|Nov|Dec)[a-z]*\.?"
_FULL_DATE = re.compile(rf"\b(\d{{1,2}} {_MONTH},? (?:19|20)\d\d|{_MONTH} \d{{1,2}},? (?:19|20)\d\d"
                        r"|(?:19|20)\d\d-\d\d-\d\d)\b")
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


def build_catalog(release: CleanRelease) -> Catalog:
    date, date_source = _publication_date(release)
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
    return Catalog(date=date, date_source=date_source, country=country, country_source=source, place=place,
                   countries=sorted(named), organisations=list(organisations.values()))
