"""The Gradio chat: streaming answers beside a sources panel, settings, and release upload."""

from __future__ import annotations

import logging
import uuid
from collections.abc import Iterator
from contextlib import ExitStack
from html import escape
from pathlib import Path

import gradio as gr

from config import Settings
from qa import Answer, Filters, QuestionError, ReleaseQA, Retrieved
from qa.archive import ArchiveQA
from qa.errors import USER_ERRORS
from qa.text import releases
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


ANY_PLACE = ("Any country or place", "")  # the location filter's first choice: no filter


class ChatApp:
    """Handlers over one ReleaseQA; ``blocks()`` lays them out."""

    def __init__(self, bot: ReleaseQA, settings: Settings, ingestor: Ingestor | None = None):
        self.bot = bot
        self.settings = settings
        self.ingestor = ingestor or Ingestor(settings, store=bot.store)
        self.access = Access.from_settings(settings)
        self.archive = ArchiveQA(bot)  # collection questions; every other question goes on to the engine

    # --- answering
    def check_message(self, message: str):
        """Before the message is posted: an empty or over-long one is refused where it was typed."""
        try:
            self.bot.validate(message)
        except QuestionError as exc:
            return gr.validate(False, f"Not sent: {exc}.")
        return gr.validate(True, "")

    def respond(self, message: str, history: list[dict], mode: str, k: float, releases: list[str] | None,
                location: str | None, date_from: str | None = None, date_to: str | None = None,
                undated: bool = False) -> Iterator[tuple[str, str]]:
        """Stream the answer into the chat, with its sources under it and in the panel; until the first words, the
        step under way."""
        filters = Filters(release_ids=list(releases or []), location=location or None,
                          date_from=(date_from or "").strip() or None, date_to=(date_to or "").strip() or None,
                          undated=bool(undated))
        key = f"a{uuid.uuid4().hex[:8]}"  # this answer's card ids: an earlier answer's [n] keeps finding its own
        history = [{**turn, "content": render.plain(turn.get("content"))} if turn.get("role") == "assistant" else turn
                   for turn in history or []]
        partial = ""
        rewriting = history and (mode or self.settings.mode) == "llm"
        yield render.step("Rewriting the question with the conversation, then searching the releases…" if rewriting
                          else "Searching the releases…"), gr.skip()
        try:
            for item in self.archive.stream(message, history, mode=mode, k=int(k), filters=filters):
                if isinstance(item, Retrieved):  # before the answer, or (collections) after each item of it
                    releases_found = len({p.release_id for p in item.passages})
                    status = render.step(f"Reading {len(item.passages)} passages from {releases_found} releases and "
                                         "writing the answer…" if item.passages else "Checking the releases…")
                    yield render.chat_text(partial) if partial else status, render.found_panel(item.passages)
                elif isinstance(item, str):
                    partial += item
                    yield render.chat_text(partial), gr.skip()
                elif isinstance(item, Answer):
                    yield render.answer_message(item, key), render.sources_panel(item)
        except USER_ERRORS as exc:
            yield render.chat_text(f"Not answered: {exc}"), render.PANEL_EMPTY
        except Exception as exc:  # the chat shows a readable line; the log keeps the traceback
            log.exception("answering failed")
            yield render.chat_text(f"Something went wrong while answering ({type(exc).__name__}: {exc})."), \
                render.PANEL_EMPTY

    @staticmethod
    def stopped(history: list[dict]) -> list[dict]:
        """After Stop: a step still showing, or a draft never checked against the sources, says so."""
        last = history[-1] if history else None
        if not last or last.get("role") != "assistant":
            return history
        content = str(last.get("content") or "")
        if not content or "rb-step" in content:
            content = render.chat_text("Stopped before an answer was written.")
        elif "rb-sources" not in content:  # the verified answer has its sources; a draft has none
            content += "<div class='rb-flagged'><b>Stopped:</b> this draft was not checked against the sources.</div>"
        return [*history[:-1], {**last, "content": content}]

    def chat_api(self, message: str, history: list[dict] | None = None) -> str:
        """Answer one question (with optional chat history); returns the answer text with its [n] markers."""
        try:
            return self.archive.ask(message, history or []).text
        except USER_ERRORS as exc:
            raise gr.Error(str(exc)) from exc

    # --- releases
    def release_choices(self) -> tuple[list[tuple[str, str]], list[tuple[str, str]]]:
        """The filters' choices as the store has them now; the location's first choice clears it."""
        self.bot.retriever.refresh()
        metadata = self.bot.retriever.metadata
        releases = sorted((f"{m['title']} ({rid})", rid) for rid, m in metadata.items())
        places = sorted({m.get(key, "") for m in metadata.values() for key in ("country", "location")} - {""})
        return releases, [ANY_PLACE, *((place, place) for place in places)]

    def on_load(self):
        """Each page, once its visitor may see it (after login): what the archive holds, and the filters' choices
        now (not at start-up: releases added since are there, and the login page holds nothing of the corpus)."""
        releases, places = self.release_choices()
        return (render.landing(self.bot.retriever.metadata, self.bot.settings.languages), gr.update(choices=releases),
                gr.update(choices=places, value=""))

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
            return f"Not added: {self.access.refusal('change')[1]}", gr.skip(), gr.skip()
        if not files:
            return "Choose one or more .txt or .html release files first.", gr.skip(), gr.skip()
        try:
            with ExitStack() as stack:
                summary = add_releases(self.bot, self.ingestor, [
                    (Path(name).name, stack.enter_context(open(name, "rb"))) for name in files], progress=True)
        except (UploadRefusedError, *USER_ERRORS) as exc:  # too many files; another ingest holds the store
            return f"Not added: {escape(str(exc))}", gr.skip(), gr.skip()
        choices, locations = self.release_choices()
        titles = {rid: self.bot.retriever.metadata.get(rid, {}).get("title", rid) for rid in summary.release_ids}
        added = [f"- {escape(title)} ({rid})" for rid, title in titles.items()]
        lines = [f"**Added or updated {releases(len(added))}:**", *added] if added \
            else ["**No release was added.**"]
        lines += [f"- Not added: {escape(m)}" if m.startswith("skipped") else f"- Note: {escape(m)}"
                  for m in summary.messages]
        return "\n".join([*lines, "", summary.line()]), gr.update(choices=choices), gr.update(choices=locations)

    def blocks(self) -> gr.Blocks:
        # Built with no choices and no corpus text: Gradio embeds the API description in the login page, and the
        # page load (after login) fills them in.
        with gr.Blocks(title="releasebot") as demo:
            gr.Markdown("## releasebot — ask the IOM counter-trafficking press releases\n"
                        "Answers come only from the releases; every claim is cited, and the sentence it stands on is "
                        "shown with the answer.")
            landing = gr.Markdown(elem_id="landing")
            # Created unrendered: ChatInterface lays the settings out under the chat, the panel goes beside it.
            sources = gr.HTML(render.PANEL_EMPTY, elem_id="sources-panel", render=False)
            mode = gr.Radio(["llm", "extractive"], value=self.settings.mode, label="Answer mode", render=False,
                            info="llm: written by the local model; extractive: the best sentences, instantly")
            k = gr.Slider(1, 20, value=self.settings.top_k, step=1, label="Passages to retrieve", render=False)
            release_filter = gr.Dropdown([], multiselect=True, label="Only these releases", render=False)
            location_filter = gr.Dropdown([ANY_PLACE], value="", label="Only releases about this country or place",
                                          render=False)
            date_from = gr.Textbox(label="Published on or after", placeholder="YYYY-MM-DD", render=False)
            date_to = gr.Textbox(label="Published on or before", placeholder="YYYY-MM-DD", render=False)
            # Most releases give no date: a date range keeps them only when asked (answers say how many it left out).
            undated = gr.Checkbox(False, label="With a date range, also releases whose date is not known",
                                  render=False)
            with gr.Row(equal_height=False):
                with gr.Column(scale=3, min_width=320):
                    chat = gr.ChatInterface(
                        self.respond, chatbot=gr.Chatbot(label="Chat", height=520, buttons=["copy"]),
                        textbox=gr.Textbox(placeholder="Ask about the releases, in your own words",
                                           max_length=self.settings.max_question_chars, show_label=False),
                        additional_inputs=[mode, k, release_filter, location_filter, date_from, date_to, undated],
                        additional_inputs_accordion=gr.Accordion("Settings and filters", open=False, render=False),
                        additional_outputs=[sources], validator=self.check_message,
                        # Message-only examples show inside the chat and run on click with the current settings.
                        examples=[[q, *[None] * 7] for q in EXAMPLES],
                        api_name="chat_ui", api_visibility="private", concurrency_limit=1,
                    )
                    chat.textbox.stop(self.stopped, [chat.chatbot], [chat.chatbot], queue=False,
                                      api_visibility="private")
                with gr.Column(scale=2, min_width=320):
                    gr.Markdown("### Sources of the latest answer")
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
            demo.load(self.on_load, None, [landing, release_filter, location_filter], api_visibility="private")
        return demo
