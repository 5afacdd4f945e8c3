"""Run the question set through releasebot (both modes), BM25-only retrieval with the same answerer,
and llama-index's out-of-the-box pipeline; print the metrics side by side (docs/EVAL.md).

    python bench/compare.py eval/questions.jsonl --out results/compare [--every K] [--only NAME ...]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
RUNS = {
    "releasebot llm": (["-m", "releasebot.cli", "eval"], {}, ["--mode", "llm"]),
    "releasebot extractive": (["-m", "releasebot.cli", "eval"], {}, ["--mode", "extractive"]),
    "BM25 only, same answerer": (["-m", "releasebot.cli", "eval"], {"RELEASEBOT_RETRIEVAL": "keyword"}, ["--mode", "llm"]),
    "llama-index defaults": ([str(HERE / "baseline_llamaindex.py")], {}, []),
}
METRICS = ["answer_accuracy", "abstention_accuracy", "citation_precision", "citation_recall", "claim_support_rate",
           "retrieval_recall_at_k", "mrr", "ttft_p50_s", "ttft_p95_s", "latency_p50_s", "latency_p95_s", "new_prompt_tokens_p50"]
BASELINE, OURS = "llama-index defaults", "releasebot llm"


def slug(name: str) -> str:
    return "".join(ch if ch.isalnum() else "-" for ch in name.lower()).strip("-")


def table(summaries: dict[str, dict]) -> str:
    names = list(summaries)
    lines = ["| metric | " + " | ".join(names) + " |", "|---|" + "---|" * len(names)]
    for metric in METRICS:
        lines.append(f"| {metric} | " + " | ".join(str(summaries[n].get(metric)) for n in names) + " |")
    return "\n".join(lines)


def speedup(summaries: dict[str, dict]) -> str:
    """How many times faster releasebot answers than the baseline, at the p50."""
    if BASELINE not in summaries or OURS not in summaries:
        return ""
    base, ours = summaries[BASELINE], summaries[OURS]
    parts = [f"{metric}: {base[metric] / ours[metric]:.1f}x" for metric in ("ttft_p50_s", "latency_p50_s")
             if base.get(metric) and ours.get(metric)]
    return f"{OURS} vs {BASELINE}, times faster: " + ", ".join(parts)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("questions", type=Path)
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--every", type=int, help="Only every K-th question (the default pipeline is slow).")
    parser.add_argument("--only", nargs="*", choices=list(RUNS), help="Run only these; the others are read back.")
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    questions = args.questions
    if args.every:
        questions = args.out / f"every-{args.every}.jsonl"
        lines = [line for line in args.questions.read_text(encoding="utf-8").splitlines() if line.strip()]
        questions.write_text("\n".join(lines[:: args.every]) + "\n", encoding="utf-8")
    summaries = {}
    for name, (command, env, options) in RUNS.items():
        results = args.out / f"{slug(name)}.jsonl"
        if args.only is None or name in args.only:
            print(f"== {name}", flush=True)
            subprocess.run([sys.executable, *command, str(questions), "--out", str(results), *options],
                           env={**os.environ, "HF_HUB_OFFLINE": "1", **env}, check=True, stdout=subprocess.DEVNULL)
        summary = results.with_name(f"{results.stem}.summary.json")
        if summary.exists():
            summaries[name] = json.loads(summary.read_text())
    report = "\n\n".join(part for part in (table(summaries), speedup(summaries)) if part)
    (args.out / "comparison.md").write_text(report + "\n")
    print(report)


if __name__ == "__main__":
    main()
