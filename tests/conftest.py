"""Shared fixtures: real settings pointed at temporary stores, the bundled releases, and their cleaned form."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from config import PROJECT_ROOT, Settings

RELEASES = PROJECT_ROOT / "data" / "releases"


@pytest.fixture
def make_settings(tmp_path: Path):
    """Settings with their own Chroma directory and caches; extra fields override."""

    def make(**overrides) -> Settings:
        values = {"data_dir": tmp_path / "data", "store": tmp_path / "chroma", "collection": "test", **overrides}
        return Settings(**values)

    return make


@pytest.fixture
def releases_copy(tmp_path: Path) -> Path:
    """A writable copy of the bundled releases."""
    target = tmp_path / "releases"
    shutil.copytree(RELEASES, target)
    return target


@pytest.fixture(scope="session")
def cleaned() -> dict[str, object]:
    """The bundled releases cleaned, keyed by the id's three-digit prefix."""
    from vectorstore.ingest import clean_files
    from vectorstore.loading import find_release_files

    releases = clean_files(find_release_files([RELEASES])[0], Settings(), lambda message: None)
    return {release.id[:3]: release for release in releases}


@pytest.fixture(scope="session")
def bundled_store(tmp_path_factory) -> Settings:
    """Settings over a store holding the five bundled releases, ingested once per test session."""
    from vectorstore.ingest import Ingestor

    root = tmp_path_factory.mktemp("bundled")
    settings = Settings(data_dir=root / "data", store=root / "chroma", collection="bundled")
    Ingestor(settings).ingest([RELEASES], report=lambda message: None, progress=False)
    return settings


@pytest.fixture
def served(bundled_store, tmp_path):
    """The real server (API + chat, scripted LLM) on a free loopback port; yields (client, llm, bot, url)."""
    from gradio_client import Client

    from qa import ReleaseQA
    from releasebot.server import build_app
    from tests.fakes import ScriptedLLM
    from tests.servers import uvicorn_thread
    from vectorstore.ingest import Ingestor

    settings = bundled_store.model_copy(update={"collection": "web", "store": tmp_path / "chroma"})
    Ingestor(settings).ingest([RELEASES], report=lambda m: None, progress=False)
    llm = ScriptedLLM(replies=[])
    bot = ReleaseQA.from_settings(settings, llm=llm)
    with uvicorn_thread(build_app(settings, bot)) as url:
        yield Client(f"{url}/", verbose=False), llm, bot, f"{url}/"
