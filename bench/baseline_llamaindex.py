"""The baseline a user would reach for: llama-index's out-of-the-box pipeline over the same raw
releases (SimpleDirectoryReader → VectorStoreIndex → ``as_query_engine()`` defaults), with the same
embedder and LLM, scored by the same code as ``releasebot eval``.

    python bench/baseline_llamaindex.py eval/questions.jsonl --out results/baseline.jsonl
"""

from __future__ import annotations

import argparse
import re
import time
from pathlib import Path

from llama_index.core import SimpleDirectoryReader, VectorStoreIndex

from config import get_settings
from qa import Answer, Citation
from qa.llm import build_llm, model_name
from qa.types import Timings
from releasebot.evaluation import load_questions, run_eval, summary_markdown
from vectorstore.embedding import load_embedder

# The default pipeline has no abstention; count its usual ways of declining as one, to be fair to it.
DECLINED = re.compile(
    r"not (mentioned|provided|specified|stated|available|found|given)|no (information|mention|details)|"
    r"does(n't| not) (say|mention|provide|specify|contain|include)|cannot (be determined|answer)|"
    r"unable to|Empty Response", re.I)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("questions", type=Path)
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args()

    settings = get_settings()
    documents = SimpleDirectoryReader(str(settings.releases_dir)).load_data()
    index = VectorStoreIndex.from_documents(documents, embed_model=load_embedder(settings))
    engine = index.as_query_engine(llm=build_llm(settings), streaming=True)

    def ask(question) -> Answer:
        started = time.perf_counter()
        response = engine.query(question.question)  # no history: the default engine has none
        retrieved = time.perf_counter() - started  # streaming: the sources are found before the first token
        text, ttft = "", None
        for delta in response.response_gen:
            ttft = ttft if ttft is not None else time.perf_counter() - started
            text += delta
        sources = [Path(hit.node.metadata["file_name"]).stem for hit in response.source_nodes]
        return Answer(
            question=question.question, standalone_question=question.question, text=text.strip(),
            citations=[Citation(number=i, source=source, title="", text=hit.node.get_content()[:500],
                                score=hit.score or 0.0)
                       for i, (source, hit) in enumerate(zip(sources, response.source_nodes), start=1)],
            abstained=bool(DECLINED.search(text)), retrieved=list(dict.fromkeys(sources)),
            timings=Timings(retrieval_s=retrieved, ttft_s=ttft, total_s=time.perf_counter() - started), model=model_name(settings),
        )

    questions = load_questions(args.questions)
    summary = run_eval(ask, questions, args.out)
    print(summary_markdown(summary, f"llama-index defaults on {args.questions.name}"))


if __name__ == "__main__":
    main()
