"""Ingest release files: read → clean → chunk → embed → replace each release's chunks as a unit."""

from __future__ import annotations

import os
import re
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from filelock import FileLock, Timeout
from llama_index.core.schema import MetadataMode, TextNode
from tqdm import tqdm

from config import Settings
from vectorstore.addressed import addressed_spans
from vectorstore.chunking import ReleaseChunker
from vectorstore.cleaning import BoilerplateDetector, EmptyReleaseError, clean_release
from vectorstore.embedding import embed_model_path, load_embedder
from vectorstore.loading import RawRelease, ReleaseFileError, find_release_files, read_release
from vectorstore.records import CleanRelease
from vectorstore.store import ReleaseStore, StoredRelease, StoreUnavailableError

Report = Callable[[str], None]
# A release to write: its cleaned form, what the store has of it, its new version, its chunks.
Pending = tuple[CleanRelease, StoredRelease | None, str, list[TextNode]]


class IngestBusyError(StoreUnavailableError):
    """Another ingest or delete is writing the same store (another process, or another thread here)."""


def ingest_lock_path(settings: Settings) -> Path:
    """The lock writers of one store share: beside an embedded store, in data_dir for a server's collection."""
    if settings.chroma_host:
        key = re.sub(r"[^\w.-]+", "_", f"{settings.chroma_host}-{settings.chroma_port}-{settings.collection}")
        return settings.data_dir / "locks" / f"ingest-{key}.lock"
    # Per directory, not per collection: Chroma's embedded store is not safe for two writing processes.
    return settings.store.with_name(f"{settings.store.name}.ingest.lock")


@dataclass
class IngestSummary:
    added: int = 0
    updated: int = 0
    unchanged: int = 0
    skipped: int = 0
    deleted: int = 0
    chunks: int = 0
    seconds: float = 0.0
    messages: list[str] = field(default_factory=list)
    release_ids: list[str] = field(default_factory=list)

    def line(self) -> str:
        return (
            f"added: {self.added}, updated: {self.updated}, unchanged: {self.unchanged}, skipped: {self.skipped}, "
            f"deleted: {self.deleted}, chunks: {self.chunks}, seconds: {self.seconds:.1f}"
        )


def reference_texts(settings: Settings, raws: Iterable[RawRelease]) -> list[str]:
    """The corpus boilerplate is learnt from: the bundled releases plus what is being read now."""
    texts = {raw.path.resolve(): raw.text for raw in raws}
    if settings.releases_dir.is_dir():
        for path in find_release_files([settings.releases_dir])[0]:
            if path.resolve() not in texts:
                try:
                    texts[path.resolve()] = read_release(path, settings.max_file_bytes).text
                except ReleaseFileError:
                    continue
    return list(texts.values())


def clean_files(
    paths: list[Path], settings: Settings, report: Report, names: dict[Path, str] | None = None,
    progress: bool = False,
) -> list[CleanRelease]:
    """Read and clean files; each bad file is reported in one line and left out."""
    raws: list[RawRelease] = []
    for path in paths:
        try:
            raw = read_release(path, settings.max_file_bytes, (names or {}).get(path))
        except (ReleaseFileError, OSError) as exc:
            report(f"skipped {exc}")
            continue
        for note in raw.notes:
            report(f"note {note}")
        raws.append(raw)
    boilerplate = BoilerplateDetector.from_texts(reference_texts(settings, raws), settings.boilerplate_share,
                                                  settings.boilerplate_label_pages)
    cleaned: list[CleanRelease] = []
    for raw in tqdm(raws, desc="clean", unit="release", disable=not progress):
        try:
            release = clean_release(
                raw.text, release_id=raw.release_id, source_path=str(raw.path.resolve()),
                sha256=raw.sha256, boilerplate=boilerplate, notes=raw.notes,
            )
            release.withheld = addressed_spans(release.id, release.text)
            for start, end in release.withheld:
                report(f"note {raw.path.name}: withheld from answers, addressed to an AI model: "
                       f"{release.text[start:end][:80]!r}")
            cleaned.append(release)
        except EmptyReleaseError as exc:
            report(f"skipped {raw.path.name}: {exc}")
    return cleaned


class Ingestor:
    """Keeps the store in step with release files; idempotent and safe to interrupt.

    Each chunk records its release's version (fingerprint) and chunk count. A new version is
    written completely before the old one is deleted, so an interrupted run leaves the old
    release answerable and the next run finishes the job.

    ``ingest`` and ``delete`` hold an inter-process lock on the store (``ingest_lock_path``); when
    another writer holds it they wait up to ``lock_wait`` seconds, then raise ``IngestBusyError``.
    """

    def __init__(self, settings: Settings, store: ReleaseStore | None = None, *, lock_wait: float = 0.0):
        self.settings = settings
        self.store = store or ReleaseStore(settings)
        self.lock_wait = lock_wait
        self._lock_path = ingest_lock_path(settings)
        self._lock_path.parent.mkdir(parents=True, exist_ok=True)
        self._lock = FileLock(self._lock_path)  # per thread: a second thread here contends like a process
        self.embedder = load_embedder(settings)
        self.chunker = ReleaseChunker(
            settings.chunk_size, settings.chunk_overlap, embed_model_path(settings).name
        )

    def ingest(
        self, paths: list[Path], *, prune: bool = False, report: Report = print,
        progress: bool = True, names: dict[Path, str] | None = None, replace_others: bool = True,
    ) -> IngestSummary:
        """``replace_others=False``: a release whose id is stored from another source file is refused, not replaced."""
        with self._exclusive(report):
            return self._ingest(paths, prune=prune, report=report, progress=progress, names=names,
                                replace_others=replace_others)

    def _ingest(
        self, paths: list[Path], *, prune: bool, report: Report, progress: bool, names: dict[Path, str] | None,
        replace_others: bool,
    ) -> IngestSummary:
        started = time.perf_counter()
        summary = IngestSummary()

        def note(message: str) -> None:
            summary.messages.append(message)
            report(message)

        files, problems = find_release_files(paths)
        for problem in problems:
            note(f"skipped {problem}")
        releases = clean_files(files, self.settings, note, names, progress)
        summary.skipped = len(files) - len(releases)
        stored = self.store.releases()
        if prune:  # before de-duplication, so a renamed file is not taken for a copy of its old self
            for rid, info in list(stored.items()):
                if info.source_path and not Path(info.source_path).exists():
                    self.store.delete_release(rid)
                    del stored[rid]
                    summary.deleted += 1
                    note(f"deleted {rid}: {info.source_path} is gone")
        owner_of_text = {info.content_hash: rid for rid, info in stored.items()}

        pending: list[Pending] = []
        for release in tqdm(releases, desc="ingest", unit="release", disable=not progress):
            owner = owner_of_text.get(release.content_hash, release.id)
            if owner != release.id and (owner in stored or owner in summary.release_ids):
                note(f"skipped {Path(release.source_path).name}: same text as release {owner}, stored once")
                summary.skipped += 1
                continue
            previous = stored.get(release.id)
            if not replace_others and previous and previous.source_path != release.source_path \
                    and previous.content_hash != release.content_hash:
                note(f"skipped {Path(release.source_path).name}: release id {release.id} is taken by "
                     f"{Path(previous.source_path).name} (another file): delete that release first, or rename the file")
                summary.skipped += 1
                continue
            owner_of_text[release.content_hash] = release.id
            summary.release_ids.append(release.id)
            version = self.chunker.fingerprint(release)
            if previous is not None and version in previous.complete_versions():
                for old in set(previous.versions) - {version}:  # leftovers of an interrupted run
                    self.store.delete_version(release.id, old)
                summary.unchanged += 1
                summary.chunks += previous.versions[version][1]
                continue
            pending.append((release, previous, version, self.chunker.chunk(release)))
            # A release is ~4 chunks: embedding several releases per call keeps the encoder's batches full.
            if sum(len(nodes) for *_, nodes in pending) >= 4 * self.settings.embed_batch_size:
                self._write(pending, summary)
                pending = []
        self._write(pending, summary)

        summary.seconds = time.perf_counter() - started
        return summary

    def _write(self, pending: list[Pending], summary: IngestSummary) -> None:
        """Embed and store the releases' new versions together (one write), then drop their old versions."""
        written = [node for *_, nodes in pending for node in nodes]
        self._embed(written)
        self.store.add(written)
        for release, previous, version, nodes in pending:
            for old in set(previous.versions if previous else ()) - {version}:
                self.store.delete_version(release.id, old)
            if previous is None:
                summary.added += 1
            else:
                summary.updated += 1
            summary.chunks += len(nodes)

    def _embed(self, nodes: list[TextNode]) -> None:
        if not nodes:
            return
        # Shortest first: the encoder pads each batch to its longest text, so similar lengths waste less.
        texts = sorted(((node.get_content(metadata_mode=MetadataMode.EMBED), node) for node in nodes),
                       key=lambda pair: len(pair[0]))
        vectors = self.embedder.get_text_embedding_batch([text for text, _ in texts])
        for (_, node), vector in zip(texts, vectors):
            node.embedding = vector

    def delete(self, release_id: str) -> int:
        with self._exclusive(lambda message: None):
            return self.store.delete_release(release_id)

    def _where(self) -> str:
        if self.settings.chroma_host:
            return f"collection {self.settings.collection!r} of {self.settings.chroma_host}:{self.settings.chroma_port}"
        return str(self.settings.store)

    def _holder(self) -> str:
        try:
            pid = self._lock_path.read_text().strip()
        except OSError:
            pid = ""
        return f"pid {pid}{', this process' if pid == str(os.getpid()) else ''}" if pid.isdigit() else "pid unknown"

    @contextmanager
    def _exclusive(self, report: Report) -> Iterator[None]:
        """Hold the store's writer lock; the holder's pid is written into the lock file for others' messages."""
        try:
            self._lock.acquire(timeout=0)
        except Timeout:
            if self.lock_wait <= 0:
                raise IngestBusyError(
                    f"another ingest is running on {self._where()} ({self._holder()}); try again when it has finished"
                ) from None
            report(f"another ingest is running ({self._holder()}); waiting up to {self.lock_wait:g} s for it…")
            try:
                self._lock.acquire(timeout=self.lock_wait, poll_interval=0.2)
            except Timeout:
                raise IngestBusyError(
                    f"another ingest is still running on {self._where()} ({self._holder()}) after "
                    f"{self.lock_wait:g} s; try again when it has finished"
                ) from None
        try:
            self._lock_path.write_text(f"{os.getpid()}\n")
            yield
        finally:
            self._lock.release()
