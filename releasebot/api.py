"""The HTTP API: OpenAI-compatible chat completions, ``/v1/ask``, the releases, and a health check."""

from __future__ import annotations

import json
import logging
import time
import uuid
from collections.abc import Iterator
from itertools import chain
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, FastAPI, File, HTTPException, Request, UploadFile
from fastapi.middleware.cors import CORSMiddleware
from fastapi.responses import JSONResponse, StreamingResponse
from fastapi.security import HTTPBearer
from pydantic import BaseModel, Field

from config import Settings
from qa import Answer, Citation, EmptyStoreError, Filters, QuestionError, ReleaseQA, Retrieved
from qa.archive import ArchiveQA
from qa.errors import USER_ERRORS
from releasebot.access import Ability, Access
from releasebot.guard import Guard
from releasebot.remote import store_id
from releasebot.releases import UploadRefusedError, add_releases, delete_release
from vectorstore.catalog import listed
from vectorstore.ingest import Ingestor

log = logging.getLogger(__name__)


# --- requests
class Options(BaseModel):
    mode: Literal["llm", "extractive"] | None = Field(default=None, description="Default: RELEASEBOT_MODE.")
    k: int | None = Field(default=None, ge=1, le=50, description="Chunks to retrieve; default RELEASEBOT_TOP_K.")
    filters: Filters | None = None


class Turn(BaseModel):
    role: Literal["user", "assistant"]
    content: str


class AskRequest(Options):
    question: str
    history: list[Turn] = []


class TextPart(BaseModel):
    type: str = "text"
    text: str = ""


class Message(BaseModel):
    role: Literal["system", "developer", "user", "assistant", "tool", "function"] = Field(
        description="Only user and assistant turns are read.")
    content: str | list[TextPart] | None = None

    def text(self) -> str:
        parts = self.content if isinstance(self.content, list) else [TextPart(text=self.content or "")]
        return " ".join(part.text for part in parts)


class ChatRequest(Options):
    """OpenAI's request; the last user message is the question, earlier user/assistant turns the history."""

    model: str | None = Field(default=None, description="Accepted and ignored: releasebot answers with its model.")
    messages: list[Message] = Field(min_length=1)
    stream: bool = False

    def conversation(self) -> tuple[str, list[dict]]:
        turns = [{"role": m.role, "content": m.text()} for m in self.messages if m.role in ("user", "assistant")]
        last = max((i for i, turn in enumerate(turns) if turn["role"] == "user"), default=None)
        if last is None:
            raise QuestionError("no user message: the last user message is the question")
        return turns[last]["content"], turns[:last]


# --- responses
class Detail(BaseModel):
    detail: str


class AssistantMessage(BaseModel):
    role: Literal["assistant"] = "assistant"
    content: str


class Choice(BaseModel):
    index: int = 0
    message: AssistantMessage
    finish_reason: Literal["stop"] = "stop"


class ChatCompletion(BaseModel):
    """OpenAI's ``chat.completion``, plus the verified ``citations`` its [n] markers refer to."""

    id: str
    object: Literal["chat.completion"] = "chat.completion"
    created: int
    model: str
    choices: list[Choice]
    citations: list[Citation] = []


class Delta(BaseModel):
    role: Literal["assistant"] | None = None
    content: str | None = None


class ChunkChoice(BaseModel):
    index: int = 0
    delta: Delta
    finish_reason: Literal["stop"] | None = None


class ChatCompletionChunk(BaseModel):
    """OpenAI's ``chat.completion.chunk``; the last one carries the verified ``answer`` and ``citations``."""

    id: str
    object: Literal["chat.completion.chunk"] = "chat.completion.chunk"
    created: int
    model: str
    choices: list[ChunkChoice]
    answer: str | None = Field(default=None, description="Last chunk: the verified answer text.")
    citations: list[Citation] | None = Field(default=None, description="Last chunk: what its [n] markers refer to.")


class ModelCard(BaseModel):
    id: str
    object: Literal["model"] = "model"
    created: int = 0
    owned_by: str = "releasebot"


class ModelList(BaseModel):
    object: Literal["list"] = "list"
    data: list[ModelCard]


class ReleaseInfo(BaseModel):
    id: str
    title: str
    location: str = Field(description="The dateline's place, as written.")
    date: str = Field(description="Publication date (ISO), where known.")
    url: str = Field(default="", description="The page's address, where the saved page gave it.")
    date_source: str = Field(default="", description="How the date is known: photo (a dated image path) or text.")
    country: str = Field(default="", description="The country the release is about (pycountry's name).")
    countries: list[str] = Field(default=[], description="Countries the release names.")
    organisations: list[str] = Field(default=[], description="Organisations the release names.")
    chunks: int


class Uploaded(BaseModel):
    added: int
    updated: int
    unchanged: int
    skipped: int
    chunks: int
    release_ids: list[str]
    messages: list[str] = Field(description="One line per file refused or noted.")


class Deleted(BaseModel):
    id: str
    chunks: int


class Health(BaseModel):
    status: Literal["ok"] = "ok"
    releases: int
    model: str
    store: str = Field(description="Which store and collection are served, as a digest of a random token kept in "
                                   "the store (or of the Chroma server's address): the CLI asks this server only "
                                   "about its own store.")


ERRORS = {
    400: {"model": Detail, "description": "Bad question, filters or files."},
    409: {"model": Detail, "description": "No releases stored yet."},
    503: {"model": Detail, "description": "The answer model or the release store is unavailable."},
}
UNAUTHORIZED = {"model": Detail, "description": "Missing or wrong credential (RELEASEBOT_API_KEY, or basic auth)."}
FORBIDDEN = {"model": Detail, "description": "Changing the corpus is off (no credential set on a non-loopback host)."}
SSE = {"text/event-stream": {"schema": {  # one event (OpenAPI 3.2's reading)
    "type": "object", "required": ["data"],
    "properties": {"data": {"type": "string", "description": "A chat.completion.chunk as JSON; the last is [DONE]."}},
}}}


NOT_FOUND_TEXT = "NOT FOUND"  # the answer prompt's sentinel (prompts/system.txt)


def _status(exc: Exception) -> int:
    return 400 if isinstance(exc, QuestionError) else 409 if isinstance(exc, EmptyStoreError) else 503


def _started(items: Iterator) -> list:
    """Pull items up to the first text or the answer, so errors before then get an HTTP status."""
    head = []
    for item in items:
        head.append(item)
        if not isinstance(item, Retrieved):
            break
    return head


def create_api(bot: ReleaseQA, settings: Settings, ingestor: Ingestor | None = None) -> FastAPI:
    """The API over one ReleaseQA; ``releasebot.server`` mounts the chat beside it."""
    ingestor = ingestor or Ingestor(settings, store=bot.store)
    access = Access.from_settings(settings)
    archive = ArchiveQA(bot)  # collection questions; every other question goes on to the single-fact engine
    served = store_id(settings, create=True)  # /healthz names it: a one-shot `releasebot ask` of this store asks here

    def requires(ability: Ability) -> dict:
        """What a route needs, for the Guard (which refuses before any body is read) and the OpenAPI schema."""
        return {"openapi_extra": {"x-releasebot-needs": ability}}

    refused = {401: UNAUTHORIZED, 403: FORBIDDEN} if access.credentialed or not access.changes_open else {}
    app = FastAPI(title="releasebot", version="1", summary="Cited answers from the press releases.")
    # The bearer scheme is declared for the OpenAPI schema; the header itself (bearer or basic) is checked by the Guard.
    v1 = APIRouter(prefix="/v1", responses={**ERRORS, **refused}, dependencies=[Depends(HTTPBearer(auto_error=False))])
    app.add_middleware(Guard, settings=settings, api_routes=lambda: v1.routes)
    # Cross-origin requests get no CORS grant (Gradio's own CORS handling defers to this): no other site's page can
    # read an answer with a visitor's login.
    app.add_middleware(CORSMiddleware, allow_origins=[])

    def user_error(request: Request, exc: Exception) -> JSONResponse:
        status = _status(exc)
        if status == 503:  # a dependency is down: worth a line in the server's log
            log.warning("%s", exc)
        return JSONResponse({"detail": str(exc)}, status)

    def server_error(request: Request, exc: Exception) -> JSONResponse:  # Starlette logs the traceback
        # The exception's text can name the server's paths: the client gets a reference to find it in the log.
        reference = uuid.uuid4().hex[:12]
        log.error("internal error %s on %s %s: %s: %s", reference, request.method, request.url.path,
                  type(exc).__name__, exc)
        return JSONResponse({"detail": f"internal error (reference {reference} in the server's log)"}, 500)

    for error in USER_ERRORS:
        app.add_exception_handler(error, user_error)
    app.add_exception_handler(Exception, server_error)

    def answering_model(mode: str | None) -> str:
        return bot.model if (mode or settings.mode) == "llm" else "extractive"

    @app.get("/healthz", response_model=Health)
    def healthz():
        return Health(releases=len(bot.retriever.metadata), model=answering_model(None), store=served)

    @v1.post("/chat/completions", response_model=ChatCompletion, responses={200: {"content": SSE}},
             **requires("ask"))
    def chat_completions(body: ChatRequest):
        """OpenAI-compatible; with ``stream`` the answer comes as server-sent ``chat.completion.chunk`` events."""
        question, history = body.conversation()
        items = archive.stream(question, history, mode=body.mode, k=body.k, filters=body.filters)
        head = _started(items)
        made = dict(id=f"chatcmpl-{uuid.uuid4().hex}", created=int(time.time()), model=answering_model(body.mode))
        if not body.stream:
            answer: Answer = list(chain(head, items))[-1]
            return ChatCompletion(**{**made, "model": answer.model}, citations=answer.citations,
                                  choices=[Choice(message=AssistantMessage(content=answer.text))])

        def chunk(delta: Delta, **extra) -> str:
            finish = "stop" if "answer" in extra else None
            event = ChatCompletionChunk(**made, choices=[ChunkChoice(delta=delta, finish_reason=finish)], **extra)
            return f"data: {event.model_dump_json(exclude=None if extra else {'answer', 'citations'})}\n\n"

        def events() -> Iterator[str]:
            yield chunk(Delta(role="assistant", content=""))
            held: str | None = ""  # the draft while it may be the model's NOT FOUND, which clients should not see
            try:
                for item in chain(head, items):
                    if isinstance(item, str) and item and held is None:
                        yield chunk(Delta(content=item))
                    elif isinstance(item, str) and item:
                        held += item
                        draft = held.strip()
                        if NOT_FOUND_TEXT.startswith(draft.upper()):
                            continue
                        rest = draft[len(NOT_FOUND_TEXT):].lstrip() if draft.upper().startswith(NOT_FOUND_TEXT) else held
                        held = None
                        if rest:
                            yield chunk(Delta(content=rest))
                    elif isinstance(item, Answer):
                        if held is not None:  # nothing shown yet: the abstention, worded
                            yield chunk(Delta(content=item.text))
                        yield chunk(Delta(), answer=item.text, citations=item.citations)
            except Exception as exc:  # the status is sent already: OpenAI's clients read an error event
                if not isinstance(exc, USER_ERRORS):
                    log.exception("streaming an answer failed")
                yield f"data: {json.dumps({'error': {'message': str(exc), 'type': type(exc).__name__}})}\n\n"
                return
            finally:
                items.close()
            yield "data: [DONE]\n\n"

        return StreamingResponse(events(), media_type="text/event-stream")

    @v1.get("/models", response_model=ModelList, **requires("ask"))
    def models():
        """OpenAI's model list (some chat front ends ask it first): the one model answering."""
        return ModelList(data=[ModelCard(id=answering_model(None))])

    @v1.post("/ask", response_model=Answer, **requires("ask"))
    def ask(body: AskRequest):
        """The whole verified answer: text with [n] markers, citations, claims, timings."""
        return archive.ask(body.question, [turn.model_dump() for turn in body.history], mode=body.mode, k=body.k,
                           filters=body.filters)

    @v1.get("/releases", response_model=list[ReleaseInfo], **requires("ask"))
    def list_releases():
        catalog = bot.retriever.metadata
        return [ReleaseInfo(
            id=rid, title=r.title, location=r.location, date=r.date, url=r.url,
            date_source=catalog.get(rid, {}).get("date_source", ""), country=catalog.get(rid, {}).get("country", ""),
            countries=listed(catalog.get(rid, {}).get("countries")),
            organisations=listed(catalog.get(rid, {}).get("organisations")),
            chunks=sum(have for have, _ in r.versions.values()),
        ) for rid, r in sorted(bot.store.releases().items())]

    @v1.post("/releases", response_model=Uploaded, **requires("change"))
    def upload_releases(files: Annotated[list[UploadFile], File(description=".txt or .html release files")]):
        """Validated, cleaned and ingested like the chat's upload; answerable at once. 400 if none is stored."""
        try:
            summary = add_releases(bot, ingestor, [(file.filename or "", file.file) for file in files])
        except UploadRefusedError as exc:
            raise HTTPException(400, str(exc)) from exc
        if not summary.release_ids:
            raise HTTPException(400, "; ".join(summary.messages) or "no release files")
        return Uploaded(**{name: getattr(summary, name) for name in Uploaded.model_fields})

    @v1.delete("/releases/{release_id}", response_model=Deleted, responses={404: {"model": Detail}},
               **requires("change"))
    def delete(release_id: str):
        removed = delete_release(bot, ingestor, release_id)
        if not removed:
            raise HTTPException(404, f"no release {release_id!r} in the store")
        return Deleted(id=release_id, chunks=removed)

    app.include_router(v1)
    return app
