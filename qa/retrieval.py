"""Hybrid retrieval: Chroma dense search and BM25 keyword search, fused by reciprocal rank."""

from __future__ import annotations

import logging
import math
import threading
import time

from llama_index.core import VectorStoreIndex
from llama_index.core.base.embeddings.base import BaseEmbedding
from llama_index.core.llms import MockLLM
from llama_index.core.retrievers import QueryFusionRetriever
from llama_index.core.schema import BaseNode, NodeWithScore, QueryBundle
from llama_index.retrievers.bm25 import BM25Retriever

from qa.types import Filters
from vectorstore.store import ReleaseStore, rebuild_text

logging.getLogger("llama_index.retrievers.bm25").setLevel(logging.ERROR)  # warns on every small corpus


class KeywordRetriever(BM25Retriever):
    """BM25 that returns only documents sharing a term with the query.

    bm25s pads its top-k with zero-score documents, including ones the metadata filters masked out.
    """

    def _retrieve(self, query_bundle: QueryBundle) -> list[NodeWithScore]:
        return [hit for hit in super()._retrieve(query_bundle) if hit.score and hit.score > 0]


class EmptyStoreError(RuntimeError):
    """Nothing has been ingested yet."""


class HybridRetriever:
    """Dense + BM25 over the store, fused with llama-index's QueryFusionRetriever (RRF).

    The BM25 index and the releases' texts are built once from the store and rebuilt only
    when the store changes (``refresh``), never per question.
    """

    def __init__(self, store: ReleaseStore, embedder: BaseEmbedding, kind: str = "hybrid", check_s: float = 0.0):
        self.store = store
        self.kind = kind
        self.check_s = check_s
        self._checked = -math.inf
        self.index = VectorStoreIndex.from_vector_store(store.vector_store, embed_model=embedder)
        self._lock = threading.Lock()
        self._count = -1
        self._bm25: BM25Retriever | None = None
        self.texts: dict[str, str] = {}
        self.metadata: dict[str, dict] = {}

    def refresh(self, force: bool = False) -> None:
        """Rebuild the keyword index and release texts if the store changed (checked at most every ``check_s``
        seconds unless forced)."""
        with self._lock:
            if not force and time.monotonic() - self._checked < self.check_s:
                return
            count = self.store.count()
            self._checked = time.monotonic()
            if count == self._count and not force:
                return
            nodes = self.store.nodes()
            by_release: dict[str, list[BaseNode]] = {}
            for node in nodes:
                by_release.setdefault(node.metadata["release_id"], []).append(node)
            self.texts = {rid: rebuild_text(group) for rid, group in by_release.items()}
            self.metadata = {rid: group[0].metadata for rid, group in by_release.items()}
            self._bm25 = BM25Retriever.from_defaults(nodes=nodes) if nodes else None
            if self._bm25 is not None:
                self._bm25.bm25.corpus = self._bm25.corpus  # lets per-question retrievers share the index
            self._count = count

    def retrieve(self, query: str | QueryBundle, top_k: int, filters: Filters | None = None) -> list[NodeWithScore]:
        """The fused top chunks; a QueryBundle carrying the query's embedding spares computing it again."""
        self.refresh()
        if self._bm25 is None:
            raise EmptyStoreError("the release store is empty: run `releasebot ingest` first")
        metadata_filters = filters.resolved(self.metadata).to_metadata_filters() if filters else None
        retrievers = []
        if self.kind in ("hybrid", "dense"):
            retrievers.append(self.index.as_retriever(similarity_top_k=top_k, filters=metadata_filters))
        if self.kind in ("hybrid", "keyword"):
            try:
                retrievers.append(KeywordRetriever(
                    existing_bm25=self._bm25.bm25, similarity_top_k=top_k, filters=metadata_filters,
                ))
            except ValueError:  # the filters exclude every chunk: dense search returns nothing either
                return []
        if len(retrievers) > 1:
            retrievers = [QueryFusionRetriever(
                retrievers, mode="reciprocal_rerank", similarity_top_k=top_k, num_queries=1, use_async=False,
                llm=MockLLM(),  # query generation is off (num_queries=1): no LLM is called
            )]
        with self.store.reachable():  # the dense search queries Chroma through llama-index
            return retrievers[0].retrieve(query)
