"""What kind of answer a question wants — one fact, a list of releases, a count of releases, a total across releases,
or a comparison — recognised by meaning, in any language.

The question is embedded with the multilingual Universal Sentence Encoder (``vectorstore.multilingual``) and scored by
a linear probe (softmax) fitted on questions shipped beside it: written for this in eight languages, everyday and
formal, with typos, and with the hard contrasts on purpose ("How many officers attended the Kunming training?" is a
fact; "How many releases mention Kunming?" a count). No pattern of words decides it.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from functools import lru_cache
from pathlib import Path

import numpy as np
from sklearn.linear_model import LogisticRegression

from vectorstore.multilingual import embed

TRAINING = Path(__file__).with_name("kinds_training.jsonl")
PROBE = Path(__file__).with_name("kinds_probe.npz")
KINDS = ("fact", "list", "count", "total", "compare")
FACT = "fact"
# A question is taken as one about the archive as a whole when the probe is this sure, and the model agrees where the
# probe is below SURE: cross-validated on the examples the probe is right on 0.87 of questions, and its mistakes are
# mostly counts inside one release read as totals; the model, asked alone, is right on about as many, but not the same.
COLLECTION_CONFIDENCE = 0.5
SURE = 0.9


def examples() -> list[dict]:
    return [json.loads(line) for line in TRAINING.read_text(encoding="utf-8").splitlines() if line.strip()]


def fit(shipped: list[dict] | None = None) -> tuple[np.ndarray, np.ndarray]:
    """The probe's weights (kinds × dimensions) and biases, fitted on ``shipped`` (default: the shipped examples)."""
    shipped = shipped or examples()
    probe = LogisticRegression(class_weight="balanced", max_iter=2000, C=16.0)
    probe.fit(embed([e["text"] for e in shipped]), [KINDS.index(e["kind"]) for e in shipped])
    return probe.coef_.astype(np.float32), probe.intercept_.astype(np.float32)


@lru_cache(maxsize=1)
def _probe() -> tuple[np.ndarray, np.ndarray]:
    """The fitted probe as shipped; `python -m qa.kinds` refits it after the examples change (a test checks)."""
    with np.load(PROBE) as saved:
        return saved["weights"], saved["bias"]


def probabilities(questions: list[str]) -> np.ndarray:
    """Each question's probability of each kind (rows follow ``KINDS``)."""
    weights, bias = _probe()
    logits = embed(questions) @ weights.T + bias
    logits -= logits.max(axis=1, keepdims=True)
    odds = np.exp(logits)
    return odds / odds.sum(axis=1, keepdims=True)


def kind_of(question: str, several: Callable[[str], bool] | None = None) -> str:
    """The kind of answer ``question`` wants: the likeliest kind of collection when the probe gives the collection kinds
    together more than COLLECTION_CONFIDENCE, and, where they have less than SURE, ``several`` (the model, where there
    is one) reads it as going through several releases; otherwise a fact."""
    found = probabilities([question])[0]
    collection = 1 - found[KINDS.index(FACT)]
    if collection <= COLLECTION_CONFIDENCE or collection < SURE and several is not None and not several(question):
        return FACT
    return max((kind for kind in KINDS if kind != FACT), key=lambda kind: found[KINDS.index(kind)])


if __name__ == "__main__":
    weights, bias = fit()
    np.savez(PROBE, weights=weights, bias=bias)
    print(f"wrote {PROBE}")
