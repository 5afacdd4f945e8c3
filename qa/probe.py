"""A linear probe that reads one property of a question by meaning, in any language: the question embedded with the
multilingual Universal Sentence Encoder (``vectorstore.multilingual``) and scored by a softmax fitted on labelled
questions shipped beside it (``<name>_training.jsonl``, saved as ``<name>_probe.npz``). No pattern of words decides.

``python -m qa.kinds`` (or ``qa.forms``) refits that probe after its examples change; the saved probe keeps the digest
of the examples it was fitted on, and a test checks it is current.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

import numpy as np
from sklearn.linear_model import LogisticRegression

from vectorstore.multilingual import embed


@dataclass
class Probe:
    name: str  # its files: qa/<name>_training.jsonl, qa/<name>_probe.npz
    field: str  # the label's key in each example
    labels: tuple[str, ...]

    @property
    def training(self) -> Path:
        return Path(__file__).with_name(f"{self.name}_training.jsonl")

    @property
    def saved(self) -> Path:
        return Path(__file__).with_name(f"{self.name}_probe.npz")

    def digest(self) -> str:
        """The examples' file as it is now, to compare with the one the saved probe was fitted on."""
        return hashlib.sha256(self.training.read_bytes()).hexdigest()

    def examples(self) -> list[dict]:
        return [json.loads(line) for line in self.training.read_text(encoding="utf-8").splitlines() if line.strip()]

    def fit(self, shipped: list[dict] | None = None) -> tuple[np.ndarray, np.ndarray]:
        """The weights (labels × dimensions) and biases fitted on ``shipped`` (default: the shipped examples)."""
        shipped = shipped or self.examples()
        probe = LogisticRegression(class_weight="balanced", max_iter=2000, C=16.0)
        probe.fit(embed([e["text"] for e in shipped]), [self.labels.index(e[self.field]) for e in shipped])
        return probe.coef_.astype(np.float32), probe.intercept_.astype(np.float32)

    @cached_property
    def weights(self) -> tuple[np.ndarray, np.ndarray]:
        """The fitted probe as shipped."""
        with np.load(self.saved) as saved:
            return saved["weights"], saved["bias"]

    def fitted_on(self) -> str:
        """The digest of the examples the shipped probe was fitted on."""
        with np.load(self.saved) as saved:
            return str(saved["examples"])

    def probabilities(self, questions: list[str]) -> np.ndarray:
        """Each question's probability of each label (rows follow ``labels``)."""
        weights, bias = self.weights
        logits = embed(questions) @ weights.T + bias
        logits -= logits.max(axis=1, keepdims=True)
        odds = np.exp(logits)
        return odds / odds.sum(axis=1, keepdims=True)

    def label(self, question: str) -> str:
        return self.labels[int(np.argmax(self.probabilities([question])[0]))]

    def refit(self) -> None:
        weights, bias = self.fit()
        np.savez(self.saved, weights=weights, bias=bias, examples=self.digest())
        self.__dict__.pop("weights", None)

