"""The web chat over real HTTP on loopback: gradio_client against the launched app (scripted LLM),
and release upload through the same server."""

from __future__ import annotations

import pytest
from gradio_client import Client, handle_file

from qa import ReleaseQA
from releasebot.web import ChatApp
from tests.fakes import ScriptedLLM

MACAO = "000_899311ac7e93267d"


@pytest.fixture
def served(bundled_store, tmp_path):
    """The real Blocks app launched on a free loopback port; yields (client, scripted llm, app)."""
    settings = bundled_store.model_copy(update={"collection": "web", "store": tmp_path / "chroma"})
    from releasebot.config import PROJECT_ROOT
    from vectorstore.ingest import Ingestor

    Ingestor(settings).ingest([PROJECT_ROOT / "data" / "releases"], report=lambda m: None, progress=False)
    llm = ScriptedLLM(replies=[])
    app = ChatApp(ReleaseQA.from_settings(settings, llm=llm), settings)
    demo = app.blocks().queue(default_concurrency_limit=1)
    _, url, _ = demo.launch(server_name="127.0.0.1", server_port=None, prevent_thread_lock=True, quiet=True)
    try:
        yield Client(url, verbose=False), llm, app
    finally:
        demo.close()


def test_chat_endpoint_answers_with_citation_markers(served):
    client, llm, _ = served
    llm.replies.append("The training is funded by the Social Welfare Bureau of the MSAR [1].")
    answer = client.predict("Who funded the Macao trainings?", api_name="/chat")
    assert answer == "The training is funded by the Social Welfare Bureau of the MSAR [1]."


def test_follow_up_over_http_uses_history(served):
    client, llm, _ = served
    llm.replies.extend(["How many social workers were trained in Macao?", "70 social workers were trained [1]."])
    history = [{"role": "user", "content": "Who funded the Macao trainings?"},
               {"role": "assistant", "content": "The Social Welfare Bureau of the MSAR [1]."}]
    answer = client.predict("how many social workers were trained?", history, api_name="/chat")
    assert answer == "70 social workers were trained [1]."
    assert "User: Who funded the Macao trainings?" in llm.prompts[0]


def test_bad_question_and_bad_upload_are_refused_with_a_message(served, tmp_path):
    client, _, app = served
    with pytest.raises(Exception, match="the question is empty"):
        client.predict("   ", api_name="/chat")
    binary = tmp_path / "photo.txt"
    binary.write_bytes(bytes(range(256)) * 4)
    log, *_ = client.predict([handle_file(str(binary))], api_name="/add_releases")
    assert "photo.txt: binary file, not text" in log
    assert "photo" not in app.bot.retriever.metadata


def test_uploaded_release_is_answerable_right_away(served, tmp_path):
    client, llm, app = served
    release = tmp_path / "penguins.txt"
    release.write_text("IOM opens penguin shelter in Ushuaia\n"
                       "Ushuaia - IOM opened a shelter for 40 penguins on Monday, funded by the Antarctic Fund.\n")
    log, *_ = client.predict([handle_file(str(release))], api_name="/add_releases")
    assert "added: 1" in log
    llm.replies.append("The Antarctic Fund funded the penguin shelter [1].")
    assert client.predict("Who funded the penguin shelter?", api_name="/chat") == \
        "The Antarctic Fund funded the penguin shelter [1]."
    assert app.bot.ask("penguin shelter", mode="extractive").retrieved[0] == "penguins"
