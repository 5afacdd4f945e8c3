"""Server mode: a real Chroma server (`chroma run`, from the chromadb package) on loopback; ingest
and answering work unchanged through HttpClient, and a server that is down gets a readable error."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from qa import ReleaseQA
from tests.conftest import RELEASES
from tests.servers import free_port, wait_for_port
from vectorstore.ingest import Ingestor
from vectorstore.store import StoreUnavailableError

MACAO = "000_899311ac7e93267d"


@pytest.fixture
def chroma_server(tmp_path):
    port = free_port()
    chroma = Path(sys.executable).with_name("chroma")
    log = (tmp_path / "chroma.log").open("w")
    server = subprocess.Popen([str(chroma), "run", "--path", str(tmp_path / "server"), "--host", "127.0.0.1",
                               "--port", str(port)], stdout=log, stderr=subprocess.STDOUT)
    try:
        wait_for_port(server, port, tmp_path / "chroma.log")
        yield port
    finally:
        server.terminate()
        server.wait(timeout=30)
        log.close()


def test_ingest_and_answer_through_a_chroma_server(make_settings, chroma_server):
    settings = make_settings(chroma_host="127.0.0.1", chroma_port=chroma_server, store=None)
    summary = Ingestor(settings).ingest([RELEASES], report=lambda m: None, progress=False)
    assert (summary.added, summary.chunks) == (5, 20)
    assert Ingestor(settings).ingest([RELEASES], report=lambda m: None, progress=False).unchanged == 5
    answer = ReleaseQA.from_settings(settings, load_llm=False).ask("Who funded the Macao trainings?", mode="extractive")
    assert answer.retrieved[0] == MACAO and "Social Welfare Bureau" in answer.text


def test_unreachable_server_is_a_readable_error(make_settings):
    settings = make_settings(chroma_host="127.0.0.1", chroma_port=free_port())
    with pytest.raises(StoreUnavailableError, match="cannot open the release store at Chroma server 127.0.0.1"):
        ReleaseQA.from_settings(settings, load_llm=False)
