"""What the answering pipeline hands out: answers, their citations, and the evidence behind them."""

from __future__ import annotations

from dataclasses import dataclass, field, replace

from llama_index.core.vector_stores import FilterOperator, MetadataFilter, MetadataFilters
from llama_index.core.vector_stores.utils import build_metadata_filter_fn
from pydantic import BaseModel, Field

from qa.result import result_record
from qa.text import releases
from vectorstore.catalog import country_name
from vectorstore.records import date_number


class QuestionError(ValueError):
    """The question cannot be asked (empty, too long); the message is for the user."""


class Citation(BaseModel):
    """A numbered source of an answer: one release's evidence, with the sentence that supports the claim."""

    number: int
    source: str = Field(description="Release id (the file stem).")
    title: str
    location: str = ""
    date: str = ""
    url: str = Field(default="", description="The release page's address, where the saved page gave it.")
    text: str = Field(description="The passage given to the model.")
    sentence: str = Field(default="", description="The sentence that best supports the cited claim.")
    span: tuple[int, int] | None = Field(default=None, description="The sentence's characters in the cleaned release.")
    score: float = 0.0


class Claim(BaseModel):
    """One sentence of the answer and what verification found for it."""

    text: str
    citations: list[int] = []
    supported: bool = True
    support: float = 0.0


class Timings(BaseModel):
    retrieval_s: float = 0.0
    ttft_s: float | None = None
    total_s: float = 0.0
    queue_s: float = Field(default=0.0, description="Time spent waiting for the model while it answered others.")
    prompt_tokens: int | None = Field(default=None, description="Tokens of the answer prompt (local model).")
    new_prompt_tokens: int | None = Field(default=None, description="Of those, the ones not already in the KV cache.")
    prompt_state: str | None = Field(default=None, description="Release prefix: current, restored or computed.")


class Answer(BaseModel):
    """A grounded answer: ``text`` carries [n] markers that index ``citations`` by ``number``."""

    question: str
    standalone_question: str = Field(description="The question as answered: standalone, in English.")
    language: str = Field(default="en", description="ISO 639-1 code of the question's language, the answer's too.")
    text: str
    citations: list[Citation] = []
    claims: list[Claim] = []
    abstained: bool = False
    retrieved: list[str] = Field(default=[], description="Release ids in rank order.")
    timings: Timings = Timings()
    model: str = ""
    mode: str = "llm"

    @property
    def unsupported_claims(self) -> list[Claim]:
        return [claim for claim in self.claims if not claim.supported]

    def result_record(self) -> dict:
        """The eval/--json record (``qa.result``)."""
        return result_record(self.model_dump())


@dataclass
class Filters:
    """Restrict retrieval to some releases, a country (or a dateline's place), or a date range (ISO, inclusive);
    with ``undated``, a date range keeps the releases whose date is not known too."""

    release_ids: list[str] = field(default_factory=list)
    location: str | None = None
    date_from: str | None = None
    date_to: str | None = None
    undated: bool = False

    @property
    def active(self) -> bool:
        return bool(self.release_ids or self.location or self.date_from or self.date_to)

    def checked(self) -> "Filters":
        """These filters, or a QuestionError saying what is wrong with them (a date that is not one, a reversed range)."""
        low, high = (_date_num(d) if d else None for d in (self.date_from, self.date_to))
        if low and high and low > high:
            raise QuestionError(f"the date range is reversed: {self.date_from} is after {self.date_to}")
        return self

    def describe(self) -> str:
        """The filters in words: "about Timor-Leste, published from 2010-01-01 to 2010-12-31"."""
        parts = [f"about {self.location}" if self.location else "",
                 f"{releases(len(self.release_ids))} chosen"
                 if self.release_ids else ""]
        if self.date_from or self.date_to:
            parts.append("published " + " ".join(part for part in (
                f"from {self.date_from}" if self.date_from else "", f"to {self.date_to}" if self.date_to else "")
                if part))
        return ", ".join(part for part in parts if part)

    def resolved(self, catalog: dict[str, dict]) -> "Filters":
        """These filters as the stores can apply them: "in the range, or no known date" becomes the releases it keeps
        (a nested OR is refused by llama-index's filter function, which the keyword search uses)."""
        if not (self.undated and (self.date_from or self.date_to)):
            return self
        dated = build_metadata_filter_fn(catalog.__getitem__, replace(self, undated=False).to_metadata_filters())
        kept = [r for r, meta in catalog.items() if (not self.release_ids or r in self.release_ids)
                and (dated(r) or not meta.get("date_num"))]
        # No release kept: a release id no release has, so that nothing (rather than everything) passes.
        return replace(self, release_ids=kept or ["\x00none"], date_from=None, date_to=None, undated=False)

    def to_metadata_filters(self) -> MetadataFilters | None:
        filters: list[MetadataFilter] = []
        if self.release_ids:
            filters.append(MetadataFilter(key="release_id", value=list(self.release_ids), operator=FilterOperator.IN))
        if self.location:  # a country matches every release about it (the catalog's); another place its dateline
            country = country_name(self.location)
            filters.append(MetadataFilter(key="country", value=country, operator=FilterOperator.EQ) if country
                           else MetadataFilter(key="location", value=self.location, operator=FilterOperator.EQ))
        if self.date_from or self.date_to:  # releases without a date (0) never match a date range
            low = _date_num(self.date_from) if self.date_from else 1
            filters.append(MetadataFilter(key="date_num", value=low, operator=FilterOperator.GTE))
        if self.date_to:
            filters.append(MetadataFilter(key="date_num", value=_date_num(self.date_to), operator=FilterOperator.LTE))
        return MetadataFilters(filters=filters) if filters else None


def _date_num(iso: str) -> int:
    try:
        return date_number(iso)
    except ValueError as exc:
        raise QuestionError(f"not an ISO date (YYYY-MM-DD): {iso!r}") from exc


# How a reading says a collection question's dates limit the releases ("in 2011", "before March 2010", …; "" none).
RELATIONS = ("", "in", "before", "after", "since", "until", "between")


class Described(BaseModel):
    """The model's reading of a collection question (``ReleaseQA.describe``), unchecked: what a release must talk about
    ("" for every release; of a comparison, what is compared), whom it must quote, and how the releases' dates are
    limited, the dates as the question writes them ("March 2011"); the arithmetic and the checks are the caller's."""

    subject: str
    speaker: str = ""  # who a release must quote ("a prosecutor", "Thomas Sinkovits"); "" when no one in particular
    relation: str = ""
    date: str = ""
    date2: str = ""

