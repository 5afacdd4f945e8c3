"""The cleaned-release record that flows from cleaning to chunking and into the store."""

from __future__ import annotations

import hashlib
from datetime import date

from pydantic import BaseModel, Field


class Contact(BaseModel):
    """One person or office from a release's "for more information" block."""

    name: str | None = None
    role: str | None = None
    office: str | None = None
    phone: str | None = None
    email: str | None = None


class Removal(BaseModel):
    """Something cleaning took out of a release, and why (``releasebot clean --explain``)."""

    text: str
    reason: str


class CleanRelease(BaseModel):
    """A release with site debris removed; ``text`` is what chunks and citation spans refer to."""

    id: str
    title: str
    location: str | None = None
    date: str | None = Field(default=None, description="ISO date where the release gives one.")
    url: str | None = Field(default=None, description="The page's address, where the saved page gives it.")
    contacts: list[Contact] = []
    text: str
    source_path: str
    sha256: str = Field(description="sha256 of the source file's bytes.")
    notes: list[str] = Field(default=[], description="What cleaning had to work around (e.g. a non-UTF-8 file).")
    removed: list[Removal] = Field(default=[], description="What cleaning removed, and why.")
    withheld: list[tuple[int, int]] = Field(default=[], description="Spans of ``text`` addressed to an AI model: kept, "
                                            "but never shown to the answer model nor cited (vectorstore.addressed).")

    @property
    def content_hash(self) -> str:
        """Identity of the cleaned text: the same release under two file names has one."""
        return hashlib.sha256(self.text.encode("utf-8")).hexdigest()


def date_number(iso: str) -> int:
    """An ISO date as YYYYMMDD, the form range filters compare (Chroma compares numbers only)."""
    day = date.fromisoformat(iso)
    return day.year * 10000 + day.month * 100 + day.day
