"""Prompt templates from ``prompts/``, loaded at run time and rendered with llama-index's PromptTemplate."""

from __future__ import annotations

import gettext
from dataclasses import dataclass
from pathlib import Path

from llama_index.core import PromptTemplate
from llama_index.core.llms import ChatMessage, MessageRole

from qa.evidence import Passage
from qa.wording import Wording, load_catalogs, wording

TEMPLATES = ("system", "answer", "source", "condense", "condense_again", "translate", "subject", "each", "scope",
             "abstain")


class PromptsMissingError(RuntimeError):
    """A template file is missing from the prompts directory."""


@dataclass(frozen=True)
class Prompts:
    system: str
    answer: PromptTemplate
    source: PromptTemplate
    condense: PromptTemplate
    condense_again: PromptTemplate  # as JSON, for a rewrite that came back as no question
    translate: PromptTemplate
    subject: PromptTemplate
    each: PromptTemplate  # a comparison's question as asked of one release
    scope: PromptTemplate
    abstain: str
    # The decline in other languages ("abstain.fr.txt": ISO 639-1 code), written once rather than translated by the
    # model for every declined question (~2.5 s, and the 1.5B model's wording of it is poor).
    abstain_in: dict[str, str]
    # The fixed words of the answers the code writes (``qa.wording``), per language.
    answers_in: dict[str, gettext.NullTranslations]

    @classmethod
    def load(cls, directory: Path) -> "Prompts":
        texts = {}
        for name in TEMPLATES:
            path = directory / f"{name}.txt"
            if not path.is_file():
                raise PromptsMissingError(f"prompt template {path} is missing (set RELEASEBOT_PROMPTS_DIR)")
            texts[name] = path.read_text(encoding="utf-8").strip()
        return cls(
            system=texts["system"], answer=PromptTemplate(texts["answer"]), source=PromptTemplate(texts["source"]),
            condense=PromptTemplate(texts["condense"]), condense_again=PromptTemplate(texts["condense_again"]),
            translate=PromptTemplate(texts["translate"]),
            subject=PromptTemplate(texts["subject"]), each=PromptTemplate(texts["each"]),
            scope=PromptTemplate(texts["scope"]), abstain=texts["abstain"],
            abstain_in={path.name.split(".")[1]: path.read_text(encoding="utf-8").strip()
                        for path in sorted(directory.glob("abstain.*.txt"))},
            answers_in=load_catalogs(directory),
        )

    def wording(self, language: str) -> Wording:
        """The fixed words of answers in ``language`` (ISO 639-1)."""
        return wording(self.answers_in, language)

    def sources(self, passages: list[Passage]) -> str:
        """Each passage with its release's metadata as labelled fields (a bare "(2011-03-15)" is not read as a date)."""
        return "\n".join(self.source.format(
            number=p.number, title=p.title, fields=f"{p.fields}\n" if p.fields else "", text=p.text,
        ) for p in passages)

    def answer_messages(self, question: str, passages: list[Passage]) -> list[ChatMessage]:
        """System prompt first and unchanged, so llama.cpp reuses its cached prefix across questions."""
        return [
            ChatMessage(role=MessageRole.SYSTEM, content=self.system),
            ChatMessage(role=MessageRole.USER, content=self.answer.format(
                sources=self.sources(passages), question=question)),
        ]

    def condense_messages(self, question: str, history: list[dict], again: bool = False) -> list[ChatMessage]:
        turns = "\n".join(f"{turn['role'].capitalize()}: {turn['content']}" for turn in history) or "(none)"
        template = self.condense_again if again else self.condense
        return [ChatMessage(role=MessageRole.USER, content=template.format(history=turns, question=question))]

    def translate_messages(self, sentences: list[str], language: str) -> list[ChatMessage]:
        numbered = "\n".join(f"{n}. {sentence}" for n, sentence in enumerate(sentences, 1))
        return [ChatMessage(role=MessageRole.USER, content=self.translate.format(sentences=numbered, language=language))]

    def subject_messages(self, question: str) -> list[ChatMessage]:
        return [ChatMessage(role=MessageRole.USER, content=self.subject.format(question=question))]

    def each_messages(self, question: str) -> list[ChatMessage]:
        return [ChatMessage(role=MessageRole.USER, content=self.each.format(question=question))]

    def scope_messages(self, question: str) -> list[ChatMessage]:
        return [ChatMessage(role=MessageRole.USER, content=self.scope.format(question=question))]
