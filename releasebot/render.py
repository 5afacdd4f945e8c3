"""HTML for the chat: the answer message with its sources, and the sources panel. Everything is escaped.

A message is one HTML block with no blank line in it: Markdown leaves it as it is, so text from a release or a question
("[a page](http://…)", a bare address) shows as text, never as a link; the only links are an answer's [n] markers, each to
its own source card under the answer (ids unique to the answer, so an earlier answer's [2] still finds its card).
"""

from __future__ import annotations

import re
from collections import Counter
from html import escape, unescape
from urllib.parse import urlsplit

from qa import Answer, Citation
from qa.evidence import Passage
from qa.text import releases
from qa.understanding import language_name

PANEL_EMPTY = "<div class='rb-empty'>Sources for the latest answer appear here.</div>"


def _where(location: str, date: str, release_id: str) -> str:
    parts = [part for part in (location, date) if part]
    return escape(" · ".join([*parts, f"release {release_id}"]))


def _page_link(citation: Citation) -> str:
    """The release's title, linked to its page where the saved page gave an http(s) address."""
    title = f"<b>{escape(citation.title)}</b>"
    if urlsplit(citation.url).scheme not in ("http", "https"):
        return title
    return f"<a class='rb-page' href='{escape(citation.url)}' target='_blank' rel='noopener noreferrer'>{title}</a>"


def _highlight(passage: str, sentence: str) -> str:
    """The passage with its supporting sentence in <mark> (the panel shows why the claim holds)."""
    sentence = sentence.replace("\n", "; ")
    at = passage.find(sentence) if sentence else -1
    if at < 0:
        return escape(passage)
    return f"{escape(passage[:at])}<mark>{escape(sentence)}</mark>{escape(passage[at + len(sentence):])}"


def citation_card(citation: Citation, key: str = "") -> str:
    """A source: the release, and its passage with the supporting sentence highlighted; with ``key`` (under an answer,
    the [n] links' target), only the sentence itself."""
    anchor = f" id='{key}-{citation.number}'" if key else ""
    text = f"<mark>{escape(citation.sentence)}</mark>" if key and citation.sentence else \
        _highlight(citation.text, citation.sentence)
    return (
        f"<div class='rb-source'{anchor}>"
        f"<div class='rb-head'><span class='rb-num'>[{citation.number}]</span> {_page_link(citation)}</div>"
        f"<div class='rb-meta'>{_where(citation.location, citation.date, citation.source)}</div>"
        f"<div class='rb-text'>{text}</div></div>"
    )


def sources_panel(answer: Answer) -> str:
    if answer.abstained or not answer.citations:
        return "<div class='rb-empty'>No source supports an answer to this question.</div>"
    return "".join(citation_card(c) for c in answer.citations)


def found_panel(passages: list[Passage]) -> str:
    """Shown before the first token: which releases retrieval found."""
    if not passages:
        return "<div class='rb-empty'>No release matched the question.</div>"
    cards = [
        f"<div class='rb-source rb-pending'><div class='rb-head'><span class='rb-num'>[{p.number}]</span> "
        f"<b>{escape(p.title)}</b></div><div class='rb-meta'>{_where(p.location, p.date, p.release_id)}</div>"
        f"<div class='rb-text'>{escape(p.text)}</div></div>"
        for p in passages
    ]
    return "<div class='rb-status'>Found these passages; writing the answer…</div>" + "".join(cards)


_MARKER = re.compile(r"\[(\d+)\]")  # an answer's citation marker, as the pipeline writes it


def chat_text(text: str, key: str = "", numbers: set[int] = frozenset()) -> str:
    """Text as an HTML block: escaped, lines kept; with ``key``, each [n] of ``numbers`` links to its card."""
    html = escape(text, quote=False).replace("\n", "<br>")
    if key:
        html = _MARKER.sub(lambda m: f"<a class='rb-cite' href='#{key}-{m.group(1)}'>[{m.group(1)}]</a>"
                           if int(m.group(1)) in numbers else m.group(0), html)
    return f"<div class='rb-message'>{html}</div>"


def answer_message(answer: Answer, key: str) -> str:
    """The chat message: the verified answer with links to its source cards below it, flagged claims marked,
    abstentions worded as such. ``key`` is unique to the answer."""
    if answer.abstained:
        return chat_text(answer.text)
    numbers = {c.number for c in answer.citations}
    parts = [chat_text(answer.text, key, numbers)]
    if unsupported := answer.unsupported_claims:
        parts.append("<div class='rb-flagged'><b>Not supported by the sources:</b><br>"
                     + "<br>".join(escape(claim.text, quote=False) for claim in unsupported) + "</div>")
    if answer.citations:
        parts.append("<div class='rb-sources'><div class='rb-sources-title'>Sources</div>"
                     + "".join(citation_card(c, key) for c in answer.citations) + "</div>")
    return "".join(parts)


def spoken(codes: list[str]) -> str:
    """ISO 639-1 codes as a reader says them: "English, French or Spanish"."""
    names = [language_name(code) for code in codes]
    return f"{', '.join(names[:-1])} or {names[-1]}" if len(names) > 1 else "".join(names)


def landing(catalog: dict[str, dict], languages: list[str]) -> str:
    """What the archive holds and what can be asked of it, and in which languages (ISO 639-1 codes: Markdown, shown
    once the visitor may see the corpus)."""
    if not catalog:
        return "The archive is empty: add releases under *Add releases* below, or run `releasebot ingest`."
    countries = Counter(m.get("country") for m in catalog.values() if m.get("country"))
    years = sorted({m["date"][:4] for m in catalog.values() if m.get("date")})
    top = ", ".join(f"{name} ({n})" for name, n in countries.most_common(8))
    more = f" and {len(countries) - 8} more" if len(countries) > 8 else ""
    dated = sum(1 for m in catalog.values() if m.get("date"))
    when = (f"published {years[0]}–{years[-1]}" if len(years) > 1 else f"published {years[0]}") if years else \
        "none with a known date"
    return (f"**The archive holds {releases(len(catalog))}**"
            + (f" about {len(countries)} countr{'ies' if len(countries) != 1 else 'y'}: {escape(top)}{more}" if top else "")
            + f"; {when} ({dated} with a known date).\n\n"
            "Ask a fact (*who funded…, how many…, how do I reach…*), then follow up; ask across the archive "
            "(*which releases mention…, list the trainings in 2011, how many… in total*), or side by side "
            f"(*which ministry co-organised each training?*). Ask in {spoken(languages)}: the answer comes in the "
            "question's language. "
            "Filters (country, releases, dates) are under *Settings and filters*.")


def plain(message) -> str:
    """A chat message of ours back as the text it shows, without its source cards or notes: what a follow-up's
    rewriting reads of the conversation (the cards would cost the model hundreds of tokens)."""
    text = message if isinstance(message, str) else str(message or "")
    for block in ("<div class='rb-flagged'>", "<div class='rb-sources'>"):
        text = text.split(block)[0]
    return unescape(re.sub(r"<[^>]+>", "", text.replace("<br>", "\n"))).strip()  # our own markup, tags only


def step(text: str) -> str:
    """A step of the work shown while the answer is not yet written (rewriting the question, searching, reading)."""
    return f"<div class='rb-step'>{escape(text, quote=False)}</div>"


STYLE = """
.rb-source {border:1px solid var(--border-color-primary); border-radius:8px; padding:8px 10px; margin-bottom:8px;}
.rb-head {font-size:0.95em} .rb-num {font-weight:700; color:var(--color-accent);}
.rb-meta {font-size:0.8em; opacity:0.75; margin:2px 0 4px}
.rb-text {font-size:0.9em; line-height:1.4}
.rb-text mark {background:#ffe58a; color:#111; padding:0 2px; border-radius:3px}
.rb-pending {opacity:0.7} .rb-status, .rb-empty {font-size:0.9em; opacity:0.8; margin-bottom:6px}
.rb-sources {margin-top:10px} .rb-sources-title {font-weight:600; font-size:0.9em; margin-bottom:4px}
.rb-sources .rb-source:target {outline:2px solid var(--color-accent)}
a.rb-cite {text-decoration:none; font-weight:600}
.rb-step {font-style:italic; opacity:0.75} .rb-flagged {margin-top:8px; font-size:0.9em}
"""
