"""Sentences with character spans, and the content terms used for keyword overlap."""

from __future__ import annotations

import math
import re
from collections import Counter
from functools import lru_cache

import Stemmer
from llama_index.core.utils import globals_helper

from vectorstore.sentences import Sentence, split_sentences  # noqa: F401 (qa's names for them)

_WORD = re.compile(r"\w+")
_HYPHENATED = re.compile(r"[\w-]+")  # words as written, hyphenated ones whole ("Timor-Leste", "24-hour")
_MARKER = re.compile(r"\s*\[(\d+)\]")
# British -ise spellings written as -ize before stemming: Snowball stems "organised" to "organis" but "organized"
# to "organ", so "co-organised" would miss a release that writes "co-organized".
_ISE = re.compile(r"(?<=\w\w)is(e|es|ed|ing|ation|ations)$")


@lru_cache(maxsize=1)
def _stemmer() -> Stemmer.Stemmer:
    return Stemmer.Stemmer("english")


@lru_cache(maxsize=65536)  # release sentences recur across questions
def content_terms(text: str) -> tuple[str, ...]:
    """Stemmed words that carry meaning (stopwords, citation markers and one-letter words dropped)."""
    words = [_ISE.sub(r"iz\1", w) for w in _WORD.findall(_MARKER.sub(" ", text).lower())
             if len(w) > 1 and w not in globals_helper.stopwords]
    return tuple(_stemmer().stemWords(words))


def words(text: str) -> list[str]:
    """The words of ``text`` as written, lower case, hyphenated ones whole: unstemmed, for what a text names."""
    return _HYPHENATED.findall(text.lower())


def strip_markers(text: str) -> str:
    return _MARKER.sub("", text).strip()


def markers(text: str) -> list[int]:
    return [int(n) for n in _MARKER.findall(text)]


class TermWeights:
    """Inverse document frequency over a small set of texts, for weighting keyword overlap."""

    def __init__(self, texts: list[str]):
        self.n = max(1, len(texts))
        self.df = Counter(term for text in texts for term in set(content_terms(text)))

    def weight(self, term: str) -> float:
        return math.log(1 + self.n / (1 + self.df.get(term, 0))) + 0.1

    def overlap(self, wanted: list[str], found: set[str]) -> float:
        """Weighted share of ``wanted`` terms that occur in ``found``."""
        total = sum(self.weight(t) for t in set(wanted))
        return sum(self.weight(t) for t in set(wanted) if t in found) / total if total else 0.0


def releases(count: int) -> str:
    """"1 release", "5 releases": how the answers count releases."""
    return f"{count} release{'s' if count != 1 else ''}"
