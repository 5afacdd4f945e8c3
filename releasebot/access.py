"""Who can do what: ask (and list releases), or change the corpus. One policy for the chat and the API.

One credential serves a deployment: the API key (``Authorization: Bearer``), the chat's username and
password (HTTP basic, or the chat's login form), and the key as the login form's password.
"""

from __future__ import annotations

import base64
import binascii
import ipaddress
import logging
import secrets
from dataclasses import dataclass
from typing import Literal

from config import Settings

log = logging.getLogger(__name__)

Ability = Literal["ask", "change"]


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _same(given: str, expected: str) -> bool:
    return secrets.compare_digest(given.encode(), expected.encode())


@dataclass(frozen=True)
class Access:
    api_key: str | None
    username: str | None
    password: str | None
    ask_open: bool
    changes_open: bool

    @classmethod
    def from_settings(cls, settings: Settings) -> "Access":
        key = settings.api_key.get_secret_value() if settings.api_key else None
        password = settings.auth_password.get_secret_value() if settings.auth_password else None
        username = settings.auth_username if password else None
        credentialed = bool(key or username)
        return cls(
            api_key=key or None, username=username, password=password if username else None,
            ask_open=not credentialed or settings.anonymous_ask,
            changes_open=not credentialed and (is_loopback(settings.host) or settings.anonymous_changes),
        )

    @property
    def credentialed(self) -> bool:
        return bool(self.api_key or self.username)

    @property
    def chat_login(self) -> bool:
        """The chat asks for the credential at its login form (Gradio's auth) unless asking is open."""
        return self.credentialed and not self.ask_open

    def login(self, username: str, password: str) -> bool:
        """The chat's login form: the username and password, or any username with the API key as password."""
        return bool(
            (self.api_key and _same(password, self.api_key))
            or (self.username and _same(username, self.username) and _same(password, self.password or "")))

    def credential(self, authorization: str | None) -> bool:
        """An ``Authorization`` header carrying the credential: ``Bearer <key>`` or basic ``username:password``."""
        scheme, _, value = (authorization or "").partition(" ")
        if scheme.lower() == "bearer":
            return bool(self.api_key) and _same(value.strip(), self.api_key)
        if scheme.lower() == "basic":
            try:
                username, _, password = base64.b64decode(value.strip(), validate=True).decode().partition(":")
            except (binascii.Error, UnicodeDecodeError):
                return False
            return self.login(username, password)
        return False

    def allows(self, ability: Ability, authenticated: bool) -> bool:
        if authenticated:
            return True
        return self.ask_open if ability == "ask" else self.changes_open

    def refusal(self, ability: Ability) -> tuple[int, str]:
        """The HTTP status and message for a request that may not do ``ability``."""
        if self.credentialed:
            what = "asking" if ability == "ask" else "adding or deleting releases"
            return 401, (f"{what} needs the credential: send Authorization: Bearer <RELEASEBOT_API_KEY>"
                         " (or basic auth with the chat's username and password)")
        return 403, ("adding or deleting releases is off on a server reachable beyond this machine with no "
                     "credential: set RELEASEBOT_API_KEY (or RELEASEBOT_ANONYMOUS_CHANGES=true to allow anyone)")

    def describe(self) -> str:
        """One line for the start-up log: who can do what."""
        if not self.credentialed:
            changes = "anyone can add and delete releases" if self.changes_open else \
                "adding and deleting releases is off (no credential on a non-loopback host)"
            return f"no credential set: anyone who reaches the port can ask; {changes}"
        kinds = " and ".join(kind for kind, on in (("API key", self.api_key), ("chat username/password", self.username))
                             if on)
        ask = "anyone can ask and list releases (RELEASEBOT_ANONYMOUS_ASK)" if self.ask_open else \
            "asking needs it too"
        return f"credential set ({kinds}): changing the corpus needs it; {ask}"
