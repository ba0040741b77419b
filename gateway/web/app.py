"""The Starlette application: reviewer pages, the sender's review page, the JSON API.

`create_app(settings, store)` wires the moderation service and the accounts to the
routes of `pages`, `review` and `api`. Templates come from `templates/web/`, static
files (the stylesheet) from `templates/static/`; nothing is loaded from elsewhere.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

import jinja2
from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.middleware.sessions import SessionMiddleware
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Mount
from starlette.staticfiles import StaticFiles
from starlette.templating import Jinja2Templates

from gateway.coaching import TEMPLATES
from gateway.moderation import AlreadyDecided, Forbidden, Moderation, NotFound
from gateway.settings import Settings
from gateway.store import Store
from gateway.users import Users
from gateway.web import present
from gateway.web.links import ReviewLinks, secret_key
from gateway.web.security import CSRF_FIELD, LoginLimiter, csrf_token

SESSION_COOKIE = "tact_session"
STATIC = TEMPLATES / "static"


@dataclass
class Web:
    """What every route needs; kept in `app.state.web`."""

    settings: Settings
    store: Store
    users: Users
    moderation: Moderation
    links: ReviewLinks
    limiter: LoginLimiter
    templates: Jinja2Templates

    def page(self, request: Request, name: str, context: dict[str, Any] | None = None,
             status_code: int = 200, headers: dict[str, str] | None = None) -> Response:
        """Render `templates/web/NAME` with the signed-in user, CSRF token and flash.

        The token is made only when a form asks for it: a page without a form (an error
        answering a cross-site POST, say) never writes a session cookie over the user's."""
        ctx: dict[str, Any] = {"user": getattr(request.state, "user", None),
                               "csrf_token": lambda: csrf_token(request), "csrf_field": CSRF_FIELD,
                               "flash": request.session.pop("flash", None)}
        ctx.update(context or {})
        response = self.templates.TemplateResponse(request, name, ctx, status_code=status_code)
        response.headers["Cache-Control"] = "no-store"
        for key, value in (headers or {}).items():
            response.headers[key] = value
        return response


def web_of(request: Request) -> Web:
    """The `Web` of the application serving this request."""
    return request.app.state.web  # type: ignore[no-any-return]


def _environment() -> jinja2.Environment:
    env = jinja2.Environment(loader=jinja2.FileSystemLoader(TEMPLATES / "web"), autoescape=True,
                             trim_blocks=True, lstrip_blocks=True)
    env.globals.update(policy_label=present.policy_label, policy_description=present.policy_description,
                       format_age=present.format_age, format_time=present.format_time,
                       worst_severity=present.worst_severity, response_time=present.response_time,
                       severity_label=lambda s: present.SEVERITY_LABELS.get(str(s), str(s)),
                       status_label=lambda s: present.STATUS_LABELS.get(str(s), str(s)),
                       action_label=lambda a: present.ACTION_LABELS.get(str(a), str(a)))
    return env


def create_app(settings: Settings, store: Store, *, moderation: Moderation | None = None,
               users: Users | None = None, secret: str | None = None,
               base_url: str | None = None) -> Starlette:
    """The web application over a created store. `secret` defaults to the configured or
    stored web secret (a database read: call this off the event loop); `base_url` to
    `[web] public_url` or the listen address (links in notes and pages)."""
    from gateway.web import api, pages, review

    secret = secret or secret_key(settings, store)
    web = Web(
        settings=settings, store=store,
        users=users or Users(store),
        moderation=moderation or Moderation(store, settings),
        links=ReviewLinks(secret, base_url or settings.web.base_url()),
        limiter=LoginLimiter(settings.web.login_attempts, settings.web.login_window.total_seconds()),
        templates=Jinja2Templates(env=_environment()),
    )
    middleware = [Middleware(SecurityHeaders),
                  Middleware(SessionMiddleware, secret_key=secret, session_cookie=SESSION_COOKIE,
                             max_age=int(settings.web.session_max_age.total_seconds()),
                             same_site="lax", https_only=settings.web.secure_cookies())]
    routes = [*pages.routes, *review.routes, Mount("/api/v1", routes=api.routes),
              Mount("/static", app=StaticFiles(directory=STATIC), name="static")]
    handlers: dict[Any, Any] = {HTTPException: _http_error, NotFound: _not_found,
                                Forbidden: _forbidden, AlreadyDecided: _already_decided}
    app = Starlette(routes=routes, middleware=middleware, exception_handlers=handlers)
    app.state.web = web
    return app


# Content-Security-Policy: no script at all, nothing from elsewhere, no framing.
# Referrer-Policy: the sender's review URL carries its token; never leak it.
SECURITY_HEADERS = [
    (b"content-security-policy",
     b"default-src 'self'; script-src 'none'; object-src 'none'; base-uri 'none'; "
     b"frame-ancestors 'none'; form-action 'self'"),
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"no-referrer"),
    (b"x-frame-options", b"DENY"),
]


class SecurityHeaders:
    """Adds SECURITY_HEADERS to every HTTP response (a plain ASGI middleware)."""

    def __init__(self, app: Any) -> None:
        self.app = app

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def with_headers(message: Any) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = list(message.get("headers", [])) + SECURITY_HEADERS
            await send(message)

        await self.app(scope, receive, with_headers)


# --- errors: JSON under /api, a page elsewhere ------------------------------------

def _is_api(request: Request) -> bool:
    return request.url.path.startswith("/api/")


async def _error(request: Request, status: int, message: str,
                 headers: dict[str, str] | None = None) -> Response:
    if _is_api(request):
        return JSONResponse({"error": message, "status": status}, status_code=status, headers=headers)
    titles = {400: "Bad request", 401: "Sign-in needed", 403: "Not allowed", 404: "Not found",
              405: "Not allowed", 409: "Already decided", 410: "Link expired",
              413: "Too large", 429: "Too many attempts"}
    return web_of(request).page(request, "error.html.j2",
                                {"status": status, "title": titles.get(status, "Error"),
                                 "message": message}, status_code=status, headers=headers)


async def _http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    detail = exc.detail if isinstance(exc.detail, str) else "error"
    if exc.status_code == 404 and detail == "Not Found":
        detail = (f"no API endpoint {request.url.path}; see /api/v1/openapi.json" if _is_api(request)
                  else "There is no such page.")
    if exc.status_code == 405:
        detail = f"{request.method} is not allowed here."
    return await _error(request, exc.status_code, detail, dict(exc.headers or {}))


async def _not_found(request: Request, exc: Exception) -> Response:
    return await _error(request, 404, str(exc) or "not found")


async def _forbidden(request: Request, exc: Exception) -> Response:
    return await _error(request, 403, "You may not review this team's messages. "
                                      "Ask an admin to add the team to your account.")


async def _already_decided(request: Request, exc: Exception) -> Response:
    return await _error(request, 409, str(exc))


def min_age_param(value: str | None) -> timedelta | None:
    """A duration query parameter (e.g. "2h", "90m", "3600"); HTTP 400 when malformed."""
    from gateway.settings import parse_duration

    if not value:
        return None
    try:
        return parse_duration(value if not value.isdigit() else int(value))
    except ValueError as exc:
        raise HTTPException(400, f"min_age: {exc}") from None
