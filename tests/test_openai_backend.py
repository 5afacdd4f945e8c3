"""The OpenAI-compatible LLM backend against a real stand-in server on loopback: llama-cpp-python's
own `llama_cpp.server` serving the bundled model, as Ollama, vLLM or a llama.cpp server would."""

from __future__ import annotations

import subprocess
import sys

import pytest

from config import Settings
from qa import ModelUnavailableError, ReleaseQA
from qa.llm import bundled_model_path
from tests.servers import free_port, wait_for_port

pytestmark = pytest.mark.llm
MACAO = "000_899311ac7e93267d"


@pytest.fixture(scope="module")
def llm_server(tmp_path_factory):
    port = free_port()
    log_path = tmp_path_factory.mktemp("llm-server") / "server.log"
    with log_path.open("w") as log:
        server = subprocess.Popen(
            [sys.executable, "-m", "llama_cpp.server", "--model", str(bundled_model_path(Settings().data_dir)),
             "--model_alias", "qwen-1.5b", "--chat_format", "chatml", "--host", "127.0.0.1", "--port", str(port),
             "--n_threads", "2", "--n_ctx", "4096"],
            stdout=log, stderr=subprocess.STDOUT)
        try:
            wait_for_port(server, port, log_path)
            yield f"http://127.0.0.1:{port}/v1"
        finally:
            server.terminate()
            server.wait(timeout=30)


def test_answers_through_an_openai_compatible_server(bundled_store, llm_server):
    settings = bundled_store.model_copy(update={
        "llm_backend": "openai", "openai_base_url": llm_server, "openai_model": "qwen-1.5b"})
    bot = ReleaseQA.from_settings(settings)
    answer = bot.ask("Who funded the Macao trainings?")
    assert answer.model == "qwen-1.5b" and not answer.abstained, answer.text
    assert "Social Welfare Bureau" in answer.text and "human trafficking committee" in answer.text
    assert {c.source for c in answer.citations} == {MACAO}
    assert bot.ask("What was IOM's budget in 2015?").abstained


def test_server_down_is_a_readable_error(bundled_store):
    settings = bundled_store.model_copy(update={
        "llm_backend": "openai", "openai_base_url": f"http://127.0.0.1:{free_port()}/v1"})
    bot = ReleaseQA.from_settings(settings)
    with pytest.raises(ModelUnavailableError, match="LLM server at .* cannot be reached.*--mode extractive"):
        bot.ask("Who funded the Macao trainings?")
    assert not bot.ask("Who funded the Macao trainings?", mode="extractive").abstained
