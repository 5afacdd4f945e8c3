"""HTML and Markdown for the chat: the sources panel and the answer message. Everything is escaped."""

from __future__ import annotations

from html import escape

from qa import Answer, Citation
from qa.evidence import Passage

PANEL_EMPTY = "<div class='rb-empty'>Sources for the latest answer appear here.</div>"


def _where(location: str, date: str, release_id: str) -> str:
    parts = [part for part in (location, date) if part]
    return escape(" · ".join([*parts, f"release {release_id}"]))


def _highlight(passage: str, sentence: str) -> str:
    """The passage with its supporting sentence in <mark> (the panel shows why the claim holds)."""
    sentence = sentence.replace("\n", "; ")
    at = passage.find(sentence) if sentence else -1
    if at < 0:
        return escape(passage)
    return f"{escape(passage[:at])}<mark>{escape(sentence)}</mark>{escape(passage[at + len(sentence):])}"


def citation_card(citation: Citation) -> str:
    return (
        f"<div class='rb-source' id='source-{citation.number}'>"
        f"<div class='rb-head'><span class='rb-num'>[{citation.number}]</span> <b>{escape(citation.title)}</b></div>"
        f"<div class='rb-meta'>{_where(citation.location, citation.date, citation.source)}</div>"
        f"<div class='rb-text'>{_highlight(citation.text, citation.sentence)}</div></div>"
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


def chat_text(text: str) -> str:
    """Answer text for the chat's Markdown: HTML from a release or a question shows as text, not as tags."""
    return escape(text, quote=False)


def answer_message(answer: Answer) -> str:
    """The chat message: the verified answer, flagged claims marked, abstentions worded as such."""
    if answer.abstained:
        return f"🤷 {chat_text(answer.text)}"
    text = chat_text(answer.text)
    unsupported = answer.unsupported_claims
    if unsupported:
        flagged = "\n".join(f"- ⚠️ *Not supported by the sources:* {chat_text(claim.text)}" for claim in unsupported)
        text = f"{text}\n\n{flagged}"
    return text


STYLE = """
.rb-source {border:1px solid var(--border-color-primary); border-radius:8px; padding:8px 10px; margin-bottom:8px;}
.rb-head {font-size:0.95em} .rb-num {font-weight:700; color:var(--color-accent);}
.rb-meta {font-size:0.8em; opacity:0.75; margin:2px 0 4px}
.rb-text {font-size:0.9em; line-height:1.4}
.rb-text mark {background:#ffe58a; color:#111; padding:0 2px; border-radius:3px}
.rb-pending {opacity:0.7} .rb-status, .rb-empty {font-size:0.9em; opacity:0.8; margin-bottom:6px}
"""
