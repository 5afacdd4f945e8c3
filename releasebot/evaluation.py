"""``releasebot eval``: run a question set through the same pipeline as the chat and score it."""

from __future__ import annotations

import json
import re
import statistics
from collections.abc import Callable, Iterable
from pathlib import Path

from pydantic import BaseModel, Field, ValidationError, model_validator
from tqdm import tqdm

RESULT_KEYS = ("id", "question", "answer", "abstained", "citations", "retrieved", "latency_s", "ttft_s",
               "retrieval_s", "new_prompt_tokens", "model")


class QuestionSetError(ValueError):
    """A malformed question set; the message names the line."""


class EvalQuestion(BaseModel, extra="ignore"):
    id: str
    question: str
    must: list[list[str]] = []
    sources: list[str] = []
    answerable: bool = True
    history: list[dict] = Field(default=[])
    kind: str | None = Field(default=None, description="Any label (fact, collection, count, …); every metric is broken "
                             "down by it. Default: unanswerable, follow-up (with history) or fact.")
    family: str = Field(default="", description="Questions asking one fact in different words or languages.")
    lang: str = Field(default="", description="The question's language, for the breakdown by language.")

    @model_validator(mode="after")
    def _default_kind(self) -> "EvalQuestion":
        if self.kind is None:
            self.kind = "unanswerable" if not self.answerable else "follow-up" if self.history else "fact"
        return self


def load_questions(path: Path) -> list[EvalQuestion]:
    questions: list[EvalQuestion] = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            questions.append(EvalQuestion.model_validate_json(line))
        except ValidationError as exc:
            problem = exc.errors()[0]
            where = ".".join(str(part) for part in problem["loc"]) or "line"
            raise QuestionSetError(f"{path}:{number}: {where}: {problem['msg']}") from exc
    if not questions:
        raise QuestionSetError(f"{path}: no questions")
    return questions


def _fold(text: str) -> str:
    return " ".join(text.lower().split())


def is_correct(answer: str, must: list[list[str]]) -> bool:
    """Every group has at least one alternative in the answer (case-insensitive, whitespace folded); an alternative
    that starts or ends with a digit is not found inside a longer figure: "6" is not in "160 releases checked"."""
    folded = _fold(answer)
    return all(any(_found(_fold(alt), folded) for alt in group) for group in must)


def _found(alternative: str, answer: str) -> bool:
    # Digits on either side, or a separator and a digit ("1,840", "3.5"), would make it part of another figure.
    before = r"(?<![\d])(?<![\d][.,])" if alternative[:1].isdigit() else ""
    after = r"(?![\d])(?![.,]\d)" if alternative[-1:].isdigit() else ""
    return re.search(before + re.escape(alternative) + after, answer) is not None


def _matches(release_id: str, gold: Iterable[str]) -> bool:
    return any(release_id == g or release_id.startswith(g) for g in gold)


def percentile(values: list[float], q: float) -> float | None:
    """Linearly interpolated, as numpy's default; q in (0, 1), to the hundredth. The eval summaries and bench/
    share it."""
    if len(values) < 2:
        return values[0] if values else None
    return statistics.quantiles(values, n=100, method="inclusive")[round(q * 100) - 1]


def _percentile(values: list[float], q: float) -> float | None:
    value = percentile(values, q)
    return None if value is None else round(value, 3)


def _mean(values: list[float]) -> float | None:
    return round(sum(values) / len(values), 4) if values else None


def score(questions: list[EvalQuestion], results: list[dict], claims: list[tuple[int, int]] | None = None) -> dict:
    """Metrics over result records (the RESULTS.jsonl schema); ``claims`` is (supported, total) per answer."""
    answerable = [(q, r) for q, r in zip(questions, results) if q.answerable]
    unanswerable = [(q, r) for q, r in zip(questions, results) if not q.answerable]
    correct = [q.id for q, r in answerable if not r["abstained"] and is_correct(r["answer"], q.must)]
    precision, recall, retrieval_recall, reciprocal = [], [], [], []
    for q, r in answerable:
        cited = {c["source"] for c in r["citations"]}
        if cited:
            precision.append(sum(_matches(s, q.sources) for s in cited) / len(cited))
        if q.sources:
            recall.append(sum(any(_matches(s, [g]) for s in cited) for g in q.sources) / len(q.sources))
            retrieval_recall.append(sum(any(_matches(s, [g]) for s in r["retrieved"]) for g in q.sources) / len(q.sources))
            rank = next((i for i, s in enumerate(r["retrieved"], start=1) if _matches(s, q.sources)), None)
            reciprocal.append(1 / rank if rank else 0.0)
    shown, matched = 0, 0
    for q, r in answerable:  # each gold fact the answer states: do its citations show it (in any gold form)?
        if r["abstained"]:
            continue
        answer = _fold(r["answer"])
        shown_text = _fold(" ".join(f"{c.get('title', '')} {c.get('location', '')} {c.get('date', '')} {c['text']}"
                                    for c in r["citations"]))
        for group in q.must:
            if any(_fold(alt) in answer for alt in group):
                matched += 1
                shown += any(_fold(alt) in shown_text for alt in group)
    failures = [
        {"id": q.id, "question": q.question, "answer": r["answer"], "expected": q.must or "abstain"}
        for q, r in zip(questions, results)
        if (q.answerable and q.id not in correct) or (not q.answerable and not r["abstained"])
    ]
    supported = sum(s for s, _ in claims or [])
    total_claims = sum(t for _, t in claims or [])
    return {
        "questions": len(questions),
        "answer_accuracy": _mean([1.0 if q.id in correct else 0.0 for q, _ in answerable]),
        "abstention_accuracy": _mean([1.0 if r["abstained"] else 0.0 for _, r in unanswerable]),
        "citation_precision": _mean(precision),
        "citation_recall": _mean(recall),
        "claim_support_rate": round(supported / total_claims, 4) if total_claims else None,
        "facts_shown": round(shown / matched, 4) if matched else None,
        "retrieval_recall_at_k": _mean(retrieval_recall),
        "mrr": _mean(reciprocal),
        "latency_p50_s": _percentile([r["latency_s"] for r in results], 0.5),
        "latency_p95_s": _percentile([r["latency_s"] for r in results], 0.95),
        "ttft_p50_s": _percentile([r["ttft_s"] for r in results if r["ttft_s"] is not None], 0.5),
        "ttft_p95_s": _percentile([r["ttft_s"] for r in results if r["ttft_s"] is not None], 0.95),
        "new_prompt_tokens_p50": _percentile(
            [r["new_prompt_tokens"] for r in results if r.get("new_prompt_tokens") is not None], 0.5),
        "failures": failures,
    }


def consistency(questions: list[EvalQuestion], results: list[dict]) -> float | None:
    """The share of question families (two or more answerable questions) whose every member is answered right."""
    families: dict[str, list[bool]] = {}
    for q, r in zip(questions, results):
        if q.family and q.answerable:
            families.setdefault(q.family, []).append(not r["abstained"] and is_correct(r["answer"], q.must))
    judged = [all(members) for members in families.values() if len(members) >= 2]
    return _mean([1.0 if right else 0.0 for right in judged])


def score_by_kind(questions: list[EvalQuestion], results: list[dict], claims: list[tuple[int, int]]) -> dict:
    """The summary, with every metric also broken down by question kind (``by_kind``) and, where the set labels
    them, by language (``by_lang``); families give ``consistency``."""
    summary = score(questions, results, claims)
    summary["consistency"] = consistency(questions, results)
    for name, label in (("by_kind", lambda q: q.kind), ("by_lang", lambda q: q.lang)):
        labels = [label(q) for q in questions]
        if name == "by_lang" and not any(labels):
            continue
        summary[name] = {}
        for value in dict.fromkeys(labels):
            chosen = [i for i, other in enumerate(labels) if other == value]
            part = score([questions[i] for i in chosen], [results[i] for i in chosen], [claims[i] for i in chosen])
            summary[name][value or "unlabelled"] = {key: v for key, v in part.items() if key != "failures"}
    return summary


def summary_markdown(summary: dict, title: str) -> str:
    rows = [f"| {key} | {value} |" for key, value in summary.items() if key not in ("failures", "by_kind", "by_lang")]
    lines = [f"# {title}", "", "| metric | value |", "|---|---|", *rows, ""]
    for name, heading in (("by_kind", "By kind"), ("by_lang", "By language")):
        if parts := summary.get(name):
            metrics = [key for key in next(iter(parts.values())) if key != "questions"]
            lines += [f"## {heading}", "", "| metric | " + " | ".join(f"{k} ({v['questions']})" for k, v in parts.items())
                      + " |", "|---|" + "---|" * len(parts)]
            lines += [f"| {m} | " + " | ".join(str(v[m]) for v in parts.values()) + " |" for m in metrics] + [""]
    lines += [f"## Failures ({len(summary['failures'])})", ""]
    for failure in summary["failures"]:
        lines.append(f"- **{failure['id']}** {failure['question']} — expected {failure['expected']}; "
                     f"answered: {failure['answer']!r}")
    return "\n".join(lines) + "\n"


def run_eval(
    ask: Callable[[EvalQuestion], object], questions: list[EvalQuestion], out: Path, progress: bool = True,
) -> dict:
    """Ask every question with ``ask`` (question → Answer), write RESULTS and the summaries beside it."""
    results, claims = [], []
    out.parent.mkdir(parents=True, exist_ok=True)
    with out.open("w", encoding="utf-8") as handle:
        for question in tqdm(questions, desc="eval", unit="question", disable=not progress):
            answer = ask(question)
            record = {"id": question.id, "question": question.question, **answer.result_record()}
            results.append({key: record[key] for key in RESULT_KEYS})
            claims.append((sum(c.supported for c in answer.claims), len(answer.claims)))
            handle.write(json.dumps(results[-1], ensure_ascii=False) + "\n")
            handle.flush()
    summary = score_by_kind(questions, results, claims)
    stem = re.sub(r"\.jsonl?$", "", out.name)
    out.with_name(f"{stem}.summary.json").write_text(json.dumps(summary, indent=2, ensure_ascii=False) + "\n")
    out.with_name(f"{stem}.summary.md").write_text(summary_markdown(summary, f"Evaluation: {out.name}"))
    return summary
