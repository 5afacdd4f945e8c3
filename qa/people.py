"""Whom a total counts: which words name people, and whether one names a kind of person ("judges", "social workers")
or anyone who took part ("people", "participants", "professionals"), read by meaning (``qa.probe``, fitted on
``people_training.jsonl``: words and short phrases, most in English, the form questions are planned in and releases
written in). No list of nouns decides.

``python -m qa.people`` refits the probe after its examples change.
"""

from __future__ import annotations

import re
from threading import Lock

from qa.probe import Probe
from qa.text import content_terms

KINDS = ("anyone", "person", "thing")
PROBE = Probe("people", "kind", KINDS)
ANYONE, PERSON, THING = KINDS
_WORD = re.compile(r"[^\W\d_][\w'’]*(?:-[\w'’]+)*")  # a word as written, hyphenated ones whole
_read: dict[str, str] = {}  # each word's kind, read once: a total reads the words after every figure of many releases
_lock = Lock()


def kinds(words: list[str]) -> list[str]:
    """Each word's kind: ``ANYONE``, ``PERSON`` or ``THING`` (a word without content, "of", is a thing)."""
    keys = [word.lower() for word in words]
    with _lock:
        new = sorted({k for k in keys if k not in _read and content_terms(k)})
        if new:
            found = PROBE.probabilities(new)
            _read.update((k, KINDS[int(row.argmax())]) for k, row in zip(new, found))
    return [_read.get(k, THING) for k in keys]


def names_people(word: str) -> bool:
    return kinds([word])[0] != THING


def counted(question: str) -> tuple[set[str], set[str]]:
    """What a total question counts, as content terms: the kinds of person it names ("How many judges were trained?":
    {judg}); none where it names only anyone ("people", "participants") or no one. Second, the terms of every word
    naming people, which say whom the question counts rather than what it is about."""
    words = _WORD.findall(question)
    found = [(word, kind) for word, kind in zip(words, kinds(words)) if kind != THING]
    people = {term for word, _ in found for term in content_terms(word)}
    return {term for word, kind in found if kind == PERSON for term in content_terms(word)}, people


if __name__ == "__main__":
    PROBE.refit()
    print(f"wrote {PROBE.saved}")
