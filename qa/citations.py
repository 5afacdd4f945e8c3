"""Check an answer's [n] citations against the passages after generation.

Small models cite poorly, so the markers are not trusted: each answer sentence is scored
against every passage (embedding similarity to its best sentence plus the share of the
claim's content words the passage contains). Markers to nothing are dropped, a claim is
re-attached to the passage that supports it, and a claim nothing supports is flagged.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from qa.answer_type import gives_what_was_asked
from qa.forms import OTHER, form_of, years
from qa.evidence import WITHHELD, EvidenceSelector, Passage
from qa.text import Sentence, content_terms, markers, split_sentences, strip_markers, words
from qa.types import Citation, Claim
from vectorstore.catalog import country_mentions, country_name
from vectorstore.contacts import EMAIL

SUPPORT_THRESHOLD = 0.55
NOT_FOUND = re.compile(r"\bNOT[ _]FOUND\b", re.I)
_NUMBER = re.compile(r"\d[\d,.]*\d|\d")
# A capitalised word whole, as ``qa.text.words`` splits it: "24-Hour" is a figure's word, not the name "Hour".
_NAME = re.compile(r"(?<![\w-])[A-Z][\w-]*")


@dataclass
class Verified:
    text: str
    claims: list[Claim]
    citations: list[Citation]
    abstained: bool


def names(text: str) -> set[str]:
    """Capitalised words after a sentence's first: names a claim may only take from its passage."""
    text = strip_markers(text).lstrip(" \"'“(")
    return {m.group().lower() for m in _NAME.finditer(text) if m.start() > 0 and len(m.group()) > 1}


def exact(text: str) -> set[str]:
    """Figures and addresses: a claim may only use those its passage has, character for character."""
    text = strip_markers(text)
    return {n.replace(",", "") for n in _NUMBER.findall(EMAIL.sub(" ", text))} | set(EMAIL.findall(text.lower()))


class CitationVerifier:
    def __init__(self, evidence: EvidenceSelector, release_text: Callable[[str], str] = lambda release_id: "",
                 threshold: float = SUPPORT_THRESHOLD):
        self.evidence = evidence
        self.release_text = release_text  # a release's whole text by id: what it never uses, it does not name
        self.threshold = threshold

    def claims(self, answer: str) -> list[tuple[str, list[int]]]:
        """Answer sentences with their markers; a marker after a full stop belongs to the sentence before."""
        pieces: list[tuple[str, list[int]]] = []
        lines = [line.strip(" -*\t") for line in answer.splitlines()]  # a list answer: one claim per item
        for sentence in (s for line in lines if line for s in split_sentences("answer", line)):
            text = sentence.text
            leading = re.match(r"^(\s*\[\d+\])+\s*", text)
            if leading and pieces:
                previous, cited = pieces[-1]
                pieces[-1] = (previous, cited + markers(leading.group(0)))
                text = text[leading.end():]
            if strip_markers(text):
                pieces.append((strip_markers(text), markers(text)))
        return pieces

    def named(self, passage: Passage) -> tuple[frozenset[str], frozenset[str]]:
        """The words a passage's release uses (its text, and what the passage shows beside it) and the places and times
        it is about: the countries it names or is placed in, the years it names or is dated in."""
        whole = " ".join([passage.title, passage.fields, passage.dates, self.release_text(passage.release_id),
                          *(s.text for s in passage.sentences)])
        countries = {name for _, name in country_mentions(whole)} | {country_name(passage.location) or passage.location}
        dated = " ".join([passage.date, *passage.relative_dates])  # "today = 15 March 2011": a year it stands for
        return frozenset(words(whole)), frozenset(countries | years(whole) | years(dated))

    def support(self, claim: str, passage: Passage, claim_vector: np.ndarray, question: str,
                release: tuple[frozenset[str], frozenset[str]], about: set[str]) -> tuple[float, Sentence]:
        """How well a passage supports a claim, and its sentence that supports it best. ``release``: the words its
        release uses and the places and times it is about (``named``); ``about``: the countries and years the question
        asks about.

        A claim must be supported by one stretch of the release (a sentence and its neighbours there), not by
        words gathered from sentences far apart: a name from a quote and an address from the contact block.
        """
        similarity = self.evidence.embed([s.text for s in passage.sentences]) @ claim_vector
        # The release's title and labelled metadata are shown with every passage, so a claim may draw on them; and on
        # the dates its relative dates stand for, which answers are given written in.
        shown = " ".join([passage.title, passage.fields, passage.dates])
        # A withheld sentence's notice supports nothing (the model may copy it): it stands in no stretch.
        stretches = [[i for i in passage.around(s.index) if passage.sentences[i].text != WITHHELD]
                     for s in passage.sentences if s.text != WITHHELD]
        # A name the claim repeats of the question that the release never uses (anywhere: the passage may be a few of
        # its sentences) is the asker's wording ("OIM" for IOM, "East Timor" for Timor-Leste), not a claim to support.
        used, named = release
        askers = set(words(question)) - used
        score, sentence = max((self._support(claim, passage, stretch, similarity, shown, question, askers)
                               for stretch in stretches if stretch),
                              key=lambda found: found[0], default=(0.0, passage.sentences[0]))
        # But a country or a year the question asks about that the release never names (nor is placed or dated in)
        # makes what it says about somewhere or some time else: "How many calls has Jamaica's hotline received?" of a
        # release on Honduras's; "How many victims were referred in 2006?" of one giving 2007's figure.
        if not about <= named:
            score = min(score, self.threshold - 0.01)
        return score, sentence

    def _support(self, claim: str, passage: Passage, stretch: list[int], similarity: np.ndarray, shown: str,
                 question: str, askers: set[str]) -> tuple[float, Sentence]:
        # The words an answer repeats of the question ("how many cops took part…" → "… took part") are the asker's
        # wording, not a claim to support; what it adds must be in the release. One that only repeats is checked whole.
        asked = set(content_terms(question))
        wanted = tuple(term for term in content_terms(claim) if term not in asked) or content_terms(claim)

        def coverage(text: str) -> float:
            found = set(content_terms(text))
            return sum(term in found for term in wanted) / len(wanted) if wanted else 1.0

        # The sentence cited: the one holding the claim's figures and addresses, then the nearest in meaning and words.
        figures = exact(claim)
        best = max(stretch, key=lambda i: (bool(figures) and figures <= exact(passage.sentences[i].text),
                                           similarity[i] + coverage(passage.sentences[i].text)))
        text = " ".join([shown, *(passage.sentences[i].text for i in stretch)])
        covered = coverage(text)
        score = 0.5 * float(similarity[best]) + 0.5 * covered
        if wanted and covered == 1.0:  # a terse answer ("9,165") is far from its sentence in embedding space
            score = max(score, self.threshold)
        # The claim's own names must stand in its stretch. Where they do, the question's names, which the release
        # uses, only place the release: "the research … funded by the Ford Foundation" answers for the survey its
        # earlier paragraph names. A claim of the question's names alone must find them there ("Zhang Mingliang said
        # …" of another's quote), and so must one with a figure or an address, which are of whom they stand beside:
        # "Par Liljert's e-mail is kgormanbest@…", "Thomas Sinkovits's phone number is +86 …".
        asked_names = set(words(question))
        own = names(claim) - asked_names
        given = asked_names if own and not figures else askers
        invented_name = not names(claim) - given <= set(words(text))
        if invented_name or not figures <= exact(text):  # invented figures or names: unsupported
            score = min(score, self.threshold - 0.01)
        return score, passage.sentences[best]

    def verify(self, answer: str, passages: list[Passage], question: str | None = None) -> Verified:
        """Each claim is cited to the sentence of a passage that supports it: two claims backed by two sentences
        of one release get two citations, each showing its own sentence. With ``question``, an answer none of
        whose supported claims gives the form of value asked for (a figure for "how many", a date for "when":
        ``qa.forms``) abstains."""
        by_number = {p.number: p for p in passages}
        answer = answer.replace(WITHHELD, "")  # the notice is the prompt's, not a claim (the model sometimes copies it)
        pieces = [] if NOT_FOUND.search(answer) and not strip_markers(NOT_FOUND.sub("", answer)).strip(" .") else \
            self.claims(NOT_FOUND.sub("", answer))
        if not pieces or not passages:
            return Verified("", [], [], abstained=True)
        vectors = self.evidence.embed([text for text, _ in pieces])
        # Read once per answer, not per claim and passage: a 140-item list is 140 × 140 of them.
        releases = {p.number: self.named(p) for p in passages}
        about = {name for _, name in country_mentions(question or "")} | years(question or "")
        claims: list[Claim] = []
        claim_keys: list[list[tuple[int, int]]] = []  # per claim: (passage number, sentence index) it stands on
        cited: dict[tuple[int, int], tuple[float, Sentence]] = {}
        for (text, wanted), vector in zip(pieces, vectors):
            scores = {p.number: self.support(text, p, vector, question or "", releases[p.number], about)
                      for p in passages}
            supporting = [n for n, (score, _) in scores.items() if score >= self.threshold]
            valid = [n for n in dict.fromkeys(wanted) if n in by_number]
            keep = [n for n in valid if n in supporting] or (
                [max(supporting, key=lambda n: scores[n][0])] if supporting else [])
            best = max(scores.values(), key=lambda item: item[0])[0]
            claim_keys.append([(n, scores[n][1].index) for n in keep])
            for n, key in zip(keep, claim_keys[-1]):
                if key not in cited or scores[n][0] > cited[key][0]:
                    cited[key] = scores[n]
            claims.append(Claim(text=text, supported=bool(keep), support=round(best, 4)))
        form = form_of(question) if question else OTHER
        answering = [claim for claim, keys in zip(claims, claim_keys) if claim.supported and any(
            gives_what_was_asked(form, claim.text, _stretch(by_number[n], index), question) for n, index in keys)]
        if not answering:  # nothing supported, or nothing that gives what was asked
            return Verified("", claims, [], abstained=True)
        numbers = {key: n for n, key in enumerate(dict.fromkeys(key for keys in claim_keys for key in keys), 1)}
        for claim, keys in zip(claims, claim_keys):
            claim.citations = [numbers[key] for key in keys]
            for n, _ in keys:
                claim.text = by_number[n].dated(claim.text)
        citations = []
        for key, number in numbers.items():
            passage, (score, sentence) = by_number[key[0]], cited[key]
            citations.append(Citation(
                number=number, source=passage.release_id, title=passage.title, location=passage.location,
                date=passage.date, url=passage.url, text=passage.excerpt(sentence), sentence=sentence.text,
                span=(sentence.start, sentence.end), score=score,
            ))
        return Verified(render(claims), claims, citations, abstained=False)


def _stretch(passage: Passage, index: int) -> str:
    """What a claim standing on sentence ``index`` has behind it: that stretch of the release and its metadata."""
    return " ".join([passage.fields, passage.dates, *(passage.sentences[j].text for j in passage.around(index))])


def render(claims: list[Claim]) -> str:
    """The answer with verified markers placed before each sentence's closing punctuation."""
    parts = []
    for claim in claims:
        body = claim.text.rstrip()
        end = body[-1] if body and body[-1] in ".!?" else ""
        body = body[:-1].rstrip() if end else body
        marks = "".join(f"[{n}]" for n in claim.citations)
        parts.append(f"{body} {marks}{end or '.'}" if marks else f"{body}{end or '.'}")
    return " ".join(parts)
