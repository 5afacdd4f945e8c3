"""Sentence-level evidence: the few sentences (with their neighbours) that answer the question.

No reranker with weights ships on PyPI, so retrieved chunks are split into sentences and
each is scored by embedding similarity plus weighted keyword overlap. Only the winners go to
the model: every prompt token costs ~24 ms on two cores.
"""

from __future__ import annotations

import re
import threading
from dataclasses import dataclass, field, replace
from datetime import date
from functools import lru_cache

import numpy as np
from llama_index.core.base.embeddings.base import BaseEmbedding
from llama_index.core.schema import NodeWithScore

from qa.text import Sentence, TermWeights, content_terms, split_sentences
from vectorstore.catalog import listed
from vectorstore.cleaning import strip_dateline
from vectorstore.contacts import CONTACT_MARKER

KEYWORD_WEIGHT = 0.5
# A small model often gives one item of a list (one funder of two): sentences this close to the
# best one, matching the question as well, that no claim was drawn from are added to the answer.
COMPLETE_MARGIN = 0.06
# "How do I reach…" shares few words with a contact block, so such questions get the block outright.
CONTACT_QUESTION = re.compile(
    r"\b(contact|reach|call|phone|telephone|e-?mail|write to|press officer|spokes\w*|media)\b", re.I)
# A release is data, not instructions: sentences the catalog found addressed to a model (vectorstore.addressed, by
# meaning, at ingest) are withheld from the prompt and from citations; the stored text keeps them.
WITHHELD = "[a sentence addressed to an AI model was withheld]"
# Sentences this far below the best one are noise for the model, not evidence.
SCORE_MARGIN = 0.2


def published(iso: str) -> str:
    """An ISO date as the model and the reader see it: "15 March 2011"."""
    return f"{date.fromisoformat(iso):%-d %B %Y}"


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
    whole: bool = False  # the whole release (a cached prompt prefix), not selected sentences
    relative_dates: list[str] = field(default_factory=list)  # the catalog's: "today = 15 March 2011"
    url: str = ""  # the page's address, where the saved page gave it

    @classmethod
    def of(cls, number: int, meta: dict, sentences: list[Sentence], focus: dict[int, float] | None = None,
           score: float = 0.0, whole: bool = False) -> "Passage":
        """A passage of the release whose stored metadata is ``meta``."""
        return cls(number, meta["release_id"], meta["title"], meta.get("location", ""), meta.get("date", ""),
                   sentences, focus or {}, score, whole, listed(meta.get("relative_dates")), meta.get("url", ""))

    @property
    def fields(self) -> str:
        """The release's known metadata, labelled: "Published: 15 March 2011; Place: China"."""
        when = f"Published: {published(self.date)}" if self.date else ""
        return "; ".join(part for part in (when, f"Place: {self.location}" if self.location else "") if part)

    @property
    def dates(self) -> str:
        """The relative dates its sentences use, resolved: "today = 15 March 2011". The citation check reads them; the
        model does not: shown them, in a header or in the text, it gave "January 2011" (from "as of January this
        year") as the date a campaign "launched in April 2009" began."""
        text = " ".join(s.text for s in self.sentences).lower()
        return ", ".join(d for d in self.relative_dates if d.split(" = ")[0].lower() in text)

    def around(self, index: int) -> list[int]:
        """Positions of the sentence numbered ``index`` in the release and of its neighbours here: the stretch of the
        release a claim standing on that sentence has behind it. A contact block stands alone: whom to ask is not what
        the quote above it says, and the quoted speaker's name does not make the block's address theirs."""
        near = [j for j, sentence in enumerate(self.sentences) if abs(sentence.index - index) <= 1]
        blocks = {j for j in near if CONTACT_MARKER.match(self.sentences[j].text)}
        centre = {j for j in near if self.sentences[j].index == index}
        return sorted(centre) if centre & blocks else [j for j in near if j not in blocks]

    def dated(self, text: str) -> str:
        """``text`` with the date each relative date stands for in this release written in, in square brackets as in
        an edited quotation: "today [15 March 2011]" ("[the year 2010]": a bare "[2010]" would read as a citation)."""
        for entry in self.relative_dates:
            expression, span = entry.split(" = ", 1)
            span = f"the year {span}" if span.isdigit() else span
            text = re.sub(rf"\b({re.escape(expression)})\b(?! \[)", lambda m: f"{m.group(1)} [{span}]", text,
                          count=1, flags=re.I)
        return text

    @property
    def text(self) -> str:
        """The sentences in release order; a gap between them is shown as an ellipsis."""
        parts: list[str] = []
        for previous, sentence in zip([None, *self.sentences], self.sentences):
            if previous is not None:
                parts.append(" " if sentence.index == previous.index + 1 else " … ")
            # The dateline ("China - ") is in the header already; left in, small models read it as the subject.
            text = strip_dateline(sentence.text) if sentence.index == 1 else sentence.text
            parts.append(text.replace("\n", "; "))
        return "".join(parts)

    def neighbourhood(self, indices: set[int]) -> list[Sentence]:
        """The sentences of those release indices with their neighbours in the same paragraph: what is shown of them."""
        centres = [s for s in self.sentences if s.index in indices]
        return [s for s in self.sentences
                if any(abs(s.index - c.index) <= 1 and s.paragraph == c.paragraph for c in centres)]

    def excerpt(self, sentence: Sentence) -> str:
        """What a citation shows: the passage, or of a whole release the cited sentence and its neighbours."""
        if not self.whole:
            return self.text
        return replace(self, sentences=self.neighbourhood({sentence.index}) or [sentence], whole=False).text


@dataclass
class ScoredSentence:
    sentence: Sentence
    score: float


@lru_cache(maxsize=4096)
def _sentences(release_id: str, text: str, withheld: str) -> tuple[Sentence, ...]:
    """A release's sentences as the model sees them: any within a ``withheld`` span (the stored "start-end; …") is
    replaced by a notice."""
    spans = [tuple(map(int, span.split("-"))) for span in listed(withheld)]
    return tuple(replace(s, text=WITHHELD) if any(s.start < end and s.end > start for start, end in spans) else s
                 for s in split_sentences(release_id, text))


def sentences_of(release_id: str, texts: dict[str, str], metadata: dict[str, dict]) -> tuple[Sentence, ...]:
    """The sentences of a stored release, withheld ones replaced by the notice."""
    return _sentences(release_id, texts[release_id], metadata[release_id].get("withheld", ""))


class EvidenceSelector:
    """Scores candidate sentences and builds numbered passages within a token budget."""

    def __init__(self, embedder: BaseEmbedding, max_sentences: int, token_budget: int):
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

    def score(self, question: str, sentences: list[Sentence], query_vector: list[float] | None = None,
              ) -> list[ScoredSentence]:
        """Similarity to the question plus IDF-weighted share of its content words, best first.

        ``query_vector``: the question's embedding if already computed (for dense search: ~25 ms saved).
        """
        if not sentences:
            return []
        query = np.asarray(query_vector or self.embedder.get_query_embedding(question), dtype=np.float32)
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
            for sentence in _sentences(rid, texts[rid], node.metadata.get("withheld", "")):
                overlaps = sentence.start < node.end_char_idx and sentence.end > node.start_char_idx
                if overlaps and sentence.index > 0:
                    seen.setdefault((rid, sentence.start), sentence)
        return list(seen.values())

    def select(
        self, question: str, hits: list[NodeWithScore], texts: dict[str, str], metadata: dict[str, dict],
        query_vector: list[float] | None = None,
    ) -> list[Passage]:
        """Numbered passages: the best sentences, each in a window of its paragraph neighbours (the lede's reaches the
        next paragraph)."""
        scored = self.score(question, self.candidates(hits, texts), query_vector)
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
            all_sentences = sentences_of(s.release_id, texts, metadata)
            # The lede sums the story up and the next paragraph gives its where, who and how ("The course, held in
            # Dajabón and Jimaní, …"), so the lede's window reaches it; other windows stay in their paragraph.
            window = [w for w in all_sentences[max(1, s.index - 1): s.index + 2]
                      if w.paragraph == s.paragraph or s.index == 1 and w.index == 2]
            new = [w for w in window if w.index not in chosen.get(s.release_id, {})]
            cost = sum(len(w.text) for w in new) // 4
            if tokens and tokens + cost > self.token_budget:
                continue
            tokens += cost
            chosen.setdefault(s.release_id, {}).update({w.index: w for w in new})
            focus.setdefault(s.release_id, {})[s.index] = item.score
            best.setdefault(s.release_id, item.score)
        if CONTACT_QUESTION.search(question):
            top = max(best, key=best.get)
            block = next((w for w in sentences_of(top, texts, metadata) if CONTACT_MARKER.match(w.text)), None)
            if block is not None:
                chosen[top][block.index] = block
                focus[top].setdefault(block.index, best[top])
        passages = []
        for number, rid in enumerate(sorted(best, key=best.get, reverse=True), start=1):
            passages.append(Passage.of(number, metadata[rid], sorted(chosen[rid].values(), key=lambda w: w.index),
                                       focus[rid], best[rid]))
        return passages

    @staticmethod
    def whole_release(release_id: str, texts: dict[str, str], metadata: dict[str, dict]) -> Passage:
        """A release in full (title excluded) as passage [1]."""
        sentences = [s for s in sentences_of(release_id, texts, metadata) if s.index > 0]
        return Passage.of(1, metadata[release_id], sentences, whole=True)

    def uncovered(self, question: str, claims: list[str], passages: list[Passage]) -> list[tuple[Passage, Sentence]]:
        """Evidence sentences as relevant as the best one, away from every sentence the claims came from, in the
        releases the claims came from (another release's sentence is another event, not a missing item)."""
        focus = sorted(((score, p, s) for p in passages for s in p.sentences
                        if (score := p.focus.get(s.index)) is not None), key=lambda item: -item[0])
        if not focus or not claims:
            return []
        sentences = [(p, s) for p in passages for s in p.sentences]
        nearest = (self.embed([s.text for _, s in sentences]) @ self.embed(claims).T).argmax(axis=0)
        used = {(sentences[i][0].number, sentences[i][1].index) for i in nearest}
        cited = {number for number, _ in used}
        wanted, said = set(content_terms(question)), {t for claim in claims for t in content_terms(claim)}
        best_score, _, best = focus[0]
        best_match = len(wanted & set(content_terms(best.text)))
        missing = []
        for score, passage, sentence in focus:
            if score < best_score - COMPLETE_MARGIN:
                break
            terms = set(content_terms(sentence.text))
            facts = terms - wanted
            stated = not facts or len(facts & said) / len(facts) >= 0.3
            near_used = any((passage.number, sentence.index + d) in used for d in (-1, 0, 1))
            if not (stated or near_used) and len(wanted & terms) >= best_match and passage.number in cited:
                missing.append((passage, sentence))
        return missing
