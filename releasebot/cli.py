"""The ``releasebot`` command: ingest, clean, delete, ask, eval, serve."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated

import typer

from config import get_settings

app = typer.Typer(no_args_is_help=True, add_completion=False, help="Question answering over press releases.")


def _say(message: str) -> None:
    typer.echo(message, err=True)


def _fail(message: str, code: int = 1) -> typer.Exit:
    typer.secho(f"error: {message}", err=True, fg=typer.colors.RED)
    return typer.Exit(code)


@app.command()
def ingest(
    paths: Annotated[list[Path] | None, typer.Argument(help="Release files or directories; default: the bundled releases.")] = None,
    prune: Annotated[bool, typer.Option(help="Delete stored releases whose files are gone.")] = False,
    wait: Annotated[float, typer.Option(min=0, help="Seconds to wait for another ingest into the same store; "
                                                    "then exit 75. 0: refuse at once.")] = 600,
    prompt_states: Annotated[bool, typer.Option(help="Then compute every release's prompt state (~10 s each on 2 "
                                                      "cores; resumable), which the server otherwise computes in the "
                                                      "background.")] = False,
) -> None:
    """Clean, chunk, embed and store releases; unchanged releases are not rewritten."""
    from vectorstore.ingest import IngestBusyError, Ingestor
    from vectorstore.store import StoreUnavailableError

    settings = get_settings()
    try:
        summary = Ingestor(settings, lock_wait=wait).ingest(paths or [settings.releases_dir], prune=prune, report=_say)
    except IngestBusyError as exc:
        raise _fail(str(exc), code=75) from exc  # EX_TEMPFAIL: try again later
    except StoreUnavailableError as exc:
        raise _fail(str(exc)) from exc
    typer.echo(summary.line())
    if prompt_states:
        _prepare_prompt_states(settings)


def _prepare_prompt_states(settings) -> None:
    """Every release's prompt state within the disk budget, with a progress bar."""
    from tqdm import tqdm

    from qa import ReleaseQA
    from qa.errors import USER_ERRORS

    try:
        bot = ReleaseQA.from_settings(settings, load_llm=True)
    except USER_ERRORS as exc:
        raise _fail(str(exc)) from exc
    with tqdm(desc="prompt states", unit="release") as bar:
        def progress(done: int, total: int) -> None:
            bar.total = total
            bar.update(done - bar.n)

        computed = bot.warm_prompt_states(progress=progress)
    typer.echo(f"prompt states computed: {computed} (budget RELEASEBOT_PROMPT_CACHE_MB={settings.prompt_cache_mb})")


@app.command()
def clean(
    files: Annotated[list[Path], typer.Argument(help="Release files to clean.")],
    as_json: Annotated[bool, typer.Option("--json", help="Print the cleaned record as JSON.")] = False,
    explain: Annotated[bool, typer.Option("--explain", help="List what cleaning removed, and why, instead.")] = False,
) -> None:
    """Print the cleaned release(s): the text a user's question is answered from."""
    from vectorstore.ingest import clean_files
    from vectorstore.loading import find_release_files

    paths, problems = find_release_files(files)
    for problem in problems:
        _say(f"skipped {problem}")
    releases = clean_files(paths, get_settings(), _say)
    for release in releases:
        if as_json:
            typer.echo(json.dumps(release.model_dump(), ensure_ascii=False, indent=2))
        elif explain:
            typer.echo(f"{Path(release.source_path).name}: cleaning removed {len(release.removed)} pieces")
            for removal in release.removed:
                typer.echo(f"- {removal.reason}: {json.dumps(removal.text, ensure_ascii=False)}")
            for start, end in release.withheld:  # kept in the text, never shown to the model
                typer.echo(f"- kept, withheld from answers (addressed to an AI model): "
                           f"{json.dumps(release.text[start:end], ensure_ascii=False)}")
            typer.echo()
        else:
            typer.echo(release.text + "\n")
    if not releases:
        raise typer.Exit(1)


@app.command()
def delete(release_id: Annotated[str, typer.Argument(help="Release id (the file name without extension).")]) -> None:
    """Remove one release from the store."""
    from vectorstore.ingest import IngestBusyError, Ingestor
    from vectorstore.store import StoreUnavailableError

    try:
        removed = Ingestor(get_settings(), lock_wait=60).delete(release_id)  # under the ingest lock
    except IngestBusyError as exc:
        raise _fail(str(exc), code=75) from exc
    except StoreUnavailableError as exc:
        raise _fail(str(exc)) from exc
    if not removed:
        raise _fail(f"no release {release_id!r} in the store")
    typer.echo(f"deleted {release_id}: {removed} chunks")


@app.command()
def ask(
    question: Annotated[str, typer.Argument(help="The question, in quotes.")],
    mode: Annotated[str | None, typer.Option(help="llm (default) or extractive (no model, fast).")] = None,
    k: Annotated[int | None, typer.Option("--k", min=1, max=50, help="Chunks to retrieve.")] = None,
    release: Annotated[list[str] | None, typer.Option(help="Only these release ids (repeatable).")] = None,
    location: Annotated[str | None, typer.Option(
        help="Only releases about this country, or with this dateline place.")] = None,
    date_from: Annotated[str | None, typer.Option(help="Only releases dated on or after (YYYY-MM-DD).")] = None,
    date_to: Annotated[str | None, typer.Option(help="Only releases dated on or before (YYYY-MM-DD).")] = None,
    undated: Annotated[bool, typer.Option(help="With a date range, also releases whose date is not known.")] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object (the eval result record).")] = False,
    local: Annotated[bool, typer.Option(help="Answer in this process even when a server for this store is "
                                              "running (by default it is asked: its model is loaded).")] = False,
) -> None:
    """Answer a question from the stored releases, with numbered, verified sources."""
    from releasebot.remote import ServerRefusedError, ask_server, running_server

    if mode not in (None, "llm", "extractive"):
        raise _fail(f"--mode must be llm or extractive, not {mode!r}", code=2)
    settings = get_settings()
    filters = {"release_ids": release or [], "location": location, "date_from": date_from, "date_to": date_to,
               "undated": undated}
    url, skipped = (None, "") if local else running_server(settings)
    if skipped:
        _say(skipped)
    if url:
        # This side's settings decide how it is answered, not the server's defaults.
        body = {"question": question, "mode": mode or settings.mode, "k": k or settings.top_k, "filters": filters}
        try:
            answer = ask_server(url, settings, body)
        except ServerRefusedError as exc:
            raise _fail(str(exc)) from exc
        _show(answer, as_json, via=url)
        return
    _show(_answer_here(settings, question, mode, k, filters, live=sys.stderr.isatty() and not as_json), as_json)


def _answer_here(settings, question: str, mode: str | None, k: int | None, filters: dict, live: bool) -> dict:
    """The answer computed in this process (the models loaded first), its raw text streamed to stderr if ``live``."""
    from qa import Answer, Filters, ReleaseQA, Retrieved
    from qa.archive import ArchiveQA
    from qa.errors import USER_ERRORS

    try:
        bot = ArchiveQA(ReleaseQA.from_settings(settings, load_llm=(mode or settings.mode) == "llm"))
        answer: Answer | None = None
        for item in bot.stream(question, mode=mode, k=k, filters=Filters(**filters)):
            if isinstance(item, Answer):
                answer = item
            elif isinstance(item, str) and live:  # the raw stream; the verified answer follows on stdout
                typer.echo(item, nl=False, err=True)
            elif isinstance(item, Retrieved) and live:
                _say(f"[{len(item.passages)} sources from {len(item.retrieved)} releases] ")
    except USER_ERRORS as exc:
        raise _fail(str(exc)) from exc
    if live:
        _say("\n")
    return answer.model_dump()


def _show(answer: dict, as_json: bool, via: str | None = None) -> None:
    """An answer (``Answer`` as JSON) on stdout: its text and sources, or the eval record with ``--json``."""
    from qa.result import result_record

    if as_json:
        typer.echo(json.dumps({"question": answer["question"], **result_record(answer)}, ensure_ascii=False))
        return
    typer.echo(answer["text"])
    if answer["citations"]:
        typer.echo("\nSources:")
    for citation in answer["citations"]:
        where = ", ".join(part for part in (citation["location"], citation["date"]) if part)
        typer.echo(f"[{citation['number']}] {citation['title']}{f' ({where})' if where else ''} "
                   f"— release {citation['source']}")
        typer.echo(f"    “{citation['sentence'].replace(chr(10), '; ')}”")
    for claim in answer["claims"]:
        if not claim["supported"]:
            typer.echo(f"⚠ not supported by the sources: {claim['text']}")
    timings = answer["timings"]
    _say(f"({timings['total_s']:.1f} s, first token {timings['ttft_s'] or 0:.1f} s, {answer['model']}"
         f"{f', answered by the server at {via}' if via else ''})")


@app.command("eval")
def evaluate(
    questions: Annotated[Path, typer.Argument(help="Question set (JSON Lines).", exists=True, dir_okay=False)],
    out: Annotated[Path, typer.Option("--out", help="Where to write RESULTS.jsonl (summaries go beside it).")],
    mode: Annotated[str | None, typer.Option(help="llm (default) or extractive.")] = None,
    k: Annotated[int | None, typer.Option("--k", min=1, max=50, help="Chunks to retrieve.")] = None,
    min_accuracy: Annotated[float | None, typer.Option(help="Exit 1 if answer accuracy is below this.")] = None,
    min_abstention: Annotated[float | None, typer.Option(help="Exit 1 if abstention accuracy is below this.")] = None,
    min_citation_precision: Annotated[float | None, typer.Option(help="Exit 1 if citation precision is below.")] = None,
) -> None:
    """Run a question set through the pipeline and report accuracy, citations, retrieval and latency."""
    from qa import ReleaseQA
    from qa.archive import ArchiveQA
    from qa.errors import USER_ERRORS
    from releasebot.evaluation import QuestionSetError, load_questions, run_eval, summary_markdown

    if mode not in (None, "llm", "extractive"):
        raise _fail(f"--mode must be llm or extractive, not {mode!r}", code=2)
    settings = get_settings()
    try:
        items = load_questions(questions)
        bot = ArchiveQA(ReleaseQA.from_settings(settings, load_llm=(mode or settings.mode) == "llm"))
        summary = run_eval(lambda q: bot.ask(q.question, q.history, mode=mode, k=k), items, out)
    except (QuestionSetError, *USER_ERRORS) as exc:
        raise _fail(str(exc)) from exc
    typer.echo(summary_markdown(summary, f"Evaluation of {questions.name} ({mode or settings.mode} mode)"))
    missed = [
        f"{name} {summary[key]} < {floor}"
        for name, key, floor in [("accuracy", "answer_accuracy", min_accuracy),
                                 ("abstention", "abstention_accuracy", min_abstention),
                                 ("citation precision", "citation_precision", min_citation_precision)]
        if floor is not None and (summary[key] or 0) < floor
    ]
    if missed:
        raise _fail("threshold missed: " + "; ".join(missed))


@app.command()
def serve(
    host: Annotated[str | None, typer.Option(help="Address to bind (default 127.0.0.1, RELEASEBOT_HOST).")] = None,
    port: Annotated[int | None, typer.Option(help="Port (default 7860, RELEASEBOT_PORT).")] = None,
) -> None:
    """Start the web chat and the HTTP API on one port (the model is loaded before the first question)."""
    from releasebot.server import serve as serve_app

    serve_app(get_settings(), host=host, port=port)


if __name__ == "__main__":
    app()
