"""Who a release quotes: its sentences that carry quoted speech, each with the words around the quote (its
attribution: "said Justice Maria Rampersad-Lee, a judge of the High Court"). Quotation marks are typographic facts of
any language, so they are read by character, not by words."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache

from qa.text import Sentence, words

OPENING = "“«„「『"
CLOSING = "”»」』"  # not ‘’: the closing one is the apostrophe too (K’iche’)
STRAIGHT = "\""
# Quoted speech says something (a clause, closed by its punctuation); a quoted title or term ("the “Blue Heart”
# campaign") is shorter or closed by none.
SPEECH_WORDS = 4
SPEECH_END = ",.!?;:…"


@dataclass(frozen=True)
class Quote:
    sentence: Sentence
    attribution: str  # the sentence's words outside its quotation marks


def _parts(text: str) -> tuple[str, str]:
    """The text outside the quotation marks and inside them. A sentence whose first mark closes continues a quote
    begun in the sentence before."""
    first = next((i for i, c in enumerate(text) if c in OPENING + CLOSING + STRAIGHT), None)
    inside = first is not None and (text[first] in CLOSING or text[first] in STRAIGHT and first > 0
                                    and not text[first + 1:first + 2].isalnum())
    outside, quoted = [], []
    for i, c in enumerate(text):
        if c in OPENING or c in STRAIGHT and not inside and text[i + 1:i + 2].isalnum():
            inside = True
        elif c in CLOSING or c in STRAIGHT:
            inside = False
        else:
            (quoted if inside else outside).append(c)
            continue
        (outside if inside else quoted).append(" ")
    return "".join(outside), "".join(quoted)


def quotes(sentences: Sequence[Sentence]) -> tuple[Quote, ...]:
    """The sentences that quote speech, with their attributions."""
    return _quotes(tuple(sentences))


@lru_cache(maxsize=4096)  # a list question about a speaker reads every release's quotes; releases are asked again
def _quotes(sentences: tuple[Sentence, ...]) -> tuple[Quote, ...]:
    found = []
    for sentence in sentences:
        outside, quoted = _parts(sentence.text)
        if len(words(quoted)) >= SPEECH_WORDS and quoted.rstrip()[-1:] in SPEECH_END and words(outside):
            found.append(Quote(sentence, " ".join(outside.split())))
    return tuple(found)
