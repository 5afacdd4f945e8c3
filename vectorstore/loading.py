"""Read release files (.txt or .html) into raw text, refusing what is not a release."""

from __future__ import annotations

import codecs
import hashlib
from dataclasses import dataclass, field
from pathlib import Path

from charset_normalizer import from_bytes

RELEASE_SUFFIXES = {".txt", ".html", ".htm"}


class ReleaseFileError(ValueError):
    """A file that cannot be read as a release; the message says why in one line."""


@dataclass
class RawRelease:
    path: Path
    release_id: str
    text: str
    sha256: str
    notes: list[str] = field(default_factory=list)


def find_release_files(paths: list[Path]) -> tuple[list[Path], list[str]]:
    """Expand directories into their release files; also returns a one-line problem per unusable path."""
    found: list[Path] = []
    problems: list[str] = []
    for path in paths:
        if path.is_dir():
            files = sorted(p for p in path.iterdir() if p.is_file() and p.suffix.lower() in RELEASE_SUFFIXES)
            found.extend(files)
            if not files:
                problems.append(f"{path}: no release files (.txt, .html) in this directory")
        elif path.exists():
            found.append(path)
        else:
            problems.append(f"{path}: no such file or directory")
    return found, problems


def read_release(path: Path, max_bytes: int, display_name: str | None = None) -> RawRelease:
    """Read and decode one release file; HTML is reduced to its main text first."""
    name = display_name or path.name
    if path.suffix.lower() not in RELEASE_SUFFIXES:
        raise ReleaseFileError(f"{name}: not a release file (expected .txt or .html)")
    size = path.stat().st_size
    if size == 0:
        raise ReleaseFileError(f"{name}: empty file")
    if size > max_bytes:
        raise ReleaseFileError(f"{name}: {size:,} bytes is over the {max_bytes:,}-byte limit for a release")
    data = path.read_bytes()
    notes: list[str] = []
    text = _decode(data, name, notes)
    if path.suffix.lower() in {".html", ".htm"}:
        text = _html_main_text(text, name)
    return RawRelease(path, Path(name).stem, text, hashlib.sha256(data).hexdigest(), notes)


# UTF-16 and UTF-32 text is full of NUL bytes: a byte-order mark says it is text before the binary check would refuse it.
BOMS = [(codecs.BOM_UTF32_LE, "utf-32"), (codecs.BOM_UTF32_BE, "utf-32"), (codecs.BOM_UTF16_LE, "utf-16"),
        (codecs.BOM_UTF16_BE, "utf-16")]


def _decode(data: bytes, name: str, notes: list[str]) -> str:
    for bom, encoding in BOMS:
        if data.startswith(bom):
            try:
                text = data.decode(encoding)
            except UnicodeDecodeError as exc:
                raise ReleaseFileError(f"{name}: starts as {encoding.upper()} text but does not decode ({exc.reason})")
            notes.append(f"{name}: not UTF-8; decoded as {encoding}")
            return text
    if b"\x00" in data[:8192]:
        raise ReleaseFileError(f"{name}: binary file, not text")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        pass
    best = from_bytes(data).best()
    if best is None:
        raise ReleaseFileError(f"{name}: binary file, not text")
    text = str(best)
    controls = sum(1 for ch in text if ord(ch) < 32 and ch not in "\n\r\t")
    if controls > 0.01 * len(text):
        raise ReleaseFileError(f"{name}: binary file, not text")
    notes.append(f"{name}: not UTF-8; decoded as {best.encoding}")
    return text


def _html_main_text(html: str, name: str) -> str:
    import trafilatura

    extracted = trafilatura.bare_extraction(html, include_comments=False, include_tables=False, with_metadata=True)
    if extracted is None or not (extracted.text or "").strip():
        raise ReleaseFileError(f"{name}: no main text found in the HTML page")
    title = (extracted.title or "").strip()
    # The canonical address goes first as a "url:" line, the form a saved text page carries it in; cleaning reads it.
    address = [f"url: {extracted.url}"] if extracted.url else []
    return "\n".join([*address, *([title] if title else []), extracted.text])
