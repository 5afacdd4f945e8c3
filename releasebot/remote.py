"""A one-shot ``releasebot ask`` handed to a server already running on this machine for the same store: its model,
indexes and prompt states are loaded, so the answer costs only itself, not a process start (#21).

Standard library only: importing it must not load what the server has loaded already.
"""

from __future__ import annotations

import json
import urllib.error
import urllib.request

from config import Settings

HEALTH_TIMEOUT_S = 0.5  # a server on loopback answers /healthz in milliseconds; past this, none is listening
ANSWER_TIMEOUT_S = 600.0  # an answer may wait behind others for the one model


class ServerRefusedError(Exception):
    """The running server refused the question or failed on it; its reason is the message."""


def server_url(settings: Settings) -> str:
    """Where this machine's server listens: a wildcard host is reached on loopback."""
    host = "127.0.0.1" if settings.host in ("0.0.0.0", "", "::") else settings.host
    host = f"[{host}]" if ":" in host else host
    return f"http://{host}:{settings.port}"


def running_server(settings: Settings) -> str | None:
    """The URL of a releasebot server at the configured host and port serving this store, or None."""
    url = server_url(settings)
    try:
        with urllib.request.urlopen(f"{url}/healthz", timeout=HEALTH_TIMEOUT_S) as response:
            health = json.load(response)
    except (OSError, ValueError):  # nothing listening, another program on the port, or no JSON
        return None
    return url if isinstance(health, dict) and health.get("store") == settings.store_id else None


def ask_server(url: str, settings: Settings, body: dict) -> dict:
    """The server's ``/v1/ask`` answer (``Answer`` as JSON) to ``body``, with the API key if one is set."""
    headers = {"Content-Type": "application/json"}
    if settings.api_key is not None:
        headers["Authorization"] = f"Bearer {settings.api_key.get_secret_value()}"
    request = urllib.request.Request(f"{url}/v1/ask", data=json.dumps(body).encode(), headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=ANSWER_TIMEOUT_S) as response:
            return json.load(response)
    except urllib.error.HTTPError as exc:
        try:
            detail = json.load(exc).get("detail", "")
        except (ValueError, AttributeError):
            detail = exc.reason
        hint = " (set RELEASEBOT_API_KEY, or answer here with --local)" if exc.code in (401, 403) else ""
        raise ServerRefusedError(f"the server at {url} answered {exc.code}: {detail}{hint}") from exc
    except OSError as exc:
        raise ServerRefusedError(f"the server at {url} stopped answering ({exc}); try again, or use --local") from exc
