"""A cleaned release's sentences with their character spans: what evidence, citations and withheld text refer to."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from nltk.tokenize.punkt import PunktParameters, PunktSentenceTokenizer

# Abbreviations these releases use before a capital or a number; punkt alone splits at them.
_ABBREVIATIONS = {"tel", "ext", "mr", "mrs", "ms", "dr", "no", "st", "u.s", "u.n", "e.g", "i.e", "approx", "gen"}


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


# Chinese and Japanese end a sentence with a full-width mark and no space, which punkt never splits at.
_FULL_WIDTH_END = re.compile(r"(?<=[。！？])(?=\S)")


def _spans(block: str) -> list[tuple[int, int]]:
    spans = []
    for start, end in _tokenizer().span_tokenize(block):
        cuts = [start, *(start + m.start() for m in _FULL_WIDTH_END.finditer(block[start:end])), end]
        spans += [(a, b) for a, b in zip(cuts, cuts[1:]) if block[a:b].strip()]
    return spans


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
            for start, end in _spans(block):
                a, b = offset + start, offset + end
                sentences.append(Sentence(release_id, a, b, text[a:b], paragraph, len(sentences)))
        offset += len(block)
    return sentences
