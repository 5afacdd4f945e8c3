"""Answering questions over the release store: ``from qa import ReleaseQA``.

The names are imported when first used, so a front end that needs only a light module of this package (a one-shot
``releasebot ask`` sent to a running server reads ``qa.result``) does not load the models' libraries.
"""

from importlib import import_module

_HOMES = {
    "Answer": "qa.types", "Citation": "qa.types", "Claim": "qa.types", "Filters": "qa.types",
    "QuestionError": "qa.types", "EmptyStoreError": "qa.retrieval", "ModelUnavailableError": "qa.llm",
    "ReleaseQA": "qa.engine", "Retrieved": "qa.engine",
}

__all__ = sorted(_HOMES)


def __getattr__(name: str):
    if name not in _HOMES:
        raise AttributeError(f"module 'qa' has no attribute {name!r}")
    return getattr(import_module(_HOMES[name]), name)


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})
