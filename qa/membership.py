"""The releases closest in meaning to a collection question's subject, for when no release holds its words.

A list holds the releases whose sentences carry the subject's words (``ArchiveQA.best``). Words miss a release that
says it otherwise ("safe houses" for "shelters"), and the bundled 1.5B model is no judge of
which of the close ones do: asked yes or no of each, it says yes to nearly every related sentence (docs/EVAL.md). So
when words find none, the closest are shown as such, unconfirmed, rather than "0 releases". Candidates come from
hybrid retrieval over every release's chunks: their cost does not grow with the archive.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from llama_index.core.schema import QueryBundle

from qa.evidence import WITHHELD
from qa.text import Sentence
from qa.types import Filters

if TYPE_CHECKING:
    from qa.engine import ReleaseQA

# Chunks retrieved per release shown: a release's best sentence may sit in its second or third chunk.
CHUNKS_PER_RELEASE = 3


@dataclass(frozen=True)
class Candidate:
    release_id: str
    sentence: Sentence  # the release's sentence closest to the subject
    score: float


def closest(bot: ReleaseQA, subject: str, filters: Filters, limit: int) -> list[Candidate]:
    """The ``limit`` releases (within ``filters``) closest in meaning to ``subject``, each by its best sentence."""
    query = QueryBundle(subject, embedding=bot.evidence.embedder.get_query_embedding(subject))
    hits = bot.retriever.retrieve(query, limit * CHUNKS_PER_RELEASE, filters)
    scored = bot.evidence.score(subject, bot.evidence.candidates(hits, bot.retriever.texts), query.embedding)
    best: dict[str, Candidate] = {}
    for item in scored:
        release_id = item.sentence.release_id
        if release_id not in best and item.sentence.text != WITHHELD:
            best[release_id] = Candidate(release_id, item.sentence, item.score)
    return list(best.values())[:limit]
