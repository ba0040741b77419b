"""The JSON API (`/api/v1`), for helpdesks and scripts, with bearer tokens.

`tact user token NAME` (or `Users.create_token`) makes a token; every call but the
OpenAPI document needs `Authorization: Bearer <token>`. Errors are JSON objects
`{"error": "...", "status": N}`: 401 without a valid token, 403 outside the user's
teams, 404 unknown id, 409 already decided, 400 bad input.
"""

from __future__ import annotations

import json
from email.message import EmailMessage
from email.utils import formatdate
from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from gateway.moderation import AuditEntry, HeldMessage, HeldSummary
from gateway.settings import ConfigError
from gateway.users import User
from gateway.web.app import min_age_param, web_of
from gateway.web.openapi import OPENAPI


async def api_user(request: Request) -> User:
    """The user of the bearer token; 401 otherwise."""
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise HTTPException(401, "Authorization: Bearer <token> is required "
                                 "(make a token with `tact user token NAME`).",
                            headers={"WWW-Authenticate": 'Bearer realm="tact"'})
    user = await run_in_threadpool(web_of(request).users.authenticate_token, token.strip())
    if user is None:
        raise HTTPException(401, "The bearer token is not valid (revoked, or its user was removed).",
                            headers={"WWW-Authenticate": 'Bearer realm="tact", error="invalid_token"'})
    return user


def _iso(value: Any) -> str | None:
    return value.isoformat() if value is not None else None


def summary_json(s: HeldSummary, base_url: str) -> dict[str, Any]:
    """One queue row as JSON."""
    return {"id": s.id, "team": s.team, "sender": s.sender, "recipients": list(s.recipients),
            "subject": s.subject, "created_at": _iso(s.created_at), "status": s.status,
            "policies": list(s.policies), "age_seconds": int(s.age.total_seconds()),
            "url": f"{base_url}/held/{s.id}"}


def _audit_json(entry: AuditEntry) -> dict[str, Any]:
    return {"at": _iso(entry.at), "actor": entry.actor, "action": entry.action,
            "comment": entry.comment}


def held_json(h: HeldMessage, trail: list[AuditEntry], base_url: str) -> dict[str, Any]:
    """One held message with its findings, texts and audit trail as JSON."""
    return summary_json(h, base_url) | {
        "message_id": h.message_id,
        "findings": [{"policy": f.policy, "severity": f.severity, "message": f.message,
                      "excerpt": f.excerpt, "start": f.start, "end": f.end,
                      "suggestion": f.suggestion} for f in h.findings],
        "reasons": list(getattr(h, "reasons", [])),
        "reply_text": h.reply_text, "quoted_text": h.quoted_text, "html": h.html,
        "customer_wrote_at": _iso(h.customer_wrote_at), "replied_at": _iso(h.replied_at),
        "audit": [_audit_json(e) for e in trail],
    }


def _held_id(request: Request) -> int:
    try:
        return int(request.path_params["held_id"])
    except ValueError:
        raise HTTPException(404, f"no held message {request.path_params['held_id']!r}") from None


async def _json_body(request: Request) -> dict[str, Any]:
    """The request's JSON object body ({} when empty); 400 when not an object."""
    body = await request.body()
    if not body.strip():
        return {}
    try:
        data = json.loads(body)
    except (ValueError, UnicodeDecodeError):
        raise HTTPException(400, "the body is not valid JSON; send e.g. {\"comment\": \"...\"}") from None
    if not isinstance(data, dict):
        raise HTTPException(400, "the body must be a JSON object, e.g. {\"comment\": \"...\"}")
    return data


def _comment(data: dict[str, Any]) -> str:
    comment = data.get("comment", "")
    if not isinstance(comment, str):
        raise HTTPException(400, "comment: must be a string")
    return comment.strip()


# --- held messages ----------------------------------------------------------------------

async def list_held(request: Request) -> Response:
    user = await api_user(request)
    web = web_of(request)
    params = request.query_params
    team = params.get("team") or None
    if team is not None:
        if team not in web.settings.team_names():
            raise HTTPException(400, f"team: unknown team {team!r}; configured: "
                                     f"{', '.join(web.settings.team_names())}")
        if not web.moderation.can_review(user, team):
            raise HTTPException(403, f"{user.name} may not review team {team!r}")
    status = params.get("status", "held")
    if status not in ("held", "released", "rejected", "deleted", "any"):
        raise HTTPException(400, "status: expected held, released, rejected, deleted or any")
    rows = await run_in_threadpool(
        web.moderation.list_held, user=user, team=team, policy=params.get("policy") or None,
        min_age=min_age_param(params.get("min_age")), status=None if status == "any" else status)
    base = web.links.base_url
    return JSONResponse({"count": len(rows), "held": [summary_json(r, base) for r in rows]})


async def show_held(request: Request) -> Response:
    user = await api_user(request)
    web = web_of(request)
    held_id = _held_id(request)
    held = await run_in_threadpool(web.moderation.get, held_id, user=user)
    trail = await run_in_threadpool(web.moderation.audit, held_id)
    return JSONResponse(held_json(held, trail, web.links.base_url))


async def release_held(request: Request) -> Response:
    user = await api_user(request)
    web = web_of(request)
    comment = _comment(await _json_body(request))
    done = await run_in_threadpool(web.moderation.release, _held_id(request), actor=user.name,
                                   comment=comment, user=user)
    return JSONResponse(summary_json(done, web.links.base_url))


async def reject_held(request: Request) -> Response:
    user = await api_user(request)
    web = web_of(request)
    comment = _comment(await _json_body(request))
    if not comment:
        raise HTTPException(400, "comment: required (the agent receives it)")
    done = await run_in_threadpool(web.moderation.reject, _held_id(request), actor=user.name,
                                   comment=comment, user=user)
    return JSONResponse(summary_json(done, web.links.base_url))


# --- checking a draft ---------------------------------------------------------------------

def _plain_message(text: str, sender: str, subject: str) -> bytes:
    """A minimal message around a plain-text draft, so it is checked like a mail."""
    msg = EmailMessage()
    msg["From"] = sender or "draft@tact.invalid"
    msg["Subject"] = subject
    msg["Date"] = formatdate(usegmt=True)
    msg.set_content(text)
    return msg.as_bytes()


async def check(request: Request) -> Response:
    await api_user(request)
    web = web_of(request)
    from gateway.checking import check_message
    from gateway.cli import _from_address, check_record

    limit = web.settings.gateway.max_message_size
    declared = request.headers.get("content-length")
    if declared and declared.isdigit() and int(declared) > limit:
        raise HTTPException(413, f"the message is larger than [gateway] max_message_size ({limit} bytes)")
    body = await request.body()
    if len(body) > limit:
        raise HTTPException(413, f"the message is larger than [gateway] max_message_size ({limit} bytes)")
    if not body.strip():
        raise HTTPException(400, "the body is empty: send a message (message/rfc822) or text (text/plain)")
    kind = request.headers.get("content-type", "").split(";")[0].strip().lower()
    params = request.query_params
    team = params.get("team") or None
    if team is not None:
        try:
            web.settings.team_policy(team)
        except ConfigError as exc:
            raise HTTPException(400, f"team: {exc}") from None
    if kind == "message/rfc822":
        raw = body
        sender = params.get("sender") or _from_address(raw)
    elif kind == "text/plain":
        try:
            text = body.decode(_charset(request) or "utf-8")
        except (LookupError, UnicodeDecodeError):
            raise HTTPException(400, "text/plain: the body does not decode with its charset") from None
        sender = params.get("sender", "")
        raw = _plain_message(text, sender, params.get("subject", ""))
    else:
        raise HTTPException(415, "Content-Type must be message/rfc822 (a whole message) "
                                 "or text/plain (the reply's text)")
    checked = await run_in_threadpool(check_message, raw, web.settings, sender=sender, team=team)
    return JSONResponse(check_record("-", checked))


def _charset(request: Request) -> str | None:
    for part in request.headers.get("content-type", "").split(";")[1:]:
        key, _, value = part.strip().partition("=")
        if key.lower() == "charset":
            return value.strip().strip('"')
    return None


async def openapi(request: Request) -> Response:
    return JSONResponse(OPENAPI)


routes = [
    Route("/openapi.json", openapi, methods=["GET"]),
    Route("/held", list_held, methods=["GET"]),
    Route("/held/{held_id}", show_held, methods=["GET"]),
    Route("/held/{held_id}/release", release_held, methods=["POST"]),
    Route("/held/{held_id}/reject", reject_held, methods=["POST"]),
    Route("/check", check, methods=["POST"]),
]
