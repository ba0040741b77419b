"""The reviewers' pages: sign-in, the queue, one held message, a team's statistics.

Every page needs a signed-in user (else a redirect to the sign-in page); every POST
checks the CSRF token first; every decision goes through the moderation service
with the user, so a reviewer of another team gets 403 on the page and the actions.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from urllib.parse import quote, urlencode

from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from gateway.users import User
from gateway.web import chart, present
from gateway.web.app import web_of
from gateway.web.security import SESSION_USER, checked_form, client_address, csrf_token

STATS_DAYS = (7, 30, 90)


async def signed_in(request: Request) -> User | None:
    """The user of this session (re-read, so a removed account is signed out at once)."""
    name = request.session.get(SESSION_USER)
    if not isinstance(name, str):
        return None
    user = await run_in_threadpool(web_of(request).users.get, name)
    if user is None:
        request.session.pop(SESSION_USER, None)
    request.state.user = user
    return user


def _to_login(request: Request) -> RedirectResponse:
    target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    return RedirectResponse(f"/login?next={quote(target, safe='')}", status_code=303)


def _safe_next(value: str | None) -> str:
    """Only a local path (no `//host`, no scheme): no open redirect."""
    if value and value.startswith("/") and not value.startswith("//") and "\\" not in value:
        return value
    return "/queue"


# --- sign-in ------------------------------------------------------------------------

async def login_page(request: Request) -> Response:
    web = web_of(request)
    if await signed_in(request):
        return RedirectResponse(_safe_next(request.query_params.get("next")), status_code=303)
    return web.page(request, "login.html.j2", {"next": _safe_next(request.query_params.get("next")),
                                              "name": "", "error": None})


async def login(request: Request) -> Response:
    web = web_of(request)
    form = await checked_form(request)
    name = str(form.get("name") or "").strip()
    password = str(form.get("password") or "")
    target = _safe_next(str(form.get("next") or ""))
    address = client_address(request)
    wait = web.limiter.retry_after(name, address)
    if wait:
        minutes = max(1, round(wait / 60))
        return web.page(request, "login.html.j2", {
            "next": target, "name": name,
            "error": f"Too many failed sign-ins for {name or 'this user'} from your address. "
                     f"Try again in {minutes} minute{'s' if minutes != 1 else ''}."},
            status_code=429, headers={"Retry-After": str(wait)})
    user = await run_in_threadpool(web.users.authenticate, name, password) if name and password else None
    if user is None:
        web.limiter.failed(name, address)
        return web.page(request, "login.html.j2", {"next": target, "name": name,
                                                  "error": "Wrong user name or password."},
                        status_code=401)
    web.limiter.succeeded(name, address)
    request.session.clear()  # a fresh session (and CSRF token) for the signed-in user
    request.session[SESSION_USER] = user.name
    csrf_token(request)
    return RedirectResponse(target, status_code=303)


async def logout(request: Request) -> Response:
    await checked_form(request)
    request.session.clear()
    return RedirectResponse("/login", status_code=303)


# --- the queue ------------------------------------------------------------------------

async def home(request: Request) -> Response:
    return RedirectResponse("/queue", status_code=303)


async def queue(request: Request) -> Response:
    user = await signed_in(request)
    if user is None:
        return _to_login(request)
    web = web_of(request)
    params = request.query_params
    team = params.get("team") or None
    policy = params.get("policy") or None
    age = params.get("age") or None
    try:
        min_age = present.parse_age_filter(age)
    except ValueError as exc:
        raise HTTPException(400, str(exc)) from None
    if team is not None and not web.moderation.can_review(user, team):
        raise HTTPException(403, f"You may not review team {team!r}.")
    rows, counts = await run_in_threadpool(_queue_data, web, user, team, policy, min_age)
    teams = [t for t in web.settings.team_names() if web.moderation.can_review(user, t)]
    from policies import REGISTRY

    policy_ids = sorted(set(REGISTRY) | {p for r in rows for p in r.policies}, key=present.policy_label)
    return web.page(request, "queue.html.j2", {
        "rows": rows, "counts": counts, "total": sum(counts.values()), "teams": teams,
        "policies": policy_ids, "ages": present.AGE_FILTERS,
        "filters": {"team": team or "", "policy": policy or "", "age": age or ""},
        "filtered": bool(team or policy or age)})


def _queue_data(web: Any, user: User, team: str | None, policy: str | None,
                min_age: Any) -> tuple[list[Any], dict[str, int]]:
    rows = web.moderation.list_held(user=user, team=team, policy=policy, min_age=min_age)
    return rows, web.moderation.counts_by_team(user=user)


# --- one message --------------------------------------------------------------------------

def _held_id(request: Request) -> int:
    try:
        return int(request.path_params["held_id"])
    except ValueError:
        raise HTTPException(404, "There is no such held message.") from None


async def message(request: Request) -> Response:
    user = await signed_in(request)
    if user is None:
        return _to_login(request)
    web = web_of(request)
    held_id = _held_id(request)
    held = await run_in_threadpool(web.moderation.get, held_id, user=user)
    trail = await run_in_threadpool(web.moderation.audit, held_id)
    return web.page(request, "message.html.j2", message_context(held) | {"audit": trail})


def message_context(held: Any) -> dict[str, Any]:
    """What the message page and the sender's page show of one held message."""
    return {"held": held, "segments": present.highlight(held.reply_text, held.findings),
            "located": [present.located(held.reply_text, f) for f in held.findings]}


async def decide(request: Request) -> Response:
    user = await signed_in(request)
    form = await checked_form(request)
    if user is None:
        raise HTTPException(401, "Sign in first.")
    web = web_of(request)
    held_id = _held_id(request)
    action = request.path_params["action"]
    if action not in ("release", "reject", "delete"):
        raise HTTPException(404, f"There is no action {action!r}.")
    comment = str(form.get("comment") or "").strip()
    if action == "reject" and not comment:
        request.session["flash"] = {"kind": "error",
                                    "text": "Write a comment for the agent to reject a message."}
        return RedirectResponse(f"/held/{held_id}", status_code=303)
    operations: dict[str, Callable[..., object]] = {
        "release": web.moderation.release, "reject": web.moderation.reject,
        "delete": web.moderation.delete}
    operation = operations[action]
    await run_in_threadpool(operation, held_id, actor=user.name, comment=comment, user=user)
    done = {"release": "released: it is on its way to the customer",
            "reject": "rejected: the agent gets your comment", "delete": "deleted"}[action]
    request.session["flash"] = {"kind": "ok", "text": f"Message #{held_id} {done}."}
    return RedirectResponse("/queue", status_code=303)


# --- a team's statistics ---------------------------------------------------------------------

async def team(request: Request) -> Response:
    user = await signed_in(request)
    if user is None:
        return _to_login(request)
    web = web_of(request)
    name = request.path_params["team"]
    if name not in web.settings.team_names():
        raise HTTPException(404, f"There is no team {name!r}.")
    if not web.moderation.can_review(user, name):
        raise HTTPException(403, f"You may not review team {name!r}.")
    try:
        days = int(request.query_params.get("days") or 30)
    except ValueError:
        days = 30
    days = days if days in STATS_DAYS else 30
    stats = await run_in_threadpool(web.moderation.team_stats, name, days=days)
    findings_svg, legend = chart.findings_chart(stats, present.policy_label)
    totals = {k: sum(int(r.get(k, 0)) for r in stats) for k in ("pass", "annotate", "hold")}
    counts = await run_in_threadpool(web.moderation.counts_by_team, user=user)
    return web.page(request, "team.html.j2", {
        "team": name, "days": days, "day_choices": STATS_DAYS, "totals": totals,
        "checked": sum(totals.values()), "waiting": counts.get(name, 0),
        "decisions_svg": chart.decisions_chart(stats), "findings_svg": findings_svg,
        "legend": legend, "colours": chart.ACTION_COLOURS, "action_names": chart.ACTION_NAMES,
        "queue_link": "/queue?" + urlencode({"team": name})})


routes = [
    Route("/", home),
    Route("/login", login_page, methods=["GET"]),
    Route("/login", login, methods=["POST"]),
    Route("/logout", logout, methods=["POST"]),
    Route("/queue", queue),
    Route("/held/{held_id}", message),
    Route("/held/{held_id}/{action:str}", decide, methods=["POST"]),
    Route("/teams/{team}", team),
]
