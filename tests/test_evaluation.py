"""`releasebot eval`: question-set parsing, the metrics on hand-made results, and a real run
(extractive mode: real store, embedder and verifier) writing the RESULTS schema and summaries."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from config import PROJECT_ROOT
from releasebot.evaluation import (
    RESULT_KEYS,
    EvalQuestion,
    QuestionSetError,
    is_correct,
    load_questions,
    score,
    score_by_kind,
    summary_markdown,
)

QUESTIONS = PROJECT_ROOT / "eval" / "questions.jsonl"


def test_must_groups_need_one_alternative_each_case_and_space_folded():
    must = [["1,400", "1400"], ["social  workers"]]
    assert is_correct("About 1400 Social\nWorkers were trained.", must)
    assert not is_correct("About 1,400 officers were trained.", must)
    assert is_correct("anything", [])


def test_a_figure_alternative_is_not_found_inside_a_longer_figure():
    assert not is_correct("2 releases (160 releases checked).", [["6", "six"]])
    assert is_correct("6 releases (160 releases checked).", [["6", "six"]])
    assert not is_correct("EUR 1,200 and 3.5 million", [["200"], ["5 million"]])
    assert is_correct("It has 24 beds, 8 operators.", [["24"], ["8 operators"]])


def test_project_question_set_is_well_formed():
    questions = load_questions(QUESTIONS)
    assert len(questions) >= 60 and len({q.id for q in questions}) == len(questions)
    assert sum(not q.answerable for q in questions) >= 12
    assert all(q.must and q.sources for q in questions if q.answerable)
    assert any(q.history for q in questions)


def test_malformed_line_is_named(tmp_path):
    path = tmp_path / "q.jsonl"
    path.write_text('{"id": "a", "question": "ok?"}\n\n{"id": "b"}\n', encoding="utf-8")
    with pytest.raises(QuestionSetError, match=r"q.jsonl:3: question: Field required"):
        load_questions(path)
    path.write_text('{"id": "a", "question": "ok?"}\n{not json\n', encoding="utf-8")
    with pytest.raises(QuestionSetError, match=r"q.jsonl:2:"):
        load_questions(path)


def _result(qid, answer, cited, retrieved, abstained=False, latency=1.0, ttft=0.5):
    return {"id": qid, "question": "?", "answer": answer, "abstained": abstained,
            "citations": [{"source": s, "title": "", "text": "", "score": 1.0} for s in cited],
            "retrieved": retrieved, "latency_s": latency, "ttft_s": ttft}


def test_metrics_on_hand_made_results():
    questions = [
        EvalQuestion(id="a", question="?", must=[["alpha"]], sources=["000"]),
        EvalQuestion(id="b", question="?", must=[["beta"]], sources=["001", "002"]),
        EvalQuestion(id="c", question="?", answerable=False),
        EvalQuestion(id="d", question="?", answerable=False),
    ]
    results = [
        _result("a", "alpha [1]", ["000_x"], ["000_x", "003_y"], latency=1.0, ttft=0.2),
        _result("b", "gamma [1] [2]", ["001_x", "004_y"], ["004_y", "001_x"], latency=2.0, ttft=0.4),
        _result("c", "The releases don't say.", [], ["000_x"], abstained=True, latency=3.0, ttft=None),
        _result("d", "Invented [1].", ["003_y"], ["003_y"], latency=4.0, ttft=0.8),
    ]
    summary = score(questions, results, claims=[(1, 1), (1, 2), (0, 0), (0, 1)])
    assert summary["answer_accuracy"] == 0.5
    assert summary["abstention_accuracy"] == 0.5
    assert summary["citation_precision"] == 0.75  # a: 1/1, b: 1/2
    assert summary["citation_recall"] == 0.75  # a: 1/1, b: 1/2
    assert summary["claim_support_rate"] == 0.5  # 2 of 4 claims
    assert summary["retrieval_recall_at_k"] == 0.75  # a: 1/1, b: 1/2 (002 never retrieved)
    assert summary["mrr"] == 0.75  # a: 1/1, b: 1/2
    assert summary["latency_p50_s"] == 2.5 and summary["latency_p95_s"] == 3.85  # interpolated, as numpy's
    assert summary["ttft_p50_s"] == 0.4
    assert [f["id"] for f in summary["failures"]] == ["b", "d"]


def test_eval_command_writes_results_schema_and_summaries(bundled_store, tmp_path):
    questions = tmp_path / "five.jsonl"
    lines = [line for line in QUESTIONS.read_text(encoding="utf-8").splitlines() if line.strip()]
    picked = [json.loads(line) for line in lines]
    chosen = [q for q in picked if q["answerable"]][:4] + [q for q in picked if not q["answerable"]][:1]
    questions.write_text("\n".join(json.dumps(q) for q in chosen) + "\n", encoding="utf-8")
    out = tmp_path / "results" / "run.jsonl"
    env = {"RELEASEBOT_DATA_DIR": str(bundled_store.data_dir), "RELEASEBOT_STORE": str(bundled_store.store),
           "RELEASEBOT_COLLECTION": bundled_store.collection, "HF_HUB_OFFLINE": "1", "PATH": "/usr/bin:/bin"}
    done = subprocess.run(
        [sys.executable, "-m", "releasebot.cli", "eval", str(questions), "--out", str(out), "--mode", "extractive",
         "--min-accuracy", "1.01"],
        capture_output=True, text=True, env=env, timeout=600,
    )
    assert done.returncode == 1, done.stderr
    assert "threshold missed: accuracy" in done.stderr
    records = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert [r["id"] for r in records] == [q["id"] for q in chosen]
    assert all(tuple(r) == RESULT_KEYS for r in records)
    citation_keys = {"source", "title", "location", "date", "url", "text", "score"}
    assert all(set(c) == citation_keys for r in records for c in r["citations"])
    # A total over no release is answered in under a millisecond: its latency rounds to 0.0
    assert all(isinstance(r["abstained"], bool) and isinstance(r["latency_s"], float) and r["latency_s"] >= 0
               for r in records)
    summary = json.loads((out.parent / "run.summary.json").read_text())
    assert summary["questions"] == 5 and 0 <= summary["answer_accuracy"] <= 1
    assert "| answer_accuracy |" in (out.parent / "run.summary.md").read_text()
    assert "| answer_accuracy |" in done.stdout


def test_facts_shown_and_every_metric_by_kind():
    questions = [
        EvalQuestion(id="a", question="?", must=[["three-day", "three days"], ["Beijing"]], sources=["001"]),
        EvalQuestion(id="b", question="?", must=[["2011-03-15", "15 March 2011"]], sources=["001"],
                     history=[{"role": "user", "content": "?"}]),
        EvalQuestion(id="c", question="?", must=[["70"]], sources=["000"], kind="collection"),
        EvalQuestion(id="d", question="?", answerable=False),
    ]
    cited = lambda text, date="": [{"source": "001_x", "title": "T", "location": "", "date": date, "text": text,
                                    "score": 1.0}]  # noqa: E731
    results = [  # a: "three days" shown as "three-day" (another gold form), Beijing not shown at all
        {**_result("a", "three days in Beijing [1]", [], ["001_x"]), "citations": cited("a three-day training")},
        {**_result("b", "On 15 March 2011 [1].", [], ["001_x"]), "citations": cited("", date="2011-03-15")},
        {**_result("c", "70 [1].", [], ["000_x"]), "citations": cited("A group of 70 social workers")},
        _result("d", "none", [], [], abstained=True),
    ]
    summary = score_by_kind(questions, results, claims=[(1, 1)] * 4)
    assert summary["facts_shown"] == 0.75  # 3 of the 4 stated facts are in what the citations show
    assert [q.kind for q in questions] == ["fact", "follow-up", "collection", "unanswerable"]
    by_kind = summary["by_kind"]
    assert set(by_kind) == {"fact", "follow-up", "collection", "unanswerable"}
    assert by_kind["fact"]["facts_shown"] == 0.5 and by_kind["follow-up"]["facts_shown"] == 1.0
    assert by_kind["unanswerable"]["abstention_accuracy"] == 1.0 and by_kind["fact"]["questions"] == 1


def test_any_kind_a_breakdown_by_language_and_family_consistency():
    """A family counts only when every member is right: the paraphrase answered and the French one missed make the
    family inconsistent though three of four questions are right."""
    family = [EvalQuestion(id=f"f{i}", question="?", must=[["32"]], sources=["dva-001"], family="f", lang=lang,
                           kind="fact") for i, lang in enumerate(["en", "en", "en", "fr"])]
    other = [EvalQuestion(id="g0", question="?", must=[["5"]], sources=["dva-002"], family="g", lang="en", kind="count"),
             EvalQuestion(id="g1", question="?", must=[["5"]], sources=["dva-002"], family="g", lang="es", kind="count")]
    answers = ["32 [1]", "32 [1]", "thirty-two [1]", "32 [1]", "5 [1]", "5 [1]"]
    results = [_result(q.id, a, [], ["dva-001"]) for q, a in zip(family + other, answers)]
    summary = score_by_kind(family + other, results, claims=[(1, 1)] * 6)
    assert summary["consistency"] == 0.5 and set(summary["by_kind"]) == {"fact", "count"}
    assert summary["by_lang"]["fr"]["answer_accuracy"] == 1.0 and summary["by_lang"]["en"]["questions"] == 4
    assert summary["by_lang"]["en"]["answer_accuracy"] == 0.75
    assert "## By language" in summary_markdown(summary, "t")
