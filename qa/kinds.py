"""What kind of answer a question wants — one fact, a list of releases, a count of releases, a total across releases,
or a comparison — recognised by meaning, in any language.

A probe over the multilingual encoder (``qa.probe``) reads it, fitted on questions shipped beside it
(``kinds_training.jsonl``): written for this in eight languages, everyday and formal, with typos, and with the hard
contrasts on purpose ("How many officers attended the Kunming training?" is a
fact; "How many releases mention Kunming?" a count). No pattern of words decides it.
"""

from __future__ import annotations

from collections.abc import Callable

from qa.probe import Probe

KINDS = ("fact", "list", "count", "total", "compare")
PROBE = Probe("kinds", "kind", KINDS)
FACT = "fact"
# A question is taken as one about the archive as a whole when the probe is this sure, and the model agrees where the
# probe is below SURE: cross-validated on the examples the probe is right on 0.87 of questions, and its mistakes are
# mostly counts inside one release read as totals; the model, asked alone, is right on about as many, but not the same.
COLLECTION_CONFIDENCE = 0.5
SURE = 0.9


def kind_of(question: str, several: Callable[[str], bool] | None = None) -> str:
    """The kind of answer ``question`` wants: the likeliest kind of collection when the probe gives the collection kinds
    together more than COLLECTION_CONFIDENCE, and, where they have less than SURE, ``several`` (the model, where there
    is one) reads it as going through several releases; otherwise a fact."""
    found = PROBE.probabilities([question])[0]
    collection = 1 - found[KINDS.index(FACT)]
    kind = max((kind for kind in KINDS if kind != FACT), key=lambda kind: found[KINDS.index(kind)])
    # A total is checked however sure the probe is: its known confusion is a count inside one release read as one
    # ("How many prosecutors met in Tirana?"), and a total answered for a fact lists figures from every release.
    unsure = collection < SURE or kind == "total"
    if collection <= COLLECTION_CONFIDENCE or unsure and several is not None and not several(question):
        return FACT
    return kind


if __name__ == "__main__":
    PROBE.refit()
    print(f"wrote {PROBE.saved}")
