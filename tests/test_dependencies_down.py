"""A dependency goes away while releasebot serves, then comes back: a real Chroma server (`chroma run`)
stopped and restarted on the same port and path. Releasebot answers 503 with a readable reason (the chat
a readable line) while it is down and answers again once it is back, without a restart. (A missing or
corrupt model file, and an LLM server that is down: tests/test_api.py::test_an_unavailable_model_is_503_with_the_reason.)"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from contextlib import contextmanager
from pathlib import Path

import httpx
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, StreamingResponse

from config import Settings
from qa import ReleaseQA
from releasebot.server import build_app
from releasebot.web import ChatApp
from tests.conftest import RELEASES
from tests.fakes import ScriptedLLM
from tests.servers import free_port, uvicorn_thread, wait_for_port
from vectorstore.ingest import Ingestor

FUNDERS = "Who funded the Macao trainings?"


@contextmanager
def chroma(path: Path, port: int, log: Path):
    out = log.open("a")
    server = subprocess.Popen([str(Path(sys.executable).with_name("chroma")), "run", "--path", str(path),
                               "--host", "127.0.0.1", "--port", str(port)], stdout=out, stderr=subprocess.STDOUT)
    try:
        wait_for_port(server, port, log)
        yield server
    finally:
        server.terminate()
        server.wait(timeout=30)
        out.close()


def test_chroma_server_down_is_503_and_recovers_without_restart(tmp_path):
    port, data, log = free_port(), tmp_path / "server", tmp_path / "chroma.log"
    settings = Settings(data_dir=tmp_path / "data", store=None, collection="down", mode="extractive",
                        chroma_host="127.0.0.1", chroma_port=port)
    figures = {}
    with chroma(data, port, log):
        Ingestor(settings).ingest([RELEASES], report=lambda m: None, progress=False)
        bot = ReleaseQA.from_settings(settings, llm=ScriptedLLM(replies=[]))
        app = build_app(settings, bot)
        chat = ChatApp(bot, settings)
        with uvicorn_thread(app) as url, httpx.Client(base_url=url, timeout=60) as http:
            up = http.post("/v1/ask", json={"question": FUNDERS})
            assert up.status_code == 200 and "Social Welfare Bureau" in up.json()["text"], up.text
    # Chroma is down now (the releasebot server too: start it again over the same bot, as it was)
    with uvicorn_thread(app) as url, httpx.Client(base_url=url, timeout=60) as http:
        started = time.perf_counter()
        down = http.post("/v1/ask", json={"question": FUNDERS})
        figures["down_s"] = time.perf_counter() - started
        print("DEPS chroma down:", down.status_code, down.text[:300])
        assert down.status_code == 503, down.text
        assert "Traceback" not in down.text and "release store" in down.json()["detail"]
        streamed = http.post("/v1/chat/completions", json={"messages": [{"role": "user", "content": FUNDERS}],
                                                            "stream": True})
        assert streamed.status_code == 503, streamed.text
        [*_, (line, _)] = list(chat.respond(FUNDERS, [], "extractive", 6, None, None))
        print("DEPS chat line:", line)
        assert "Not answered: the release store" in line and "Traceback" not in line
        assert http.get("/healthz").status_code == 200
        with chroma(data, port, log):
            started = time.perf_counter()
            back = http.post("/v1/ask", json={"question": FUNDERS})
            figures["recovered_s"] = time.perf_counter() - started
            assert back.status_code == 200 and "Social Welfare Bureau" in back.json()["text"], back.text
    print("DEPS figures", figures)


def _fake_openai_server():
    """A tiny OpenAI-compatible server that always answers the same cited sentence (streamed or whole) and,
    as vLLM does, refuses a model it does not serve with a 404."""
    app = FastAPI()
    text = "The Social Welfare Bureau of the MSAR funded the training [1]."

    @app.post("/v1/chat/completions")
    async def completions(request: Request):
        body = await request.json()
        if body.get("model") != Settings().openai_model:
            return JSONResponse({"error": {"message": f"The model `{body.get('model')}` does not exist.",
                                           "type": "NotFoundError", "code": 404}}, 404)
        base = {"id": "x", "created": 0, "model": "fake"}
        if not body.get("stream"):
            return {**base, "object": "chat.completion", "choices": [
                {"index": 0, "finish_reason": "stop", "message": {"role": "assistant", "content": text}}]}

        def events():
            for delta, finish in [({"role": "assistant", "content": text}, None), ({}, "stop")]:
                chunk = {**base, "object": "chat.completion.chunk",
                         "choices": [{"index": 0, "delta": delta, "finish_reason": finish}]}
                yield f"data: {json.dumps(chunk)}\n\n"
            yield "data: [DONE]\n\n"

        return StreamingResponse(events(), media_type="text/event-stream")

    return app


@contextmanager
def serve_on(app, port: int):
    import threading

    import uvicorn

    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning",
                                          timeout_graceful_shutdown=2))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        assert thread.is_alive() and time.monotonic() < deadline, "the server did not start"
        time.sleep(0.05)
    try:
        yield
    finally:
        server.should_exit = True
        thread.join(30)
        assert not thread.is_alive()


def test_openai_llm_server_down_is_503_and_recovers(bundled_store):
    port = free_port()
    settings = bundled_store.model_copy(update={
        "mode": "llm", "llm_backend": "openai", "openai_base_url": f"http://127.0.0.1:{port}/v1"})
    fake = _fake_openai_server()
    with serve_on(fake, port):
        bot = ReleaseQA.from_settings(settings)
        with uvicorn_thread(build_app(settings, bot)) as url, httpx.Client(base_url=url, timeout=60) as http:
            up = http.post("/v1/ask", json={"question": FUNDERS})
            assert up.status_code == 200 and "Social Welfare Bureau" in up.json()["text"], up.text
    with uvicorn_thread(build_app(settings, bot)) as url, httpx.Client(base_url=url, timeout=60) as http:
        started = time.perf_counter()
        down = http.post("/v1/ask", json={"question": FUNDERS})
        down_s = time.perf_counter() - started
        assert down.status_code == 503 and "cannot be reached" in down.json()["detail"], down.text
        [*_, (line, _)] = list(ChatApp(bot, settings).respond(FUNDERS, [], "llm", 6, None, None))
        assert "Not answered: the LLM server at" in line and "Traceback" not in line
        with serve_on(fake, port):
            started = time.perf_counter()
            back = http.post("/v1/ask", json={"question": FUNDERS})
            back_s = time.perf_counter() - started
            assert back.status_code == 200 and "Social Welfare Bureau" in back.json()["text"], back.text
    print(f"DEPS openai down 503 in {down_s:.2f} s, recovered in {back_s:.2f} s")


def test_an_llm_server_refusing_the_request_is_503_with_its_reason(bundled_store):
    port = free_port()
    settings = bundled_store.model_copy(update={
        "mode": "llm", "llm_backend": "openai", "openai_base_url": f"http://127.0.0.1:{port}/v1",
        "openai_model": "no-such-model"})
    with serve_on(_fake_openai_server(), port):
        bot = ReleaseQA.from_settings(settings)
        with uvicorn_thread(build_app(settings, bot)) as url, httpx.Client(base_url=url, timeout=60) as http:
            refused = http.post("/v1/ask", json={"question": FUNDERS})
            assert refused.status_code == 503, refused.text
            detail = refused.json()["detail"]
            assert "refused the request (HTTP 404" in detail and "no-such-model" in detail, detail
            assert "RELEASEBOT_OPENAI_MODEL" in detail
