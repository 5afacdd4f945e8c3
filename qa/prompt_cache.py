"""Saved llama.cpp KV states of prompt prefixes (system prompt + one whole release).

A question about a release then pays only for its own few new tokens (~24 ms each on two cores)
instead of for the evidence too. Written by hand because llama_cpp's LlamaRAMCache/LlamaDiskCache
save a state after every answer, each with a copy of the logits matrix (~300 MB here), and the disk
cache drops an entry when it is read.
"""

from __future__ import annotations

import hashlib
import logging
import os
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
from llama_cpp import Llama, LlamaState

log = logging.getLogger(__name__)
# Tokens evaluated between checks for a waiting question: ~1.5 s on two cores.
EVAL_PIECE = 64


class PromptStateCache:
    """KV states on disk, one file per prefix, keyed by the model and the prefix text; least recently used go first."""

    def __init__(self, directory: Path, model_key: str, capacity_bytes: int):
        self.directory = directory
        self.model_key = model_key
        self.capacity_bytes = capacity_bytes

    def tokens(self, llama: Llama, prefix: str) -> list[int]:
        """The prefix as llama-cpp-python tokenizes a prompt (no BOS, special tokens parsed)."""
        return llama.tokenize(prefix.encode("utf-8"), add_bos=False, special=True)

    def _path(self, prefix: str) -> Path:
        digest = hashlib.sha256(f"{self.model_key}\0{prefix}".encode()).hexdigest()[:32]
        return self.directory / f"{digest}.npz"

    def saved(self, prefix: str) -> bool:
        """Whether the state of ``prefix`` is on disk."""
        return self._path(prefix).exists()

    def room(self) -> bool:
        """Whether another state fits the budget without evicting one (states are of about one size)."""
        sizes = [path.stat().st_size for path in self.directory.glob("*.npz")] if self.directory.exists() else []
        return not sizes or sum(sizes) + max(sizes) <= self.capacity_bytes

    def prepare(self, llama: Llama, prefix: str, interrupted: Callable[[], bool] | None = None) -> str:
        """Leave ``prefix`` evaluated in llama's context; returns how: "current", "restored" or "computed"
        ("interrupted" when ``interrupted()`` turned true between two pieces of evaluation: nothing is saved).

        The caller holds the lock that serialises llama.cpp, and then prompts with text starting with
        ``prefix``: llama-cpp-python's own prefix match evaluates only what follows, from the prefix's end whatever
        the context held after it (what follows, read from another point, gives the model other first tokens).
        """
        tokens = self.tokens(llama, prefix)
        path = self._path(prefix)
        current = llama.n_tokens >= len(tokens) and llama.input_ids[: len(tokens)].tolist() == tokens
        if path.exists():
            if current:
                llama.n_tokens = len(tokens)
                os.utime(path)  # recency for eviction
                return "current"
            try:
                self._load(llama, path)
                os.utime(path)
                return "restored"
            except (OSError, ValueError, KeyError, RuntimeError) as exc:
                log.warning("prompt state %s is unreadable (%s); computing it again", path, exc)
                path.unlink(missing_ok=True)
        started = time.perf_counter()
        if current:  # evaluated already, but not saved (or evicted since): keep just the prefix
            llama.n_tokens = len(tokens)
            llama.eval([])
        else:
            llama.reset()
            for start in range(0, len(tokens), EVAL_PIECE):
                if interrupted is not None and interrupted():
                    return "interrupted"
                llama.eval(tokens[start:start + EVAL_PIECE])
        self._save(llama, path)
        log.info("prompt state of %d tokens ready in %.1f s", len(tokens), time.perf_counter() - started)
        return "current" if current else "computed"

    def _save(self, llama: Llama, path: Path) -> None:
        state = llama.save_state()
        self.directory.mkdir(parents=True, exist_ok=True)
        partial = path.with_name(f".{path.name}.{os.getpid()}.partial")
        with partial.open("wb") as handle:
            np.savez(handle, input_ids=state.input_ids, n_tokens=state.n_tokens, seed=state.seed,
                     kv=np.frombuffer(state.llama_state, dtype=np.uint8))
        os.replace(partial, path)  # atomic: a crash never leaves a half-written state under the real name
        self._evict()

    def _load(self, llama: Llama, path: Path) -> None:
        with np.load(path, allow_pickle=False) as saved:
            kv = saved["kv"].tobytes()
            llama.load_state(LlamaState(
                input_ids=saved["input_ids"].astype(np.intc), n_tokens=int(saved["n_tokens"]),
                # Logits are not kept (sampling happens after the suffix is decoded); one row broadcasts.
                scores=np.zeros((1, llama.n_vocab()), dtype=np.single),
                llama_state=kv, llama_state_size=len(kv), seed=int(saved["seed"]),
            ))

    def _evict(self) -> None:
        files = sorted(self.directory.glob("*.npz"), key=lambda p: p.stat().st_mtime, reverse=True)
        total = 0
        for path in files:
            total += path.stat().st_size
            if total > self.capacity_bytes:
                path.unlink(missing_ok=True)
