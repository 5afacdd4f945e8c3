"""The ``releasebot`` command: ingest, clean, delete, ask, eval, serve."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from releasebot.config import get_settings

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
) -> None:
    """Clean, chunk, embed and store releases; unchanged releases are not rewritten."""
    from vectorstore.ingest import Ingestor
    from vectorstore.store import StoreUnavailableError

    settings = get_settings()
    try:
        summary = Ingestor(settings).ingest(paths or [settings.releases_dir], prune=prune, report=_say)
    except StoreUnavailableError as exc:
        raise _fail(str(exc)) from exc
    typer.echo(summary.line())


@app.command()
def clean(
    files: Annotated[list[Path], typer.Argument(help="Release files to clean.")],
    as_json: Annotated[bool, typer.Option("--json", help="Print the cleaned record as JSON.")] = False,
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
        else:
            typer.echo(release.text + "\n")
    if not releases:
        raise typer.Exit(1)


@app.command()
def delete(release_id: Annotated[str, typer.Argument(help="Release id (the file name without extension).")]) -> None:
    """Remove one release from the store."""
    from vectorstore.store import ReleaseStore

    removed = ReleaseStore(get_settings()).delete_release(release_id)
    if not removed:
        raise _fail(f"no release {release_id!r} in the store")
    typer.echo(f"deleted {release_id}: {removed} chunks")


if __name__ == "__main__":
    app()
