"""Sessions, CSRF tokens and the sign-in rate limit of the web UI.

The session is Starlette's signed cookie (itsdangerous): HttpOnly, SameSite=Lax,
Secure when the public URL is https. It holds the user's name and a CSRF token;
every form carries the token and every POST is refused (403) without it.
"""

from __future__ import annotations

import hmac
import math
import secrets
import threading
import time
from collections import deque
from collections.abc import Callable

from starlette.datastructures import FormData
from starlette.exceptions import HTTPException
from starlette.requests import Request

CSRF_FIELD = "csrf_token"
SESSION_USER = "user"
SESSION_CSRF = "csrf"


def csrf_token(request: Request) -> str:
    """The session's CSRF token, created on first use."""
    token = request.session.get(SESSION_CSRF)
    if not isinstance(token, str) or not token:
        token = secrets.token_urlsafe(32)
        request.session[SESSION_CSRF] = token
    return token


async def checked_form(request: Request) -> FormData:
    """The POSTed form, once its CSRF token matches the session's; else 403."""
    form = await request.form()
    sent = form.get(CSRF_FIELD)
    expected = request.session.get(SESSION_CSRF)
    if not isinstance(sent, str) or not isinstance(expected, str) or not expected \
            or not hmac.compare_digest(sent.encode(), expected.encode()):
        raise HTTPException(403, "This form has expired or did not come from this site "
                                 "(missing or wrong CSRF token). Reload the page and try again.")
    return form


def client_address(request: Request) -> str:
    """The client's IP address as the server saw it."""
    return request.client.host if request.client else "unknown"


class LoginLimiter:
    """At most `attempts` failed sign-ins per (user name, client address) within
    `window` seconds. In memory, per process: a restart forgets the failures."""

    def __init__(self, attempts: int = 5, window: float = 300.0,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.attempts = attempts
        self.window = window
        self._clock = clock
        self._failures: dict[tuple[str, str], deque[float]] = {}
        self._lock = threading.Lock()

    def _recent(self, key: tuple[str, str]) -> deque[float]:
        now = self._clock()
        failures = self._failures.get(key)
        if failures is None:
            return deque()
        while failures and now - failures[0] >= self.window:
            failures.popleft()
        if not failures:
            del self._failures[key]
        return failures

    def retry_after(self, name: str, address: str) -> int:
        """Seconds until this user may try again from this address (0: now)."""
        key = (name.strip().lower(), address)
        with self._lock:
            failures = self._recent(key)
            if len(failures) < self.attempts:
                return 0
            return max(1, math.ceil(self.window - (self._clock() - failures[0])))

    def failed(self, name: str, address: str) -> None:
        """Count one failed sign-in."""
        key = (name.strip().lower(), address)
        with self._lock:
            self._recent(key)
            self._failures.setdefault(key, deque()).append(self._clock())
            if len(self._failures) > 100_000:  # bound the memory a flood can take
                self._failures.clear()

    def succeeded(self, name: str, address: str) -> None:
        """Forget the failures of this user from this address."""
        with self._lock:
            self._failures.pop((name.strip().lower(), address), None)
