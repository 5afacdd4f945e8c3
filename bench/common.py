"""Helpers shared by the bench scripts: settings over throw-away stores, figures, tables, JSON."""

from __future__ import annotations

import json
import resource
import statistics
import tempfile
import time
from collections import defaultdict
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from config import PROJECT_ROOT, Settings
from releasebot.evaluation import percentile

RESULTS = PROJECT_ROOT / "results" / "bench"
QUESTIONS = PROJECT_ROOT / "eval" / "questions.jsonl"


def bench_settings(store: Path, **overrides) -> Settings:
    """The user's settings (``RELEASEBOT_*`` included) over another store.

    ``data_dir`` is left alone: it holds the assembled 1 GB model, which a fresh one would rebuild.
    """
    return Settings(**{"store": store, "collection": "bench", **overrides})


@contextmanager
def temporary_settings(**overrides) -> Iterator[Settings]:
    """``bench_settings`` over an empty store that is deleted afterwards."""
    with tempfile.TemporaryDirectory(prefix="releasebot-bench-") as root:
        yield bench_settings(Path(root) / "chroma", **overrides)


def peak_rss_mib() -> float:
    """This process's peak resident set so far (Linux reports ru_maxrss in KiB)."""
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)


def latency_ms(seconds: list[float]) -> dict[str, float]:
    return {
        "p50_ms": round(1000 * percentile(seconds, 0.5), 1),
        "p95_ms": round(1000 * percentile(seconds, 0.95), 1),
        "mean_ms": round(1000 * statistics.fmean(seconds), 1),
    }


def timed(function: Callable, totals: defaultdict[str, float], key: str) -> Callable:
    """``function``, adding each call's wall and CPU seconds to ``totals[key]`` and ``totals[key + "_cpu"]``.

    Replacing a bound method on one instance with this times a step inside the real pipeline, leaving the
    project's code as it is. CPU time (all threads) is the figure to trust when other work shares the cores.
    """

    def wrapper(*args, **kwargs):
        wall, cpu = time.perf_counter(), time.process_time()
        try:
            return function(*args, **kwargs)
        finally:
            totals[key] += time.perf_counter() - wall
            totals[f"{key}_cpu"] += time.process_time() - cpu

    return wrapper


def print_table(rows: list[dict], columns: list[str]) -> None:
    """A Markdown table of the given columns (a missing value prints as a dash)."""
    print("| " + " | ".join(map(str, columns)) + " |")
    print("|" + "---|" * len(columns))
    for row in rows:
        print("| " + " | ".join("-" if row.get(c) is None else str(row[c]) for c in columns) + " |")


def write_json(path: Path, data: dict) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    print(f"wrote {path}")


def write_profile(profiler, path: Path) -> None:
    """A pyinstrument call tree as text: the libraries releasebot calls stay visible; torch's internals fold."""
    options = {"show_regex": r".*/(llama_index|sentence_transformers|chromadb|bm25s)/.*",
               "hide_regex": r".*/(torch|transformers)/.*"}
    path.write_text(profiler.output_text(unicode=True, color=False, processor_options=options))
    print(f"profile: {path}")
