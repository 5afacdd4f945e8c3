"""Issue #7, "Crash during ingest": the real ``releasebot ingest`` is killed with SIGKILL at several
points over a 200-release synthetic corpus, then rerun, and the store must converge to exactly what a
clean single run writes. Two ingests started at once into one store must serialize, and a writer lock
held elsewhere is a clear error (not a hang) for in-process callers (the chat's upload and delete).

Kill points: on the progress bar's first line (nothing written yet), after 80 of 200 releases, and two
injected ones (``RELEASEBOT_TEST_CRASH``, read by a ``sitecustomize`` put on the CLI's PYTHONPATH only
here): SIGKILL after half of one release's chunks reached Chroma, and SIGKILL after a changed release's
new version is written but before its old one is deleted. Figures are in docs/RELIABILITY.md.
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import sys
import threading
import time
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from typer.testing import CliRunner

from config import PROJECT_ROOT

RELEASES = 200
WORDS = 100  # ~1.7 chunks each (332 chunks): small releases keep five CLI runs within minutes on 2 cores
CHANGED = 5  # releases edited before the fourth run
COLLECTION = "crash"
RUN_TIMEOUT = 420

# Imported by the CLI subprocess at start-up when its PYTHONPATH starts with this file's folder.
CRASH_HOOK = '''
import os, signal
point, _, nth = os.environ.get("RELEASEBOT_TEST_CRASH", "").partition(":")
if point:
    from vectorstore.store import ReleaseStore
    calls = []

    def _die():
        os.kill(os.getpid(), signal.SIGKILL)

    if point == "add":  # the nth write of several chunks: about half land, cut inside a release, then SIGKILL
        real_add = ReleaseStore.add

        def add(self, nodes):
            if len(nodes) >= 2:
                calls.append(1)
                if len(calls) == int(nth):
                    cut = len(nodes) // 2
                    while cut < len(nodes) - 1 and (
                            nodes[cut].metadata["release_id"] != nodes[cut - 1].metadata["release_id"]):
                        cut += 1
                    real_add(self, nodes[:cut])
                    _die()
            return real_add(self, nodes)

        ReleaseStore.add = add
    elif point == "delete_version":  # a new version is complete, the old one not yet deleted: SIGKILL
        def delete_version(self, release_id, version):
            _die()

        ReleaseStore.delete_version = delete_version
'''


@dataclass
class Corpora:
    original: Path
    final: Path  # the same releases, CHANGED of them edited
    changed: list[str]


def _small_release(index: int) -> str:
    """Synthetic release ``index`` cut to its title and first ~WORDS words (whole sentences)."""
    sys.path.insert(0, str(PROJECT_ROOT / "bench"))
    try:
        import synthetic
    finally:
        sys.path.remove(str(PROJECT_ROOT / "bench"))
    _, body = synthetic.release(index)
    title, *lines = body.splitlines()
    kept: list[str] = []
    for sentence in re.split(r"(?<=[.!?\"])\s+", " ".join(lines)):
        kept.append(sentence)
        if len(" ".join(kept).split()) >= WORDS:
            break
    return f"{title}\n{' '.join(kept)}\n"


@pytest.fixture(scope="module")
def corpora(tmp_path_factory) -> Corpora:
    root = tmp_path_factory.mktemp("corpora")
    original, final = root / "original", root / "final"
    original.mkdir()
    for i in range(RELEASES):
        (original / f"syn_{i:06d}.txt").write_text(_small_release(i), encoding="utf-8")
    shutil.copytree(original, final)
    changed = [f"syn_{i:06d}.txt" for i in range(3, 3 + 10 * CHANGED, 10)]  # all among the first 80
    for name in changed:
        with open(final / name, "a", encoding="utf-8") as out:
            out.write("The project was extended for another year in a later agreement.\n")
    return Corpora(original, final, changed)


@pytest.fixture(scope="module")
def hook_dir(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("hook")
    (folder / "sitecustomize.py").write_text(CRASH_HOOK)
    return folder


class Cli:
    """``python -m releasebot.cli ingest DIR`` over its own store, output read as it comes."""

    def __init__(self, corpus: Path, store: Path, hook: Path, *args: str, crash: str | None = None):
        env = {
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HF_HUB_OFFLINE": "1",
            "RELEASEBOT_DATA_DIR": str(store.parent / "data"), "RELEASEBOT_STORE": str(store),
            "RELEASEBOT_COLLECTION": COLLECTION,
            # One torch thread: on 2 shared cores, two threads spinning against other work embed 3× slower.
            "OMP_NUM_THREADS": "1", "PYTHONPATH": os.pathsep.join([str(hook), str(PROJECT_ROOT)]),
            **({"RELEASEBOT_TEST_CRASH": crash} if crash else {}),
        }
        self.started = time.perf_counter()
        self.seconds: float | None = None
        self.process = subprocess.Popen(
            [sys.executable, "-m", "releasebot.cli", "ingest", str(corpus), *args], cwd=PROJECT_ROOT, env=env,
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, encoding="utf-8", errors="replace",
        )
        self.out: list[str] = []
        self.err: list[str] = []
        self._readers = [threading.Thread(target=self._read, args=(stream, into), daemon=True)
                         for stream, into in ((self.process.stdout, self.out), (self.process.stderr, self.err))]
        for reader in self._readers:
            reader.start()

    @staticmethod
    def _read(stream, into: list[str]) -> None:
        while chunk := stream.read(1):  # tqdm redraws with \r: read as it comes, not by lines
            into.append(chunk)

    @property
    def pid(self) -> int:
        return self.process.pid

    @property
    def stdout(self) -> str:
        return "".join(self.out)

    @property
    def stderr(self) -> str:
        return "".join(self.err)

    def progress(self) -> int:
        """Releases done in this run, per the last ingest progress bar drawn (-1: no bar yet); the cleaning stage's bar
        comes first and writes nothing."""
        done = re.findall(rf"ingest: [^\r\n]*?(\d+)/{RELEASES}\b", self.stderr)
        return int(done[-1]) if done else -1

    def kill_at(self, releases: int, timeout: float = RUN_TIMEOUT) -> int:
        """SIGKILL once the bar shows ``releases`` done; returns the count it showed."""
        deadline = time.monotonic() + timeout
        while (shown := self.progress()) < releases:
            assert self.process.poll() is None, f"ended before {releases} releases:\n{self.stderr[-2000:]}"
            assert time.monotonic() < deadline, f"no progress to {releases} in {timeout} s:\n{self.stderr[-2000:]}"
            time.sleep(0.02)
        self.process.send_signal(signal.SIGKILL)
        self.wait()
        return shown

    def wait(self, timeout: float = RUN_TIMEOUT) -> int:
        try:
            code = self.process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=30)
            raise AssertionError(f"ingest still running after {timeout} s:\n{self.stderr[-2000:]}") from None
        for reader in self._readers:
            reader.join(timeout=30)
        if self.seconds is None:
            self.seconds = round(time.perf_counter() - self.started, 1)
        return code

    def summary(self) -> dict[str, int]:
        found = re.search(r"added: (\d+), updated: (\d+), unchanged: (\d+), skipped: (\d+), deleted: (\d+), "
                          r"chunks: (\d+)", self.stdout)
        assert found, f"no summary line:\n{self.stdout}\n{self.stderr[-2000:]}"
        return dict(zip(["added", "updated", "unchanged", "skipped", "deleted", "chunks"], map(int, found.groups())))


@dataclass
class Snapshot:
    """What a store holds, read straight from the Chroma collection (not through the code under test)."""

    ids: list[str] = field(default_factory=list)
    keys: list[tuple[str, str, int]] = field(default_factory=list)  # (release, version, chunk index)
    versions: dict[str, dict[str, list[int]]] = field(default_factory=dict)  # release → version → [have, want]
    indexed: set[str] = field(default_factory=set)  # ids a nearest-neighbour query over the whole index returns

    @property
    def count(self) -> int:
        return len(self.ids)

    def complete(self) -> set[str]:
        return {rid for rid, vs in self.versions.items() if any(have == want for have, want in vs.values())}

    def incomplete_versions(self) -> int:
        return sum(have != want for vs in self.versions.values() for have, want in vs.values())

    def multi_version(self) -> int:
        return sum(len(vs) > 1 for vs in self.versions.values())

    def figures(self) -> dict[str, int]:
        return {"chunks": self.count, "releases": len(self.versions), "complete": len(self.complete()),
                "incomplete_versions": self.incomplete_versions(), "releases_with_2_versions": self.multi_version()}


def snapshot(store: Path, query_index: bool = False) -> Snapshot:
    import chromadb
    from chromadb.api.client import SharedSystemClient
    from chromadb.config import Settings as ChromaSettings

    shot = Snapshot()
    if not store.exists():
        return shot
    SharedSystemClient.clear_system_cache()  # read what is on disk now, not a cached view of an earlier read
    client = chromadb.PersistentClient(path=str(store), settings=ChromaSettings(anonymized_telemetry=False))
    try:
        if COLLECTION not in [c.name for c in client.list_collections()]:
            return shot
        collection = client.get_collection(COLLECTION)
        got = collection.get(include=["metadatas"])
        versions: dict[str, dict[str, list[int]]] = defaultdict(lambda: defaultdict(lambda: [0, 0]))
        for chunk_id, meta in zip(got["ids"], got["metadatas"]):
            shot.ids.append(chunk_id)
            shot.keys.append((meta["release_id"], meta["version"], int(meta["chunk_index"])))
            counts = versions[meta["release_id"]][meta["version"]]
            counts[0] += 1
            counts[1] = int(meta["n_chunks"])
        shot.versions = {rid: dict(vs) for rid, vs in versions.items()}
        if query_index and shot.ids:
            probe = collection.get(ids=shot.ids[:1], include=["embeddings"])["embeddings"][0]
            hits = collection.query(query_embeddings=[probe], n_results=len(shot.ids), include=[])
            shot.indexed = set(hits["ids"][0])
    finally:
        SharedSystemClient.clear_system_cache()
    return shot


def assert_converged(shot: Snapshot, corpus: Path, reference: Snapshot | None = None) -> None:
    expected = {path.stem for path in corpus.glob("*.txt")}
    assert len(shot.ids) == len(set(shot.ids)), "duplicate chunk ids"
    assert len(shot.keys) == len(set(shot.keys)), "duplicate (release, version, chunk) keys"
    missing, extra = sorted(expected - set(shot.versions)), sorted(set(shot.versions) - expected)
    assert not missing and not extra, f"missing {missing[:5]}, not in the corpus {extra[:5]}"
    for rid, versions in shot.versions.items():
        assert len(versions) == 1, f"{rid}: {len(versions)} versions stored {versions}"
        [(version, (have, want))] = versions.items()
        assert have == want > 0, f"{rid}: {have} of {want} chunks of version {version}"
        indices = sorted(i for r, v, i in shot.keys if r == rid)
        assert indices == list(range(want)), f"{rid}: chunk indices {indices}"
    for chunk_id, (rid, version, index) in zip(shot.ids, shot.keys):
        assert chunk_id == f"{rid}:{version}:{index:04d}"
    assert shot.indexed == set(shot.ids), (
        f"the vector index returns {len(shot.indexed)} of {len(shot.ids)} chunks")
    if reference is not None:
        assert shot.count == reference.count
        assert set(shot.ids) == set(reference.ids)


@pytest.fixture(scope="module")
def reference(corpora, hook_dir, tmp_path_factory):
    """A clean single run over the final corpus into its own store, started at once and awaited on first use."""
    store = tmp_path_factory.mktemp("reference") / "store"
    run = Cli(corpora.final, store, hook_dir)
    cache: dict[str, object] = {}

    def result() -> tuple[Snapshot, Cli]:
        if not cache:
            assert run.wait() == 0, run.stderr[-2000:]
            shot = snapshot(store, query_index=True)
            assert_converged(shot, corpora.final)
            assert run.summary()["added"] == RELEASES and run.summary()["chunks"] == shot.count
            cache["shot"] = shot
        return cache["shot"], run

    yield result
    if run.process.poll() is None:
        run.process.kill()
        run.wait(timeout=30)


def test_ingest_killed_at_any_point_converges_on_rerun(corpora, reference, hook_dir, tmp_path, record_property):
    work, store = tmp_path / "releases", tmp_path / "store"
    shutil.copytree(corpora.original, work)
    figures: list[dict] = []

    def record(label: str, run: Cli, shown: int | None = None) -> Snapshot:
        shot = snapshot(store)
        figures.append({"kill": label, "bar": shown, "seconds": run.seconds, "exit": run.process.returncode,
                        **shot.figures()})
        print(figures[-1])
        return shot

    # 1. As the progress bar first shows: the lock is held, nothing is written yet.
    run = Cli(work, store, hook_dir, "--wait", "0")
    first = record("first progress line", run, run.kill_at(0))
    # 2. After 120 releases (chunks are written in batches of ~128, i.e. every ~75 releases).
    run = Cli(work, store, hook_dir, "--wait", "0")
    some = record("120 releases done", run, run.kill_at(120))
    # 3. Half of this run's first write of several chunks lands (cutting one release in two), then SIGKILL.
    run = Cli(work, store, hook_dir, "--wait", "0", crash="add:1")
    assert run.wait() == -signal.SIGKILL, run.stderr[-2000:]
    most = record("half of a release written", run)
    assert most.incomplete_versions() == 1
    # 4. Five releases edited; SIGKILL when new versions are complete, before the first old one is deleted.
    for name in corpora.changed:
        shutil.copy(corpora.final / name, work / name)
    run = Cli(work, store, hook_dir, "--wait", "0", crash="delete_version:1")
    assert run.wait() == -signal.SIGKILL, run.stderr[-2000:]
    updating = record("new version written, old not deleted", run)
    assert updating.multi_version() >= 1
    # 5. A plain rerun finishes the job.
    run = Cli(work, store, hook_dir, "--wait", "0")
    assert run.wait() == 0, run.stderr[-2000:]
    final = snapshot(store, query_index=True)
    figures.append({"kill": None, "seconds": run.seconds, "exit": 0, **final.figures(), **run.summary()})
    print(figures[-1])

    expected, clean = reference()
    record_property("figures", figures)
    record_property("reference", {"seconds": clean.seconds, **expected.figures()})
    print({"reference": {"seconds": clean.seconds, **expected.figures()}})
    assert first.count < some.count < most.count < expected.count, "each kill fell at a different point mid-run"
    assert 0 < some.count < expected.count  # a kill really fell mid-write, not before or after the run
    summary = run.summary()
    assert summary["added"] + summary["updated"] + summary["unchanged"] == RELEASES
    assert summary["chunks"] == final.count
    assert_converged(final, work, expected)


def test_two_ingests_at_once_serialize(corpora, reference, hook_dir, tmp_path, record_property):
    store = tmp_path / "store"
    runs = [Cli(corpora.final, store, hook_dir, "--wait", "300") for _ in range(2)]
    codes = [run.wait() for run in runs]
    assert codes == [0, 0], [run.stderr[-2000:] for run in runs]
    waited = [run for run in runs if "another ingest is running" in run.stderr]
    assert len(waited) == 1, [run.stderr[-1000:] for run in runs]
    [second] = waited
    [first] = [run for run in runs if run is not second]
    assert f"another ingest is running (pid {first.pid}); waiting up to 300 s" in second.stderr
    assert (first.summary()["added"], second.summary()["unchanged"]) == (RELEASES, RELEASES)
    shot = snapshot(store, query_index=True)
    expected, _ = reference()
    assert_converged(shot, corpora.final, expected)
    figures = {"first_s": first.seconds, "second_s": second.seconds, "first": first.summary(),
               "second": second.summary(), **shot.figures()}
    record_property("figures", figures)
    print(figures)


HOLDER = """
import os, sys, time
from filelock import FileLock
lock = FileLock(sys.argv[1])
lock.acquire()
open(sys.argv[1], "w").write(f"{os.getpid()}\\n")
print("held", flush=True)
time.sleep(120)
"""


def test_a_lock_held_by_another_process_is_a_clear_error_not_a_hang(make_settings, releases_copy, monkeypatch):
    from config import get_settings
    from releasebot.cli import app
    from vectorstore.ingest import IngestBusyError, Ingestor, ingest_lock_path
    from vectorstore.store import ReleaseStore, StoreUnavailableError

    settings = make_settings()
    ingestor = Ingestor(settings)  # as the chat and the API hold one
    lock = ingest_lock_path(settings)
    holder = subprocess.Popen([sys.executable, "-c", HOLDER, str(lock)], stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "held"
        started = time.perf_counter()
        with pytest.raises(IngestBusyError, match=rf"another ingest is running on .* \(pid {holder.pid}\); try again"):
            ingestor.ingest([releases_copy], report=lambda message: None, progress=False)
        with pytest.raises(IngestBusyError):
            ingestor.delete("000_899311ac7e93267d")
        assert time.perf_counter() - started < 5
        assert issubclass(IngestBusyError, StoreUnavailableError)  # a user error to every front end (API: 503)
        assert ReleaseStore(settings).count() == 0

        monkeypatch.setenv("RELEASEBOT_STORE", str(settings.store))
        monkeypatch.setenv("RELEASEBOT_DATA_DIR", str(settings.data_dir))
        monkeypatch.setenv("RELEASEBOT_COLLECTION", settings.collection)
        get_settings.cache_clear()
        try:
            refused = CliRunner().invoke(app, ["ingest", str(releases_copy), "--wait", "0"])
            started = time.perf_counter()
            waited = CliRunner().invoke(app, ["ingest", str(releases_copy), "--wait", "1"])
            waited_s = time.perf_counter() - started
        finally:
            get_settings.cache_clear()
        assert refused.exit_code == 75, refused.output
        assert f"error: another ingest is running on {settings.store} (pid {holder.pid})" in refused.stderr
        assert waited.exit_code == 75, waited.output
        assert f"another ingest is running (pid {holder.pid}); waiting up to 1 s" in waited.stderr
        assert "still running" in waited.stderr and 1 <= waited_s < 10
    finally:
        holder.kill()
        holder.wait(timeout=30)
    assert ingestor.delete("000_899311ac7e93267d") == 0  # the dead holder's lock went with it


def test_lock_files_beside_the_store_or_per_server_collection(tmp_path):
    from config import Settings
    from vectorstore.ingest import ingest_lock_path

    embedded = Settings(data_dir=tmp_path / "data", store=tmp_path / "chroma", collection="a")
    assert ingest_lock_path(embedded) == tmp_path / "chroma.ingest.lock"
    assert ingest_lock_path(embedded.model_copy(update={"collection": "b"})) == ingest_lock_path(embedded)
    server = embedded.model_copy(update={"chroma_host": "db.example", "chroma_port": 8001, "collection": "rel/x"})
    assert ingest_lock_path(server) == tmp_path / "data" / "locks" / "ingest-db.example-8001-rel_x.lock"


def test_uploads_and_deletes_while_another_process_ingests_are_refused_not_hung(served, tmp_path, record_property):
    import httpx
    from gradio_client import handle_file

    from vectorstore.ingest import ingest_lock_path

    client, _, bot, url = served
    release = tmp_path / "penguins.txt"
    release.write_text("IOM opens penguin shelter in Ushuaia\n"
                       "Ushuaia - IOM opened a shelter for 40 penguins on Monday, funded by the Antarctic Fund.\n")
    holder = subprocess.Popen([sys.executable, "-c", HOLDER, str(ingest_lock_path(bot.store.settings))],
                              stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "held"
        busy = f"another ingest is running on {bot.store.settings.store} (pid {holder.pid}); try again"
        started = time.perf_counter()
        upload = httpx.post(f"{url}v1/releases", files=[("files", ("penguins.txt", release.read_bytes()))], timeout=60)
        delete = httpx.delete(f"{url}v1/releases/000_899311ac7e93267d", timeout=60)
        api_s = time.perf_counter() - started
        assert (upload.status_code, delete.status_code) == (503, 503), (upload.text, delete.text)
        assert busy in upload.json()["detail"] and busy in delete.json()["detail"]
        started = time.perf_counter()
        chat = client.predict([handle_file(str(release))], api_name="/add_releases")[0]
        chat_s = time.perf_counter() - started
    finally:
        holder.kill()
        holder.wait(timeout=30)
    record_property("figures", {"api_s": round(api_s, 2), "chat_s": round(chat_s, 2), "chat": chat})
    print({"api_s": round(api_s, 2), "chat_s": round(chat_s, 2), "chat": chat})
    assert api_s < 10 and chat_s < 10 and busy in chat
    assert "penguins" not in bot.store.releases() and "000_899311ac7e93267d" in bot.store.releases()
