"""Who can do what, over real HTTP on loopback: every route of the running app (the API's from its OpenAPI
schema, the chat's named endpoints from ``view_api``, Gradio's own routes from the mounted app) is called
without credentials, with wrong ones and with the right ones, for each kind of credential."""

from __future__ import annotations

import base64
import re
import time

import httpx
import pytest
from gradio_client import Client, handle_file
from starlette.routing import Mount

from qa import ReleaseQA
from releasebot.server import build_app
from tests.conftest import RELEASES
from tests.servers import uvicorn_thread
from vectorstore.ingest import Ingestor
from vectorstore.store import ReleaseStore

MACAO = "000_899311ac7e93267d"
FUNDERS = "Who funded the Macao trainings?"
ANSWER_TEXT = "Social Welfare Bureau"  # in the answer to FUNDERS, and nowhere in a page without it
KEY, USER, PASSWORD = "s3cret-key", "editor", "s3cret-password"
PENGUINS = ("IOM opens penguin shelter in Ushuaia\n"
            "Ushuaia - IOM opened a shelter for 40 penguins on Monday, funded by the Antarctic Fund.\n")


def _basic(user: str, password: str) -> str:
    return "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()


# The right credentials of each kind: (HTTP Authorization header, the chat's login form).
RIGHT = {"key": (f"Bearer {KEY}", ("anyone", KEY)), "password": (_basic(USER, PASSWORD), (USER, PASSWORD))}
WRONG = [{"Authorization": "Bearer wrong-key"}, {"Authorization": _basic(USER, "wrong")},
         {"Authorization": f"Bearer {PASSWORD}"}, {"Cookie": "access-token-unsecure-x=forged"}]
CONFIGS = {
    "key": ({"api_key": KEY}, ["key"]),
    "password": ({"auth_username": USER, "auth_password": PASSWORD}, ["password"]),
    "both": ({"api_key": KEY, "auth_username": USER, "auth_password": PASSWORD}, ["key", "password"]),
    "anonymous ask": ({"api_key": KEY, "anonymous_ask": True}, ["key"]),
}
# Every API route, with a request that would do its work: a new route must be added here to pass.
API_CALLS = {
    ("get", "/healthz"): ("public", {}),
    ("post", "/v1/chat/completions"): ("ask", {"json": {"messages": [{"role": "user", "content": FUNDERS}]}}),
    ("post", "/v1/ask"): ("ask", {"json": {"question": FUNDERS}}),
    ("get", "/v1/models"): ("ask", {}),
    ("get", "/v1/releases"): ("ask", {}),
    ("post", "/v1/releases"): ("change", {"files": {"files": ("penguins.txt", PENGUINS)}}),
    ("delete", "/v1/releases/{release_id}"): ("change", {}),
}


def _corpus(store: ReleaseStore) -> dict[str, int]:
    """Release ids and their chunk counts: what any change to the corpus changes."""
    return {rid: sum(have for have, _ in r.versions.values()) for rid, r in store.releases().items()}


@pytest.fixture(scope="module", params=list(CONFIGS))
def deployment(request, tmp_path_factory):
    """A real server for one kind of credential (extractive answers: real text, no model needed)."""
    overrides, kinds = CONFIGS[request.param]
    root = tmp_path_factory.mktemp("access")
    from config import Settings

    settings = Settings(data_dir=root / "data", store=root / "chroma", collection="access", mode="extractive",
                        **overrides)
    Ingestor(settings).ingest([RELEASES], report=lambda m: None, progress=False)
    bot = ReleaseQA.from_settings(settings)
    app = build_app(settings, bot)
    with uvicorn_thread(app) as url:
        yield url, settings, bot, kinds, app


def _gradio_routes(app) -> list[tuple[str, str]]:
    """(method, path) of every route Gradio serves under the chat's mount, path parameters filled in."""

    def walk(routes, prefix: str = ""):
        for route in routes:
            if hasattr(route, "original_router"):  # FastAPI's record of an included router (/gradio_api)
                yield from walk(route.original_router.routes, prefix + route.include_context.prefix)
            else:
                yield route, prefix

    mount = next(route for route in app.routes if isinstance(route, Mount))
    found = set()
    for route, prefix in walk(mount.app.routes):
        for method in getattr(route, "methods", None) or {"GET"}:
            if method in ("GET", "POST"):
                found.add((method, prefix + re.sub(r"\{[^}]+\}", "x", route.path)))
    assert len(found) > 50 and ("POST", "/gradio_api/queue/join") in found
    return sorted(found)


def _call(http: httpx.Client, method: str, path: str, **kwargs) -> httpx.Response | None:
    """A request whose streaming answer is read for at most a few seconds (queue/data, reload streams)."""
    try:
        with http.stream(method, path, timeout=httpx.Timeout(5, read=3), **kwargs) as response:
            body = b""
            for part in response.iter_bytes():
                body += part
                if len(body) > 200_000:
                    break
            response._content = body
            return response
    except (httpx.ReadTimeout, httpx.RemoteProtocolError):  # a stream still open, or broken off by Gradio
        return None


def test_no_route_reads_or_changes_without_the_credential(deployment, tmp_path):
    url, settings, bot, kinds, app = deployment
    before = _corpus(bot.store)
    ask_open = settings.anonymous_ask
    release = tmp_path / "penguins.txt"
    release.write_text(PENGUINS)
    schema = httpx.get(f"{url}/openapi.json", headers={"Authorization": RIGHT[kinds[0]][0]}).json()
    routes = {(method, path) for path, item in schema["paths"].items() for method in item}
    assert routes == set(API_CALLS), "classify every API route in API_CALLS"

    for headers in [{}, *WRONG]:
        with httpx.Client(base_url=url, headers=headers) as http:
            for (method, path), (ability, request) in API_CALLS.items():
                response = http.request(method, path.replace("{release_id}", MACAO), timeout=60, **request)
                allowed = ability == "public" or (ability == "ask" and ask_open)
                assert (response.status_code < 400) == allowed, (method, path, headers, response.text)
                if not allowed:
                    assert response.status_code == 401 and "credential" in response.json()["detail"]
                    assert ANSWER_TEXT not in response.text and "Macao" not in response.text
            # Gradio's own routes, each called as an anonymous browser would: queue, upload, file, config, ...
            for method, path in _gradio_routes(app):
                response = _call(http, method, path, data={"data": "[]"} if method == "POST" else None)
                if response is not None:
                    assert ANSWER_TEXT not in response.text and "Macao" not in response.text or ask_open, \
                        (method, path, response.status_code)
            if not ask_open:  # the chat's own data and functions are behind its login
                for method, path in [("GET", "/config"), ("GET", "/gradio_api/info"), ("POST", "/gradio_api/upload"),
                                     ("GET", f"/gradio_api/file={release}"), ("POST", "/gradio_api/call/chat")]:
                    response = http.request(method, path, files={"files": release.open("rb")}
                                            if path.endswith("upload") else None)
                    assert response.status_code == 401, (method, path, response.status_code)
            for fn_index in range(8):  # every function of the chat through the queue, as the browser calls it
                join = http.post("/gradio_api/queue/join", json={
                    "data": [[handle_file(str(release))], ""] if fn_index else [FUNDERS, []], "fn_index": fn_index,
                    "session_hash": f"anon{fn_index}", "event_data": None, "trigger_id": None})
                events = _call(http, "GET", f"/gradio_api/queue/data?session_hash=anon{fn_index}")
                if not ask_open:
                    assert join.status_code == 401
                assert events is None or ANSWER_TEXT not in events.text or ask_open
            for api_name in ("chat", "add_releases"):
                http.post(f"/gradio_api/call/{api_name}", json={"data": [FUNDERS]})
    assert _corpus(bot.store) == before

    # The chat's named endpoints through gradio_client: refused without the credential, or with a wrong one.
    if ask_open:
        anonymous = Client(f"{url}/", verbose=False)
        assert ANSWER_TEXT in anonymous.predict(FUNDERS, api_name="/chat")
        log, *_ = anonymous.predict([handle_file(str(release))], api_name="/add_releases")
        assert "needs the credential" in log
        wrong = Client(f"{url}/", verbose=False, headers={"Authorization": "Bearer wrong"})
        assert "needs the credential" in wrong.predict([handle_file(str(release))], "nope", api_name="/add_releases")[0]
    else:
        for auth in [None, ("anyone", "wrong"), (USER, KEY + "x")]:
            with pytest.raises(Exception):
                Client(f"{url}/", verbose=False, auth=auth)
    assert _corpus(bot.store) == before

    # With the right credential every ability works, through each front end: the checks above could fail.
    for kind in kinds:
        header, login = RIGHT[kind]
        client = Client(f"{url}/", verbose=False, auth=None if ask_open else login,
                        headers={"Authorization": header} if ask_open else None)
        endpoints = set(client.view_api(print_info=False, return_format="dict")["named_endpoints"])
        assert endpoints == {"/chat", "/add_releases"}, "classify every named endpoint of the chat"
        assert ANSWER_TEXT in client.predict(FUNDERS, api_name="/chat")
        log, *_ = client.predict([handle_file(str(release))], api_name="/add_releases")
        assert "added: 1" in log and "penguins" in _corpus(bot.store)
        with httpx.Client(base_url=url, headers={"Authorization": header}, timeout=60) as http:
            assert ANSWER_TEXT in http.post("/v1/ask", json={"question": FUNDERS}).json()["text"]
            assert http.delete("/v1/releases/penguins").status_code == 200
            assert http.post("/v1/releases", files={"files": ("penguins.txt", PENGUINS)}).status_code == 200
            assert http.delete("/v1/releases/penguins").status_code == 200
        assert _corpus(bot.store) == before


# Gradio routes that answer anyone: the login page and the static files it needs, nothing of the corpus.
PUBLIC_GRADIO = {"/", "/login", "/login/", "/logout", "/favicon.ico", "/theme.css", "/manifest.json"}


def _serve(settings):
    bot = ReleaseQA.from_settings(settings)
    return bot, uvicorn_thread(build_app(settings, bot))


@pytest.mark.parametrize("anonymous_changes", [False, True])
def test_a_public_host_with_no_credential_takes_no_changes_unless_allowed(make_settings, anonymous_changes):
    settings = make_settings(mode="extractive", host="0.0.0.0", anonymous_changes=anonymous_changes)
    Ingestor(settings).ingest([RELEASES], report=lambda m: None, progress=False)
    bot, server = _serve(settings)
    with server as url, httpx.Client(base_url=url, timeout=60) as http:
        upload = http.post("/v1/releases", files={"files": ("penguins.txt", PENGUINS)})
        endpoints = set(Client(f"{url}/", verbose=False).view_api(print_info=False, return_format="dict")[
            "named_endpoints"])
        assert ANSWER_TEXT in http.post("/v1/ask", json={"question": FUNDERS}).json()["text"]
    if anonymous_changes:
        assert upload.status_code == 200 and "penguins" in _corpus(bot.store) and "/add_releases" in endpoints
    else:
        assert upload.status_code == 403 and "RELEASEBOT_API_KEY" in upload.json()["detail"]
        assert "penguins" not in _corpus(bot.store) and endpoints == {"/chat"}


def test_uploads_are_limited_and_never_replace_another_files_release(make_settings, tmp_path):
    Ingestor(make_settings()).ingest([RELEASES], report=lambda m: None, progress=False)  # releases of ~4 kB
    settings = make_settings(mode="extractive", api_key=KEY, max_upload_files=2, max_file_bytes=2000)
    bot, server = _serve(settings)
    uploads = settings.data_dir / "uploads"
    with server as url, httpx.Client(base_url=url, timeout=60, headers={"Authorization": f"Bearer {KEY}"}) as http:
        three = [("files", (f"p{i}.txt", PENGUINS)) for i in range(3)]
        refused = http.post("/v1/releases", files=three)
        assert refused.status_code == 400 and "3 files in one upload; the limit is 2" in refused.json()["detail"]
        big = http.post("/v1/releases", files={"files": ("big.txt", PENGUINS * 40)})
        assert big.status_code == 400 and "big.txt: over the 2,000-byte limit" in big.json()["detail"]
        assert not any(uploads.rglob("big.txt")) and not any(uploads.rglob("p0.txt"))
        before = _corpus(bot.store)
        taken = http.post("/v1/releases", files={"files": (f"{MACAO}.txt", PENGUINS)})
        assert taken.status_code == 400, taken.text
        assert f"release id {MACAO} is taken by {MACAO}.txt (another file)" in taken.json()["detail"]
        assert _corpus(bot.store) == before and "Macao" in bot.retriever.metadata[MACAO]["title"]
        log, *_ = Client(f"{url}/", verbose=False, auth=("anyone", KEY)).predict(
            [handle_file(str(_file(tmp_path, "p.txt", PENGUINS))) for _ in range(3)], api_name="/add_releases")
        assert "3 files in one upload; the limit is 2" in log


def _file(folder, name: str, text: str):
    path = folder / name
    path.write_text(text)
    return path


def test_app_py_takes_the_serve_flags(bundled_store, tmp_path):
    """``python app.py --port P`` serves on P, as ``releasebot serve --port P`` does."""
    import os
    import subprocess
    import sys

    from config import PROJECT_ROOT
    from tests.servers import free_port, wait_for_port

    port, log = free_port(), tmp_path / "app.log"
    env = {**os.environ, "RELEASEBOT_MODE": "extractive", "RELEASEBOT_DATA_DIR": str(bundled_store.data_dir),
           "RELEASEBOT_STORE": str(bundled_store.store), "RELEASEBOT_COLLECTION": bundled_store.collection}
    with log.open("w") as out:
        server = subprocess.Popen([sys.executable, "app.py", "--host", "127.0.0.1", "--port", str(port)],
                                  cwd=PROJECT_ROOT, env=env, stdout=out, stderr=subprocess.STDOUT)
    try:
        wait_for_port(server, port, log)
        assert httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=30).json()["releases"] == 5
        assert "access: no credential set" in log.read_text()
    finally:
        server.terminate()
        server.wait(30)


# --- before the credential: no body read, nothing of the corpus, no frame, no other origin, no guessing
def _raw(port: int, head: str, body: bytes = b"", timeout_s: float = 10) -> bytes:
    """Send a request's head (and a body part) over a socket; return what the server answers within the timeout."""
    import socket

    with socket.create_connection(("127.0.0.1", port), timeout=timeout_s) as sock:
        sock.sendall(head.replace("\n", "\r\n").encode() + b"\r\n" + body)
        answer = b""
        try:
            while b"\r\n\r\n" not in answer:
                part = sock.recv(65536)
                if not part:
                    break
                answer += part
        except TimeoutError:
            pass
        return answer


def _temp_bytes() -> int:
    import tempfile
    from pathlib import Path

    total = 0
    for path in Path(tempfile.gettempdir()).rglob("*"):
        try:
            total += path.stat().st_size if path.is_file() else 0
        except OSError:
            continue
    return total


def test_a_body_is_read_only_after_the_credential_and_within_the_limits(make_settings):
    Ingestor(make_settings()).ingest([RELEASES], report=lambda m: None, progress=False)
    settings = make_settings(mode="extractive", api_key=KEY, max_upload_files=2, max_file_bytes=100_000)
    bot, server = _serve(settings)
    temp_before = _temp_bytes()
    with server as url:
        port = int(url.rsplit(":", 1)[1])
        multipart = "Content-Type: multipart/form-data; boundary=x"
        for path in ("/v1/releases", "/gradio_api/upload"):  # 2 GB declared, a little sent: answered at once
            head = f"POST {path} HTTP/1.1\nHost: 127.0.0.1\n{multipart}\nContent-Length: 2000000000\n"
            answer = _raw(port, head, b"--x\r\n" + b"a" * 1000)
            status = answer.split(b" ", 2)[1]
            assert status in ((b"401",) if path.startswith("/v1") else (b"401", b"413")), (path, answer[:200])
        keyed = f"POST /v1/releases HTTP/1.1\nHost: 127.0.0.1\nAuthorization: Bearer {KEY}\n{multipart}\n"
        assert b" 413 " in _raw(port, keyed + "Content-Length: 2000000000\n")  # over the limit, from its length
        with httpx.Client(base_url=url, timeout=60, headers={"Authorization": f"Bearer {KEY}"}) as http:

            def chunks():  # a chunked body has no length: it is cut off while read
                yield b"--x\r\nContent-Disposition: form-data; name=\"files\"; filename=\"a.txt\"\r\n\r\n"
                for _ in range(100):
                    yield b"IOM opened a shelter. " * 1000

            try:
                cut = http.post("/v1/releases", content=chunks(), headers={"Content-Type": "multipart/form-data; "
                                                                            "boundary=x"})
                assert cut.status_code == 413 and "byte limit" in cut.json()["detail"]
            except (httpx.WriteError, httpx.RemoteProtocolError):
                pass  # the server answered 413 and closed while the client was still sending
            big_question = http.post("/v1/ask", json={"question": "w" * 2_000_000})
            assert big_question.status_code == 413
            assert http.get("/healthz").status_code == 200
    assert _corpus(bot.store) == _corpus(ReleaseStore(settings))
    assert _temp_bytes() - temp_before < 1_000_000  # nothing of the 2 GB, nor of the cut body, was written


def _corpus_words(store: ReleaseStore) -> set[str]:
    """What would give the corpus away: release ids, titles, places."""
    words = set()
    for rid, release in store.releases().items():
        words |= {rid, release.title, release.location} - {"", None}
    return words


def test_nothing_of_the_corpus_is_served_before_login(deployment):
    url, settings, bot, kinds, app = deployment
    if settings.anonymous_ask:
        pytest.skip("asking is open: the corpus is for anyone")
    secrets = _corpus_words(bot.store)
    assert "China" in secrets and MACAO in secrets
    with httpx.Client(base_url=url, timeout=30) as http:
        for method, path in [("GET", "/"), ("GET", "/login"), *_gradio_routes(app)]:
            if method != "GET":
                continue
            response = _call(http, method, path)
            if response is not None:
                leaked = {word for word in secrets if word in response.text}
                assert not leaked, (path, leaked)
        # after login, the page loads the archive's summary and the filters' choices
        client = Client(f"{url}/", verbose=False, auth=RIGHT[kinds[0]][1])
        assert client.predict(FUNDERS, api_name="/chat")


def test_every_response_forbids_framing_sniffing_and_other_origins(deployment):
    url, *_ = deployment
    with httpx.Client(base_url=url, timeout=30) as http:
        for path in ("/", "/healthz", "/v1/models", "/config", "/gradio_api/info"):
            response = http.get(path, headers={"Origin": "http://localhost:9999"})
            assert response.headers["x-frame-options"] == "DENY", path
            assert response.headers["x-content-type-options"] == "nosniff", path
            assert "frame-ancestors 'none'" in response.headers["content-security-policy"], path
            assert "access-control-allow-origin" not in response.headers, path
        preflight = http.options("/gradio_api/queue/join", headers={
            "Origin": "http://localhost:9999", "Access-Control-Request-Method": "POST"})
        assert "access-control-allow-origin" not in preflight.headers
        assert preflight.headers.get("access-control-allow-credentials") != "true"


def test_guessing_the_credential_is_slowed_down(make_settings):
    Ingestor(make_settings()).ingest([RELEASES], report=lambda m: None, progress=False)
    settings = make_settings(mode="extractive", api_key=KEY, auth_username=USER, auth_password=PASSWORD,
                             login_attempts=5, login_window_s=3)
    bot, server = _serve(settings)
    with server as url, httpx.Client(base_url=url, timeout=30) as http:
        for _ in range(20):  # the same stale key sent again and again is one guess, not many
            assert http.get("/v1/models", headers={"Authorization": "Bearer stale"}).status_code == 401
        statuses = [http.post("/login", data={"username": USER, "password": f"guess{i}"}).status_code
                    for i in range(10)]
        assert statuses[:4] == [400] * 4 and set(statuses[5:]) == {429}, statuses
        refused = http.post("/login", data={"username": USER, "password": PASSWORD})
        assert refused.status_code == 429 and "too many wrong credentials" in refused.json()["detail"]
        assert http.get("/v1/models", headers={"Authorization": f"Bearer {KEY}"}).status_code == 429
        assert int(refused.headers["retry-after"]) <= 4
        time.sleep(3.5)  # the window passes: the right credential works again
        assert http.post("/login", data={"username": USER, "password": PASSWORD}).status_code == 200
        assert http.get("/v1/models", headers={"Authorization": f"Bearer {KEY}"}).status_code == 200
