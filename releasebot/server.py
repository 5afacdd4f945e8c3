"""One server process: the HTTP API (``/v1``, ``/healthz``) with the Gradio chat mounted at ``/``."""

from __future__ import annotations

import logging
import threading

import gradio as gr
import uvicorn
from fastapi import FastAPI

from config import Settings
from qa import ReleaseQA
from qa.errors import USER_ERRORS
from releasebot import render
from releasebot.api import create_api
from releasebot.releases import recover_uploads
from releasebot.web import ChatApp

log = logging.getLogger(__name__)


def build_bot(settings: Settings) -> ReleaseQA:
    """The pipeline, with the model loaded now; if it cannot load, the chat and the API say why when asked.

    The releases' prompt states are computed in the background, within their disk budget (saved ones are kept: it resumes).
    """
    try:
        bot = ReleaseQA.from_settings(settings)
    except USER_ERRORS as exc:
        log.error("starting without the answer model: %s", exc)
        return ReleaseQA.from_settings(settings, load_llm=False)
    threading.Thread(target=_warm_prompt_states, args=(bot,), name="prompt-states", daemon=True).start()
    return bot


def _warm_prompt_states(bot: ReleaseQA) -> None:
    try:
        if computed := bot.warm_prompt_states():
            log.info("computed the prompt states of %d releases", computed)
    except Exception:  # questions still compute the state they need
        log.exception("computing the releases' prompt states failed")


def build_app(settings: Settings, bot: ReleaseQA | None = None) -> FastAPI:
    """The API and the chat over one ReleaseQA. The chat's queue runs one answer at a time (llama.cpp is
    not re-entrant; others wait, position shown); the API shares the pipeline's generation lock.

    With a credential set, the chat asks for it at Gradio's login form, which guards every Gradio route
    (queue, upload, file, config) unless asking is open to anonymous users (``RELEASEBOT_ANONYMOUS_ASK``).
    """
    chat = ChatApp(bot or build_bot(settings), settings)
    access = chat.access
    log.info("access: %s", access.describe())
    if recovered := recover_uploads(chat.ingestor):
        for line in recovered:
            log.info("uploads: %s", line)
        chat.bot.refresh()
    return gr.mount_gradio_app(
        create_api(chat.bot, settings, chat.ingestor), chat.blocks().queue(default_concurrency_limit=1), path="/",
        auth=access.login if access.chat_login else None, max_file_size=settings.max_file_bytes,
        css=render.STYLE, show_error=False, ssr_mode=False,
    )


def serve(settings: Settings, host: str | None = None, port: int | None = None) -> None:
    """Serve on ``host``:``port`` (default: the settings'); who may change the corpus depends on the host bound."""
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    settings = settings.model_copy(update={"host": host or settings.host, "port": port or settings.port})
    uvicorn.run(build_app(settings), host=settings.host, port=settings.port)
