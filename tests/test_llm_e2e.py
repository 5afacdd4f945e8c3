"""The default local LLM (bundled Qwen2.5-Coder-1.5B, llama.cpp) end to end on the bundled releases."""

from __future__ import annotations

import pytest

from config import Settings
from qa import ReleaseQA
from qa.llm import bundled_model_path, chat_prompt

pytestmark = pytest.mark.llm
MACAO = "000_899311ac7e93267d"


@pytest.fixture(scope="module")
def bot(bundled_store) -> ReleaseQA:
    # The user's model cache: the 1 GB file is assembled once per machine, not per test run.
    model = bundled_model_path(Settings().data_dir)
    return ReleaseQA.from_settings(bundled_store.model_copy(update={"model_path": model}))


def test_macao_funders_both_named_and_cited(bot):
    answer = bot.ask("Who funded the Macao trainings?")
    assert not answer.abstained, answer.text
    assert "Social Welfare Bureau" in answer.text and "human trafficking committee" in answer.text
    assert {c.source for c in answer.citations} == {MACAO}
    assert all(claim.supported for claim in answer.claims)
    assert answer.model.startswith("qwen2.5-coder-1.5b") and answer.timings.ttft_s is not None


def test_question_the_releases_do_not_answer_abstains(bot):
    answer = bot.ask("What was IOM's budget in 2015?")
    assert answer.abstained and answer.citations == []


def test_follow_up_is_resolved_through_history(bot):
    history = [{"role": "user", "content": "Who funded the Macao trainings?"},
               {"role": "assistant", "content": "The Social Welfare Bureau of the MSAR [1]."}]
    answer = bot.ask("How many social workers were trained there?", history)
    assert "Macao" in answer.standalone_question or "MSAR" in answer.standalone_question
    assert answer.retrieved[0] == MACAO
    assert not answer.abstained and "70" in answer.text


def test_question_on_a_cached_release_reads_only_its_own_tokens(bot):
    bot.ask("Who funded the Macao trainings?")
    assert bot.warm_prompt_states([MACAO]) == 0  # computed for that question, saved: not computed again
    answer = bot.ask("How many social workers were trained in Macao?")
    assert answer.timings.prompt_state in ("current", "restored")
    assert answer.timings.new_prompt_tokens < 40 < answer.timings.prompt_tokens
    assert not answer.abstained and "70" in answer.text
    [citation] = answer.citations
    assert "70 social workers" in citation.sentence and citation.sentence in citation.text
    assert len(citation.text) < len(bot.retriever.texts[MACAO]) / 2  # the cited lines, not the whole release


def test_prompt_states_are_computed_ahead_within_their_disk_budget(bundled_store, tmp_path):
    """What `releasebot serve` runs in the background and `ingest --prompt-states` in front: it stops at the budget."""
    model = bundled_model_path(Settings().data_dir)
    budget = bundled_store.model_copy(update={"model_path": model, "data_dir": tmp_path, "prompt_cache_mb": 16})
    fresh = ReleaseQA.from_settings(budget)  # ~9 MB a release at q8_0, and the system prompt's state
    seen = []
    assert fresh.warm_prompt_states(progress=lambda done, total: seen.append((done, total))) == 1
    assert seen == [(1, len(fresh.retriever.texts))]
    assert fresh.warm_prompt_states() == 0  # full: nothing evicted to make room
    answer = fresh.ask("Who funded the Macao trainings?")  # the first release in order, whose state was computed
    assert answer.timings.prompt_state in ("current", "restored") and not answer.abstained


def test_comparison_answers_each_release_side_by_side_over_its_prompt_state(bot):
    from qa.archive import ArchiveQA

    answer = ArchiveQA(bot).ask("Which ministry co-organised each of the trainings in China?")
    lines = answer.text.splitlines()
    civil = next(line for line in lines if line.startswith("- IOM and China Work to Protect"))
    public = next(line for line in lines if line.startswith("- IOM Works with China to Combat"))
    assert "Ministry of Civil Affairs" in civil and "Ministry of Public Security" in public
    assert lines[-1].startswith("Answered by") and "of 4 releases checked" in lines[-1]
    assert {"001", "002"} <= {c.source[:3] for c in answer.citations}
    assert all(claim.supported for claim in answer.claims)


def test_a_question_in_french_is_answered_in_french_over_the_english_release(bot):
    answer = bot.ask("Combien de travailleurs sociaux ont été formés à Macao ?")
    assert answer.language == "fr" and not answer.abstained, answer.text
    assert "social workers" in answer.standalone_question.lower()
    assert "70" in answer.text and "travailleurs" in answer.text.lower(), answer.text
    [citation] = answer.citations
    assert citation.source == MACAO and "70 social workers" in citation.sentence  # the evidence stays English


def test_a_question_in_spanish_the_releases_do_not_answer_is_declined_in_spanish(bot):
    answer = bot.ask("¿Cuál fue el presupuesto de la OIM en 2015?")
    assert answer.language == "es" and answer.abstained and answer.citations == []
    assert answer.text == bot.prompts.abstain_in["es"]  # as written in prompts/, not the model's wording of it


def test_the_json_prompt_is_what_llama_cpp_s_own_chat_formatting_writes(bot):
    """A saved instruction state is only found if ``chat_prompt`` writes the prompt token for token as
    ``create_chat_completion`` does with the GGUF's template (Qwen's default system turn included)."""
    from llama_index.core.llms import ChatMessage

    llama = bot.load_llm()._model
    messages = [ChatMessage(role="user", content="Translate into French: 70 social workers were trained.")]
    llama.reset()
    llama.create_chat_completion(messages=[{"role": "user", "content": messages[0].content}], max_tokens=1)
    written = bot._prompt_cache.tokens(llama, chat_prompt(llama, messages))
    assert "You are Qwen" in chat_prompt(llama, messages)
    assert llama.input_ids[:len(written)].tolist() == written and llama.n_tokens - len(written) in (0, 1)


def test_a_json_reply_reads_its_fixed_instruction_from_a_saved_state(bot, monkeypatch):
    """The translation prompt's instruction is the same for every question in a language: its state is saved once
    and restored, so llama.cpp reads only the sentences, even after a question has left a release in its context."""
    from qa.engine import QUESTION_SLOT, fixed_part

    llama = bot.load_llm()._model
    question = "Combien de travailleurs sociaux ont été formés à Macao ?"
    fixed = fixed_part(llama, bot.prompts.translate_messages([QUESTION_SLOT], "English"))
    whole = chat_prompt(llama, bot.prompts.translate_messages([question], "English"))
    read = []
    evaluate = llama.eval
    monkeypatch.setattr(llama, "eval", lambda tokens: (read.append(len(tokens)), evaluate(tokens))[1])
    for _ in range(2):
        bot.ask("How many social workers were trained in Macao?")  # the context now holds a release instead
        read.clear()
        assert bot._model_translation([question], "en")
        assert bot._prompt_cache.saved(fixed)
    new = len(bot._prompt_cache.tokens(llama, whole)) - len(bot._prompt_cache.tokens(llama, fixed))
    assert read[0] == new < 40  # the prompt's first evaluation: its sentence, not the instruction's ~80 tokens


def test_a_follow_up_s_rewrite_reads_its_instruction_from_a_saved_state_whatever_was_asked_before(bot, monkeypatch):
    """The rewrite's instruction is the same for every follow-up: read from its saved state, the rewrite costs only
    the conversation's tokens and comes out the same after any question (read from another point, it did not)."""
    from qa.engine import QUESTION_SLOT, before_slot
    from qa.llm import messages_to_chatml

    llama = bot.load_llm()._model
    turns = [{"role": "user", "content": "Who funded the Macao trainings?"},
             {"role": "assistant", "content": "The Social Welfare Bureau of the MSAR [1]."}]
    fixed = before_slot(messages_to_chatml(bot.prompts.condense_messages(
        QUESTION_SLOT, [{"role": "user", "content": QUESTION_SLOT}])))
    whole = messages_to_chatml(bot.prompts.condense_messages("How many were trained there?", turns))
    read, rewrites = [], []
    evaluate = llama.eval
    monkeypatch.setattr(llama, "eval", lambda tokens: (read.append(len(tokens)), evaluate(tokens))[1])
    for before in ("How many social workers were trained in Macao?", "What was IOM's budget in 2015?"):
        bot.ask(before)  # each leaves other tokens in the context
        read.clear()
        rewrites.append(bot._rewrite("How many were trained there?", turns))
        assert bot._prompt_cache.saved(fixed)
        new = len(bot._prompt_cache.tokens(llama, whole)) - len(bot._prompt_cache.tokens(llama, fixed))
        assert read[0] == new
    assert rewrites[0] == rewrites[1] and "Macao" in rewrites[0]


@pytest.mark.parametrize("question", ["Which releases involve Timor-Leste?",
                                      "¿Qué comunicados de prensa hablan de Timor-Leste?"])
def test_a_collection_question_whose_subject_is_a_country_in_any_wording(bot, question):
    """Not an event word in sight: the kind is read by meaning, the model names what a release must talk about, and
    every release is checked for it; the Spanish question through its English form."""
    from qa.archive import ArchiveQA

    answer = ArchiveQA(bot).ask(question)
    assert answer.model == "archive" and not answer.abstained, answer.text
    assert (answer.standalone_question == question) == question.startswith("Which")  # the Spanish one translated
    assert [c.source[:3] for c in answer.citations] == ["004"], answer.text
    english = question.startswith("Which")  # the answer's own words in the asker's language, a filter or not
    assert answer.text.splitlines()[-1].startswith("1 release (" if english else "1 comunicado ("), answer.text
