"""The HTTP API over real HTTP on loopback (real store and embedder, scripted LLM): the official
``openai`` client, plain httpx, the chat's ``/chat`` on the same port, and schemathesis on the schema."""

from __future__ import annotations

import json
from pathlib import Path

import httpx
import hypothesis
import openai
import pytest
import schemathesis
from gradio_client import Client
from llama_index.core.llms import CompletionResponse

from config import Settings
from qa import ModelUnavailableError, ReleaseQA
from releasebot.api import create_api
from releasebot.releases import safe_filename
from releasebot.remote import store_id
from releasebot.server import build_app, build_bot
from tests.conftest import RELEASES
from tests.fakes import ScriptedLLM
from tests.servers import free_port, uvicorn_thread
from vectorstore.ingest import Ingestor

MACAO = "000_899311ac7e93267d"
FUNDERS = "Who funded the Macao trainings?"
DRAFT = "The Social Welfare Bureau of the MSAR [1] and the MSAR human trafficking committee [1]."
VERIFIED = "The Social Welfare Bureau of the MSAR and the MSAR human trafficking committee [1]."
KEY = "test-key"
PENGUINS = ("IOM opens penguin shelter in Ushuaia\n"
            "Ushuaia - IOM opened a shelter for 40 penguins on Monday, funded by the Antarctic Fund.\n")


def _own_store(root, **overrides) -> Settings:
    settings = Settings(data_dir=root / "data", store=root / "chroma", collection="api", **overrides)
    Ingestor(settings).ingest([RELEASES], report=lambda m: None, progress=False)
    return settings


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    """API + chat with an API key, over its own copy of the bundled store; yields (url, llm, bot, settings)."""
    settings = _own_store(tmp_path_factory.mktemp("api"), api_key=KEY)
    llm = ScriptedLLM(replies=[])
    bot = ReleaseQA.from_settings(settings, llm=llm)
    with uvicorn_thread(build_app(settings, bot)) as url:
        yield url, llm, bot, settings


@pytest.fixture
def http(server):
    with httpx.Client(base_url=server[0], headers={"Authorization": f"Bearer {KEY}"}, timeout=120) as client:
        yield client


def _openai(url: str, key: str = KEY) -> openai.OpenAI:
    return openai.OpenAI(base_url=f"{url}/v1", api_key=key, max_retries=0)


def test_openai_client_gets_a_cited_completion(server):
    url, llm, bot, _ = server
    llm.replies.append(DRAFT)
    completion = _openai(url).chat.completions.create(
        model="whatever", messages=[{"role": "system", "content": "Be brief."}, {"role": "user", "content": FUNDERS}])
    assert completion.object == "chat.completion" and completion.model == bot.model
    assert completion.choices[0].message.content == VERIFIED
    assert completion.choices[0].finish_reason == "stop"
    [citation] = completion.citations
    assert (citation["number"], citation["source"]) == (1, MACAO)
    assert citation["title"].startswith("IOM, Macao SAR") and citation["sentence"] in citation["text"]
    assert "Be brief." not in llm.prompts[-1]


def test_openai_client_streams_chunks_ending_with_the_verified_answer(server):
    url, llm, _, _ = server
    llm.replies.append(DRAFT)
    chunks = list(_openai(url).chat.completions.create(
        model="releasebot", messages=[{"role": "user", "content": FUNDERS}], stream=True))
    assert len(chunks) > 5 and {(c.object, c.id) for c in chunks} == {("chat.completion.chunk", chunks[0].id)}
    assert chunks[0].choices[0].delta.role == "assistant"
    assert "".join(c.choices[0].delta.content or "" for c in chunks) == DRAFT  # the draft, as written
    last = chunks[-1]
    assert last.choices[0].finish_reason == "stop" and last.answer == VERIFIED
    assert [(c["number"], c["source"]) for c in last.citations] == [(1, MACAO)]


def test_a_streamed_abstention_shows_the_worded_refusal_not_the_sentinel(server):
    url, llm, bot, _ = server
    llm.replies.append("NOT FOUND")
    chunks = list(_openai(url).chat.completions.create(
        model="releasebot", messages=[{"role": "user", "content": "What was IOM's budget in 2015?"}], stream=True))
    streamed = "".join(c.choices[0].delta.content or "" for c in chunks)
    assert streamed == chunks[-1].answer == bot.prompts.abstain and chunks[-1].citations == []


def test_model_list_names_the_answering_model(http, server):
    models = _openai(server[0]).models.list()
    assert [model.id for model in models.data] == [server[2].model]


def test_earlier_turns_are_the_history(server):
    url, llm, _, _ = server
    llm.replies.extend(["How many social workers were trained in Macao?", "70 social workers were trained [1]."])
    completion = _openai(url).chat.completions.create(model="releasebot", messages=[
        {"role": "user", "content": FUNDERS}, {"role": "assistant", "content": "The Social Welfare Bureau [1]."},
        {"role": "user", "content": "how many social workers were trained?"}])
    assert completion.choices[0].message.content == "70 social workers were trained [1]."
    assert "User: Who funded the Macao trainings?" in llm.prompts[-2]


def test_ask_returns_the_answer_model_and_refuses_bad_input(http):
    response = http.post("/v1/ask", json={"question": FUNDERS, "mode": "extractive", "k": 4,
                                          "filters": {"release_ids": [MACAO]}})
    assert response.status_code == 200, response.text
    answer = response.json()
    assert answer["mode"] == "extractive" and "[1]" in answer["text"] and answer["retrieved"] == [MACAO]
    assert answer["citations"][0]["source"] == MACAO and answer["timings"]["total_s"] > 0
    for body, status, message in [
        ({"question": "   "}, 400, "the question is empty"),
        ({"question": "x" * 3000}, 400, "the limit is 2,000"),
        ({"question": FUNDERS, "filters": {"date_from": "last spring"}}, 400, "not an ISO date"),
        ({"question": FUNDERS, "k": 0}, 422, "greater than or equal to 1"),
    ]:
        response = http.post("/v1/ask", json=body)
        assert response.status_code == status and message in response.text, response.text
    response = http.post("/v1/chat/completions", json={"messages": [{"role": "system", "content": "hi"}]})
    assert response.status_code == 400 and "no user message" in response.json()["detail"]


def test_releases_upload_list_and_delete(http, server):
    _, _, _, settings = server
    listed = http.get("/v1/releases").json()
    assert len(listed) == 5 and sum(r["chunks"] for r in listed) == 20
    assert listed[0]["id"] == MACAO and listed[0]["title"].startswith("IOM, Macao SAR") and listed[0]["location"]

    unchanged = http.post("/v1/releases", files=[("files", (f"{MACAO}.txt", (RELEASES / f"{MACAO}.txt").read_bytes()))])
    assert unchanged.status_code == 200 and unchanged.json()["unchanged"] == 1

    bad = http.post("/v1/releases", files=[("files", ("empty.txt", b"")), ("files", ("photo.txt", bytes(range(256)))),
                                           ("files", ("notes.pdf", b"%PDF-1.4"))])
    assert bad.status_code == 400
    for message in ["empty.txt: empty file", "photo.txt: binary file, not text", "notes.pdf: not a release file"]:
        assert message in bad.json()["detail"]

    added = http.post("/v1/releases", files=[("files", ("../../penguins.txt", PENGUINS.encode()))])
    assert added.status_code == 200, added.text
    assert added.json()["release_ids"] == ["penguins"] and added.json()["added"] == 1
    kept = list((settings.data_dir / "uploads").glob("*/penguins.txt"))
    assert len(kept) == 1 and list(settings.data_dir.parent.rglob("penguins.txt")) == kept  # nowhere else
    answer = http.post("/v1/ask", json={"question": "Who funded the penguin shelter?", "mode": "extractive"}).json()
    assert answer["retrieved"][0] == "penguins" and "Antarctic Fund" in answer["text"]

    deleted = http.delete("/v1/releases/penguins")
    assert deleted.status_code == 200 and deleted.json()["id"] == "penguins" and deleted.json()["chunks"] >= 1
    assert http.delete("/v1/releases/penguins").status_code == 404
    assert "penguins" not in [r["id"] for r in http.get("/v1/releases").json()]
    assert not kept[0].parent.exists() and (settings.data_dir / "uploads").is_dir()  # the upload went with it
    assert (RELEASES / f"{MACAO}.txt").exists()


@pytest.mark.parametrize("name, safe", [("../x.txt", "x.txt"), ("..\\..\\x.txt", "x.txt"), ("..", "upload"),
                                        ("a b$.txt", "a_b_.txt"), (".hidden.txt", "hidden.txt")])
def test_upload_names_lose_their_folders(name, safe):
    assert safe_filename(name) == safe


def test_api_key_is_required_on_v1_but_not_healthz(server):
    url, _, bot, settings = server
    health = httpx.get(f"{url}/healthz")
    assert health.status_code == 200 and health.json() == {"status": "ok", "releases": 5, "model": bot.model,
                                                           "store": store_id(settings)}
    for headers in [{}, {"Authorization": "Bearer wrong"}, {"Authorization": f"Basic {KEY}"}]:
        response = httpx.get(f"{url}/v1/releases", headers=headers)
        assert response.status_code == 401 and "RELEASEBOT_API_KEY" in response.json()["detail"]
    with pytest.raises(openai.AuthenticationError):
        _openai(url, "wrong").chat.completions.create(model="m", messages=[{"role": "user", "content": FUNDERS}])


def test_the_chat_answers_on_the_same_port(server):
    url, llm, _, _ = server
    llm.replies.append(DRAFT)
    assert Client(f"{url}/", verbose=False, auth=("anyone", KEY)).predict(FUNDERS, api_name="/chat") == VERIFIED


@pytest.mark.parametrize("backend", [
    {"llm_backend": "openai", "openai_base_url": f"http://127.0.0.1:{free_port()}/v1"},
    {"model_path": Path("/nonexistent/model.gguf")},
])
def test_an_unavailable_model_is_503_with_the_reason(bundled_store, backend):
    settings = bundled_store.model_copy(update={"mode": "llm", **backend})
    with uvicorn_thread(create_api(build_bot(settings), settings)) as url:
        response = httpx.post(f"{url}/v1/ask", json={"question": FUNDERS}, timeout=60)
        assert response.status_code == 503
        assert ("cannot be reached" if "openai_base_url" in backend else "/nonexistent/model.gguf") in response.text
        with pytest.raises(openai.APIStatusError) as error:
            _openai(url).chat.completions.create(model="m", messages=[{"role": "user", "content": FUNDERS}],
                                                 stream=True)
        assert error.value.status_code == 503
        extractive = httpx.post(f"{url}/v1/ask", json={"question": FUNDERS, "mode": "extractive"}, timeout=60)
        assert extractive.status_code == 200 and extractive.json()["citations"]


class FailingLLM(ScriptedLLM):
    """Writes one word, then its server goes away."""

    def stream_complete(self, prompt: str, formatted: bool = False, **kwargs):
        yield CompletionResponse(text="The", delta="The")
        raise ModelUnavailableError("the LLM server went away")


def test_a_failure_mid_stream_reaches_the_openai_client_as_an_error(bundled_store):
    with uvicorn_thread(create_api(ReleaseQA.from_settings(bundled_store, llm=FailingLLM()), bundled_store)) as url:
        stream = _openai(url).chat.completions.create(model="m", messages=[{"role": "user", "content": FUNDERS}],
                                                      stream=True)
        with pytest.raises(openai.APIError, match="the LLM server went away"):
            for _ in stream:
                pass


@pytest.fixture(scope="module")
def api_schema(tmp_path_factory):
    """The API alone (with a key), in process, over its own store (fuzzing adds and deletes releases)."""
    settings = _own_store(tmp_path_factory.mktemp("fuzz"), api_key=KEY)
    bot = ReleaseQA.from_settings(settings, llm=ScriptedLLM(replies=[DRAFT] * 10_000))
    return schemathesis.openapi.from_asgi("/openapi.json", create_api(bot, settings))


def test_schema_declares_every_route(api_schema):
    paths = api_schema.raw_schema["paths"]
    assert set(paths) == {"/healthz", "/v1/chat/completions", "/v1/models", "/v1/ask", "/v1/releases",
                          "/v1/releases/{release_id}"}
    assert paths["/v1/ask"]["post"]["responses"]["200"]["content"]["application/json"]["schema"] == \
        {"$ref": "#/components/schemas/Answer"}


def test_schema_fuzzing_finds_no_server_error(api_schema):
    """schemathesis cases for every operation (25 each) under its default checks (no 5xx, responses as
    declared) but one: a question that is only spaces is schema-valid and still a 400. (schemathesis'
    lazy pytest integration breaks on pytest 9, hence the loop.)"""
    from schemathesis.specs.openapi.checks import positive_data_acceptance

    for operation in api_schema.get_all_operations():

        @hypothesis.given(case=operation.ok().as_strategy())
        @hypothesis.settings(max_examples=25, deadline=None, database=None,
                             suppress_health_check=list(hypothesis.HealthCheck))
        def fuzz(case):
            case.call_and_validate(headers={"Authorization": f"Bearer {KEY}"},
                                  excluded_checks=[positive_data_acceptance])

        fuzz()


def _cli_ask(settings: Settings, url: str, *args: str, key: str = KEY):
    """``releasebot ask`` in a process of its own, configured for ``settings``'s store and the server's port."""
    import os
    import subprocess
    import sys

    env = {name: value for name, value in os.environ.items() if "proxy" not in name.lower()}
    env.update({"RELEASEBOT_DATA_DIR": str(settings.data_dir), "RELEASEBOT_STORE": str(settings.store),
                "RELEASEBOT_COLLECTION": settings.collection, "RELEASEBOT_HOST": "127.0.0.1",
                "RELEASEBOT_PORT": url.rsplit(":", 1)[1], "RELEASEBOT_API_KEY": key, "HTTP_PROXY": "http://0.0.0.0:9"})
    return subprocess.run([sys.executable, "-m", "releasebot.cli", "ask", *args], env=env, capture_output=True,
                          text=True, timeout=300)


def test_one_shot_ask_is_answered_by_the_running_server_for_its_store(server, tmp_path):
    """The server's model answers (the scripted one: this process would load the real one); --json is the eval
    record; a wrong key is refused with the fix named; another store is not the server's to answer."""
    url, llm, _, settings = server
    llm.replies.append(DRAFT)
    shown = _cli_ask(settings, url, FUNDERS, "--mode", "llm")
    assert shown.returncode == 0 and not llm.replies, shown.stderr  # the server's model took the reply
    assert shown.stdout.startswith(VERIFIED) and "[1] IOM, Macao SAR run counter-trafficking training" in shown.stdout
    assert f"answered by the server at {url}" in shown.stderr
    llm.replies.append(DRAFT)
    printed = _cli_ask(settings, url, FUNDERS, "--mode", "llm", "--json")
    assert printed.returncode == 0 and not llm.replies, printed.stderr
    record = json.loads(printed.stdout)
    assert record["answer"] == VERIFIED and record["citations"][0]["source"] == MACAO
    refused = _cli_ask(settings, url, FUNDERS, key="wrong")
    assert refused.returncode == 1 and "answered 401" in refused.stderr and "--local" in refused.stderr
    other = Settings(data_dir=tmp_path / "data", store=tmp_path / "chroma", collection="other")
    Ingestor(other).ingest([RELEASES], report=lambda m: None, progress=False)
    local = _cli_ask(other, url, FUNDERS, "--mode", "extractive")
    assert local.returncode == 0 and "Social Welfare" in local.stdout, local.stderr
    assert f"the server at {url} serves another store; answering here" in local.stderr
    assert "answered by the server" not in local.stderr
