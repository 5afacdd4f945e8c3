"""The errors a user can act on: shown as one readable line by the CLI, the chat and the API."""

from qa.llm import ModelUnavailableError
from qa.prompts import PromptsMissingError
from qa.retrieval import EmptyStoreError
from qa.types import QuestionError
from vectorstore.embedding import EmbedderMissingError
from vectorstore.store import StoreUnavailableError

USER_ERRORS = (
    QuestionError, ModelUnavailableError, EmptyStoreError, StoreUnavailableError, EmbedderMissingError,
    PromptsMissingError,
)
