"""Adding and removing releases while serving: shared by the chat's upload and the HTTP API."""

from __future__ import annotations

import hashlib
import re
import shutil
import tempfile
import threading
from collections.abc import Iterable
from pathlib import Path
from typing import BinaryIO

from qa import ReleaseQA
from vectorstore.ingest import Ingestor, IngestSummary

_changing = threading.Lock()  # one ingest or delete at a time, whichever front end asked


# File systems take names of at most 255 bytes; the kept name leaves room for a suffix and stays readable.
MAX_NAME_BYTES = 120


def safe_filename(name: str) -> str:
    """An uploaded file's name without its folders ("../x.txt" → "x.txt") or unusual characters, at most
    ``MAX_NAME_BYTES`` bytes (a longer stem is cut, the suffix kept)."""
    name = re.split(r"[\\/]", name or "")[-1]
    name = re.sub(r"[^\w.-]+", "_", name).lstrip(".") or "upload"
    path = Path(name)
    stem, suffix = path.stem, path.suffix[:16]
    while len((stem + suffix).encode()) > MAX_NAME_BYTES:
        stem = stem[:-1]
    return stem + suffix


INCOMING = ".incoming-"  # an upload being received; renamed to its kept folder once whole
PENDING = ".pending"  # in a kept folder from its arrival until its ingest ends (stored, or refused and removed)


class UploadRefusedError(ValueError):
    """An upload refused as a whole (too many files); the message says why."""


def _keep(root: Path, name: str, data: BinaryIO, max_bytes: int) -> Path | None:
    """Write an upload to ``root/<hash of name and content>/name`` (the same file lands in the same place);
    None, with nothing kept, when it is over ``max_bytes``."""
    root.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(dir=root, prefix=INCOMING))
    digest = hashlib.sha256(name.encode())
    size = 0
    try:
        with open(staging / name, "wb") as out:
            while block := data.read(1 << 20):
                size += len(block)
                if size > max_bytes:  # stop reading: an oversized upload never fills the disk
                    break
                digest.update(block)
                out.write(block)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    target = root / digest.hexdigest()[:16]
    if size > max_bytes or target.exists():
        shutil.rmtree(staging)
    else:
        (staging / PENDING).touch()
        staging.rename(target)
    return None if size > max_bytes else target / name


def _uploads(ingestor: Ingestor) -> Path:
    """Where uploaded files are kept: ``<data_dir>/uploads``, resolved as the store records sources."""
    return (ingestor.settings.data_dir / "uploads").resolve()


def add_releases(bot: ReleaseQA, ingestor: Ingestor, files: Iterable[tuple[str, BinaryIO]],
        progress: bool = False) -> IngestSummary:
    """Validate, clean and ingest uploaded (name, content) pairs; answerable at once.

    Files are kept under ``<data_dir>/uploads`` (the store records where a release came from,
    and ``ingest --prune`` drops releases whose file is gone) until the release is deleted; refused
    files are not kept. A file whose release id is taken by another file is refused, not replacing it.
    """
    settings = ingestor.settings
    files = list(files)
    if len(files) > settings.max_upload_files:
        raise UploadRefusedError(f"{len(files)} files in one upload; the limit is {settings.max_upload_files} "
                                 "(RELEASEBOT_MAX_UPLOAD_FILES)")
    with _changing:
        oversized, paths = [], []
        summary = IngestSummary()
        try:
            for name, data in files:
                kept = _keep(_uploads(ingestor), safe_filename(name), data, settings.max_file_bytes)
                if kept is None:
                    oversized.append(f"skipped {safe_filename(name)}: over the {settings.max_file_bytes:,}-byte "
                                     "limit for a release (RELEASEBOT_MAX_FILE_BYTES)")
                else:
                    paths.append(kept)
            if paths:
                summary = ingestor.ingest(paths, report=lambda message: None, progress=progress, replace_others=False)
        finally:  # a file kept is a file ingested: whatever was not (refused, or the request failed) goes
            for path in paths:
                if path.stem not in summary.release_ids:
                    shutil.rmtree(path.parent, ignore_errors=True)
                else:
                    (path.parent / PENDING).unlink(missing_ok=True)
            bot.refresh()
        summary.messages[:0] = oversized
        summary.skipped += len(oversized)
    return summary


def recover_uploads(ingestor: Ingestor) -> list[str]:
    """After a crash: uploads half received are removed, and whole ones whose ingest never ended are ingested (or
    removed if refused). Returns one line per file for the log."""
    root = _uploads(ingestor)
    if not root.is_dir():
        return []
    lines, pending = [], []
    for folder in sorted(p for p in root.iterdir() if p.is_dir()):
        files = [p for p in folder.iterdir() if p.is_file() and p.name != PENDING]
        if folder.name.startswith(INCOMING):
            shutil.rmtree(folder, ignore_errors=True)
            lines.append(f"removed an upload that was not received whole: {', '.join(p.name for p in files) or '-'}")
        elif (folder / PENDING).exists():
            pending += files
    if pending:
        with _changing:
            summary = ingestor.ingest(pending, report=lambda message: None, progress=False, replace_others=False)
        for path in pending:
            if path.stem in summary.release_ids:
                (path.parent / PENDING).unlink(missing_ok=True)
                lines.append(f"ingested {path.name}, uploaded before the server stopped")
            else:
                shutil.rmtree(path.parent, ignore_errors=True)
                lines.append(f"removed {path.name}, uploaded before the server stopped but refused: "
                             + "; ".join(m for m in summary.messages if path.name in m))
    return lines


def delete_release(bot: ReleaseQA, ingestor: Ingestor, release_id: str) -> int:
    """Remove a release from the store and the answering index, and its file if it came as an upload;
    returns its number of chunks (0: unknown)."""
    with _changing:
        source = Path(bot.retriever.metadata.get(release_id, {}).get("source_path", ""))
        removed = ingestor.delete(release_id)
        if removed:
            if source.parent.parent == _uploads(ingestor):
                shutil.rmtree(source.parent, ignore_errors=True)
            bot.refresh()
    return removed
