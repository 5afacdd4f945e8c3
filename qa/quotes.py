"""Who a release quotes: its sentences that carry quoted speech, each with the words around the quote (its
attribution: "said Justice Maria Rampersad-Lee, a judge of the High Court"). Quotation marks are typographic facts of
any language, so they are read by character, not by words."""

from __future__ import annotations

from dataclasses import dataclass

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
    marks = [c for c in text if c in OPENING + CLOSING + STRAIGHT]
    inside = bool(marks) and (marks[0] in CLOSING or marks[0] in STRAIGHT and text.index(marks[0]) > 0
                              and not text[text.index(marks[0]) + 1:text.index(marks[0]) + 2].isalnum())
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


def quotes(sentences: tuple[Sentence, ...] | list[Sentence]) -> list[Quote]:
    """The sentences that quote speech, with their attributions."""
    found = []
    for sentence in sentences:
        outside, quoted = _parts(sentence.text)
        if len(words(quoted)) >= SPEECH_WORDS and quoted.rstrip()[-1:] in SPEECH_END and words(outside):
            found.append(Quote(sentence, " ".join(outside.split())))
    return found
