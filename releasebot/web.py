"""The Gradio chat: streaming answers beside a sources panel, settings, and release upload."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import ExitStack
from pathlib import Path

import gradio as gr

from config import Settings
from qa import Answer, Filters, ReleaseQA, Retrieved
from qa.archive import ArchiveQA
from qa.errors import USER_ERRORS
from releasebot import render
from releasebot.access import Access
from releasebot.releases import UploadRefusedError, add_releases
from vectorstore.ingest import Ingestor
from vectorstore.loading import RELEASE_SUFFIXES

log = logging.getLogger(__name__)

EXAMPLES = [
    "Who funded the Macao trainings?",
    "In which cities were the European visa officers trained?",
    "How many shelters does the Ministry of Civil Affairs run?",
    "How do I reach Gloria Ko?",
    "Which ministry co-organised each training?",
]


class ChatApp:
    """Handlers over one ReleaseQA; ``blocks()`` lays them out."""

    def __init__(self, bot: ReleaseQA, settings: Settings, ingestor: Ingestor | None = None):
        self.bot = bot
        self.settings = settings
        self.ingestor = ingestor or Ingestor(settings, store=bot.store)
        self.access = Access.from_settings(settings)
        self.archive = ArchiveQA(bot)  # collection questions; every other question goes on to the engine

    # --- answering
    def respond(self, message: str, history: list[dict], mode: str, k: float, releases: list[str] | None,
                location: str | None, date_from: str | None = None, date_to: str | None = None,
                undated: bool = False) -> Iterator[tuple[str, str]]:
        """Stream the answer into the chat and its sources into the panel."""
        filters = Filters(release_ids=list(releases or []), location=location or None,
                          date_from=(date_from or "").strip() or None, date_to=(date_to or "").strip() or None,
                          undated=bool(undated))
        partial = ""
        try:
            for item in self.archive.stream(message, history, mode=mode, k=int(k), filters=filters):
                if isinstance(item, Retrieved):  # before the answer, or (collections) after each item of it
                    status = f"🔎 Searching done: {len(item.passages)} passages from {len(item.retrieved)} releases…"
                    yield render.chat_text(partial) if partial else status, render.found_panel(item.passages)
                elif isinstance(item, str):
                    partial += item
                    yield render.chat_text(partial), gr.skip()
                elif isinstance(item, Answer):
                    yield render.answer_message(item), render.sources_panel(item)
        except USER_ERRORS as exc:
            yield f"⚠️ {exc}", render.PANEL_EMPTY
        except Exception as exc:  # the chat shows a readable line; the log keeps the traceback
            log.exception("answering failed")
            yield f"⚠️ Something went wrong while answering ({type(exc).__name__}: {exc}).", render.PANEL_EMPTY

    def chat_api(self, message: str, history: list[dict] | None = None) -> str:
        """Answer one question (with optional chat history); returns the answer text with its [n] markers."""
        try:
            return self.archive.ask(message, history or []).text
        except USER_ERRORS as exc:
            raise gr.Error(str(exc)) from exc

    # --- releases
    def release_choices(self) -> tuple[list[tuple[str, str]], list[str]]:
        metadata = self.bot.retriever.metadata
        releases = sorted((f"{m['title']} ({rid})", rid) for rid, m in metadata.items())
        locations = sorted({m.get(key, "") for m in metadata.values() for key in ("country", "location")} - {""})
        return releases, locations

    def may_change(self, request: gr.Request | None, credential: str | None) -> bool:
        """Logged in at the chat's form, or the credential in the request's header or typed beside the upload."""
        authenticated = request is not None and (
            (self.access.chat_login and request.username is not None)
            or self.access.credential(request.headers.get("authorization")))
        typed = bool(credential) and self.access.login(self.access.username or "", credential)
        return self.access.allows("change", authenticated or typed)

    def add_releases(self, files: list[str] | None, credential: str | None = None, request: gr.Request = None,
                     progress=gr.Progress(track_tqdm=True)):
        if not self.may_change(request, credential):
            return f"⚠️ {self.access.refusal('change')[1]}", gr.skip(), gr.skip()
        if not files:
            return "Choose one or more .txt or .html release files first.", gr.skip(), gr.skip()
        try:
            with ExitStack() as stack:
                summary = add_releases(self.bot, self.ingestor, [
                    (Path(name).name, stack.enter_context(open(name, "rb"))) for name in files], progress=True)
        except (UploadRefusedError, *USER_ERRORS) as exc:  # too many files; another ingest holds the store
            return f"⚠️ {exc}", gr.skip(), gr.skip()
        notes = [f"❌ {m}" if m.startswith("skipped") else f"ℹ️ {m}" for m in summary.messages]
        choices, locations = self.release_choices()
        return "\n\n".join([*notes, f"✅ {summary.line()}"]), gr.update(choices=choices), gr.update(choices=locations)

    def blocks(self) -> gr.Blocks:
        releases, locations = self.release_choices()
        with gr.Blocks(title="releasebot") as demo:
            gr.Markdown("## releasebot — ask the IOM counter-trafficking press releases\n"
                        "Answers come only from the releases; every claim is cited and its source shown beside it.")
            # Created unrendered: ChatInterface lays the settings out under the chat, the panel goes beside it.
            sources = gr.HTML(render.PANEL_EMPTY, elem_id="sources-panel", render=False)
            mode = gr.Radio(["llm", "extractive"], value=self.settings.mode, label="Answer mode", render=False,
                            info="llm: written by the local model; extractive: the best sentences, instantly")
            k = gr.Slider(1, 20, value=self.settings.top_k, step=1, label="Passages to retrieve", render=False)
            release_filter = gr.Dropdown(releases, multiselect=True, label="Only these releases", render=False)
            location_filter = gr.Dropdown(locations, value=None, label="Only releases about this country or place",
                                          render=False)
            date_from = gr.Textbox(label="Published on or after", placeholder="YYYY-MM-DD", render=False)
            date_to = gr.Textbox(label="Published on or before", placeholder="YYYY-MM-DD", render=False)
            # Most releases give no date: a date range keeps them only when asked (collection answers say how many
            # it left out).
            undated = gr.Checkbox(False, label="With a date range, also releases whose date is not known",
                                  render=False)
            with gr.Row(equal_height=False):
                with gr.Column(scale=3):
                    gr.ChatInterface(
                        self.respond, chatbot=gr.Chatbot(label="Chat", height=520, buttons=["copy"]),
                        additional_inputs=[mode, k, release_filter, location_filter, date_from, date_to, undated],
                        additional_inputs_accordion="Settings",
                        additional_outputs=[sources],
                        # Message-only examples show inside the chat and run on click with the current settings.
                        examples=[[q, *[None] * 7] for q in EXAMPLES],
                        api_name="chat_ui", api_visibility="private", concurrency_limit=1,
                    )
                with gr.Column(scale=2):
                    gr.Markdown("### Sources")
                    sources.render()
            with gr.Accordion("Add releases", open=False):
                if self.access.changes_open or self.access.credentialed:
                    upload = gr.File(file_count="multiple", file_types=sorted(RELEASE_SUFFIXES),
                                     label="Release files")
                    # Asking is open to anyone here, so whoever adds releases proves it beside the upload.
                    credential = gr.Textbox(label="API key (or the chat's password)", type="password",
                                            visible=self.access.ask_open and self.access.credentialed)
                    add = gr.Button("Add to the releases")
                    upload_log = gr.Markdown(elem_id="upload-log")
                    add.click(self.add_releases, [upload, credential], [upload_log, release_filter, location_filter],
                              api_name="add_releases", concurrency_limit=1, concurrency_id="ingest")
                else:
                    gr.Markdown(f"Adding releases is off here: {self.access.refusal('change')[1]}.")
            gr.api(self.chat_api, api_name="chat", concurrency_limit=1)
        return demo
