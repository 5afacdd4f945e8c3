"""ReleaseQA: question in, grounded answer with verified citations out (sync and streaming)."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import nullcontext
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Literal

from llama_cpp import Llama
from llama_index.core.base.embeddings.base import BaseEmbedding
from llama_index.core.llms import LLM
from llama_index.core.schema import QueryBundle

from config import Settings, get_settings
from qa.citations import NOT_FOUND, CitationVerifier, exact, names, render
from qa.evidence import EvidenceSelector, Passage
from qa.llm import ASSISTANT_TURN, build_llm, chat_json, chat_prompt, messages_to_chatml, model_name, server_errors
from qa.model_lock import ModelLock
from qa.prompt_cache import PromptStateCache
from qa.prompts import Prompts
from qa.retrieval import HybridRetriever
from qa.text import Sentence
from qa.translation import translate
from qa.types import RELATIONS, Answer, Described, Filters, QuestionError, Timings
from qa.understanding import ENGLISH, Understood, language_name, understand
from vectorstore.embedding import load_embedder
from vectorstore.store import ReleaseStore

log = logging.getLogger(__name__)

Mode = Literal["llm", "extractive"]
# Extractive mode has no model to say NOT FOUND: below this evidence score it abstains.
EXTRACTIVE_MIN_SCORE = 0.6
EXTRACTIVE_MARGIN = 0.08
# The 1.5B model sometimes says NOT FOUND over a whole release that plainly answers. Evidence sentences at this
# score or above are what it is asked again over, alone: a quote of them would answer whatever they are about.
DECLINED_RETRY_SCORE = 0.9
# Evidence "concentrates in one release" when no other release's best sentence comes this close.
SINGLE_RELEASE_MARGIN = 0.15
QUESTION_SLOT = "\x00question\x00"
# The background warm-up looks this often for a moment when no question waits.
IDLE_POLL_S = 0.25


def before_slot(prompt: str) -> str:
    """A prompt up to QUESTION_SLOT: the part a saved state holds (trailing space left off, as it merges into what
    follows)."""
    return prompt.split(QUESTION_SLOT)[0].rstrip()


def fixed_part(llama: Llama, messages: list) -> str | None:
    """The chat prompt of ``messages`` up to QUESTION_SLOT; None where the model has no chat template of its own."""
    prompt = chat_prompt(llama, messages)
    return before_slot(prompt) if prompt is not None else None


@dataclass
class Retrieved:
    """First item of ``ReleaseQA.stream``: the sources, known before the first token."""

    standalone_question: str
    passages: list[Passage]
    retrieved: list[str]
    retrieval_s: float


def _quote(passage: Passage, sentence: Sentence) -> str:
    """An evidence sentence as answer text, cited. A list (a contact block) gets a full stop after its marker,
    so that a quote after it is a claim of its own."""
    text = sentence.text.replace("\n", "; ")
    return f"{text} [{passage.number}]" + ("" if text.endswith((".", "!", "?", '"', "”")) else ".")


class ReleaseQA:
    """The answering pipeline: condense → retrieve → select evidence → generate → verify citations.

    One instance per process: the embedder, the keyword index and the LLM are loaded once.
    llama.cpp is not safe to enter concurrently, so local generation is serialised by a lock.
    """

    def __init__(self, settings: Settings, store: ReleaseStore, embedder: BaseEmbedding, prompts: Prompts,
                 llm: LLM | None = None):
        self.settings = settings
        self.store = store
        self.prompts = prompts
        self.retriever = HybridRetriever(store, embedder, settings.retrieval, settings.store_check_s)
        self.evidence = EvidenceSelector(embedder, settings.evidence_sentences, settings.evidence_tokens)
        self.verifier = CitationVerifier(self.evidence, lambda release_id: self.retriever.texts.get(release_id, ""))
        self._llm = llm
        self._prompt_cache: PromptStateCache | None = None
        self._load_lock = threading.Lock()
        # llama.cpp must not be entered concurrently; an OpenAI-compatible server batches requests itself.
        self._llm_lock = ModelLock() if settings.llm_backend == "local" else nullcontext()
        self._declines = dict(prompts.abstain_in)  # the decline per language; the model's, once, where none is written

    @classmethod
    def from_settings(cls, settings: Settings | None = None, *, llm: LLM | None = None,
                      load_llm: bool | None = None) -> "ReleaseQA":
        """Build from settings; the LLM is loaded now when answering mode is ``llm`` (or ``load_llm``)."""
        settings = settings or get_settings()
        bot = cls(settings, ReleaseStore(settings), load_embedder(settings), Prompts.load(settings.prompts_dir), llm)
        if load_llm if load_llm is not None else settings.mode == "llm":
            bot.load_llm()
        bot.retriever.refresh()
        return bot

    def load_llm(self) -> LLM:
        """The answer model, loaded on first need and kept; raises ModelUnavailableError with the fix."""
        with self._load_lock:
            if self._llm is None:
                self._llm = build_llm(self.settings)
                if self.settings.llm_backend == "local":
                    if self.settings.prompt_cache:
                        model = Path(self._llm.model_path).stat()
                        self._prompt_cache = PromptStateCache(
                            self.settings.data_dir / "prompt-states",
                            f"{self._llm.model_path} {model.st_size} {model.st_mtime_ns} ctx={self.settings.llm_context} "
                            f"kv={self.settings.llm_kv_cache}",
                            self.settings.prompt_cache_mb << 20)
                    self._warm_up()
            return self._llm

    def _warm_up(self) -> None:
        """Have the fixed system prompt in llama.cpp's context before the first question: its saved state restored
        (well under a second), or read (~10 s) and saved for the next process."""
        with self._llm_lock:
            if self._prompt_cache is not None:
                self._prompt_cache.prepare(self._llm._model, self._system_prefix())
                return
            stream = self._llm.stream_chat(self.prompts.answer_messages("", []))
            next(stream, None)
            stream.close()

    def warm_prompt_states(self, releases: list[str] | None = None, progress: Callable[[int, int], None] | None = None,
                           ) -> int:
        """Compute the prompt states of ``releases`` (default: every release) that are not saved, while they fit the
        disk budget; returns how many were computed (~10 s each on 2 cores).

        Uses only idle time: a waiting question interrupts it within one piece of evaluation (~1 s), and it goes on
        afterwards. ``progress(done, total)`` is told after each release. Saved states stay on disk: it resumes.
        """
        self.load_llm()
        if self._prompt_cache is None:
            return 0
        todo = [prefix for release_id in (releases if releases is not None else sorted(self.retriever.texts))
                if (whole := self._whole_release(release_id)) is not None
                and not self._prompt_cache.saved(prefix := self._release_prefix(whole))]
        computed = 0
        for done, prefix in enumerate(todo, start=1):
            if not self._prompt_cache.room():
                log.info("the prompt-state budget (RELEASEBOT_PROMPT_CACHE_MB=%d) is full: %d of %d releases are "
                         "left without a saved state", self.settings.prompt_cache_mb, len(todo) - done + 1, len(todo))
                break
            while True:  # only in idle time: a question interrupts it and it starts over afterwards
                with self._llm_lock.when_idle() as got:
                    how = self._prompt_cache.prepare(self._llm._model, prefix, interrupted=lambda: self._llm_lock.wanted) \
                        if got else "interrupted"
                if how != "interrupted":
                    computed += how == "computed"
                    break
                time.sleep(IDLE_POLL_S)
            if progress is not None:
                progress(done, len(todo))
        return computed

    @property
    def model(self) -> str:
        return self._llm.metadata.model_name if self._llm and self.settings.llm_backend != "local" \
            else model_name(self.settings)

    def refresh(self) -> None:
        """Pick up releases ingested since start-up."""
        self.retriever.refresh(force=True)

    def validate(self, question: str) -> str:
        if not isinstance(question, str):
            raise QuestionError("the question must be text")
        cleaned = "".join(ch for ch in question if ch.isprintable() or ch in "\n\t").strip()
        if not cleaned:
            raise QuestionError("the question is empty")
        if len(cleaned) > self.settings.max_question_chars:
            raise QuestionError(
                f"the question is {len(cleaned):,} characters long; the limit is {self.settings.max_question_chars:,}")
        return " ".join(cleaned.split())

    def understand(self, question: str, history: list[dict] | None = None, mode: Mode | None = None) -> Understood:
        """The question's language and standalone English form (``qa.understanding``); the model rewrites it only
        when it is a follow-up or not in English."""
        mode = mode or self.settings.mode
        return understand(self.validate(question), history, tuple(self.settings.languages),
                          None if mode == "extractive" else self._rewrite)

    def _rewrite(self, question: str, turns: list[dict]) -> str:
        """A question in English, standalone: a follow-up rewritten with its conversation, or one in another language
        translated."""
        if not turns:
            return next(iter(self._model_translation([question], ENGLISH)), "")
        llm = self.load_llm()
        fixed = self.prompts.condense_messages(QUESTION_SLOT, [{"role": "user", "content": QUESTION_SLOT}])
        with self._llm_lock, server_errors(self.settings):
            self._read_on_from(llm, lambda: before_slot(messages_to_chatml(fixed)))
            rewritten = llm.chat(self.prompts.condense_messages(question, turns)).message.content or ""
        # A rewrite that ends in no question mark (in any script: ? ？ ؟) is the 1.5B model answering the question
        # instead ("The survey was funded by IOM."): asked again, for JSON, which it keeps to.
        if rewritten.strip(" \n\"'").endswith(("?", "？", "؟")):
            return rewritten
        schema = {"type": "object", "required": ["question"], "properties": {"question": {"type": "string"}}}
        try:
            reply = self.reply_json(self.prompts.condense_messages(question, turns, again=True), schema,
                                    self.prompts.condense_messages(QUESTION_SLOT, [{"role": "user",
                                                                                    "content": QUESTION_SLOT}], True))
        except ValueError as exc:
            log.warning("no rewrite of %r: %s", question, exc)
            return ""
        return str(reply.get("question", "")) if isinstance(reply, dict) else ""

    def _model_translation(self, texts: list[str], language: str) -> list[str]:
        """The model's translation of each text into ``language`` (an ISO 639-1 code), as JSON under a schema;
        [] when its reply is incomplete (the log says so)."""
        schema = {"type": "object", "required": ["translations"], "properties": {"translations": {
            "type": "array", "items": {"type": "string"}, "minItems": len(texts), "maxItems": len(texts)}}}
        try:
            name = language_name(language)
            reply = self.reply_json(self.prompts.translate_messages(texts, name), schema,
                                    self.prompts.translate_messages([QUESTION_SLOT], name))
        except ValueError as exc:
            log.warning("translating into %s failed: %s", language, exc)
            return []
        translations = reply.get("translations") if isinstance(reply, dict) else None
        return [str(text) for text in translations] if isinstance(translations, list) else []

    def reply_json(self, messages: list, schema: dict, fixed: list | None = None) -> dict:
        """The model's reply to ``messages`` under a JSON schema; ValueError when it is incomplete. ``fixed``: the same
        prompt with QUESTION_SLOT for what changes between calls; the state of its part before the slot is saved and
        restored, so llama.cpp reads only the rest (an instruction of 80-350 tokens is 1-5 s on 2 cores)."""
        llm = self.load_llm()
        with self._llm_lock:
            if fixed is not None:
                self._read_on_from(llm, lambda: fixed_part(llm._model, fixed))
            return chat_json(llm, self.settings, messages, schema)

    def _read_on_from(self, llm, prefix: Callable[[], str | None]) -> None:
        """Leave the saved state of ``prefix()`` in llama.cpp's context (restored, or computed and saved), so the
        prompt that starts with it is read on from its end: the same tokens read whatever was asked before, and only
        the new ones paid for. Nothing for a model without saved states. The caller holds the model lock."""
        if self._prompt_cache is not None and (text := prefix()) is not None:
            self._prompt_cache.prepare(llm._model, text)

    def several(self, question: str) -> bool:
        """Whether the model reads ``question`` as one to go through several releases for (``qa.kinds`` asks it when
        its probe is unsure); False when its reply is unusable: unsure, a question is taken as one fact."""
        schema = {"type": "object", "required": ["answer"], "properties": {"answer": {"type": "string",
                                                                                        "enum": ["one", "several"]}}}
        try:
            reply = self.reply_json(self.prompts.scope_messages(question), schema,
                                    self.prompts.scope_messages(QUESTION_SLOT))
        except ValueError as exc:
            log.warning("no scope for %r: %s; taken as one fact", question, exc)
            return False
        return isinstance(reply, dict) and reply.get("answer") == "several"

    def describe(self, question: str) -> Described | None:
        """The model's reading of a collection question: what a listed or compared release must talk about, in a few
        words, whom it must quote, and the dates the question limits the releases to (``Described``, unchecked); None
        when its reply is unusable (the log says so)."""
        text = {"type": "string", "maxLength": 120}
        schema = {"type": "object", "required": ["subject", "speaker", "relation", "date", "date2"], "properties": {
            "subject": text, "speaker": text, "relation": {"type": "string", "enum": list(RELATIONS)}, "date": text,
            "date2": text}}
        try:
            reply = self.reply_json(self.prompts.subject_messages(question), schema,
                                    self.prompts.subject_messages(QUESTION_SLOT))
            described = Described.model_validate(reply)
        except ValueError as exc:  # pydantic's ValidationError is one
            log.warning("no reading of %r: %s; its own words are read", question, exc)
            return None
        return described.model_copy(update={"subject": " ".join(described.subject.split()),
                                            "speaker": " ".join(described.speaker.split())})

    def each(self, question: str) -> str:
        """A comparison's question as the model would ask it of one release ("Who funded each training?": "Who funded
        the training?"); "" when its reply is unusable (the log says so). A prompt of its own: the extra field in the
        list's reading changed how the model reads lists (docs/EVAL.md)."""
        schema = {"type": "object", "required": ["ask"], "properties": {"ask": {"type": "string", "maxLength": 200}}}
        try:
            reply = self.reply_json(self.prompts.each_messages(question), schema,
                                    self.prompts.each_messages(QUESTION_SLOT))
        except ValueError as exc:
            log.warning("no question for each release of %r: %s; it is asked as written", question, exc)
            return ""
        return " ".join(str(reply.get("ask", "")).split()) if isinstance(reply, dict) else ""

    def _translate(self, sentences: list[str], language: str) -> list[str]:
        """Sentences in ``language``, each where the model's translation is faithful (``qa.translation``); the rest
        stay in English."""
        return translate(sentences, lambda texts: self._model_translation(texts, language))

    def decline(self, language: str) -> str:
        """The decline in ``language``: as written in ``prompts/``, else the model's faithful translation of it (kept
        for the next time), else in English."""
        if language not in self._declines:
            self._declines[language] = self._translate([self.prompts.abstain], language)[0]
        return self._declines[language]

    def retrieve(self, standalone: str, k: int | None = None, filters: Filters | None = None,
                 searched: str | None = None) -> Retrieved:
        """The retrieval step alone: hybrid search for ``searched`` (by default the question), then sentence-level
        evidence for the question as numbered passages: what a follow-up searches beside it (the previous question)
        finds its release, but is not evidence to quote."""
        started = time.perf_counter()
        embedding = self.evidence.embedder.get_query_embedding(standalone)
        query = QueryBundle(searched, embedding=self.evidence.embedder.get_query_embedding(searched)) \
            if searched and searched != standalone else QueryBundle(standalone, embedding=embedding)
        hits = self.retriever.retrieve(query, k or self.settings.top_k, filters)
        passages = self.evidence.select(standalone, hits, self.retriever.texts, self.retriever.metadata, embedding)
        retrieved = list(dict.fromkeys(hit.node.metadata["release_id"] for hit in hits))
        return Retrieved(standalone, passages, retrieved, time.perf_counter() - started)

    def _found(self, understood: Understood, history: list[dict] | None, mode: Mode, k: int | None,
               filters: Filters | None) -> Retrieved:
        """The evidence for the question in its conversation. With no model to rewrite a follow-up, a question that
        names what it asks about (a name, a figure) is searched as asked when that finds something to quote, so it is
        not mixed with the one before; any other ("Where were they held?") with the previous question too."""
        asked = understood.asked
        if mode == "extractive" and history and (names(asked) or exact(asked)):
            alone = self.retrieve(asked, k, filters)
            if any(score >= EXTRACTIVE_MIN_SCORE for p in alone.passages for score in p.focus.values()):
                return alone
        if mode == "extractive":  # no rewrite: the question and the one before it are what there is to go on
            return self.retrieve(understood.searched, k, filters)
        return self.retrieve(understood.english, k, filters, understood.searched)

    def stream(self, question: str, history: list[dict] | None = None, *, mode: Mode | None = None,
               k: int | None = None, filters: Filters | None = None, understood: Understood | None = None,
               started: float | None = None) -> Iterator[Retrieved | str | Answer]:
        """Yield ``Retrieved`` (the sources), then answer text deltas, then the verified ``Answer``. ``understood``: the
        question already understood, at ``started`` (``time.perf_counter()``), which the timings then count from.

        A question in another language is answered in it: the English answer is checked first, then translated, so
        its text comes in one piece after the check rather than as it is written."""
        started = started or time.perf_counter()
        mode = mode or self.settings.mode
        question = self.validate(question)
        if mode == "llm":
            self.load_llm()
        understood = understood or self.understand(question, history, mode)
        found = self._found(understood, history, mode, k, filters)
        standalone, passages, retrieved = found.standalone_question, found.passages, found.retrieved
        timings = Timings(retrieval_s=time.perf_counter() - started)
        yield found

        translating = understood.translated and mode == "llm"
        raw = ""
        model = self.model if mode == "llm" else "extractive"
        if mode == "llm":
            passages = self._answer_passages(passages)
        for delta in (self._generate(standalone, passages, timings) if mode == "llm" else self._extract(passages)):
            raw += delta
            if not translating:
                timings.ttft_s = timings.ttft_s or time.perf_counter() - started
                yield delta
        verified = self.verifier.verify(raw, passages, standalone)
        if not verified.abstained and mode == "llm" and (missing := self.evidence.uncovered(
                standalone, [claim.text for claim in verified.claims if claim.supported], passages)):
            added = " ".join(_quote(p, sentence) for p, sentence in missing)
            if not translating:
                yield " " + added
            verified = self.verifier.verify(f"{verified.text} {added}", passages, standalone)
        if verified.abstained and mode == "llm" and (strongest := self._strongest(passages)):
            # Asked again over the strongest sentences alone; its answer is checked like any other, and a decline
            # stays a decline: a sentence is never shown as the answer because it scored high.
            retried = self.verifier.verify("".join(self._generate(standalone, strongest, timings)), strongest, standalone)
            if not retried.abstained:
                verified, passages = retried, strongest
                if not translating:
                    yield "\n\n" + verified.text
        claims, text = verified.claims, self.prompts.abstain if verified.abstained else verified.text
        if translating:
            claims = [claim.model_copy(update={"text": shown}) for claim, shown in zip(
                claims, self._translate([claim.text for claim in claims], understood.language))]
            text = self.decline(understood.language) if verified.abstained else render(claims)
            timings.ttft_s = time.perf_counter() - started
            yield text
        timings.total_s = time.perf_counter() - started
        yield Answer(
            question=question, standalone_question=standalone, language=understood.language, text=text,
            citations=verified.citations, claims=claims, abstained=verified.abstained,
            retrieved=retrieved, timings=timings, model=model, mode=mode,
        )

    def ask(self, question: str, history: list[dict] | None = None, **options) -> Answer:
        """The whole answer at once; same options as ``stream``."""
        answer = None
        for item in self.stream(question, history, **options):
            answer = item
        return answer

    def _answer_passages(self, passages: list[Passage]) -> list[Passage]:
        """Evidence from one release becomes that whole release, answered over its prompt state (computed now, ~10 s,
        if not saved: on 2 cores the sentence evidence costs about as much to read, and is answered worse)."""
        if self._prompt_cache is None or not passages or (
                len(passages) > 1 and passages[0].score - passages[1].score < SINGLE_RELEASE_MARGIN):
            return passages
        best = passages[0]
        whole = self._whole_release(best.release_id)
        return [replace(whole, focus=best.focus, score=best.score)] if whole else passages

    def _whole_release(self, release_id: str) -> Passage | None:
        """A release as one passage, if short enough to keep a prompt state of (~4 characters a token)."""
        whole = self.evidence.whole_release(release_id, self.retriever.texts, self.retriever.metadata)
        return whole if len(whole.text) // 4 <= self.settings.prompt_cache_max_tokens else None

    def _generate(self, question: str, passages: list[Passage], timings: Timings) -> Iterator[str]:
        if not passages:
            return
        messages = self.prompts.answer_messages(question, passages)
        llm = self.load_llm()
        waiting = time.perf_counter()
        with self._llm_lock, server_errors(self.settings):
            timings.queue_s = time.perf_counter() - waiting
            if self._prompt_cache is not None:
                self._prepare_prompt(messages, passages, timings)
            text = ""
            for chunk in llm.stream_chat(messages):
                text += chunk.delta or ""
                yield chunk.delta or ""
                if NOT_FOUND.match(text.strip()):  # the sentinel: nothing more worth waiting for
                    return

    def _system_prefix(self) -> str:
        """The part every answer prompt starts with: the system prompt."""
        return messages_to_chatml(self.prompts.answer_messages(QUESTION_SLOT, [])[:1]).removesuffix(ASSISTANT_TURN)

    def _release_prefix(self, whole: Passage) -> str:
        """The answer prompt up to the question; trailing space left off, as it merges into the question's first token."""
        return before_slot(messages_to_chatml(self.prompts.answer_messages(QUESTION_SLOT, [whole])))

    def _prepare_prompt(self, messages: list, passages: list[Passage], timings: Timings) -> None:
        """Restore a whole release's prompt state, or the system prompt's before sentence evidence; count the prompt
        tokens llama.cpp has yet to read. Either way the rest is read from the end of a saved state, never from
        wherever the last prompt stopped matching: the 1.5B model's first token differs with where reading resumed, so
        an answer would depend on the question asked before it (dev d002: answered alone, declined after d001)."""
        llama = self._llm._model
        prompt = messages_to_chatml(messages)
        prefix = self._release_prefix(passages[0]) if passages[0].whole else self._system_prefix()
        how = self._prompt_cache.prepare(llama, prefix)
        if passages[0].whole:
            timings.prompt_state = how
        tokens = self._prompt_cache.tokens(llama, prompt)
        timings.prompt_tokens = len(tokens)
        timings.new_prompt_tokens = len(tokens) - Llama.longest_token_prefix(llama.input_ids[: llama.n_tokens], tokens)

    @staticmethod
    def _best(passages: list[Passage], min_score: float) -> list[tuple[float, Passage, int]]:
        """The best evidence sentences (score, passage, sentence index): up to three within EXTRACTIVE_MARGIN of the
        best, none if the best scores under ``min_score``."""
        scored = sorted(
            ((score, p, index) for p in passages for index, score in p.focus.items()), key=lambda item: -item[0]
        )
        if not scored or scored[0][0] < min_score:
            return []
        return [item for item in scored if item[0] >= scored[0][0] - EXTRACTIVE_MARGIN][:3]

    def _extract(self, passages: list[Passage]) -> Iterator[str]:
        """No model: the best evidence sentences themselves, cited."""
        if chosen := self._best(passages, EXTRACTIVE_MIN_SCORE):
            by_index = {(p.number, s.index): s for p in passages for s in p.sentences}
            yield " ".join(_quote(p, by_index[(p.number, index)]) for _, p, index in chosen)

    def _strongest(self, passages: list[Passage]) -> list[Passage]:
        """The sentences at DECLINED_RETRY_SCORE or above, each with its paragraph neighbours, as passages numbered
        from 1: the evidence of a declined answer's second reading."""
        chosen: dict[int, tuple[Passage, dict[int, float]]] = {}
        for score, p, index in self._best(passages, DECLINED_RETRY_SCORE):
            chosen.setdefault(p.number, (p, {}))[1][index] = score
        strongest = []
        for number, (p, focus) in enumerate(chosen.values(), start=1):
            strongest.append(replace(p, number=number, sentences=p.neighbourhood(set(focus)), focus=focus, whole=False))
        return strongest
