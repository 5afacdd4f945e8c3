"""Peak resident memory of (a) an ingest of the bundled releases and (b) the app's answering object with the
LLM loaded (``ReleaseQA.from_settings`` in llm mode, then one ``ask``), each in a fresh process.

    python bench/memory.py [--question "Who funded the Macao trainings?"] [--out results/bench/memory.json]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from common import RESULTS, bench_settings, peak_rss_mib, print_table, write_json


def ingest(store: Path) -> dict:
    from vectorstore.ingest import Ingestor

    settings = bench_settings(store)
    started = time.perf_counter()
    summary = Ingestor(settings).ingest([settings.releases_dir], report=print, progress=False)
    return {"chunks": summary.chunks, "seconds": round(time.perf_counter() - started, 1), "peak_rss_mib": peak_rss_mib()}


def answer(store: Path, question: str) -> dict:
    from qa import ReleaseQA

    settings = bench_settings(store, mode="llm")
    started = time.perf_counter()
    bot = ReleaseQA.from_settings(settings)
    ready_s, ready_rss = time.perf_counter() - started, peak_rss_mib()
    reply = bot.ask(question)
    return {"model": bot.model, "ready_s": round(ready_s, 1), "ask_s": round(reply.timings.total_s, 1),
            "answer": reply.text, "peak_rss_ready_mib": ready_rss, "peak_rss_mib": peak_rss_mib()}


def child(stage: str, store: Path, question: str) -> dict:
    with tempfile.TemporaryDirectory() as scratch:
        result = Path(scratch) / "result.json"
        command = [sys.executable, __file__, "--stage", stage, "--store", str(store), "--question", question,
                   "--result", str(result)]
        subprocess.run(command, check=True, env={**os.environ, "HF_HUB_OFFLINE": "1"})
        return json.loads(result.read_text())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--question", default="Who funded the Macao trainings?")
    parser.add_argument("--out", type=Path, default=RESULTS / "memory.json")
    parser.add_argument("--stage", choices=["ingest", "answer"], help=argparse.SUPPRESS)
    parser.add_argument("--store", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--result", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()

    if args.stage:
        result = ingest(args.store) if args.stage == "ingest" else answer(args.store, args.question)
        args.result.write_text(json.dumps(result))
        return

    with tempfile.TemporaryDirectory(prefix="releasebot-bench-") as root:
        store = Path(root) / "chroma"
        ingested = child("ingest", store, args.question)  # also the store the answering process reads
        answered = child("answer", store, args.question)
    rows = [
        {"process": "ingest of the bundled releases", "peak_rss_mib": ingested["peak_rss_mib"],
         "seconds": ingested["seconds"]},
        {"process": f"ReleaseQA ready, {answered['model']}", "peak_rss_mib": answered["peak_rss_ready_mib"],
         "seconds": answered["ready_s"]},
        {"process": "  ... after one ask", "peak_rss_mib": answered["peak_rss_mib"], "seconds": answered["ask_s"]},
    ]
    print_table(rows, ["process", "peak_rss_mib", "seconds"])
    print(f"answer: {answered['answer']}")
    write_json(args.out, {"question": args.question, "ingest": ingested, "answer": answered})


if __name__ == "__main__":
    main()
