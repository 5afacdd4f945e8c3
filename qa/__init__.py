"""Answering questions over the release store: ``from qa import ReleaseQA``."""

from qa.engine import ReleaseQA, Retrieved
from qa.llm import ModelUnavailableError
from qa.retrieval import EmptyStoreError
from qa.types import Answer, Citation, Claim, Filters, QuestionError

__all__ = [
    "Answer", "Citation", "Claim", "EmptyStoreError", "Filters", "ModelUnavailableError", "QuestionError",
    "ReleaseQA", "Retrieved",
]
