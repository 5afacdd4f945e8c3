"""Ingestion through the real embedder into a real Chroma store in a temporary directory."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from releasebot.cli import app
from vectorstore.embedding import load_embedder
from vectorstore.ingest import Ingestor
from vectorstore.store import ReleaseStore, rebuild_text

MACAO = "000_899311ac7e93267d"


def _ingest(settings, paths, **kwargs):
    messages: list[str] = []
    summary = Ingestor(settings).ingest(paths, report=messages.append, progress=False, **kwargs)
    return summary, messages


def _dense_top(settings, question: str, k: int = 3) -> list[str]:
    store = ReleaseStore(settings)
    vector = load_embedder(settings).get_query_embedding(question)
    hits = store.collection.query(query_embeddings=[vector], n_results=k, include=["metadatas"])
    return [meta["release_id"] for meta in hits["metadatas"][0]]


def test_ingest_bundled_releases_then_answerable_and_idempotent(make_settings, releases_copy):
    settings = make_settings()
    summary, _ = _ingest(settings, [releases_copy])
    assert (summary.added, summary.updated, summary.unchanged, summary.skipped) == (5, 0, 0, 0)
    assert summary.chunks == ReleaseStore(settings).count() > 5
    assert _dense_top(settings, "Who funded the Macao trainings?")[0] == MACAO

    again, _ = _ingest(settings, [releases_copy])
    assert (again.added, again.updated, again.unchanged) == (0, 0, 5)
    assert ReleaseStore(settings).count() == summary.chunks


def test_chunks_carry_metadata_and_spans_into_the_cleaned_text(make_settings, releases_copy, cleaned):
    settings = make_settings()
    _ingest(settings, [releases_copy / f"{MACAO}.txt"])
    nodes = ReleaseStore(settings).nodes(MACAO)
    text = cleaned["000"].text
    assert len(nodes) >= 2
    for node in nodes:
        assert node.metadata["title"] == "IOM, Macao SAR run counter-trafficking training"
        assert node.metadata["location"] == "China"
        assert text[node.start_char_idx:node.end_char_idx] == node.text
        assert node.get_content(metadata_mode="embed").startswith("title: IOM, Macao SAR")
    assert any("Gloria Ko" in node.text for node in nodes)
    assert rebuild_text(nodes) == text


def test_changed_file_replaces_its_chunks(make_settings, releases_copy):
    settings = make_settings()
    _ingest(settings, [releases_copy])
    path = releases_copy / f"{MACAO}.txt"
    path.write_text(path.read_text().replace("Social Welfare Bureau", "Tourism Office"))
    summary, _ = _ingest(settings, [releases_copy])
    assert (summary.updated, summary.unchanged) == (1, 4)
    texts = " ".join(node.text for node in ReleaseStore(settings).nodes(MACAO))
    assert "Tourism Office" in texts and "Social Welfare Bureau" not in texts
    assert len(ReleaseStore(settings).releases()[MACAO].versions) == 1


def test_interrupted_write_loses_nothing_and_next_run_converges(make_settings, releases_copy, monkeypatch):
    settings = make_settings()
    _ingest(settings, [releases_copy])
    before = ReleaseStore(settings).count()
    path = releases_copy / f"{MACAO}.txt"
    path.write_text(path.read_text().replace("70 social workers", "75 social workers"))

    real_add = ReleaseStore.add

    def crash_half_way(self, nodes):
        real_add(self, nodes[: len(nodes) // 2])
        raise KeyboardInterrupt

    monkeypatch.setattr(ReleaseStore, "add", crash_half_way)
    with pytest.raises(KeyboardInterrupt):
        _ingest(settings, [releases_copy])
    monkeypatch.setattr(ReleaseStore, "add", real_add)
    old = ReleaseStore(settings).releases()[MACAO]
    assert len(old.complete_versions()) == 1, "the old version is still whole"
    assert "70 social workers" in " ".join(n.text for n in ReleaseStore(settings).nodes(MACAO))

    summary, _ = _ingest(settings, [releases_copy])
    assert summary.updated == 1
    store = ReleaseStore(settings)
    assert store.count() == before
    texts = " ".join(n.text for n in store.nodes(MACAO))
    assert "75 social workers" in texts and "70 social workers" not in texts


def test_delete_and_prune(make_settings, releases_copy):
    settings = make_settings()
    _ingest(settings, [releases_copy])
    store = ReleaseStore(settings)
    assert store.delete_release(MACAO) > 0
    assert MACAO not in store.releases()
    (releases_copy / "004_501e78fb8c8fe451.txt").unlink()
    summary, messages = _ingest(settings, [releases_copy], prune=True)
    assert summary.deleted == 1 and summary.added == 1  # 004 pruned, 000 back
    assert set(ReleaseStore(settings).releases()) == {p.stem for p in releases_copy.glob("*.txt")}
    assert any("004_501e78fb8c8fe451" in m and "gone" in m for m in messages)


def test_same_text_under_two_names_is_stored_once(make_settings, releases_copy):
    settings = make_settings()
    shutil.copy(releases_copy / f"{MACAO}.txt", releases_copy / "macao_copy.txt")
    summary, messages = _ingest(settings, [releases_copy])
    assert summary.added == 5 and summary.skipped == 1
    assert "macao_copy" not in ReleaseStore(settings).releases()
    assert any("macao_copy.txt" in m and "same text as release" in m for m in messages)


def test_bad_inputs_get_one_line_each_and_the_run_continues(make_settings, releases_copy, tmp_path):
    settings = make_settings()
    bad = tmp_path / "bad"
    bad.mkdir()
    (bad / "empty.txt").write_bytes(b"")
    (bad / "binary.txt").write_bytes(bytes(range(256)) * 10)
    (bad / "menu.txt").write_text("Who we are\n-\nOur Work\nTake Action\n")
    latin = (releases_copy / f"{MACAO}.txt").read_text().replace("’", "'") + "\nCaf\u00e9 owners welcomed it."
    (bad / "latin.txt").write_bytes(latin.replace("Macao SAR run", "Macao SAR runs").encode("cp1252"))
    (tmp_path / "nothing").mkdir()

    summary, messages = _ingest(settings, [bad, tmp_path / "nothing", tmp_path / "missing.txt"])
    joined = "\n".join(messages)
    assert "empty.txt: empty file" in joined
    assert "binary.txt: binary file" in joined
    assert "menu.txt: no release text left" in joined
    assert "latin.txt: not UTF-8; decoded as" in joined
    assert "nothing: no release files" in joined
    assert "missing.txt: no such file" in joined
    assert summary.added == 1 and summary.skipped == 3
    texts = " ".join(n.text for n in ReleaseStore(settings).nodes("latin"))
    assert "Café owners" in texts


def test_html_release_is_accepted(make_settings, tmp_path, cleaned):
    settings = make_settings()
    body = "".join(f"<p>{p}</p>" for p in cleaned["003"].text.split("\n\n")[1:-1])
    page = tmp_path / "visa.html"
    page.write_text(
        "<html><head><title>IOM China Trains Visa Officers</title></head><body>"
        "<nav><a href='/'>Home</a><a href='/who'>Who we are</a></nav>"
        f"<article><h1>IOM China Trains Visa Officers</h1>{body}</article>"
        "<footer>Copyright IOM</footer></body></html>"
    )
    summary, _ = _ingest(settings, [page])
    assert summary.added == 1
    nodes = ReleaseStore(settings).nodes("visa")
    assert nodes[0].metadata["title"] == "IOM China Trains Visa Officers"
    text = " ".join(n.text for n in nodes)
    assert "Shanghai (04/07)" in text and "Copyright" not in text and "Home" not in text


def test_ingest_command_prints_progress_and_summary(tmp_path, monkeypatch, releases_copy):
    from config import get_settings

    monkeypatch.setenv("RELEASEBOT_STORE", str(tmp_path / "cli-store"))
    monkeypatch.setenv("RELEASEBOT_DATA_DIR", str(tmp_path / "cli-data"))
    get_settings.cache_clear()
    try:
        result = CliRunner().invoke(app, ["ingest", str(releases_copy)])
    finally:
        get_settings.cache_clear()
    assert result.exit_code == 0, result.output
    assert re.search(r"added: 5, updated: 0, unchanged: 0, skipped: 0, deleted: 0, chunks: \d+, seconds: [\d.]+",
                     result.stdout)
    assert Path(tmp_path / "cli-store").is_dir()
