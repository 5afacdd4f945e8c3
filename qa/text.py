"""Sentences with character spans, and the content terms used for keyword overlap."""

from __future__ import annotations

import math
import re
from collections import Counter
from dataclasses import dataclass
from functools import lru_cache

import Stemmer
from llama_index.core.utils import globals_helper
from nltk.tokenize.punkt import PunktParameters, PunktSentenceTokenizer

# Abbreviations these releases use before a capital or a number; punkt alone splits at them.
_ABBREVIATIONS = {"tel", "ext", "mr", "mrs", "ms", "dr", "no", "st", "u.s", "u.n", "e.g", "i.e", "approx", "gen"}
_WORD = re.compile(r"\w+")
_MARKER = re.compile(r"\s*\[(\d+)\]")
# British -ise spellings written as -ize before stemming: Snowball stems "organised" to "organis" but "organized"
# to "organ", so "co-organised" would miss a release that writes "co-organized".
_ISE = re.compile(r"(?<=\w\w)is(e|es|ed|ing|ation|ations)$")


@dataclass(frozen=True)
class Sentence:
    """A sentence of a release: ``text == release_text[start:end]``; paragraph numbers order them."""

    release_id: str
    start: int
    end: int
    text: str
    paragraph: int
    index: int


@lru_cache(maxsize=1)
def _tokenizer() -> PunktSentenceTokenizer:
    params = PunktParameters()
    params.abbrev_types = set(_ABBREVIATIONS)
    return PunktSentenceTokenizer(params)


def split_sentences(release_id: str, text: str) -> list[Sentence]:
    """Sentences of a cleaned release. Prose paragraphs are one line each after cleaning, so a
    multi-line paragraph is a list (a contact block) and is kept whole as one unit."""
    sentences: list[Sentence] = []
    paragraph = 0
    offset = 0
    for block in re.split(r"(\n\s*\n)", text):
        if re.fullmatch(r"\n\s*\n", block):
            paragraph += 1
        elif "\n" in block.strip():
            a = offset + len(block) - len(block.lstrip())
            b = offset + len(block.rstrip())
            sentences.append(Sentence(release_id, a, b, text[a:b], paragraph, len(sentences)))
        else:
            for start, end in _tokenizer().span_tokenize(block):
                a, b = offset + start, offset + end
                sentences.append(Sentence(release_id, a, b, text[a:b], paragraph, len(sentences)))
        offset += len(block)
    return sentences


@lru_cache(maxsize=1)
def _stemmer() -> Stemmer.Stemmer:
    return Stemmer.Stemmer("english")


@lru_cache(maxsize=65536)  # release sentences recur across questions
def content_terms(text: str) -> tuple[str, ...]:
    """Stemmed words that carry meaning (stopwords, citation markers and one-letter words dropped)."""
    words = [_ISE.sub(r"iz\1", w) for w in _WORD.findall(_MARKER.sub(" ", text).lower())
             if len(w) > 1 and w not in globals_helper.stopwords]
    return tuple(_stemmer().stemWords(words))


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
