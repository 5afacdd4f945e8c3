"""Answers in the asker's language. The answer is written and checked in English, against the English releases; its
verified claims are then translated by the model, and a translation is kept only if it is faithful: the same figures
and addresses (language-independent facts) and the same meaning (the multilingual encoder). An unfaithful one is
shown in English rather than wrong."""

from __future__ import annotations

import re
from collections.abc import Callable

from qa.citations import exact
from vectorstore.multilingual import similarity

# Meaning kept: a claim and its translation at least this close (USE-multilingual). Measured with names kept (they
# go as placeholders): faithful French and Spanish translations 0.86-0.92, Chinese 0.71-0.78, a translation that
# says something else 0.37. It does not see a changed relation ("funded" → "organised": 0.68) or a mistranslated
# common noun ("human trafficking committee" as "humanitarian committee": 0.74); the English claim was checked for
# those against the release, its translation is not.
MIN_SIMILARITY = 0.55
# Capitalised words in a row: the clearest sign of a name in English text. Unlike the catalog's CAPITALISED, not across
# "of"/"and" ("Ana Ruiz of IOM Lima" is two names, and the "of" is the translation's to write).
_FULL_NAME = re.compile(r"\b[A-Z][\w'’-]*(?:\s+[A-Z][\w'’-]*)+")
# Digit groups written apart ("1 400", "1.400", "1,400" for 1400): one figure in any language's style.
_DIGIT_GROUP = re.compile(r"(?<=\d)[\s\u00a0\u202f.,](?=\d{3}(?!\d))")


def figures(text: str) -> set[str]:
    """The figures and addresses of ``text``, however its language groups digits."""
    return exact(_DIGIT_GROUP.sub("", text))


def full_names(text: str) -> list[str]:
    """Names of several capitalised words ("Social Welfare Bureau", "Ana Ruiz"), longest first: an answer keeps the
    release's spelling of them in any language. A single capitalised word ("March", "Japan") may be translated."""
    found = []
    for match in _FULL_NAME.finditer(text):
        words = match.group().split()[1 if not text[:match.start()].strip(" \"'“(") else 0:]  # not a sentence's first
        if len(words) > 1:
            found.append(" ".join(words))
    return sorted(dict.fromkeys(found), key=len, reverse=True)  # stable: names of one length in text order


def faithful(english: str, translated: str) -> bool:
    """Whether a translation keeps the claim's figures, addresses and names and its meaning. It may add only a
    month's number: "15 March 2011" is "2011年3月15日"."""
    kept, found = figures(english), figures(translated)
    return bool(translated.strip()) and kept <= found and \
        all(name.lower() in translated.lower() for name in full_names(english)) and \
        all(figure.isdigit() and 1 <= int(figure) <= 12 for figure in found - kept) and \
        similarity(english, translated) >= MIN_SIMILARITY


def translate(sentences: list[str], ask: Callable[[list[str]], list[str]]) -> list[str]:
    """Each sentence in the asker's language where its translation (``ask``: the model) is faithful, else as it was.
    Names go to the model as placeholders ("[N1]"), which it keeps far more often than it keeps a name untranslated,
    and come back as the release spells them."""
    if not sentences:
        return []
    protected, names = [], []
    for sentence in sentences:
        own = full_names(sentence)
        for n, name in enumerate(own, 1):
            sentence = sentence.replace(name, f"[N{n}]")
        protected.append(sentence)
        names.append(own)
    translated = ask(protected)
    if len(translated) != len(sentences):
        return sentences
    shown = []
    for sentence, own, text in zip(sentences, names, translated):
        for n, name in enumerate(own, 1):
            text = text.replace(f"[N{n}]", name)
        shown.append(text.strip() if faithful(sentence, text) else sentence)
    return shown
