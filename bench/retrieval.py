"""Retrieval latency and accuracy as the store grows: the real question set asked among synthetic releases.

    python bench/retrieval.py [--sizes 1000 10000 100000] [--mode extractive|llm] [--seed 0]
                              [--cache results/bench/corpora] [--out results/bench/retrieval.json] [--profile]

Per size: a corpus of about that many chunks (bench/synthetic.py plus the five real releases) is ingested into
CACHE/<size>/ once and reused while its key (size, seed, generator, chunking) is unchanged; an interrupted build
resumes. Then ``ReleaseQA.from_settings(load_llm=False)`` is timed, ``bot.retrieve`` (hybrid search + evidence
selection) is timed over every question (a first, cold pass is reported apart from the timed warm pass), and
the set is graded with ``releasebot.evaluation`` in extractive mode (``--mode llm``: LLM answers too; slow).
Eval records go to OUT's folder under retrieval/<size>-<mode>.jsonl. --profile: one more warm pass under
pyinstrument (apart from the timed ones), its call tree in OUT's folder as retrieval-<size>-profile.txt.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path

import synthetic
from common import (
    QUESTIONS,
    RESULTS,
    bench_settings,
    latency_ms,
    peak_rss_mib,
    print_table,
    timed,
    write_json,
    write_profile,
)

from config import Settings
from vectorstore.chunking import PIPELINE_VERSION

METRICS = ["answer_accuracy", "abstention_accuracy", "retrieval_recall_at_k", "mrr", "citation_precision",
           "latency_p50_s"]


def corpus_key(size: int, seed: int, settings: Settings) -> dict:
    """What the stored corpus depends on: a different key means rebuilding it."""
    return {"size": size, "seed": seed, "generator": synthetic.GENERATOR_VERSION, "pipeline": PIPELINE_VERSION,
            "chunk_size": settings.chunk_size, "chunk_overlap": settings.chunk_overlap,
            "embed_model": str(settings.embed_model or "bundled")}


def corpus_settings(root: Path) -> Settings:
    # Boilerplate is learnt from releases_dir besides the files read: the corpus itself.
    return bench_settings(root / "chroma", releases_dir=root / "releases")


def read_ready(root: Path) -> dict | None:
    path = root / "ready.json"
    return json.loads(path.read_text()) if path.exists() else None


def build(root: Path, key: dict) -> dict:
    from vectorstore.ingest import Ingestor

    settings = corpus_settings(root)
    started = time.perf_counter()
    generated = synthetic.write_corpus(root / "releases", key["size"], key["seed"], settings)
    # Idempotent: releases already stored by an interrupted build are skipped; prune drops a previous key's extras.
    ingestor = Ingestor(settings)
    summary = ingestor.ingest([root / "releases"], prune=True, report=print, progress=True)
    ready = {"key": key, "releases": summary.added + summary.updated + summary.unchanged,
             "chunks": ingestor.store.count(), "build_s": round(time.perf_counter() - started, 1),
             "ingest": summary.line(), "generated": generated}
    write_json(root / "ready.json", ready)
    return ready


def measure(root: Path, size: int, mode: str, eval_dir: Path, profile: Path | None) -> dict:
    from qa import ReleaseQA
    from releasebot.evaluation import load_questions, run_eval
    from vectorstore.embedding import load_embedder

    settings, ready = corpus_settings(root), read_ready(root)
    started = time.perf_counter()
    load_embedder(settings)  # cached for from_settings: its own time is then the store and the keyword index
    model_load_s = time.perf_counter() - started
    bot = ReleaseQA.from_settings(settings, load_llm=False)
    index_s = time.perf_counter() - started - model_load_s
    if bot.store.count() != ready["chunks"]:
        raise SystemExit(f"{root}: the store holds {bot.store.count()} chunks, ready.json says {ready['chunks']}; "
                         f"delete {root / 'ready.json'} to rebuild")

    questions = load_questions(QUESTIONS)
    # As `ask` searches in extractive mode: a follow-up is searched together with the previous question.
    queries = [bot.understand(q.question, q.history, "extractive").english for q in questions]
    spent: defaultdict[str, float] = defaultdict(float)
    bot.retriever.retrieve = timed(bot.retriever.retrieve, spent, "search")

    def timed_pass() -> tuple[list[float], list[float], list[float]]:
        totals, cpu, searches = [], [], []
        for query in queries:
            before = spent["search"]
            wall, clock = time.perf_counter(), time.process_time()
            bot.retrieve(query)
            totals.append(time.perf_counter() - wall)
            cpu.append(time.process_time() - clock)
            searches.append(spent["search"] - before)
        return totals, cpu, searches

    cold, _, _ = timed_pass()  # warm-up: fills the evidence selector's sentence-embedding cache
    warm, warm_cpu, searches = timed_pass()
    if profile:
        from pyinstrument import Profiler

        with Profiler(interval=0.001) as profiler:
            timed_pass()
        write_profile(profiler, profile)
    result = {
        "size": size, "releases": ready["releases"], "chunks": ready["chunks"], "build_s": ready["build_s"],
        "model_load_s": round(model_load_s, 2), "index_s": round(index_s, 2),
        "retrieve_warm": latency_ms(warm), "retrieve_cold": latency_ms(cold),
        # CPU time of all threads: steadier than wall time when other work shares the cores.
        "retrieve_warm_cpu": latency_ms(warm_cpu),
        "search_warm": latency_ms(searches), "evidence_warm": latency_ms([t - s for t, s in zip(warm, searches)]),
    }
    modes = ["extractive", "llm"] if mode == "llm" else ["extractive"]
    for answer_mode in modes:
        if answer_mode == "llm":
            started = time.perf_counter()
            bot.load_llm()
            result["llm_load_s"] = round(time.perf_counter() - started, 1)
        summary = run_eval(lambda q: bot.ask(q.question, q.history, mode=answer_mode), questions,
                           eval_dir / f"{size}-{answer_mode}.jsonl", progress=False)
        result[answer_mode] = {metric: summary[metric] for metric in METRICS}
    result["peak_rss_mib"] = peak_rss_mib()
    return result


def stage(name: str, args: argparse.Namespace, size: int) -> dict:
    """Run one stage in a fresh process: start-up then includes the model load, as the app's does, and peak RSS
    is this size's alone."""
    with tempfile.TemporaryDirectory() as scratch:
        result = Path(scratch) / "result.json"
        command = [sys.executable, __file__, "--stage", name, "--sizes", str(size), "--mode", args.mode,
                   "--seed", str(args.seed), "--cache", str(args.cache), "--out", str(args.out), "--result", str(result),
                   *(["--profile"] if args.profile else [])]
        subprocess.run(command, check=True, env={**os.environ, "HF_HUB_OFFLINE": "1"})
        return json.loads(result.read_text())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 10000, 100000], help="Corpus sizes in chunks.")
    parser.add_argument("--mode", choices=["extractive", "llm"], default="extractive",
                        help="llm: grade LLM answers as well as extractive ones (slow).")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--cache", type=Path, default=RESULTS / "corpora", help="Where built corpora are kept.")
    parser.add_argument("--out", type=Path, default=RESULTS / "retrieval.json")
    parser.add_argument("--profile", action="store_true", help="Profile a warm pass with pyinstrument.")
    parser.add_argument("--stage", choices=["build", "measure"], help=argparse.SUPPRESS)
    parser.add_argument("--result", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()

    if args.stage:
        size, root = args.sizes[0], args.cache / str(args.sizes[0])
        if args.stage == "build":
            result = build(root, corpus_key(size, args.seed, Settings()))
        else:
            profile = args.out.with_name(f"retrieval-{size}-profile.txt") if args.profile else None
            result = measure(root, size, args.mode, args.out.parent / "retrieval", profile)
        args.result.write_text(json.dumps(result))
        return

    rows = []
    for size in args.sizes:
        ready = read_ready(args.cache / str(size))
        if ready is None or ready["key"] != corpus_key(size, args.seed, Settings()):
            print(f"== building the {size}-chunk corpus in {args.cache / str(size)}", flush=True)
            stage("build", args, size)
        print(f"== measuring {size}", flush=True)
        rows.append(stage("measure", args, size))

    # One column per size: the figures are many, the sizes few.
    figures: dict[str, dict[int, object]] = defaultdict(dict)
    for r in rows:
        for key in ("releases", "chunks", "build_s", "model_load_s", "index_s", "llm_load_s", "peak_rss_mib"):
            if key in r:
                figures[key][r["size"]] = r[key]
        for step in ("retrieve_warm", "retrieve_warm_cpu", "retrieve_cold", "search_warm", "evidence_warm"):
            for stat, value in r[step].items():
                figures[f"{step} {stat}"][r["size"]] = value
        for answer_mode in ("extractive", "llm"):
            for metric, value in r.get(answer_mode, {}).items():
                figures[f"{answer_mode} {metric}"][r["size"]] = value
    print_table([{"figure": name, **values} for name, values in figures.items()], ["figure", *(r["size"] for r in rows)])
    write_json(args.out, {"questions": str(QUESTIONS), "sizes": rows})


if __name__ == "__main__":
    main()
