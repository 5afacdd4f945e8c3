"""The Chroma collection that holds release chunks: embedded by default, a Chroma server if configured."""

from __future__ import annotations

from collections import defaultdict
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass, field
from functools import wraps
from pathlib import Path

import chromadb
import httpx
from chromadb.config import Settings as ChromaSettings
from filelock import FileLock
from llama_index.core.schema import BaseNode
from llama_index.core.vector_stores.utils import metadata_dict_to_node
from llama_index.vector_stores.chroma import ChromaVectorStore

from config import Settings

_PAGE = 5000  # Chroma's get() is paged so a 100k-chunk store is read in bounded memory


def rebuild_text(nodes: list[BaseNode]) -> str:
    """A release's exact cleaned text from its chunks (spans overlap; gaps are recorded at ingest)."""
    parts: list[str] = []
    position = 0
    for node in sorted(nodes, key=lambda n: n.start_char_idx):
        text, gap = node.get_content(), node.metadata.get("gap_after", "")
        parts.append(text[max(0, position - node.start_char_idx):] + gap)
        position = node.end_char_idx + len(gap)
    return "".join(parts)


class StoreUnavailableError(RuntimeError):
    """The Chroma store or server cannot be reached."""


# A Chroma server that went away after start-up: its HTTP client raises these.
_UNREACHABLE = (httpx.TransportError, ConnectionError)


def _reachable(method):
    """Chroma access as a ReleaseStore method: an unreachable server becomes StoreUnavailableError."""

    @wraps(method)
    def guarded(self: ReleaseStore, *args, **kwargs):
        with self.reachable():
            return method(self, *args, **kwargs)

    return guarded


def make_client(settings: Settings) -> chromadb.ClientAPI:
    """A Chroma client with telemetry off: HttpClient when a server host is set, else PersistentClient."""
    chroma_settings = ChromaSettings(anonymized_telemetry=False)
    try:
        if settings.chroma_host:
            headers = {}
            if settings.chroma_auth_token is not None:
                headers["Authorization"] = f"Bearer {settings.chroma_auth_token.get_secret_value()}"
            return chromadb.HttpClient(
                host=settings.chroma_host, port=settings.chroma_port, ssl=settings.chroma_ssl,
                headers=headers, settings=chroma_settings,
            )
        settings.store.mkdir(parents=True, exist_ok=True)
        return chromadb.PersistentClient(path=str(settings.store), settings=chroma_settings)
    except Exception as exc:  # chromadb raises bare ValueError/ConnectionError variants
        where = f"Chroma server {settings.chroma_host}:{settings.chroma_port}" if settings.chroma_host else settings.store
        raise StoreUnavailableError(f"cannot open the release store at {where}: {exc}") from exc


def _opening_lock(store: Path) -> FileLock:
    store.parent.mkdir(parents=True, exist_ok=True)
    return FileLock(store.with_name(f"{store.name}.open.lock"))


@dataclass
class StoredRelease:
    """What the store holds of one release, summed over its chunks."""

    release_id: str
    title: str = ""
    location: str = ""
    date: str = ""
    url: str = ""
    source_path: str = ""
    content_hash: str = ""
    # version -> (chunks present, chunks the version should have)
    versions: dict[str, list[int]] = field(default_factory=lambda: defaultdict(lambda: [0, 0]))

    def complete_versions(self) -> set[str]:
        return {v for v, (have, want) in self.versions.items() if have == want}


class ReleaseStore:
    """Release-level operations over one Chroma collection; llama-index's ChromaVectorStore does node I/O."""

    def __init__(self, settings: Settings, client: chromadb.ClientAPI | None = None):
        self.settings = settings
        # Two processes creating one embedded store at once race in Chroma's schema set-up ("table collections
        # already exists"): opening it is serialised by a lock file beside it. A server serialises itself.
        opening = nullcontext() if settings.chroma_host else _opening_lock(settings.store)
        with opening:
            self.client = client or make_client(settings)
            try:
                self.collection = self.client.get_or_create_collection(
                    settings.collection, embedding_function=None, configuration={"hnsw": {"space": "cosine"}}
                )
            except Exception as exc:
                raise StoreUnavailableError(f"cannot open collection {settings.collection!r}: {exc}") from exc
        self.vector_store = ChromaVectorStore(chroma_collection=self.collection)

    @contextmanager
    def reachable(self):
        """Around any Chroma access (the retriever's dense queries too): a server that went away is a user error
        (the API answers 503) and answering resumes once it is back."""
        try:
            yield
        except _UNREACHABLE as exc:
            where = f"the Chroma server at {self.settings.chroma_host}:{self.settings.chroma_port}" \
                if self.settings.chroma_host else "the Chroma store"
            raise StoreUnavailableError(f"the release store is unavailable: {where} cannot be reached "
                                        f"({type(exc).__name__}: {exc}); answers resume once it is back") from exc

    @_reachable
    def count(self) -> int:
        return self.collection.count()

    def _pages(self, where: dict | None, include: list[str]):
        offset = 0
        while True:
            page = self.collection.get(where=where, include=include, limit=_PAGE, offset=offset)
            yield page
            if len(page["ids"]) < _PAGE:
                return
            offset += _PAGE

    def _metadatas(self, where: dict | None = None):
        for page in self._pages(where, ["metadatas"]):
            yield from zip(page["ids"], page["metadatas"])

    @_reachable
    def releases(self) -> dict[str, StoredRelease]:
        """Every stored release with its versions, read from chunk metadata."""
        found: dict[str, StoredRelease] = {}
        for _, meta in self._metadatas():
            rid = meta["release_id"]
            info = found.get(rid)
            if info is None:
                info = found[rid] = StoredRelease(
                    rid, meta.get("title", ""), meta.get("location", ""), meta.get("date", ""), meta.get("url", ""),
                    meta.get("source_path", ""), meta.get("content_hash", ""),
                )
            counts = info.versions[meta["version"]]
            counts[0] += 1
            counts[1] = int(meta["n_chunks"])
        return found

    @_reachable
    def add(self, nodes: list[BaseNode]) -> None:
        """Write embedded nodes (their ids are deterministic, so a retried write replaces)."""
        if nodes:
            self.collection.delete(ids=[n.node_id for n in nodes])
            self.vector_store.add(nodes)

    @_reachable
    def delete_version(self, release_id: str, version: str) -> None:
        self.collection.delete(where={"$and": [{"release_id": release_id}, {"version": version}]})

    @_reachable
    def delete_release(self, release_id: str) -> int:
        """Remove every chunk of a release; returns how many were removed."""
        ids = [chunk_id for chunk_id, _ in self._metadatas({"release_id": release_id})]
        if ids:
            self.collection.delete(ids=ids)
        return len(ids)

    @_reachable
    def nodes(self, release_id: str | None = None) -> list[BaseNode]:
        """Stored chunks as llama-index nodes (all, or one release's), for keyword indexing and windows."""
        where = {"release_id": release_id} if release_id else None
        return [
            metadata_dict_to_node(meta, text=doc)
            for page in self._pages(where, ["metadatas", "documents"])
            for meta, doc in zip(page["metadatas"], page["documents"])
        ]
