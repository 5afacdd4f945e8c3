"""The understanding step: a question, with its conversation, becomes what the answering paths read — the language it
was asked in and a standalone English form for retrieval and the checks.

The language comes from a detector (lingua), not a model: it is cheap and sure where a model is not. Only a question
that needs rewriting (a follow-up, or one not in English) costs a model call: the rewrite that already ran for
follow-ups also translates.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache

import pycountry
from lingua import IsoCode639_1, LanguageDetectorBuilder

from qa.text import strip_markers

log = logging.getLogger(__name__)

ENGLISH = "en"
# A question is taken as English unless another language is this sure, or English this unlikely: a short English
# question full of names ("Who funded the Macao trainings?") must not be sent through translation (English questions
# of the project and development sets: 0.43 or more), while a short one in another language spreads its confidence
# over kindred languages ("Et quand s'est-il terminé ?": French 0.53, English 0.06). A name alone says no language
# ("Macao": Portuguese 0.52, English 0.08), so English is unlikely only in a question of a few words.
OTHER_LANGUAGE_CONFIDENCE = 0.75
ENGLISH_UNLIKELY = 0.2
UNLIKELY_WORDS = 3
HISTORY_TURNS = 4


@dataclass(frozen=True)
class Understood:
    """A question as the answering paths read it."""

    asked: str
    language: str  # ISO 639-1 code of the question's language
    english: str  # standalone, in English: what the model answers and the checks read
    # A follow-up's previous question, searched beside it: the rewrite of a small model sometimes keeps "it" or drops
    # what "it" was ("Who funded the survey?"), and the conversation's subject is then found all the same.
    context: str = ""

    @property
    def searched(self) -> str:
        """What retrieval reads: a follow-up's previous question, and the standalone question."""
        return f"{self.context} {self.english}".strip()

    @property
    def translated(self) -> bool:
        return self.language != ENGLISH


def language_name(code: str) -> str:
    """ "fr" → "French": how a prompt names a language."""
    found = pycountry.languages.get(alpha_2=code)
    return found.name if found else code


@lru_cache(maxsize=4)
def _detector(codes: tuple[str, ...]):
    return LanguageDetectorBuilder.from_iso_codes_639_1(*(IsoCode639_1.from_str(c) for c in codes)).build()


def detect_language(text: str, codes: tuple[str, ...]) -> str:
    """The ISO 639-1 code of the language ``text`` is in, among ``codes``; English unless another is sure or English
    unlikely."""
    values = {value.language.iso_code_639_1.name.lower(): value.value
              for value in _detector(tuple(sorted({ENGLISH, *codes}))).compute_language_confidence_values(text)}
    best = max(values, key=values.get, default=ENGLISH)
    unlikely = values.get(ENGLISH, 0) < ENGLISH_UNLIKELY < values.get(best, 0) and len(text.split()) >= UNLIKELY_WORDS
    return best if values.get(best, 0) >= OTHER_LANGUAGE_CONFIDENCE or unlikely else ENGLISH


def turn_text(content) -> str:
    """A history turn's text, whether plain or Gradio's list of content parts, without citation markers."""
    if isinstance(content, str):
        return strip_markers(content)
    if isinstance(content, dict):
        return turn_text(str(content.get("text", "")))
    if isinstance(content, list):
        return " ".join(turn_text(part) for part in content)
    return ""


def recent_turns(history: list[dict] | None) -> list[dict]:
    """The last turns of a conversation, as plain text."""
    return [{"role": t.get("role", "user"), "content": turn_text(t.get("content", ""))}
            for t in (history or []) if t.get("role") in ("user", "assistant")][-HISTORY_TURNS:]


def understand(question: str, history: list[dict] | None, codes: tuple[str, ...],
               rewrite: Callable[[str, list[dict]], str] | None) -> Understood:
    """The question's language and standalone English form. ``rewrite`` (the model, or None where there is none)
    turns a question and its recent turns into one standalone English question (with no turns, it translates; with no
    model, the question stays as asked); a follow-up is searched with the previous question beside it."""
    language = detect_language(question, codes)
    turns = recent_turns(history)
    if not turns and language == ENGLISH:
        return Understood(question, language, question)
    previous = next((t["content"] for t in reversed(turns) if t["role"] == "user"), "")
    if rewrite is None:
        return Understood(question, language, question, previous)
    rewritten = " ".join((rewrite(question, turns) or "").split()).strip('"')
    if rewritten and turns and detect_language(rewritten, codes) != ENGLISH:  # kept in its language: translated
        rewritten = " ".join((rewrite(rewritten, []) or "").split()).strip('"')
    if not rewritten or len(rewritten) > 4 * len(question) + 200:
        log.warning("rewriting gave an unusable question (%r); searching with the question as asked", rewritten)
        return Understood(question, language, question, previous)
    return Understood(question, language, rewritten, previous)
