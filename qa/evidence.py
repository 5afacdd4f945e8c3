"""Sentence-level evidence: the few sentences (with their neighbours) that answer the question.

No reranker with weights ships on PyPI, so retrieved chunks are split into sentences and
each is scored by embedding similarity plus weighted keyword overlap. Only the winners go to
the model: every prompt token costs ~24 ms on two cores.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from functools import lru_cache

import numpy as np
from llama_index.core.base.embeddings.base import BaseEmbedding
from llama_index.core.schema import NodeWithScore

from qa.text import Sentence, TermWeights, content_terms, split_sentences

KEYWORD_WEIGHT = 0.5
# Sentences this far below the best one are noise for the model, not evidence.
SCORE_MARGIN = 0.12


@dataclass
class Passage:
    """One release's evidence, numbered as the model and the reader see it."""

    number: int
    release_id: str
    title: str
    location: str
    date: str
    sentences: list[Sentence]
    focus: dict[int, float] = field(default_factory=dict)  # scored sentences (index -> score), not context
    score: float = 0.0

    @property
    def text(self) -> str:
        """The sentences in release order; a gap between them is shown as an ellipsis."""
        parts: list[str] = []
        for previous, sentence in zip([None, *self.sentences], self.sentences):
            if previous is not None:
                parts.append(" " if sentence.index == previous.index + 1 else " … ")
            parts.append(sentence.text.replace("\n", "; "))
        return "".join(parts)


@dataclass
class ScoredSentence:
    sentence: Sentence
    score: float


@lru_cache(maxsize=4096)
def _sentences(release_id: str, text: str) -> tuple[Sentence, ...]:
    return tuple(split_sentences(release_id, text))


class EvidenceSelector:
    """Scores candidate sentences and builds numbered passages within a token budget."""

    def __init__(self, embedder: BaseEmbedding, max_sentences: int, token_budget: int = 260):
        self.embedder = embedder
        self.max_sentences = max_sentences
        self.token_budget = token_budget
        self._vectors: dict[str, np.ndarray] = {}
        self._lock = threading.Lock()

    def embed(self, texts: list[str]) -> np.ndarray:
        """Embeddings of sentences, cached across questions (releases are re-asked about)."""
        with self._lock:
            missing = [t for t in dict.fromkeys(texts) if t not in self._vectors]
            if missing:
                if len(self._vectors) > 100_000:
                    self._vectors.clear()
                for text, vector in zip(missing, self.embedder.get_text_embedding_batch(missing)):
                    self._vectors[text] = np.asarray(vector, dtype=np.float32)
            return np.stack([self._vectors[t] for t in texts]) if texts else np.zeros((0, 1), np.float32)

    def score(self, question: str, sentences: list[Sentence]) -> list[ScoredSentence]:
        """Similarity to the question plus IDF-weighted share of its content words, best first."""
        if not sentences:
            return []
        query = np.asarray(self.embedder.get_query_embedding(question), dtype=np.float32)
        similarity = self.embed([s.text for s in sentences]) @ query
        weights = TermWeights([s.text for s in sentences])
        wanted = content_terms(question)
        scored = [
            ScoredSentence(s, float(sim) + KEYWORD_WEIGHT * weights.overlap(wanted, set(content_terms(s.text))))
            for s, sim in zip(sentences, similarity)
        ]
        return sorted(scored, key=lambda item: item.score, reverse=True)

    def candidates(self, hits: list[NodeWithScore], texts: dict[str, str]) -> list[Sentence]:
        """The sentences of the retrieved chunks (titles excluded: each passage shows its title)."""
        seen: dict[tuple[str, int], Sentence] = {}
        for hit in hits:
            node = hit.node
            rid = node.metadata["release_id"]
            for sentence in _sentences(rid, texts[rid]):
                overlaps = sentence.start < node.end_char_idx and sentence.end > node.start_char_idx
                if overlaps and sentence.index > 0:
                    seen.setdefault((rid, sentence.start), sentence)
        return list(seen.values())

    def select(
        self, question: str, hits: list[NodeWithScore], texts: dict[str, str], metadata: dict[str, dict],
    ) -> list[Passage]:
        """Numbered passages: the best sentences, each with the sentence before it for context."""
        scored = self.score(question, self.candidates(hits, texts))
        if not scored:
            return []
        chosen: dict[str, dict[int, Sentence]] = {}
        focus: dict[str, dict[int, float]] = {}
        best: dict[str, float] = {}
        tokens = 0
        for item in scored[: self.max_sentences]:
            if item.score < scored[0].score - SCORE_MARGIN:
                break
            s = item.sentence
            window = [s]
            all_sentences = _sentences(s.release_id, texts[s.release_id])
            if s.index > 1 and all_sentences[s.index - 1].paragraph == s.paragraph:
                window.insert(0, all_sentences[s.index - 1])
            new = [w for w in window if w.index not in chosen.get(s.release_id, {})]
            cost = sum(len(w.text) for w in new) // 4
            if tokens and tokens + cost > self.token_budget:
                continue
            tokens += cost
            chosen.setdefault(s.release_id, {}).update({w.index: w for w in new})
            focus.setdefault(s.release_id, {})[s.index] = item.score
            best.setdefault(s.release_id, item.score)
        passages = []
        for number, rid in enumerate(sorted(best, key=best.get, reverse=True), start=1):
            meta = metadata[rid]
            passages.append(Passage(
                number, rid, meta["title"], meta.get("location", ""), meta.get("date", ""),
                sorted(chosen[rid].values(), key=lambda w: w.index), focus[rid], best[rid],
            ))
        return passages
