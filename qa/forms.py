"""What form of value an answer must carry — a count, a sum of money, a date, a length of time, an e-mail address, a
job title, or none in particular — read from the question by meaning (``qa.probe``, fitted on ``forms_training.jsonl``: questions in
eight languages), and whether a text carries a value of that form (figures, currencies and dates by libraries).
"""

from __future__ import annotations

import calendar
import re
import unicodedata
from functools import lru_cache

import pycountry
from dateparser.search import search_dates
from text_to_num import alpha2digit

from qa.probe import Probe
from vectorstore.contacts import EMAIL, ROLE

FORMS = ("count", "amount", "date", "duration", "email", "role", "other")
PROBE = Probe("forms", "form", FORMS)
OTHER = "other"
# Below this the form is not checked (a false form costs a right answer): cross-validated on its examples, the probe
# is this sure of 0.83 of them and right on 0.978 of those (on all: 0.93).
CONFIDENT = 0.7

FIGURE = re.compile(r"\d[\d,.]*")  # digits as written: "1,840", "3.5"
_YEAR = re.compile(r"(?:19|20)\d\d")  # a year, which is no count or sum
_WORD = re.compile(r"[^\W\d_]{3,}")
_CALENDAR = {name.lower() for name in [*calendar.month_name, *calendar.month_abbr, *calendar.day_name] if name}
# text_to_num reads a plural scale word as a figure ("thousands of workers" → "1000 of workers"); a vague amount
# states no count, so those words are kept as written.
_VAGUE = re.compile(r"\b((?:ten|hundred|thousand|million|billion)s)\b", re.I)  # captured: split keeps them


def form_of(question: str) -> str:
    """The form of value an answer to ``question`` must carry; ``OTHER`` (nothing checked) when the probe is unsure."""
    found = PROBE.probabilities([question])[0]
    return FORMS[int(found.argmax())] if found.max() >= CONFIDENT else OTHER


@lru_cache(maxsize=1)
def _currencies() -> frozenset[str]:
    """Every ISO 4217 code and the last word of each national currency's name ("usd", "dollar", "pataca"), lowercase
    (the X codes are metals, funds and test codes, whose names are descriptions)."""
    return frozenset(word.lower() for currency in pycountry.currencies
                     for word in [currency.alpha_3, *_WORD.findall(currency.name)[-1:]]
                     if word == currency.alpha_3 or not currency.alpha_3.startswith("X"))


def is_year(figure: str) -> bool:
    return bool(_YEAR.fullmatch(figure.rstrip(".,")))


def years(text: str) -> set[str]:
    """The years ``text`` names as figures ("2019", "28/01/2020" → "2020")."""
    return {f.rstrip(".,") for f in FIGURE.findall(text) if is_year(f)}


def as_digits(text: str) -> str:
    """``text`` with its number words as figures ("eight operators" → "8 operators"), vague amounts ("thousands of")
    left as words."""
    pieces = _VAGUE.split(text)  # odd pieces are the vague words themselves
    return "".join(piece if i % 2 else alpha2digit(piece, "en", threshold=0) for i, piece in enumerate(pieces))


def figures(text: str) -> list[str]:
    """The figures of ``text`` that are not years, number words read as figures ("eight operators" → "8")."""
    return [f for f in FIGURE.findall(as_digits(text)) if not is_year(f)]


@lru_cache(maxsize=256)  # a claim and its evidence are read for each check of an answer
def undated(text: str) -> str:
    """``text`` with number words as figures ("eight operators" → "8 operators") and its dates taken out ("29 July
    2021", "28/01/2020", as dateparser finds them): what is left of its figures counts something."""
    text = as_digits(text)
    for found, _ in search_dates(text, languages=["en"]) or []:
        if _YEAR.search(found) or {w.lower() for w in _WORD.findall(found)} & _CALENDAR:
            text = text.replace(found, " ")
    return text


def quantities(text: str, given: str = "") -> list[str]:
    """The figures of ``text`` that count something: no year, no day of a date, and none that ``given`` (the question)
    already states: "the 24-hour hotline" does not answer "how many calls has the 24-hour hotline received?"."""
    stated = set(figures(given))
    return [f for f in FIGURE.findall(undated(text)) if not is_year(f) and f not in stated]


def _money(text: str) -> bool:
    """A currency: a symbol (Unicode's currency class), an ISO code or a currency's name, singular or plural."""
    words = {w.lower().removesuffix("s") for w in _WORD.findall(text)} | {w.lower() for w in _WORD.findall(text)}
    return any(unicodedata.category(c) == "Sc" for c in text) or bool(words & _currencies())


def carries(form: str, text: str, given: str = "") -> bool:
    """Whether ``text`` (English) carries a value of ``form`` that ``given`` (the question) does not already state: a
    figure that counts for a count, one and a currency for a sum, a date (a year, or a day or month dateparser finds)
    for a date, a figure or a length of time dateparser reads for a duration, an address for an e-mail, a post for a
    job title."""
    if form == "email":
        return bool(EMAIL.search(text))
    if form == "role":  # the contact parser's words for a post ("officer", "head", "coordinator")
        return bool(ROLE.search(text))
    if form == "count":
        return bool(quantities(text, given))
    if form == "amount":
        return bool(quantities(text, given)) and _money(text)
    if form == "date":
        stated = given.lower()
        return bool(set(_YEAR.findall(text)) - set(_YEAR.findall(given))) or any(
            _dated(found) and found.lower() not in stated for found, _ in search_dates(text, languages=["en"]) or [])
    if form == "duration":
        stated = set(figures(given))
        return any(f not in stated for f in figures(text)) or bool(search_dates(text, languages=["en"]))  # "a month"
    return True


def _dated(found: str) -> bool:
    """A date dateparser found is one where it has a figure or names a month or a weekday ("A second" is a time)."""
    words = {w.lower() for w in _WORD.findall(found)}
    return any(c.isdigit() for c in found) or bool(words & _CALENDAR)


if __name__ == "__main__":
    PROBE.refit()
    print(f"wrote {PROBE.saved}")
