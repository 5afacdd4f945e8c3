"""Turn a scraped press-release page into a clean release: text, title, dateline, contacts.

Written by hand: no maintained library knows this site's debris (attribute fragments,
repeated photo captions, 70-column hard wraps), and boilerplate is learnt from the corpus.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable, Iterable
from datetime import date
from urllib.parse import urlsplit

import cssselect
import lxml.html
import lxml.html.defs
import tinycss2

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
_TERMINAL = re.compile(r"""[.!?:;。！？]["'”’)\]」』]*$""")
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
    """Lines shared by most releases of a corpus (site menus, footers) are boilerplate, and so are labels (short
    lines that end no sentence and hold no figure: share bars, menu items) that several releases repeat."""

    def __init__(self, lines: set[str], labels: set[str] = frozenset()):
        self.lines = lines
        self.labels = labels

    @classmethod
    def from_texts(cls, texts: Iterable[str], min_share: float = 0.6, label_pages: int = 3) -> "BoilerplateDetector":
        texts = list(texts)
        frequency: Counter[str] = Counter()
        for text in texts:
            frequency.update({normalise_line(line) for line in text.splitlines() if line.strip()})
        learnt: set[str] = set()
        if len(texts) >= 3:  # with fewer documents every shared line would look like boilerplate
            threshold = max(2, min_share * len(texts))
            learnt = {line for line, n in frequency.items() if n >= threshold}
        labels = {line for line, n in frequency.items()
                  if n >= label_pages and _is_bare_label(line)}
        return cls(SEED_BOILERPLATE | learnt, labels)

    def __contains__(self, line: str) -> bool:
        return normalise_line(line) in self.lines

    def is_label(self, line: str) -> bool:
        return normalise_line(line) in self.labels


SHARED = "navigation or boilerplate: a line most releases share"


def clean_release(
    raw: str, *, release_id: str, source_path: str, sha256: str,
    boilerplate: BoilerplateDetector, notes: list[str] | None = None,
) -> CleanRelease:
    """Clean one release. Raises EmptyReleaseError when nothing but boilerplate is left."""
    photo_date = _photo_date(raw)
    removed: list[Removal] = []
    raw = _strip_comments(raw, removed)
    lines = [line.replace("\u00a0", " ").rstrip() for line in raw.replace("\r\n", "\n").replace("\r", "\n").split("\n")]
    url, lines = _page_address(lines, removed)
    lines = _strip_markup(_strip_debris(lines, removed), removed)
    body, contact_lines = _split_contacts(lines)
    body = _drop_header(_drop(body, boilerplate.__contains__, SHARED, removed), removed)
    # Labels other releases repeat go wherever they stand in the body; the title is not offered.
    body = _drop_trailer(body[:1] + _drop(body[1:], boilerplate.is_label, "navigation: a label several releases repeat",
                                          removed), removed)
    # A press office that signs most releases is still their contact: the block is kept up to its last e-mail
    # or phone; only what follows (the site's footer) can be boilerplate.
    last = max((i for i, line in enumerate(contact_lines) if is_contact_detail(line)), default=0)
    footer = _drop(contact_lines[last + 1:], boilerplate.__contains__, SHARED, removed)
    contact_lines = contact_lines[:last + 1] + _drop(
        footer, lambda line: bool(line.strip()) and _is_label(line), "navigation: the page's footer, after the contact "
        "block", removed)
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
        id=release_id, title=title, location=location, date=photo_date, url=url,
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


def _page_address(lines: list[str], removed: list[Removal]) -> tuple[str | None, list[str]]:
    """A ``url:`` line heading the page (saved text files carry one; loading writes one for an HTML page's canonical
    link) is the page's address, kept as metadata rather than text."""
    at = next((i for i, line in enumerate(lines) if line.strip()), None)
    if at is None:
        return None, lines
    key, _, address = lines[at].strip().partition(":")
    parts = urlsplit(address.strip())
    if key.lower() != "url" or parts.scheme not in ("http", "https") or not parts.netloc:
        return None, lines
    removed.append(Removal(text=lines[at].strip(), reason="the page's address, stored as the release's url"))
    return address.strip(), lines[:at] + lines[at + 1:]


def _strip_markup(lines: list[str], removed: list[Removal]) -> list[str]:
    """HTML tags and CSS rules the saving tool left in the text, read by an HTML parser (lxml) and a CSS parser
    (tinycss2): a tag goes and the text it wrapped stays; a line that is only a style rule goes."""
    kept = []
    for line in lines:
        text = line
        if "<" in line and (fragment := _is_markup(line)) is not None:
            text = fragment.text_content()
            if text.strip() != line.strip():
                removed.append(Removal(text=line.strip(), reason="markup: HTML tags left in the text (their text, "
                                       f"if any, kept: {text.strip()[:60]!r})"))
        if "{" in text and (rule := _leading_style_rule(text)):
            removed.append(Removal(text=rule.strip(), reason="markup: a CSS style rule left in the text"))
            text = text[len(rule):]
        if text.strip():
            kept.append(text)
    return kept


def _is_markup(line: str) -> lxml.html.HtmlElement | None:
    """The line parsed as HTML, if every element the parser found is one HTML defines: "<系统>…</系统>" is the
    release's words in angle brackets, not a tag a saving tool left (the parser reads "</系统>" as a comment; only
    one written "<!--" is)."""
    fragment = lxml.html.fragment_fromstring(line, create_parent="div")
    known = all(element.tag in lxml.html.defs.tags if isinstance(element.tag, str) else "<!--" in line
                for element in fragment.iterdescendants())
    return fragment if known else None


def _leading_style_rule(line: str) -> str:
    """The CSS rule a line starts with (".field-content{margin:0}", perhaps glued to the paragraph after it), or ""."""
    tokens = tinycss2.parse_component_value_list(line)
    block = next((i for i, token in enumerate(tokens) if token.type == "{} block"), None)
    if block is None:
        return ""
    # tinycss2's source columns are 1-based
    end = len(line) if block + 1 == len(tokens) else tokens[block + 1].source_column - 1
    rules = tinycss2.parse_stylesheet(line[:end], skip_whitespace=True, skip_comments=True)
    is_rule = len(rules) == 1 and rules[0].type == "qualified-rule" and _is_selector(
        tinycss2.serialize(rules[0].prelude)) and all(
        item.type == "declaration"
        for item in tinycss2.parse_declaration_list(rules[0].content, skip_whitespace=True, skip_comments=True))
    return line[:end] if is_rule else ""


def _is_selector(text: str) -> bool:
    """Whether ``text`` is a CSS selector (cssselect's parser): "ai_reader: {mode: …}" in a release is not a rule."""
    try:
        return bool(cssselect.parse(text.strip()))
    except cssselect.SelectorError:
        return False


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
AFTER_PLACE_CHARS = 40
_DASH = re.compile(r"\s[-–—]\s|[–—]")  # the dash a dateline ends with
# A line this short with no sentence end is a label ("Share", "Related news"), not the release's prose.
LABEL_MAX_WORDS = 8


def _drop_header(lines: list[str], removed: list[Removal]) -> list[str]:
    """A page's own header (menus, a site's "who we are" text, "News / Global"), found by structure where no other page
    repeats it: what stands before the release's title is the site's, not the release's."""
    title = _title_at(lines)
    removed.extend(Removal(text=debris.strip(), reason="navigation: the page's header, before the release's title")
                   for debris in lines[:title])
    return lines[title:]


def _title_at(lines: list[str]) -> int:
    """Where the release's title is: the line before its dateline; without a dateline, the line before the first
    paragraph that prose continues (at least half of the next three lines), provided what precedes it reads as a menu
    (short lines, at most one prose line in four: a regional site's "who we are" paragraph), so a lead paragraph is
    never taken for a header."""
    for at, line in enumerate(lines[:60]):
        if at >= 1 and _is_dateline(line.strip()):
            return at - 1
    prose = [_is_prose(line) for line in lines[:64]]
    for at in range(1, min(len(lines), 60)):
        ahead = prose[at + 1:at + 4]
        if prose[at] and any(ahead) and 2 * sum(ahead) >= len(ahead):
            before = prose[:at - 1]
            return at - 1 if sum(before) * 3 <= len(before) - sum(before) else 0
    return 0


# A prose line: a sentence's end, or (hard-wrapped text) a run of words most of which are lower case, unlike a
# title's or a menu's; the lengths keep menu items and short captions out.
PROSE_MIN_CHARS, PROSE_MIN_WORDS = 40, 8


def _is_prose(line: str) -> bool:
    stripped = line.strip()
    if _TERMINAL.search(stripped) and len(stripped) >= PROSE_MIN_CHARS:
        return True
    words = [word for word in stripped.split() if word[0].isalpha()]
    return len(words) >= PROSE_MIN_WORDS and sum(word[0].islower() for word in words) >= len(words) / 2


def _is_dateline(line: str) -> bool:
    place = opening_place(line)
    if not place:
        return False
    after = line[len(place):len(place) + AFTER_PLACE_CHARS]
    return bool(_DASH.search(after) or stated_date(after))


def _is_label(line: str) -> bool:
    """A short line that ends no sentence: a menu item, a share bar, "Related news"."""
    stripped = line.strip()
    return len(stripped.split()) <= LABEL_MAX_WORDS and not _TERMINAL.search(stripped)


def _is_bare_label(line: str) -> bool:
    """A label holding no figure: a dated caption or a phone number is not one."""
    return _is_label(line) and not any(ch.isdigit() for ch in line)


def _drop_trailer(lines: list[str], removed: list[Removal]) -> list[str]:
    """Labels after the release's last paragraph ("Share this: Facebook Twitter Email", tags): the page's. A label
    with a figure (a dated caption) is kept, and so are the title and one paragraph."""
    end = len(lines)
    while end > 2 and _is_bare_label(lines[end - 1]):
        end -= 1
    removed.extend(Removal(text=line.strip(), reason="navigation: links after the release's last paragraph")
                   for line in lines[end:])
    return lines[:end]


def _drop(lines: list[str], unwanted: Callable[[str], bool], reason: str, removed: list[Removal]) -> list[str]:
    """The lines ``unwanted`` does not pick; those it picks are recorded as removed for ``reason``."""
    kept = []
    for line in lines:
        if unwanted(line):
            removed.append(Removal(text=line.strip(), reason=reason))
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
