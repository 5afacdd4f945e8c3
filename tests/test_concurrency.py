"""20 chat sessions at once against ONE server (API + chat, real store and embedder, a slow fake LLM):
10 through gradio_client's ``/chat``, 10 over HTTP (``/v1/ask`` and ``/v1/chat/completions``, some
streaming). Every session gets its own answer (the same as asked alone), none is lost, and the model
is never entered by two requests at once. Figures go to docs/RELIABILITY.md."""

from __future__ import annotations

import json
import re
import statistics
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import httpx
import pytest
from gradio_client import Client
from llama_index.core.llms import CompletionResponse, CompletionResponseGen, CustomLLM, LLMMetadata
from pydantic import PrivateAttr

from config import PROJECT_ROOT
from qa import ReleaseQA
from qa.llm import messages_to_chatml
from releasebot.server import build_app
from tests.conftest import RELEASES
from tests.servers import uvicorn_thread
from vectorstore.ingest import Ingestor

GENERATION_S = 0.2
WORD = re.compile(r"[a-z0-9]+")


class EchoingLLM(CustomLLM):
    """Answers with the source sentence sharing most words with the question (cited), so each answer is
    determined by its own question; sleeps while generating and counts how many generate at once."""

    _lock: threading.Lock = PrivateAttr(default_factory=threading.Lock)
    _active: int = PrivateAttr(default=0)
    _max_active: int = PrivateAttr(default=0)
    _calls: int = PrivateAttr(default=0)

    def __init__(self, **kwargs: Any):
        super().__init__(messages_to_prompt=messages_to_chatml, **kwargs)

    @property
    def metadata(self) -> LLMMetadata:
        return LLMMetadata(model_name="echoing")

    @staticmethod
    def reply(prompt: str) -> str:
        question = prompt.rsplit("Question:", 1)[-1].split("<|im_end|>")[0]
        asked = set(WORD.findall(question.lower())) - {"the", "of", "in", "a", "to", "and", "what", "who", "how"}
        best, best_score = "NOT FOUND", 0
        for number, text in re.findall(r"^\[(\d+)\] Title: .*\n(?:(?!Text: ).*\n)?Text: (.*)$", prompt, re.M):
            for sentence in re.split(r"(?<=[.!?])\s+", text):
                score = len(asked & set(WORD.findall(sentence.lower())))
                if score > best_score and len(sentence) > 20:
                    best, best_score = f"{sentence.rstrip('.')} [{number}].", score
        return best

    def complete(self, prompt: str, formatted: bool = False, **kwargs: Any) -> CompletionResponse:
        return CompletionResponse(text="".join(r.delta for r in self.stream_complete(prompt)))

    def stream_complete(self, prompt: str, formatted: bool = False, **kwargs: Any) -> CompletionResponseGen:
        reply = self.reply(prompt)

        def gen() -> CompletionResponseGen:
            with self._lock:
                self._active += 1
                # answers only: the planning step's questions for JSON (a kind the probe is unsure of) are extra
                self._calls += "Reply in JSON" not in prompt
                self._max_active = max(self._max_active, self._active)
            try:
                time.sleep(GENERATION_S)
                text = ""
                for word in reply.split(" "):
                    delta = word if not text else f" {word}"
                    text += delta
                    yield CompletionResponse(text=text, delta=delta)
            finally:
                with self._lock:
                    self._active -= 1

        return gen()


def _questions(n: int) -> list[str]:
    lines = (PROJECT_ROOT / "eval" / "questions.jsonl").read_text().splitlines()
    rows = [json.loads(line) for line in lines]
    return [row["question"] for row in rows if row.get("answerable")][:n]


def _sse_answer(response: httpx.Response) -> str:
    last = None
    for line in response.iter_lines():
        if line.startswith("data: {"):
            event = json.loads(line[6:])
            assert "error" not in event, event
            last = event
    assert last is not None and last.get("answer") is not None
    return last["answer"]


@pytest.fixture(scope="module")
def one_server(tmp_path_factory):
    root = tmp_path_factory.mktemp("concurrency")
    from config import Settings

    settings = Settings(data_dir=root / "data", store=root / "chroma", collection="conc", mode="llm")
    Ingestor(settings).ingest([RELEASES], report=lambda m: None, progress=False)
    llm = EchoingLLM()
    bot = ReleaseQA.from_settings(settings, llm=llm)
    with uvicorn_thread(build_app(settings, bot)) as url:
        yield url, llm, bot


def test_twenty_simultaneous_sessions_each_get_their_own_answer(one_server, record_property):
    url, llm, bot = one_server
    questions = _questions(20)
    assert len(questions) == 20
    # Asked alone first: what each question's answer must be (the pipeline is deterministic).
    expected = {q: bot.ask(q).text for q in questions}
    assert len(set(expected.values())) >= 12, expected  # distinct enough that crossed answers would show
    llm._max_active, llm._calls = 0, 0

    clients = [Client(f"{url}/", verbose=False) for _ in range(10)]
    start = threading.Barrier(20, timeout=60)
    results: dict[int, dict] = {}

    def session(i: int) -> None:
        question = questions[i]
        start.wait()
        began = time.perf_counter()
        entry: dict = {"i": i, "question": question}
        if i < 10:
            entry["via"] = "gradio /chat"
            entry["text"] = clients[i].predict(question, api_name="/chat")
        else:
            with httpx.Client(base_url=url, timeout=120) as http:
                if i < 14:
                    entry["via"] = "/v1/ask"
                    response = http.post("/v1/ask", json={"question": question})
                    assert response.status_code == 200, response.text
                    entry["text"] = response.json()["text"]
                    entry["queue_s"] = response.json()["timings"]["queue_s"]
                elif i < 17:
                    entry["via"] = "/v1/chat/completions"
                    response = http.post("/v1/chat/completions",
                                         json={"messages": [{"role": "user", "content": question}]})
                    assert response.status_code == 200, response.text
                    entry["text"] = response.json()["choices"][0]["message"]["content"]
                else:
                    entry["via"] = "/v1/chat/completions stream"
                    with http.stream("POST", "/v1/chat/completions",
                                     json={"messages": [{"role": "user", "content": question}], "stream": True}) as r:
                        assert r.status_code == 200
                        entry["text"] = _sse_answer(r)
        entry["wall_s"] = time.perf_counter() - began
        results[i] = entry

    started = time.perf_counter()
    with ThreadPoolExecutor(20) as pool:
        futures = [pool.submit(session, i) for i in range(20)]
        for future in futures:
            future.result(timeout=180)
    total = time.perf_counter() - started

    for client in clients:
        client.close()
    assert sorted(results) == list(range(20)), "a session got no answer"
    crossed = [(r["question"], r["text"]) for r in results.values() if r["text"] != expected[r["question"]]]
    assert not crossed, crossed
    assert llm._calls == 20  # one answer per session, none lost, none twice
    assert llm._max_active == 1, f"the model was entered by {llm._max_active} requests at once"

    walls = sorted(r["wall_s"] for r in results.values())
    waits = [max(0.0, w - GENERATION_S) for w in walls]
    figures = {
        "sessions": len(results), "lost": 20 - len(results), "crossed": len(crossed),
        "max_concurrent_generations": llm._max_active, "total_s": round(total, 2),
        "wall_min_s": round(walls[0], 2), "wall_p50_s": round(statistics.median(walls), 2),
        "wall_max_s": round(walls[-1], 2),
        "wait_min_s": round(min(waits), 2), "wait_p50_s": round(statistics.median(waits), 2),
        "wait_max_s": round(max(waits), 2),
        "by_via": {via: [round(r["wall_s"], 2) for r in sorted(results.values(), key=lambda r: r["wall_s"])
                         if r["via"] == via] for via in {r["via"] for r in results.values()}},
        "api_ask_queue_s": [round(r["queue_s"], 2) for r in results.values() if "queue_s" in r],
    }
    print("CONCURRENCY", json.dumps(figures))
    record_property("figures", figures)
