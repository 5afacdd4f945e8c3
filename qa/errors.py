"""The errors a user can act on: shown as one readable line by the CLI, the chat and the API."""

import httpx

from qa.llm import ModelUnavailableError
from qa.prompts import PromptsMissingError
from qa.retrieval import EmptyStoreError
from qa.types import QuestionError
from releasebot.config import Settings
from vectorstore.embedding import EmbedderMissingError
from vectorstore.store import StoreUnavailableError

USER_ERRORS = (
    QuestionError, ModelUnavailableError, EmptyStoreError, StoreUnavailableError, EmbedderMissingError,
    PromptsMissingError,
)

# A server the pipeline needs (the Chroma server) went away after start-up: its client raises these.
UNREACHABLE = (httpx.TransportError, ConnectionError)


def unreachable_message(exc: Exception, settings: Settings) -> str:
    where = f"the Chroma server at {settings.chroma_host}:{settings.chroma_port}" if settings.chroma_host \
        else "a server releasebot needs"
    return f"the release store is unavailable: {where} cannot be reached ({type(exc).__name__}: {exc}); " \
           "answers resume once it is back"
