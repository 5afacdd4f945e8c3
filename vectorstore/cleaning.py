"""Turn a scraped press-release page into a clean release: text, title, dateline, contacts.

Written by hand: no maintained library knows this site's debris (attribute fragments,
repeated photo captions, 70-column hard wraps), and boilerplate is learnt from the corpus.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable
from datetime import date

from vectorstore.catalog import opening_place, stated_date
from vectorstore.contacts import CONTACT_MARKER, is_contact_detail, parse_contacts
from vectorstore.records import CleanRelease, Removal

# Navigation seen on the IOM site; corpus statistics find the rest (and other sites' menus).
SEED_BOILERPLATE = {
    "who we are", "our work", "what we do", "partnerships", "highlights", "- where we work",
    "take action", "work with us", "get involved", "- data and research", "- 2030 agenda", "-",
}
_ATTRIBUTE_LINE = re.compile(r"^(src|href|alt|class|style)=\s*$", re.I)
_QUOTED_PATH = re.compile(r'^"[^"\s]*/[^"\s]*"\s*/?>\s*$')
_COMMENT = re.compile(r"<!--.*?-->\s?", re.S)  # HTML's comment syntax
_MAILTO = re.compile(r'"mailto:([^"]+)">\s*(\S+@\S+)')
_PHOTO_DATE = re.compile(r"[a-z]{2}((?:19|20)\d{6})_\d+\.(?:jpe?g|png|gif)", re.I)
_DATELINE = re.compile(r"^((?:[A-Z][\w.'’]*)(?:[ ,]+[A-Z][\w.'’]*){0,3})\s+[-–—]\s+(?=\S)")
_TERMINAL = re.compile(r"""[.!?:;]["'”’)\]]*$""")
_WORD = re.compile(r"\w+")
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[A-Z\"“])")
MAX_WRAP_WIDTH = 100
_DANGLING_DASH = re.compile(r"(\S@\S+\.\w+)-$")  # a menu's "-" glued to the last line of a page


def strip_dateline(paragraph: str) -> str:
    """The paragraph without its leading dateline ("Beijing - ")."""
    return _DATELINE.sub("", paragraph, count=1)


class EmptyReleaseError(ValueError):
    """The input has no release text once boilerplate and debris are removed."""


def normalise_line(line: str) -> str:
    return " ".join(line.split()).lower()


class BoilerplateDetector:
    """Lines shared by most releases of a corpus (site menus, footers) are boilerplate."""

    def __init__(self, lines: set[str]):
        self.lines = lines

    @classmethod
    def from_texts(cls, texts: Iterable[str], min_share: float = 0.6) -> "BoilerplateDetector":
        texts = list(texts)
        frequency: Counter[str] = Counter()
        for text in texts:
            frequency.update({normalise_line(line) for line in text.splitlines() if line.strip()})
        learnt: set[str] = set()
        if len(texts) >= 3:  # with fewer documents every shared line would look like boilerplate
            threshold = max(2, min_share * len(texts))
            learnt = {line for line, n in frequency.items() if n >= threshold}
        return cls(SEED_BOILERPLATE | learnt)

    def __contains__(self, line: str) -> bool:
        return normalise_line(line) in self.lines


def clean_release(
    raw: str, *, release_id: str, source_path: str, sha256: str,
    boilerplate: BoilerplateDetector, notes: list[str] | None = None,
) -> CleanRelease:
    """Clean one release. Raises EmptyReleaseError when nothing but boilerplate is left."""
    photo_date = _photo_date(raw)
    removed: list[Removal] = []
    raw = _strip_comments(raw, removed)
    lines = [line.replace("\u00a0", " ").rstrip() for line in raw.replace("\r\n", "\n").replace("\r", "\n").split("\n")]
    lines = _strip_debris(lines, removed)
    body, contact_lines = _split_contacts(lines)
    body = _drop_header(_drop_boilerplate(body, boilerplate, removed), removed)
    # A press office that signs most releases is still their contact: the block is kept up to its last e-mail
    # or phone; only what follows (the site's footer) can be boilerplate.
    last = max((i for i, line in enumerate(contact_lines) if is_contact_detail(line)), default=0)
    contact_lines = contact_lines[:last + 1] + _drop_footer(
        _drop_boilerplate(contact_lines[last + 1:], boilerplate, removed), removed)
    if not body:
        raise EmptyReleaseError("no release text left after removing site boilerplate")
    title, body = body[0].strip(), body[1:]
    body = _drop_repeated_captions(body, removed)
    paragraphs = _unwrap(body)
    location = None
    if paragraphs and (match := _DATELINE.match(paragraphs[0])):
        location = match.group(1)
    contact_block = "\n".join(contact_lines)
    text = "\n\n".join([title, *paragraphs, *([contact_block] if contact_block else [])])
    return CleanRelease(
        id=release_id, title=title, location=location, date=photo_date,
        contacts=parse_contacts(contact_lines), text=text,
        source_path=source_path, sha256=sha256, notes=notes or [], removed=removed,
    )


def _photo_date(raw: str) -> str | None:
    """The site names photos after their day (cn20110315_1.jpg); the only date most pages carry."""
    for match in _PHOTO_DATE.finditer(raw):
        stamp = match.group(1)
        try:
            return date(int(stamp[:4]), int(stamp[4:6]), int(stamp[6:])).isoformat()
        except ValueError:
            continue
    return None


def _strip_comments(raw: str, removed: list[Removal]) -> str:
    """HTML comments left in a saved page: a browser never shows them, so no reader of the release sees them."""
    def drop(match: re.Match) -> str:
        removed.append(Removal(text=match.group(), reason="markup: an HTML comment, never shown on the page"))
        return ""

    return _COMMENT.sub(drop, raw)


def _strip_debris(lines: list[str], removed: list[Removal]) -> list[str]:
    """Remove HTML attribute fragments left by the scraper and merge split e-mail lines."""
    kept: list[str] = []
    for line in lines:
        if _ATTRIBUTE_LINE.match(line.strip()) or _QUOTED_PATH.match(line.strip()):
            removed.append(Removal(text=line.strip(), reason="markup: an HTML attribute fragment left by the scraper"))
            continue
        line = _DANGLING_DASH.sub(r"\1", _MAILTO.sub(r"\2", line))
        if kept and re.fullmatch(r"\s*e-?mail:\s*", kept[-1], re.I) and "@" in line:
            kept[-1] = f"{kept[-1].strip()} {line.strip()}"
            continue
        if line.strip():
            kept.append(line)
    return kept


# A dateline is a place, then a dash or a date, within this many characters ("Tirana, 20 June 2008 –", "Bangkok –"):
# a sentence that merely opens with a place ("Italy, Greece and other countries…") has neither.
DATELINE_CHARS = 40
_DASH = re.compile(r"\s[-–—]\s|[–—]")  # the dash a dateline ends with
# After the contact block, a line this short with no sentence end is the site's footer ("Share", "Related news").
FOOTER_MAX_WORDS = 8


def _drop_header(lines: list[str], removed: list[Removal]) -> list[str]:
    """A page's own header (menus, a site's "who we are" text, "News / Global"), found by structure where no other page
    repeats it: the release's title is the line before its dateline paragraph, and what comes before the title is the
    site's, not the release's."""
    for at, line in enumerate(lines[:60]):
        if at >= 2 and _is_dateline(line.strip()):
            title = max(i for i in range(at) if lines[i].strip())
            removed.extend(Removal(text=debris.strip(), reason="navigation: the page's header, before the release's "
                                   "title") for debris in lines[:title] if debris.strip())
            return lines[title:]
    return lines


def _is_dateline(line: str) -> bool:
    place = opening_place(line)
    if not place:
        return False
    after = line[len(place):len(place) + DATELINE_CHARS]
    return bool(_DASH.search(after) or stated_date(after))


def _drop_footer(lines: list[str], removed: list[Removal]) -> list[str]:
    """Short lines after the contact block that end no sentence: the site's footer."""
    kept = []
    for line in lines:
        stripped = line.strip()
        if stripped and len(stripped.split()) <= FOOTER_MAX_WORDS and not _TERMINAL.search(stripped):
            removed.append(Removal(text=stripped, reason="navigation: the page's footer, after the contact block"))
        else:
            kept.append(line)
    return kept


def _drop_boilerplate(lines: list[str], boilerplate: BoilerplateDetector, removed: list[Removal]) -> list[str]:
    kept = []
    for line in lines:
        if line in boilerplate:
            removed.append(Removal(text=line.strip(), reason="navigation or boilerplate: a line most releases share"))
        else:
            kept.append(line)
    return kept


def _split_contacts(lines: list[str]) -> tuple[list[str], list[str]]:
    for i, line in enumerate(lines):
        if CONTACT_MARKER.match(line.strip()):
            return lines[:i], [line.strip() for line in lines[i:]]
    return lines, []


def _shingles(text: str, n: int = 6) -> set[tuple[str, ...]]:
    words = _WORD.findall(text.lower())
    return {tuple(words[i:i + n]) for i in range(len(words) - n + 1)}


def _drop_repeated_captions(lines: list[str], removed: list[Removal], min_overlap: float = 0.5) -> list[str]:
    """Drop the sentences of a quoted photo caption that repeat the body (the scraper keeps alt text); what a
    caption adds (its dates, places, names) stays, unquoted, where it was."""
    kept: list[str] = []
    for at, line in enumerate(lines):
        stripped = line.strip()
        if not (stripped.startswith(('"', "“")) and stripped.endswith(('"', "”"))):
            kept.append(line)
            continue
        others = kept + lines[at + 1:]
        rest = _shingles(" ".join(others))
        new, repeated = [], []
        for sentence in _SENTENCE_END.split(stripped[1:-1].strip()):
            own = _shingles(sentence)
            (repeated if own and len(own & rest) / len(own) >= min_overlap else new).append(sentence)
        if not repeated:
            kept.append(line)
            continue
        source = next((other.strip() for other in others if _shingles(other) & _shingles(repeated[0])), "")
        removed.append(Removal(text=" ".join(repeated), reason=f"photo caption repeating the body: “{source[:60]}…”"))
        if new:
            kept.append(" ".join(new))
    return kept


def _unwrap(lines: list[str]) -> list[str]:
    """Join hard-wrapped lines into paragraphs.

    A line ends a paragraph when it ends a sentence and the next line's first word would
    have fitted on it, i.e. the author broke it, not the wrapper.
    """
    if not lines:
        return []
    lengths = sorted(len(line) for line in lines)
    width = lengths[int(0.8 * (len(lengths) - 1))]
    if width > MAX_WRAP_WIDTH:  # not hard-wrapped: every line is a paragraph
        return [line.strip() for line in lines]
    paragraphs: list[str] = []
    current = lines[0].strip()
    for previous, line in zip(lines, lines[1:]):
        next_word = line.split()[0]
        author_break = _TERMINAL.search(previous.rstrip()) and len(previous) + 1 + len(next_word) <= width
        if author_break or len(previous) > MAX_WRAP_WIDTH:
            paragraphs.append(current)
            current = line.strip()
        else:
            current = f"{current} {line.strip()}"
    paragraphs.append(current)
    return paragraphs
