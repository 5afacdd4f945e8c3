"""Collection answers at scale, on synthetic releases with planted facts whose answers are known exactly.

    python bench/archive_scale.py [--sizes 5 100 1000] [--seed 0]

Release i (a function of seed and i only, so a smaller corpus is a prefix of a larger one) is a training,
workshop or seminar in one of ten countries, dated in 2008-2022 on a line of its own, funded by one of eight
funders, with a count of one kind of participant. From the same plan come collection questions with exact
answers: which releases mention a funder, every training a funder paid for, how many releases from a year
mention a country, how many participants of a kind were trained in a year in total. As in the project's
question set, "the trainings" are the workshops and seminars too. Each corpus is ingested into its own
store; list recall and precision, exact counts, and the time to the first item and to the whole answer are
written to results/bench/archive_scale.json.
"""

from __future__ import annotations

import argparse
import random
import re
import statistics
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from common import RESULTS, bench_settings, print_table, write_json

from qa import ReleaseQA
from qa.archive import ArchiveQA
from vectorstore.ingest import Ingestor

COUNTRIES = ["Cambodia", "Indonesia", "Thailand", "Nepal", "Bangladesh", "Mongolia", "Myanmar", "Kenya", "Ghana",
             "Peru"]
FUNDERS = ["the Swiss Agency for Development and Cooperation", "the Norwegian Ministry of Foreign Affairs",
           "the Australian Department of Foreign Affairs and Trade", "the Canadian Border Services Agency",
           "the Japanese International Cooperation Agency", "the Korean Foundation for Migrant Workers",
           "the Finnish Ministry of the Interior", "the Irish Aid Office"]
PEOPLE = ["officers", "social workers", "judges", "nurses"]
EVENTS = ["training", "workshop", "seminar"]
MONTHS = ["January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
          "November", "December"]


@dataclass(frozen=True)
class Planted:
    index: int
    country: str
    year: int
    date: str  # "15 March 2011"
    funder: str
    people: str
    count: int
    event: str

    @property
    def release_id(self) -> str:
        return f"arc_{self.index:06d}"

    def text(self) -> str:
        return "\n".join([
            f"IOM {self.event.capitalize()} {self.index} Strengthens Counter-Trafficking Response",
            self.date,
            f"{self.country} – IOM held a counter-trafficking {self.event} this week as part of its regional "
            f"programme {self.index}.",
            f"The {self.event}, funded by {self.funder}, brought together {self.count} {self.people} working on "
            f"victim protection.",
            "Participants discussed screening procedures, referral mechanisms and the return of victims.",
            f"For more information please contact the IOM office in {self.country}.",
        ]) + "\n"


def planted(index: int, seed: int) -> Planted:
    rng = random.Random(f"{seed}:{index}")
    year = rng.randint(2008, 2022)
    return Planted(index, rng.choice(COUNTRIES), year, f"{rng.randint(1, 28)} {rng.choice(MONTHS)} {year}",
                   rng.choice(FUNDERS), rng.choice(PEOPLE), rng.randint(10, 120), rng.choice(EVENTS))


def questions(plan: list[Planted], seed: int) -> list[dict]:
    """Collection questions with their exact answers: the releases to list, or the number to reach."""
    rng = random.Random(f"questions:{seed}")
    asked = []
    for funder in FUNDERS[:4]:
        name = funder.removeprefix("the ")
        asked.append({"question": f"Which releases mention the {name}?", "kind": "list",
                      "releases": {p.release_id for p in plan if p.funder == funder}})
        asked.append({"question": f"List every training funded by the {name}.", "kind": "list",
                      "releases": {p.release_id for p in plan if p.funder == funder}})
    for _ in range(4):
        country, year = rng.choice(COUNTRIES), rng.randint(2008, 2022)
        chosen = {p.release_id for p in plan if p.country == country and p.year == year}
        asked.append({"question": f"How many releases mention {country} in {year}?", "kind": "count",
                      "releases": chosen, "number": len(chosen)})
    for people in PEOPLE[:3]:
        year = rng.randint(2008, 2022)
        chosen = [p for p in plan if p.people == people and p.year == year]
        asked.append({"question": f"How many {people} were trained in {year} in total?", "kind": "total",
                      "releases": {p.release_id for p in chosen}, "number": sum(p.count for p in chosen)})
    return asked


def _number(answer_text: str, kind: str) -> int | None:
    last = answer_text.splitlines()[-1] if answer_text else ""
    match = re.search(r"= (\d+) \(" if kind == "total" else r"^(\d+) releases? \(", last)
    return int(match.group(1)) if match else 0 if "No counts found" in last else None


def measure(size: int, seed: int, root: Path) -> dict:
    plan = [planted(i, seed) for i in range(size)]
    corpus = root / f"corpus-{size}"
    corpus.mkdir(parents=True, exist_ok=True)
    for item in plan:
        (corpus / f"{item.release_id}.txt").write_text(item.text(), encoding="utf-8")
    settings = bench_settings(root / f"store-{size}")
    started = time.perf_counter()
    Ingestor(settings).ingest([corpus], report=lambda m: None, progress=False)
    ingest_s = time.perf_counter() - started
    archive = ArchiveQA(ReleaseQA.from_settings(settings, load_llm=False))
    recalls, precisions, exact, first, whole, rows = [], [], [], [], [], []
    for q in questions(plan, seed):
        answer = archive.ask(q["question"], mode="extractive")
        cited = {c.source for c in answer.citations}
        expected = q["releases"]
        recall = len(cited & expected) / len(expected) if expected else float(not cited)
        precision = len(cited & expected) / len(cited) if cited else float(not expected)
        if q["kind"] != "total":
            recalls.append(recall)
            precisions.append(precision)
        if "number" in q:
            exact.append(_number(answer.text, q["kind"]) == q["number"])
        first.append(answer.timings.ttft_s or answer.timings.total_s)
        whole.append(answer.timings.total_s)
        rows.append({"question": q["question"], "expected": len(expected), "cited": len(cited),
                     "recall": round(recall, 3), "precision": round(precision, 3),
                     "number": q.get("number"), "got": _number(answer.text, q["kind"]) if "number" in q else None})
    return {
        "releases": size, "ingest_s": round(ingest_s, 1), "questions": len(rows),
        "list_recall": round(statistics.mean(recalls), 4), "list_precision": round(statistics.mean(precisions), 4),
        "counts_exact": round(sum(exact) / len(exact), 4),
        "first_item_p50_s": round(statistics.median(first), 4),
        "whole_answer_p50_s": round(statistics.median(whole), 4),
        "whole_answer_max_s": round(max(whole), 4), "rows": rows,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sizes", type=int, nargs="+", default=[5, 100, 1000])
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="archive-scale-") as tmp:
        results = [measure(size, args.seed, Path(tmp)) for size in args.sizes]
    columns = ["releases", "ingest_s", "questions", "list_recall", "list_precision", "counts_exact",
               "first_item_p50_s", "whole_answer_p50_s", "whole_answer_max_s"]
    print_table(results, columns)
    for result in results:
        for row in result["rows"]:
            if row["recall"] < 1 or row["precision"] < 1 or row["number"] != row["got"]:
                print(f"  {result['releases']}: {row}")
    write_json(RESULTS / "archive_scale.json", {"seed": args.seed, "results": results})


if __name__ == "__main__":
    main()
