"""Comparisons across releases, side by side: one question asked of each release on its own.

"Which ministry co-organised each training?" becomes "Which ministry co-organised the training?" (the model's plan:
``qa.archive.plan``), asked of every release that holds a training, each through the single-fact engine restricted
to that one release: its retrieval, evidence and citation check, and with the local model the release's saved prompt
state, so the question's few tokens are the only new ones read. A release that does not say is named as such, never
filled in.
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from dataclasses import replace

from qa.engine import ReleaseQA, Retrieved
from qa.evidence import Passage
from qa.text import Sentence
from qa.types import Answer, Citation, Claim, Filters, Timings
from qa.understanding import ENGLISH, Understood
from qa.wording import Wording

_MARKER = re.compile(r"\[(\d+)\]")


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
        answer = bot.ask(asked, mode=mode, filters=replace(filters, release_ids=[release_id]),
                         understood=Understood(asked, language, asked))
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
