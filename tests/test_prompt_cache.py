"""Saved prompt states with the real bundled model: restored states continue exactly as computed ones."""

from __future__ import annotations

import pytest
from llama_cpp import Llama

from config import Settings
from qa.llm import bundled_model_path
from qa.prompt_cache import PromptStateCache

pytestmark = pytest.mark.llm
PREFIX = "<|im_start|>system\nAnswer in one word.<|im_end|>\n<|im_start|>user\nThe capital of France is"
OTHER = "<|im_start|>system\nAnswer in one word.<|im_end|>\n<|im_start|>user\nThe capital of Italy is"


@pytest.fixture(scope="module")
def llama() -> Llama:
    return Llama(str(bundled_model_path(Settings().data_dir)), n_ctx=512, n_threads=2, verbose=False)


def _continue(llama: Llama, prompt: str) -> str:
    return llama.create_completion(prompt, max_tokens=4, temperature=0.0, top_k=1)["choices"][0]["text"]


def test_state_is_computed_once_then_restored_and_continues_identically(llama, tmp_path):
    cache = PromptStateCache(tmp_path, "model-a", 1 << 30)
    assert cache.prepare(llama, PREFIX) == "computed"
    assert cache.prepare(llama, PREFIX) == "current"
    computed = _continue(llama, PREFIX + " Paris? Say it")
    llama.reset()
    assert cache.prepare(llama, PREFIX) == "restored"
    assert llama.n_tokens == len(cache.tokens(llama, PREFIX))
    assert _continue(llama, PREFIX + " Paris? Say it") == computed
    assert len(list(tmp_path.glob("*.npz"))) == 1


def test_a_prompt_after_another_is_read_from_the_end_of_the_prefix_not_where_the_last_one_stopped_matching(
        llama, tmp_path):
    """What follows a prefix is read from the same point whatever was asked before, so an answer does not depend on the
    question before it (the model's first token differs with where reading resumes)."""
    cache = PromptStateCache(tmp_path, "model-a", 1 << 30)
    cache.prepare(llama, PREFIX)
    _continue(llama, PREFIX + " Paris? Say it")
    assert llama.n_tokens > len(cache.tokens(llama, PREFIX + " Paris?"))  # the last prompt and reply fill the context
    assert cache.prepare(llama, PREFIX) == "current"
    assert llama.n_tokens == len(cache.tokens(llama, PREFIX))


def test_changed_prefix_or_model_gets_its_own_state(llama, tmp_path):
    cache = PromptStateCache(tmp_path, "model-a", 1 << 30)
    cache.prepare(llama, PREFIX)
    assert cache.prepare(llama, OTHER) == "computed"
    assert PromptStateCache(tmp_path, "model-b", 1 << 30).prepare(llama, PREFIX) == "computed"
    assert len(list(tmp_path.glob("*.npz"))) == 3


def test_cache_is_bounded_least_recently_used_first(llama, tmp_path):
    PromptStateCache(tmp_path, "model-a", 1 << 30).prepare(llama, PREFIX)
    one_state = next(tmp_path.glob("*.npz")).stat().st_size
    cache = PromptStateCache(tmp_path, "model-a", int(one_state * 1.5))
    cache.prepare(llama, OTHER)
    assert len(list(tmp_path.glob("*.npz"))) == 1
    llama.reset()
    assert cache.prepare(llama, OTHER) == "restored"


def test_unreadable_state_is_recomputed(llama, tmp_path):
    cache = PromptStateCache(tmp_path, "model-a", 1 << 30)
    cache.prepare(llama, PREFIX)
    next(tmp_path.glob("*.npz")).write_bytes(b"not a state")
    llama.reset()
    assert cache.prepare(llama, PREFIX) == "computed"
    assert not list(tmp_path.glob(".*partial"))


def test_a_waiting_question_interrupts_the_warm_up_which_saves_nothing(llama, tmp_path):
    """The background warm-up gives the model up between pieces of evaluation as soon as a question waits."""
    import threading

    from qa.model_lock import ModelLock

    lock, cache = ModelLock(), PromptStateCache(tmp_path, "model-a", 1 << 30)
    long_prefix = PREFIX + " a city." * 40  # several pieces of evaluation
    def question() -> None:
        with lock:
            pass

    with lock:  # a question holds the model; a second one queues behind it
        queued = threading.Thread(target=question)
        queued.start()
        while not lock.wanted:
            pass
        with lock.when_idle() as got:
            assert not got  # the warm-up does not even start while a question waits
    queued.join()
    pieces = []
    with lock.when_idle() as got:
        assert got and not lock.wanted
        llama.reset()
        assert cache.prepare(llama, long_prefix, interrupted=lambda: pieces.append(1) or len(pieces) > 2) \
            == "interrupted"
    assert len(pieces) == 3 and not list(tmp_path.glob("*.npz"))  # two pieces evaluated, nothing saved
    assert cache.prepare(llama, long_prefix) == "computed"  # and it starts over once idle


def test_the_budget_has_room_until_one_more_state_would_evict_one(llama, tmp_path):
    PromptStateCache(tmp_path, "model-a", 1 << 30).prepare(llama, PREFIX)
    one_state = next(tmp_path.glob("*.npz")).stat().st_size
    assert PromptStateCache(tmp_path, "model-a", int(one_state * 2.5)).room()
    assert not PromptStateCache(tmp_path, "model-a", int(one_state * 1.5)).room()
    assert PromptStateCache(tmp_path / "none", "model-a", 1).room()


def test_a_quantised_kv_cache_halves_the_state_and_restores_identically(llama, tmp_path):
    from qa.llm import _kv_cache

    quantised = Llama(str(bundled_model_path(Settings().data_dir)), n_ctx=512, n_threads=2, verbose=False,
                      **_kv_cache("q8_0"))
    PromptStateCache(tmp_path / "f16", "model-a", 1 << 30).prepare(llama, PREFIX)
    cache = PromptStateCache(tmp_path / "q8", "model-a", 1 << 30)
    cache.prepare(quantised, PREFIX)
    computed = _continue(quantised, PREFIX + " Paris? Say it")
    quantised.reset()
    assert cache.prepare(quantised, PREFIX) == "restored"
    assert _continue(quantised, PREFIX + " Paris? Say it") == computed
    [f16], [q8] = (list((tmp_path / name).glob("*.npz")) for name in ("f16", "q8"))
    assert q8.stat().st_size < 0.6 * f16.stat().st_size
