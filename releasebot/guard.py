"""The server's front door, before any route reads a byte of a request's body (an ASGI middleware).

- Who may call a ``/v1`` route is decided from its headers: a request that may not is refused before its body is read,
  so an anonymous upload fills no disk (FastAPI reads a body before running a route's dependencies).
- A body is limited by its ``Content-Length`` and again while it is read (a chunked body has none): 413.
- Repeated wrong guesses at the credential from one client address are refused for a while: 429.
- Every response says it may not be framed or sniffed, and what the page may load (security headers).
"""

from __future__ import annotations

import hashlib
import json
import threading
import time
from collections import deque
from collections.abc import Callable
from urllib.parse import parse_qs

from starlette.datastructures import Headers
from starlette.routing import Match
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from config import Settings
from releasebot.access import Access

# Gradio's page needs inline scripts and styles and evaluates code it builds at run time; what the policy adds is that
# nothing is framed, no plug-in runs, forms and the base URL stay on this server.
CSP = ("default-src 'self'; script-src 'self' 'unsafe-inline' 'unsafe-eval'; style-src 'self' 'unsafe-inline'; "
       "img-src 'self' data: blob:; font-src 'self' data:; media-src 'self' blob:; connect-src 'self'; "
       "object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'")
SECURITY_HEADERS = [(b"x-frame-options", b"DENY"), (b"x-content-type-options", b"nosniff"),
                    (b"content-security-policy", CSP.encode()), (b"referrer-policy", b"same-origin")]
# Routes whose body carries release files; every other body is a question, a form or a queue message.
UPLOAD_PATHS = ("/v1/releases", "/gradio_api/upload")
MULTIPART_OVERHEAD = 64 << 10  # per file: part headers and boundaries
LOGIN_PATHS = ("/login", "/login/")


def needs(route) -> str | None:
    """The ability a ``/v1`` route needs ("ask", "change"), as declared in its OpenAPI extra; None: open."""
    return (getattr(route, "openapi_extra", None) or {}).get("x-releasebot-needs")


class Guesses:
    """Wrong credentials per client address in a sliding window; the same wrong value sent again is one guess
    (a client with a stale key is not guessing), a new one counts."""

    def __init__(self, limit: int, window_s: float):
        self.limit, self.window_s = limit, window_s
        self._seen: dict[str, deque[tuple[float, str]]] = {}
        self._lock = threading.Lock()

    def _recent(self, client: str, now: float) -> deque:
        """The client's guesses within the window; an address whose guesses all left it is forgotten."""
        seen = self._seen.get(client, deque())
        while seen and seen[0][0] < now - self.window_s:
            seen.popleft()
        if not seen:
            self._seen.pop(client, None)
        return seen

    def blocked(self, client: str) -> float:
        """Seconds until ``client`` may guess again (0: it may)."""
        now = time.monotonic()
        with self._lock:
            seen = self._recent(client, now)
            return seen[0][0] + self.window_s - now if len(seen) >= self.limit else 0.0

    def wrong(self, client: str, credential: str) -> None:
        digest = hashlib.sha256(credential.encode()).hexdigest()
        now = time.monotonic()
        with self._lock:
            seen = self._recent(client, now)
            if all(d != digest for _, d in seen):
                seen.append((now, digest))
                self._seen[client] = seen


async def _reply(send: Send, status: int, detail: str, headers: list[tuple[bytes, bytes]] = ()) -> None:
    body = json.dumps({"detail": detail}).encode()
    await send({"type": "http.response.start", "status": status, "headers": [
        (b"content-type", b"application/json"), (b"content-length", str(len(body)).encode()), *headers,
        *SECURITY_HEADERS]})
    await send({"type": "http.response.body", "body": body})


class Guard:
    """ASGI middleware over the whole server (API and chat); ``api_routes`` are the ``/v1`` routes."""

    def __init__(self, app: ASGIApp, settings: Settings, api_routes: Callable[[], list]):
        self.app = app
        self.access = Access.from_settings(settings)
        self.api_routes = api_routes
        self.upload_limit = settings.max_upload_files * (settings.max_file_bytes + MULTIPART_OVERHEAD)
        self.body_limit = settings.max_request_bytes
        self.guesses = Guesses(settings.login_attempts, settings.login_window_s)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = Headers(scope=scope)
        path, client = scope["path"], (scope.get("client") or ("?", 0))[0]
        authorization = headers.get("authorization")
        login = scope["method"] == "POST" and path in LOGIN_PATHS
        if (authorization or login) and (wait := self.guesses.blocked(client)):
            await _reply(send, 429, f"too many wrong credentials from this address; try again in {wait:.0f} s",
                         [(b"retry-after", str(int(wait) + 1).encode())])
            return
        authenticated = self.access.credential(authorization)
        if authorization and not authenticated:
            self.guesses.wrong(client, authorization)
        ability = self._ability(scope)
        if ability and not self.access.allows(ability, authenticated):
            status, message = self.access.refusal(ability)
            await _reply(send, status, message, [(b"www-authenticate", b"Bearer")] if status == 401 else [])
            return
        limit = self.upload_limit if path.startswith(UPLOAD_PATHS) else self.body_limit
        declared = headers.get("content-length")
        if declared is not None and (not declared.isdigit() or int(declared) > limit):
            await _reply(send, 413, f"the request body is over the {limit:,}-byte limit"
                         if declared.isdigit() else "bad Content-Length")
            return
        if login:
            receive = await self._watch_login(receive, client)
        exchange = _Exchange(receive, send, limit)
        try:
            await self.app(scope, exchange.receive, exchange.send)
        except Exception:
            if not exchange.refused:  # a route cut off at the limit fails reading its body: the 413 is the answer
                raise

    def _ability(self, scope: Scope) -> str | None:
        if not scope["path"].startswith("/v1"):
            return None
        for route in self.api_routes():
            if route.matches(scope)[0] == Match.FULL:
                return needs(route)
        return "ask"  # an unknown /v1 path says nothing to whoever may not ask

    async def _watch_login(self, receive: Receive, client: str) -> Receive:
        """Read the login form (bounded), note a wrong guess once Gradio refuses it, and replay the form."""
        body, more = b"", True
        while more:
            message = await receive()
            body += message.get("body", b"")
            more = message.get("more_body", False) and len(body) <= self.body_limit
        form = parse_qs(body.decode("latin-1"))
        user, password = (form.get(key, [""])[0] for key in ("username", "password"))
        if not self.access.login(user.strip(), password):
            self.guesses.wrong(client, f"{user}\x00{password}")
        replayed = False

        async def replay() -> Message:
            nonlocal replayed
            if replayed:
                return await receive()
            replayed = True
            return {"type": "http.request", "body": body, "more_body": False}

        return replay


class _Exchange:
    """One request's ``receive`` and ``send``: the body ends at ``limit`` bytes with a 413 sent at once (the route
    reading it sees a disconnect, and what it sends after is dropped); every response gets the security headers."""

    def __init__(self, receive: Receive, send: Send, limit: int):
        self._receive, self._send, self.limit = receive, send, limit
        self.read, self.started, self.refused = 0, False, False

    async def receive(self) -> Message:
        message = await self._receive()
        if message["type"] == "http.request":
            self.read += len(message.get("body", b""))
            if self.read > self.limit and not self.started:
                self.refused = self.started = True
                await _reply(self._send, 413, f"the request body is over the {self.limit:,}-byte limit")
                return {"type": "http.disconnect"}
        return message

    async def send(self, message: Message) -> None:
        if self.refused:
            return
        if message["type"] == "http.response.start":
            self.started = True
            names = {name.lower() for name, _ in message.get("headers", [])}
            message = {**message, "headers": [*message.get("headers", []),
                                              *((k, v) for k, v in SECURITY_HEADERS if k not in names)]}
        await self._send(message)
