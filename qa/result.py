"""The eval and ``--json`` record of an answer, from its JSON form: a local answer and one a server sent are
written alike. Its keys are a contract other tools read."""

from __future__ import annotations


def result_record(answer: dict) -> dict:
    """The record of an answer given as ``Answer.model_dump()`` (or the ``/v1/ask`` response)."""
    timings = answer.get("timings") or {}
    ttft = timings.get("ttft_s")
    return {
        "answer": answer["text"],
        "abstained": answer["abstained"],
        "citations": [
            {"source": c["source"], "title": c["title"], "location": c["location"], "date": c["date"], "url": c["url"],
             "text": c["text"], "score": round(c["score"], 4)} for c in answer.get("citations", [])
        ],
        "retrieved": answer.get("retrieved", []),
        "latency_s": round(timings.get("total_s", 0.0), 3),
        "retrieval_s": round(timings.get("retrieval_s", 0.0), 3),
        "ttft_s": None if ttft is None else round(ttft, 3),
        "new_prompt_tokens": timings.get("new_prompt_tokens"),
        # who phrased it: the answer model's name, or "extractive" (quoted, no model)
        "model": answer.get("model", ""),
    }
