"""Comparisons across releases, side by side: one question asked of each release on its own.

"Which ministry co-organised each training?" becomes "Which ministry co-organised the training?", asked of every
release that holds a training, each through the single-fact engine restricted to that one release: its retrieval,
evidence and citation check, and with the local model the release's saved prompt state, so the question's few
tokens are the only new ones read. A release that does not say is named as such, never filled in.
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from dataclasses import replace
from qa.engine import ReleaseQA, Retrieved
from qa.evidence import Passage
from qa.text import Sentence, content_terms
from qa.types import Answer, Citation, Claim, Filters, Timings
from qa.understanding import ENGLISH, Understood
from qa.wording import Wording

# "each year", "each other" ask no comparison.
_NOT_EACH = r"(?!\s+(?:year|month|week|day|time|other)s?\b)"
_EACH = re.compile(rf"\beach\b{_NOT_EACH}(?:\s+one)?(?:\s+of)?(?:\s+the)?\s+", re.I)
# The kinds of thing a comparison ranges over, where it names no question ("Compare the Macao and Beijing trainings").
_COMPARED = re.compile(r"(?:[A-Z][\w'’-]*\s+(?:(?:and|or)\s+)?)*(?:releases?|trainings?|workshops?|seminars?|courses?)\b")
_WH = re.compile(r"^(?:who|whom|whose|what|which|when|where|why|how)\b", re.I)
_MARKER = re.compile(r"\[(\d+)\]")
_NAMES = re.compile(r"\b[A-Z][\w'’-]*(?:,? (?:and|or) [A-Z][\w'’-]*)+")


def compared(question: str) -> tuple[str, str]:
    """What is compared ("training", "Macao and Beijing trainings") and the question to ask each release."""
    question = re.sub(r",?\s*\b(?:respectively|side by side)\b", "", question, flags=re.I).strip()
    if each := _EACH.search(question):  # "Which ministry co-organised each of the trainings?"
        return question[each.end():], question[:each.start()] + "the " + question[each.end():]
    rest = re.sub(r"^\s*compare\s+(?:the\s+)?", "", question, flags=re.I)  # "Compare who funded the A and B trainings"
    things = _COMPARED.search(rest)
    subject = things.group() if things else rest.rstrip(" .?")
    ask = rest[0].upper() + rest[1:].rstrip(" .?") + "?" if _WH.match(rest) else \
        f"What does the release say about the {subject}?"
    return subject, ask


def _narrowed(ask: str, terms: set[str]) -> str:
    """The question as asked of one release: of names compared, those it holds ("Who funded the Macao and Beijing
    trainings?" of the Beijing release: "Who funded the Beijing trainings?"; the model declines the mixed one)."""
    def held(match: re.Match) -> str:
        names = [name for name in re.split(r",? (?:and|or) ", match.group()) if set(content_terms(name)) <= terms]
        return " and ".join(names) if names else match.group()
    return _NAMES.sub(held, ask)


def _renumber(answer: Answer, offset: int) -> tuple[str, list[Claim], list[Citation]]:
    """A release's answer with its citation numbers moved past those of the releases before it."""
    def moved(match: re.Match) -> str:
        return f"[{int(match.group(1)) + offset}]"
    claims = [claim.model_copy(update={"citations": [n + offset for n in claim.citations]}) for claim in answer.claims]
    citations = [citation.model_copy(update={"number": citation.number + offset}) for citation in answer.citations]
    return _MARKER.sub(moved, answer.text), claims, citations


def _cited_passage(citation: Citation, meta: dict) -> Passage:
    """What the sources panel shows of a citation while the other releases are still being asked."""
    start, end = citation.span or (0, len(citation.sentence))
    return Passage.of(citation.number, meta, [Sentence(citation.source, start, end, citation.sentence, 0, 0)])


def _not_compared(more: int, words: Wording) -> str:
    """How many releases hold what is compared past the limit: said, not dropped."""
    if not more:
        return ""
    return " " + words.count(
        "{n} more release holds it and was not asked (the first RELEASEBOT_COMPARE_MAX_RELEASES were): narrow the "
        "question with a country, a date or a name.",
        "{n} more releases hold it and were not asked (the first RELEASEBOT_COMPARE_MAX_RELEASES were): narrow the "
        "question with a country, a date or a name.", more)


def stream(bot: ReleaseQA, question: str, asked: str, filters: Filters, mode: str | None, holding: list[str],
           left_out: str, started: float, language: str = ENGLISH) -> Iterator[Retrieved | str | Answer]:
    """Each release holding what is compared answers ``asked`` (English) on its own (within ``filters``); lines stream
    as releases answer, in ``language``: each release's answer is the engine's, checked in English and then
    translated, and the fixed words are the catalog's. ``left_out``: what the filters left out, said at the end;
    ``started``: when the question came (``time.perf_counter()``), which the timings count from."""
    words = bot.prompts.wording(language)
    candidates = holding[:bot.settings.compare_max_releases]
    yield Retrieved(question, [], candidates, time.perf_counter() - started)
    timings = Timings(retrieval_s=time.perf_counter() - started, new_prompt_tokens=0)
    lines: list[str] = []
    claims: list[Claim] = []
    citations: list[Citation] = []
    silent: list[str] = []
    for release_id in candidates:
        meta = bot.retriever.metadata[release_id]
        ask = _narrowed(asked, set(content_terms(f"{meta['title']} {bot.retriever.texts[release_id]}")))
        answer = bot.ask(ask, mode=mode, filters=replace(filters, release_ids=[release_id]),
                         understood=Understood(ask, language, ask))
        timings.new_prompt_tokens += answer.timings.new_prompt_tokens or 0
        if answer.abstained:
            silent.append(meta["title"])
            continue
        text, more_claims, more_citations = _renumber(answer, len(citations))
        claims += more_claims
        citations += more_citations
        when = f" ({words.date(meta['date'])})" if meta.get("date") else ""
        lines.append(f"- {meta['title']}{when}: {text}")
        if timings.ttft_s is None:
            timings.ttft_s = time.perf_counter() - started
        yield ("" if len(lines) == 1 else "\n") + lines[-1]
        panel = [_cited_passage(c, bot.retriever.metadata[c.source]) for c in citations]
        yield Retrieved(question, panel, candidates, timings.retrieval_s)
    silence = " " + words.say("Not stated in: {titles}.", titles="; ".join(silent)) if silent else ""
    closing = words.say("Answered by {n} of {checked}.", n=len(lines), checked=words.checked(len(candidates))) + \
        silence + left_out + _not_compared(len(holding) - len(candidates), words)
    yield ("\n" if lines else "") + closing
    timings.total_s = time.perf_counter() - started
    yield Answer(
        question=question, standalone_question=asked,
        text="\n".join([*lines, closing]) if lines else f"{bot.decline(language)} ({closing})",
        citations=citations, claims=claims, abstained=not lines, retrieved=candidates, timings=timings,
        model=f"archive ({bot.model if (mode or bot.settings.mode) == 'llm' else 'extractive'})",
        mode=mode or bot.settings.mode,
    )
