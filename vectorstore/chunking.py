"""Split a clean release into sentence-aware chunks that carry its metadata and character spans."""

from __future__ import annotations

import hashlib

from llama_index.core import Document
from llama_index.core.node_parser import SentenceSplitter
from llama_index.core.schema import TextNode

from vectorstore import addressed
from vectorstore.catalog import LIST_SEPARATOR, build_catalog
from vectorstore.records import CleanRelease, date_number

# Bump when cleaning or chunking changes what a release turns into: stored releases then re-ingest.
PIPELINE_VERSION = "9"
EMBEDDED_METADATA = ("title",)


def release_fingerprint(release: CleanRelease, chunk_size: int, chunk_overlap: int, embed_model: str) -> str:
    """Identity of a release's stored form; unchanged fingerprint means nothing to re-embed."""
    key = "|".join([PIPELINE_VERSION, addressed.version(), release.content_hash, str(chunk_size), str(chunk_overlap),
                    embed_model])
    return hashlib.sha256(key.encode()).hexdigest()[:16]


def release_metadata(release: CleanRelease) -> dict[str, str | int]:
    """Flat, Chroma-safe metadata shared by every chunk of a release, its catalog entry included."""
    catalog = build_catalog(release)
    return {
        "release_id": release.id,
        "title": release.title,
        "location": release.location or "",
        "url": release.url or "",
        "date": catalog.date,
        "date_num": date_number(catalog.date) if catalog.date else 0,
        "date_source": catalog.date_source,
        "country": catalog.country,
        "country_source": catalog.country_source,
        "place": catalog.place,
        "countries": LIST_SEPARATOR.join(catalog.countries),
        "organisations": LIST_SEPARATOR.join(catalog.organisations),
        "relative_dates": LIST_SEPARATOR.join(catalog.relative_dates),
        "withheld": LIST_SEPARATOR.join(f"{start}-{end}" for start, end in release.withheld),
        "source_path": release.source_path,
        "sha256": release.sha256,
        "content_hash": release.content_hash,
        "contacts": "; ".join(
            ", ".join(v for v in c.model_dump(exclude_none=True).values()) for c in release.contacts
        ),
    }


class ReleaseChunker:
    """Sentence-aware chunking with llama-index's SentenceSplitter; ids are deterministic."""

    def __init__(self, chunk_size: int, chunk_overlap: int, embed_model_name: str):
        self.chunk_size = chunk_size
        self.chunk_overlap = chunk_overlap
        self.embed_model_name = embed_model_name
        self._splitter = SentenceSplitter(
            chunk_size=chunk_size, chunk_overlap=chunk_overlap, include_prev_next_rel=False
        )

    def fingerprint(self, release: CleanRelease) -> str:
        return release_fingerprint(release, self.chunk_size, self.chunk_overlap, self.embed_model_name)

    def chunk(self, release: CleanRelease) -> list[TextNode]:
        version = self.fingerprint(release)
        metadata = release_metadata(release)
        document = Document(
            id_=release.id,
            text=release.text,
            metadata=metadata,
            excluded_embed_metadata_keys=[k for k in metadata if k not in EMBEDDED_METADATA],
            excluded_llm_metadata_keys=list(metadata),
        )
        nodes = self._splitter.get_nodes_from_documents([document])
        for i, node in enumerate(nodes):
            following = nodes[i + 1].start_char_idx if i + 1 < len(nodes) else len(release.text)
            node.id_ = f"{release.id}:{version}:{i:04d}"
            # The whitespace between chunks, so the exact release text can be rebuilt from the store.
            gap = release.text[node.end_char_idx:following] if following > node.end_char_idx else ""
            node.metadata.update(version=version, chunk_index=i, n_chunks=len(nodes), gap_after=gap)
            node.excluded_embed_metadata_keys = [k for k in node.metadata if k not in EMBEDDED_METADATA]
            node.excluded_llm_metadata_keys = list(node.metadata)
        return nodes
