"""A one-shot ``releasebot ask`` handed to a server already running on this machine for the same store: its model,
indexes and prompt states are loaded, so the answer costs only itself, not a process start (#21).

The standard library and ``config`` only: importing it must not load what the server has loaded already.
"""

from __future__ import annotations

import base64
import hashlib
import http.client
import json
import secrets
import urllib.error
import urllib.request

from config import Settings

# A refused connection fails at once; this bounds a server that is listening but busy on the two cores.
HEALTH_TIMEOUT_S = 3.0
ANSWER_TIMEOUT_S = 600.0  # an answer may wait behind others for the one model
STORE_TOKEN = ".releasebot-store-id"  # in an embedded store's directory: which store it is, unguessable
# A loopback request never goes through a proxy (it would carry the question and the credential elsewhere).
_OPENER = urllib.request.build_opener(urllib.request.ProxyHandler({}))
_FAILED = (OSError, http.client.HTTPException)  # refused, reset, or a program on the port that speaks no HTTP


class ServerRefusedError(Exception):
    """The running server refused the question or failed on it; its reason is the message."""


def store_id(settings: Settings, create: bool = False) -> str:
    """Which store and collection ``settings`` name, as a digest ``/healthz`` may show: of a random token kept in an
    embedded store's directory (written by the server with ``create``; "" where none is), or of a Chroma server's
    address. A CLI and a server share a store exactly when these match."""
    if settings.chroma_host:
        where = f"{settings.chroma_host}:{settings.chroma_port}"
    else:
        token = settings.store / STORE_TOKEN
        try:
            if create and not token.exists():
                settings.store.mkdir(parents=True, exist_ok=True)
                token.write_text(secrets.token_hex(16))
            where = token.read_text().strip()
        except OSError:  # a read-only store serves on: no CLI is sent to it
            return ""
    return hashlib.sha256(f"{where}\n{settings.collection}".encode()).hexdigest()[:16]


def server_url(settings: Settings) -> str:
    """Where this machine's server listens: a wildcard host is reached on loopback."""
    host = {"0.0.0.0": "127.0.0.1", "": "127.0.0.1", "::": "::1"}.get(settings.host, settings.host)
    host = f"[{host}]" if ":" in host else host
    return f"http://{host}:{settings.port}"


def running_server(settings: Settings) -> tuple[str | None, str]:
    """The URL of a releasebot server at the configured host and port serving this store (or None), and why not."""
    url = server_url(settings)
    try:
        with _OPENER.open(f"{url}/healthz", timeout=HEALTH_TIMEOUT_S) as response:
            health = json.load(response)
    except (*_FAILED, ValueError):
        return None, ""  # nothing there, or not releasebot: nothing to say
    mine = store_id(settings)
    if isinstance(health, dict) and mine and health.get("store") == mine:
        return url, ""
    return None, f"the server at {url} serves another store; answering here"


def _authorization(settings: Settings) -> dict[str, str]:
    """The credential the server's Guard accepts: the API key, else the chat's username and password."""
    if settings.api_key is not None:
        return {"Authorization": f"Bearer {settings.api_key.get_secret_value()}"}
    if settings.auth_username:
        password = settings.auth_password.get_secret_value() if settings.auth_password else ""
        pair = base64.b64encode(f"{settings.auth_username}:{password}".encode()).decode()
        return {"Authorization": f"Basic {pair}"}
    return {}


def _reason(error: urllib.error.HTTPError) -> str:
    try:
        detail = json.load(error).get("detail", "")
    except (*_FAILED, ValueError, AttributeError):
        return str(error.reason)
    if isinstance(detail, list):  # a request FastAPI could not read: one message per field
        return "; ".join(str(item.get("msg", item)) if isinstance(item, dict) else str(item) for item in detail)
    return str(detail)


def ask_server(url: str, settings: Settings, body: dict) -> dict:
    """The server's ``/v1/ask`` answer (``Answer`` as JSON) to ``body``, with this side's credential."""
    request = urllib.request.Request(f"{url}/v1/ask", data=json.dumps(body).encode(),
                                     headers={"Content-Type": "application/json", **_authorization(settings)})
    try:
        with _OPENER.open(request, timeout=ANSWER_TIMEOUT_S) as response:
            return json.load(response)
    except urllib.error.HTTPError as exc:
        hint = " (set the server's credential: RELEASEBOT_API_KEY or the chat's username and password; or answer " \
               "here with --local)" if exc.code in (401, 403) else ""
        raise ServerRefusedError(f"the server at {url} answered {exc.code}: {_reason(exc)}{hint}") from exc
    except (*_FAILED, ValueError) as exc:
        raise ServerRefusedError(f"the server at {url} stopped answering ({exc}); try again, or use --local") from exc
