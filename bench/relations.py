"""How well a prompt lets the model judge whether a sentence states a claim, its relation too (who funded, who
organised, who took part), on pairs no prompt was written from (eval/relations/pairs.jsonl: a sentence copied from a
page of data/dev-archive, a claim in other words, whether the sentence states it). docs/EVAL.md has the results.

    python bench/relations.py PROMPT_FILE [--pairs eval/relations/pairs.jsonl] [--every 1]

PROMPT_FILE: a llama-index template with {sentence} and {claim} that asks for {"stated": "yes"|"no"}; the reply is
constrained to that schema through the engine's own path (qa.llm.build_llm, chat_json), so the configured model,
backend and KV cache are the ones judged.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

from llama_index.core import PromptTemplate
from llama_index.core.llms import ChatMessage, MessageRole

from config import get_settings
from qa.llm import build_llm, chat_json

SCHEMA = {"type": "object", "required": ["stated"], "properties": {"stated": {"type": "string", "enum": ["yes", "no"]}}}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("prompt", type=Path)
    parser.add_argument("--pairs", type=Path,
                        default=Path(__file__).resolve().parents[1] / "eval" / "relations" / "pairs.jsonl")
    parser.add_argument("--every", type=int, default=1, help="every k-th pair only (a tuning half: --every 2)")
    args = parser.parse_args()
    settings = get_settings()
    llm = build_llm(settings)
    template = PromptTemplate(args.prompt.read_text(encoding="utf-8").strip())
    pairs = [json.loads(line) for line in args.pairs.read_text(encoding="utf-8").splitlines() if line.strip()]
    counts = {("yes", True): 0, ("yes", False): 0, ("no", True): 0, ("no", False): 0}
    seconds = []
    for pair in pairs[::args.every]:
        messages = [ChatMessage(role=MessageRole.USER, content=template.format(sentence=pair["sentence"],
                                                                                claim=pair["claim"]))]
        started = time.perf_counter()
        said = chat_json(llm, settings, messages, SCHEMA)["stated"]
        seconds.append(time.perf_counter() - started)
        counts[(pair["truth"], said == pair["truth"])] += 1
        if said != pair["truth"]:
            print(f"wrong ({pair['truth']}): {pair['claim']}")
    print(f"right claims kept {counts[('yes', True)]}/{counts[('yes', True)] + counts[('yes', False)]}, "
          f"wrong claims rejected {counts[('no', True)]}/{counts[('no', True)] + counts[('no', False)]}, "
          f"{sum(seconds) / len(seconds):.2f} s a pair (mean)")


if __name__ == "__main__":
    main()
