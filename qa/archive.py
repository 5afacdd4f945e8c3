"""Questions about the archive as a whole: which releases mention X, lists across releases, totals, how many
releases, the catalog ("what was published in 2011?") and comparisons (``qa.comparison``). Other questions go to
the single-fact engine.

Every release that passes the filters is checked on its own (not a top-k of chunks), each item is cited to its
own sentence through the engine's citation check, items come in date order where dates are known, and counts
and sums are computed here from the cited items, never by the model.
"""

from __future__ import annotations

import calendar
import logging
import re
import time
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from datetime import date, timedelta
from typing import Protocol

from dateparser.date import DateDataParser
from llama_index.core.vector_stores.utils import build_metadata_filter_fn

from qa import comparison, membership
from qa.citations import Verified, render
from qa.engine import ReleaseQA, Retrieved
from qa.evidence import Passage
from qa.kinds import FACT, kind_of
from qa.people import counted as people_counted, names_people
from qa.quotes import quotes
from qa.text import Sentence, content_terms
from qa.types import Answer, Described, Filters, Timings
from qa.understanding import ENGLISH
from qa.wording import Wording
from vectorstore.catalog import MONTHS, country_name

log = logging.getLogger(__name__)
# Kinds of event the releases report, each standing for the others (no thesaurus ships offline: a short list).
_EVENT_TERMS = set(content_terms("training trainings trained workshop seminar course"))
_PLACE = re.compile(r"\b(?:in|about|from|on)\s+((?:[A-Z][\w'’-]*\s?){1,3})")
_WHEN = rf"((?:(?:{MONTHS})\s+)?(?:19|20)\d\d)"  # "March 2011", "2011"
_DATED = re.compile(rf"\b(in|during|since|from|after|before|until)\s+{_WHEN}\b", re.I)
_BETWEEN = re.compile(rf"\bbetween\s+{_WHEN}\s+and\s+{_WHEN}\b", re.I)
_DATES = DateDataParser(languages=["en"], settings={"PREFER_DAY_OF_MONTH": "first"})
# Words that shape a collection question rather than say what it is about (and name the documents themselves).
_FRAME = {"which", "what", "press", "releas", "archiv", "mention", "list", "everi", "all", "each", "total", "mani",
          "much", "publish", "iom", "held", "across", "combin", "altogeth", "name", "do", "have", "talk", "say",
          "compar", "happen"}
_NUMBER_WORD = {"one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8, "nine": 9,
                "ten": 10, "twelve": 12, "twenty": 20}
_AMOUNT = r"(\d[\d,]*|" + "|".join(_NUMBER_WORD) + r")"
# "two groups of 35 participants": a multiplier; "Some 120 officers": a count of people.
_GROUPS = re.compile(rf"\b{_AMOUNT}\s+(?:groups?|sessions?|classes|teams?)\s+of\s+{_AMOUNT}\s+([\w-]+(?:\s+[\w-]+)?)",
                     re.I)
_PEOPLE = re.compile(rf"\b{_AMOUNT}\s+((?:[\w-]+\s+){{0,2}}[\w-]+)", re.I)
# One sentence of a release must hold every group of the subject's terms; of a subject this long, it may miss one
# word of a name (a release may word it differently: "Chinese National Plan of Action" for "China's").
LONG_SUBJECT = 5


def _number(text: str) -> int:
    return _NUMBER_WORD.get(text.lower()) or int(text.replace(",", ""))


@dataclass
class Plan:
    """What a collection question asks: its kind, what it is about (groups of alternative terms: a release must
    hold one term of most groups), and the filters its words imply."""

    kind: str  # list (of releases, with their count), total (a sum of counts, from cited addends), compare
    subject: list[set[str]]
    filters: Filters = field(default_factory=Filters)
    names: set[int] = field(default_factory=set)  # the subject's groups written capitalised: parts of a name
    counted: set[str] = field(default_factory=set)  # the kinds of person a total adds up; none: anyone (terms)
    people: set[str] = field(default_factory=set)  # of a total, the question's words for people (terms)
    ask: str = ""  # what a comparison asks of each release
    about: str = ""  # the subject in words: what a release closest in meaning is found by
    described: bool = False  # the subject is the model's words for it, not the question's
    speaker: list[set[str]] = field(default_factory=list)  # whom a release must quote, as groups of terms
    speaker_names: bool = False  # the speaker is a name: words alone decide who is quoted

    @property
    def by_names(self) -> bool:
        """Whether names alone decide which releases hold the subject, so that a name no release holds means none
        does: of the model's subject, its names ("Thomas Sinkovits quoted": the release writes "says Thomas
        Sinkovits"; the other words are its way of saying it); of the question's, when it is all names."""
        return bool(self.names) and (self.described or len(self.names) == len(self.subject))


def _subject(text: str, alternatives: bool = False, opening: bool = True) -> tuple[list[set[str]], set[int]]:
    """Content terms grouped into alternatives: "counter-trafficking" is one group {counter, traffick}, and so are
    plural nouns joined by and/or ("trainings and workshops": {train, workshop}) and, of things compared, names
    ("the Macao and Beijing trainings": {macao, beij}); and which groups are capitalised words, parts of a name
    (``opening``: the text opens a sentence, so its first word's capital says nothing)."""
    groups: list[set[str]] = []
    names: set[int] = set()
    joined, previous = False, ""
    for word in re.findall(r"[\w'’]+(?:-[\w'’]+)*", text):
        if word.lower() in ("and", "or"):
            joined = bool(groups) and (previous.endswith("s") or alternatives and previous[0].isupper())
            continue
        terms = {t for t in content_terms(word.replace("-", " ")) if t not in _FRAME}
        if terms & _EVENT_TERMS:  # "the trainings" covers the workshops too (the releases use them alike)
            terms |= _EVENT_TERMS
        if terms and joined and (word.endswith("s") or alternatives and word[0].isupper()):
            groups[-1] |= terms
        elif terms and not any(terms <= group for group in groups):
            groups.append(terms)
            if word[0].isupper() and (previous or not opening):
                names.add(len(groups) - 1)
        joined, previous = False, word
    return groups, names


class PlanModel(Protocol):
    """What the model contributes to a plan (``ReleaseQA`` has both)."""

    def several(self, question: str) -> bool: ...

    def describe(self, question: str) -> Described | None: ...

    def each(self, question: str) -> str: ...


def plan(question: str, filters: Filters | None = None, model: PlanModel | None = None) -> Plan | None:
    """The plan of a collection question (its kind by meaning: ``qa.kinds``), or None for a single-fact question.
    With a ``model``, it settles a kind the probe is unsure of, and reads a list or a comparison: what a listed or
    compared release must talk about, in a few words, what a comparison asks each, and the dates it limits the releases
    to (checked here against the question). Without one, or when
    its reading is unusable, the question's own words are the subject and its filters."""
    kind = kind_of(question, model.several if model else None)
    if kind == FACT:
        return None
    kind = "list" if kind == "count" else kind  # a list's closing line counts the releases listed
    described = model.describe(question) if model is not None and kind in ("list", "compare") else None
    found, text = (_read(described, question, replace(filters or Filters())), described.subject) if described \
        else _filtered(question, replace(filters or Filters()))
    # What a comparison asks each release is the model's; without its reading, the question itself is asked.
    ask = ((model.each(question) if model is not None else "") or question) if kind == "compare" else ""
    subject, names = _subject(text, alternatives=kind == "compare", opening=described is None)
    speaker, named = _subject(described.speaker, opening=False) if described else ([], set())
    # Of a list, the question's names may be alternatives ("Finland (a Finnish ministry)"): its reading keeps them.
    if described and kind == "compare":
        _keep_names(question, described, subject, names, speaker)
    about = described.speaker if speaker and not subject else text
    counted, people = people_counted(question) if kind == "total" else (set(), set())
    return Plan(kind, subject, found, names, counted, people, ask,
                " ".join(about.split()) if subject or speaker else "", described=described is not None,
                speaker=speaker, speaker_names=bool(speaker) and len(named) == len(speaker))


def _keep_names(question: str, described: Described, subject: list[set[str]], names: set[int],
                speaker: list[set[str]]) -> None:
    """Add to the model's ``subject`` of a comparison the names the question writes and its reading dropped (the
    small model reads "each of the trainings in China" as "trainings"): a name a release must hold is a fact."""
    # A date's words ("March 2011") are the reading's; a "date" that reads as none ("China") is not.
    dates = [text for text in (described.date, described.date2) if text and _period(text)]
    claimed = set().union(*subject, *speaker, content_terms(" ".join(dates)))
    groups, named = _subject(question, alternatives=True)
    for index in sorted(named):
        if not groups[index] & claimed:
            subject.append(groups[index])
            names.add(len(subject) - 1)


def _read(described: Described, question: str, found: Filters) -> Filters:
    """The date range of the model's reading, added to ``found``, kept only where the question writes its years. The
    model names the dates; their arithmetic is done here. (A country stays in the subject: the model cannot tell "held
    in China" from "funded by Finland".)"""
    periods = [_period(text) for text in (described.date, described.date2) if text]
    if described.relation and periods and all(p and str(p[0].year) in question for p in periods):
        _limit(found, described.relation, *periods)
    elif periods:
        log.warning("the reading of %r dates it %s %r %r, which the question does not: not a filter", question,
                    described.relation, described.date, described.date2)
    return found


def _filtered(question: str, found: Filters) -> tuple[Filters, str]:
    """The filters a question's words imply ("held in China", "in 2011"), added to ``found``, and its other words:
    the reading where there is no model (English prepositions before a country or a date)."""
    text = question
    for match in _PLACE.finditer(question):  # "held in China", "about Timor-Leste": a filter, not the subject
        if (country := country_name(match.group(1).strip(" ?."))) and not found.location:
            found.location, text = country, text.replace(match.group(0), " ")
    if between := _BETWEEN.search(question):
        _limit(found, "between", _period(between.group(1)), _period(between.group(2)))
        text = text.replace(between.group(0), " ")
    elif dated := _DATED.search(question):
        _limit(found, dated.group(1).lower(), _period(dated.group(2)))
        text = text.replace(dated.group(0), " ")
    return found, text


def _period(text: str) -> tuple[date, date] | None:
    """The first and last day of the period ``text`` names ("2011", "March 2011", "5 May 2013"), read by dateparser."""
    read = _DATES.get_date_data(text)
    if read.date_obj is None:
        return None
    day = read.date_obj.date()
    if read.period == "year":
        return date(day.year, 1, 1), date(day.year, 12, 31)
    if read.period == "month":
        return day.replace(day=1), day.replace(day=calendar.monthrange(day.year, day.month)[1])
    return day, day


def _limit(found: Filters, relation: str, period: tuple[date, date] | None,
           second: tuple[date, date] | None = None) -> None:
    """Limit ``found`` to the dates a relation to a period admits ("in 2011", "after March 2011", "between … and …"):
    the bounds it sets replace the asker's, the others stay."""
    if period is None:
        return
    first, last = period
    low, high = {"in": (first, last), "during": (first, last), "since": (first, None), "from": (first, None),
                 "after": (last + timedelta(days=1), None), "before": (None, first - timedelta(days=1)),
                 "until": (None, last), "between": (first, (second or period)[1])}[relation]
    found.date_from = low.isoformat() if low else found.date_from
    found.date_to = high.isoformat() if high else found.date_to


class ArchiveQA:
    """Answers collection questions over every release; hands every other question to ``ReleaseQA``.

    Front ends call ``stream``/``ask`` here as they would on the engine: the same items come out
    (``Retrieved``, text deltas, the verified ``Answer``); here a ``Retrieved`` with the items so far follows
    each item, so a sources panel fills as they arrive.
    """

    def __init__(self, bot: ReleaseQA):
        self.bot = bot

    def ask(self, question: str, history: list[dict] | None = None, **options) -> Answer:
        answer = None
        for item in self.stream(question, history, **options):
            answer = item
        return answer

    def stream(self, question: str, history: list[dict] | None = None, *, mode: str | None = None,
               k: int | None = None, filters: Filters | None = None) -> Iterator[Retrieved | str | Answer]:
        started = time.perf_counter()  # timings count the planning too: the asker waits for it
        question = self.bot.validate(question)
        filters = (filters or Filters()).checked()
        # With the model, the question is planned in its standalone English form: a follow-up rewritten with its
        # conversation ("How many in total?" → "How many people were trained in Macao in total?"), another language
        # translated. Without one, a follow-up is a collection question only if it says what it is about.
        llm = (mode or self.bot.settings.mode) == "llm"
        understood = self.bot.understand(question, history, mode) if llm or not history else None
        english = understood.english if understood else question
        # The decline is in the asked language even where its fixed words fall back to English (no catalog).
        language = understood.language if understood else ENGLISH
        words = self.bot.prompts.wording(language)
        found = plan(english, filters, self.bot if llm else None)
        if found is None or history and not llm and not (found.subject or found.filters != filters):
            for item in self.bot.stream(question, history, mode=mode, k=k, filters=filters, understood=understood,
                                        started=started):
                if isinstance(item, Answer) and item.abstained and filters.active:
                    item = item.model_copy(update={"text": f"{item.text} {self.searched(filters, words)}"})
                yield item
            return
        covered = self._releases(found.filters)
        if found.kind == "compare":
            holding = [r for r in covered if self.best(found, r) is not None]
            yield from comparison.stream(self.bot, question, found.ask, found.filters, mode, holding,
                                         self.left_out(found.filters, len(covered), words), started, language)
            return
        yield Retrieved(question, [], covered, time.perf_counter() - started)
        timings = Timings(retrieval_s=time.perf_counter() - started)
        items = self._total(found, covered) if found.kind == "total" else self._items(found, covered, words)
        passages, lines, values, heading = [], [], [], ""

        def shown(passage: Passage, line: str, value: tuple[int, str]) -> Iterator[str | Retrieved]:
            passage.number = len(passages) + 1
            passages.append(passage)
            lines.append(f"{line} [{passage.number}]")
            values.append(value)
            if timings.ttft_s is None:
                timings.ttft_s = time.perf_counter() - started
            yield ("" if len(lines) == 1 else "\n") + lines[-1]
            yield Retrieved(question, list(passages), covered, timings.retrieval_s)  # the sources panel fills

        for item in items:
            yield from shown(*item)
        closing = _closing(found.kind, values, len(covered), words)
        if not passages and found.kind == "list" and (found.subject and not found.by_names or
                                                      found.speaker and not found.speaker_names):
            # No release holds the subject's words, and names do not decide it: the closest in meaning are shown,
            # marked as unconfirmed.
            close = membership.closest(self.bot, found.about, found.filters, self.bot.settings.collection_closest)
            if close:
                heading = words.say("No release holds the words of “{about}”. Closest in meaning, not confirmed:",
                                    about=found.about)
                yield heading + "\n"
                for candidate in close:
                    yield from shown(*self._item(candidate.release_id, candidate.score, candidate.sentence, words))
                closing = words.count(
                    "0 releases hold its words ({checked}); the {n} closest in meaning is shown, unconfirmed.",
                    "0 releases hold its words ({checked}); the {n} closest in meaning are shown, unconfirmed.",
                    len(close), checked=words.checked(len(covered)))
        closing += self.left_out(found.filters, len(covered), words)
        if not covered:  # the filters leave no release: none was checked
            closing = f"{self.bot.decline(language)} {self.searched(found.filters, words)}"
        yield ("\n" if lines else "") + closing  # streamed as the answer's text reads
        # No item is an answer too ("0 releases (1,000 releases checked)"): every release was checked. No count to
        # add up, the closest releases shown unconfirmed, and no release to check, are not: the releases do not say.
        verified = self.bot.verifier.verify("\n".join(lines), passages) if passages else \
            Verified(closing, [], [], abstained=found.kind == "total" or not covered)
        timings.total_s = time.perf_counter() - started
        refused = verified.abstained and not heading
        yield Answer(
            question=question, standalone_question=english,
            text=self.bot.decline(language) if refused and passages else "\n".join(
                [*filter(None, [heading]), *(f"- {render([claim])}" for claim in verified.claims), closing]),
            citations=[] if refused else verified.citations, claims=[] if refused else verified.claims,
            abstained=verified.abstained or bool(heading), retrieved=[p.release_id for p in passages],
            timings=timings, model="archive", mode=mode or self.bot.settings.mode,
        )

    # --- the releases a question covers
    def _releases(self, filters: Filters) -> list[str]:
        """Every stored release passing the filters, in date order (undated last), then by id."""
        self.bot.retriever.refresh()
        metadata = self.bot.retriever.metadata
        # The same filters retrieval applies, evaluated by llama-index on each release's metadata.
        passes = build_metadata_filter_fn(metadata.__getitem__, filters.resolved(metadata).to_metadata_filters())
        return sorted(filter(passes, metadata), key=lambda r: (metadata[r].get("date") or "9999", r))

    def searched(self, filters: Filters, words: Wording) -> str:
        """What the filters let an answer search, said with an abstention: a filter that leaves nothing, or leaves out
        the releases of unknown date, is why the releases "don't say". (The filters themselves are described in
        English.)"""
        kept = len(self._releases(filters))
        if not kept:
            return words.say("No release passes the filters ({filters}).", filters=filters.describe()) + \
                self.left_out(filters, kept, words)
        return words.say("Searched only the {releases} passing the filters ({filters}).", releases=words.releases(kept),
                         filters=filters.describe()) + self.left_out(filters, kept, words)

    def left_out(self, filters: Filters, kept: int, words: Wording) -> str:
        """How many releases a date range left out for having no known date (of the ``kept`` passing ``filters``),
        said rather than silently dropped."""
        if filters.undated or not (filters.date_from or filters.date_to):
            return ""
        unknown = len(self._releases(replace(filters, undated=True))) - kept
        if not unknown:
            return ""
        return " " + words.count("{n} release was left out: no known date.",
                                 "{n} releases were left out: no known date.", unknown)

    def _sentences(self, release_id: str) -> Passage:
        return self.bot.evidence.whole_release(release_id, self.bot.retriever.texts, self.bot.retriever.metadata)

    def best(self, found: Plan, release_id: str) -> tuple[float, Sentence] | None:
        """The release's sentence holding most of the subject's groups (its share), if it holds enough of them; of a
        question for whom the release quotes, its quote by that speaker, if the release holds the subject too."""
        if not found.speaker:
            return self._holding(found, release_id)
        quote = next((q for q in quotes(self._sentences(release_id).sentences)
                      if all(_holds(group, set(content_terms(q.attribution)), True) for group in found.speaker)), None)
        if quote is None or found.subject and self._holding(found, release_id) is None:
            return None
        return 1.0, quote.sentence

    def _holding(self, found: Plan, release_id: str) -> tuple[float, Sentence] | None:
        whole = self._sentences(release_id)
        chosen = sorted(found.names) if found.by_names else range(len(found.subject))
        subject = [(found.subject[i], i in found.names) for i in chosen]
        if not subject:
            return 1.0, whole.sentences[0]
        missing = [{i for i, (group, name) in enumerate(subject) if not _holds(group, set(content_terms(s.text)), name)}
                   for s in whole.sentences]
        best = min(range(len(missing)), key=lambda i: len(missing[i]))
        spared = len(found.subject) >= LONG_SUBJECT and len(missing[best]) == 1 and (
            found.described or missing[best] <= found.names)
        # The title says it ("IOM, Macao SAR run counter-trafficking training", whose text writes "MSAR"): the item
        # cites the sentence that says most of it.
        title = set(content_terms(self.bot.retriever.metadata[release_id]["title"]))
        titled = all(_holds(group, title, name) for group, name in subject)
        return (1 - len(missing[best]) / len(subject), whole.sentences[best]) if not missing[best] or spared or titled \
            else None

    def _passage(self, release_id: str, sentences: list[Sentence], score: float) -> Passage:
        return Passage.of(0, self.bot.retriever.metadata[release_id], sentences, {s.index: score for s in sentences},
                          score)

    # --- answers: (passage, line, value) per item
    def _items(self, found: Plan, covered: list[str], words: Wording) -> Iterator[tuple[Passage, str, tuple[int, str]]]:
        """One item per release that holds the subject: its title and date, and the sentence that says so."""
        for release_id in covered:
            if (best := self.best(found, release_id)) is not None:
                yield self._item(release_id, *best, words)

    def _item(self, release_id: str, score: float, sentence: Sentence,
              words: Wording) -> tuple[Passage, str, tuple[int, str]]:
        passage = self._passage(release_id, [sentence], score)
        when = f" ({words.date(passage.date)})" if passage.date else ""
        return passage, f"- {passage.title}{when}: “{sentence.text.replace(chr(10), '; ')}”", (1, "1")

    def _total(self, found: Plan, covered: list[str]) -> Iterator[tuple[Passage, str, tuple[int, str]]]:
        """Each count of people in the releases that hold the subject, an addend cited to its own sentence. Where the
        subject names something ("the Macao trainings"), its names decide, as of a list: the question's other words
        are its way of asking ("How many people attended the Macao trainings?": the release says "were trained");
        otherwise every term but the words for people."""
        required = [found.subject[i] for i in sorted(found.names)] or \
            [g for g in found.subject if not g & found.people]
        for release_id in covered:
            terms = set(content_terms(self.bot.retriever.texts[release_id]))
            if not all(_holds(group, terms, True) if found.names else group & terms for group in required):
                continue
            for sentence in self._sentences(release_id).sentences:
                for value, people in _people_counts(sentence.text, found.counted):
                    yield self._passage(release_id, [sentence], 1.0), f"- {people}", value


def _holds(group: set[str], terms: set[str], name: bool) -> bool:
    """Whether a sentence's terms hold a group of the subject. Of a name, its other forms count: one term begins with
    the other ("Lankans" for "Lanka", "Somali" for "Somalia"), but not two countries' names ("Niger", "Nigeria")."""
    return bool(group & terms) or name and any(_forms(a, b) for a in group for b in terms)


def _forms(a: str, b: str) -> bool:
    short, long = sorted((a, b), key=len)
    return len(short) >= 4 and long.startswith(short) and not (country_name(short) and country_name(long))


def _closing(kind: str, values: list[tuple[int, str]], checked: int, words: Wording) -> str:
    """The count or sum, computed from the cited items (each as written: "2 × 35"); how many releases were checked."""
    of = words.checked(checked)
    if kind == "total":
        return words.say("Total: {terms} = {sum} ({checked}).", terms=" + ".join(shown for _, shown in values),
                         sum=sum(v for v, _ in values), checked=of) if values else \
            words.say("No counts found ({checked}).", checked=of)
    return words.say("{listed} ({checked}).", listed=words.releases(len(values)), checked=of)


def _people_counts(text: str, asked: set[str]) -> Iterator[tuple[tuple[int, str], str]]:
    """((70, "2 × 35"), "two groups of 35 participants"), ((120, "120"), "120 officers"): counts of the people asked
    about (of the kinds of person ``asked``; of anyone where it is empty), with how each adds up."""
    def counts(word: str) -> bool:
        return bool(set(content_terms(word)) & asked) if asked else names_people(word)

    taken: list[tuple[int, int]] = []
    for match in _GROUPS.finditer(text):
        if any(counts(word) for word in match.group(3).split()):
            taken.append(match.span())
            groups, size = _number(match.group(1)), _number(match.group(2))
            yield (groups * size, f"{groups} × {size}"), match.group(0)
    for match in _PEOPLE.finditer(text):
        if any(a <= match.start() < b for a, b in taken) or re.fullmatch(r"(19|20)\d\d", match.group(1)):
            continue
        words = match.group(2).split()
        # "70 social workers": the count runs to the first word naming people asked about.
        ending = next((i for i, word in enumerate(words) if counts(word)), None)
        if ending is not None:
            value = _number(match.group(1))
            yield (value, str(value)), f"{match.group(1)} {' '.join(words[:ending + 1])}"
