"""The first question right after start-up, on a fresh data directory (no prompt states saved yet).

Starts `releasebot serve` as a user would, asks as soon as the port answers, and reports how long the
question waited for the model (queue_s) while the background warm-up was computing prompt states.

    python bench/first_question.py [--model PATH]   # PATH: an assembled GGUF, so the 1 GB model is not copied again
"""

from __future__ import annotations

import argparse
import os
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx
from common import RESULTS, write_json

QUESTIONS = ["Who funded the Macao trainings?", "Who heads IOM's China Liaison Office?"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--model", type=Path, help="RELEASEBOT_MODEL_PATH for the server (default: bundled).")
    parser.add_argument("--port", type=int, default=7931)
    args = parser.parse_args()
    root = Path(tempfile.mkdtemp(prefix="first-question-"))
    env = {**os.environ, "RELEASEBOT_DATA_DIR": str(root), "HF_HUB_OFFLINE": "1"}
    if args.model:
        env["RELEASEBOT_MODEL_PATH"] = str(args.model)
    releasebot = str(Path(sys.executable).with_name("releasebot"))
    subprocess.run([releasebot, "ingest"], env=env, check=True, capture_output=True)
    started = time.perf_counter()
    log = (root / "serve.log").open("w")
    server = subprocess.Popen([releasebot, "serve", "--port", str(args.port)], env=env, stdout=log,
                              stderr=subprocess.STDOUT)
    try:
        while True:
            try:
                socket.create_connection(("127.0.0.1", args.port), timeout=1).close()
                break
            except OSError:
                assert server.poll() is None, (root / "serve.log").read_text()
                time.sleep(0.2)
        ready = time.perf_counter() - started
        rows = []
        for question in QUESTIONS:
            asked = time.perf_counter()
            answer = httpx.post(f"http://127.0.0.1:{args.port}/v1/ask", json={"question": question}, timeout=600).json()
            rows.append({"question": question, "wall_s": round(time.perf_counter() - asked, 2),
                         **{k: answer["timings"][k] for k in ("queue_s", "ttft_s", "total_s", "prompt_state",
                                                              "new_prompt_tokens")},
                         "answer": answer["text"]})
            print(rows[-1])
        result = {"server_ready_s": round(ready, 1), "questions": rows}
        print(f"server ready after {ready:.1f} s")
        write_json(RESULTS / "first_question.json", result)
    finally:
        server.terminate()
        server.wait(60)
        log.close()


if __name__ == "__main__":
    main()
