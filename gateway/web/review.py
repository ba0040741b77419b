"""The sender's review page, reached by the signed link in the held note.

No sign-in: the link is the credential. It shows the agent the findings on their
held reply and, when the team sets `sender_can_release = true`, lets them release it
with a reason (audited, the actor being the sender's address); otherwise it says who
reviews it. A forged or altered link is refused (403), an expired one too (410).
"""

from __future__ import annotations

from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from gateway.moderation import HELD, HeldMessage, NotFound
from gateway.web import present
from gateway.web.app import web_of
from gateway.web.links import LinkExpired, LinkInvalid, ReviewLinks, hold_expiry
from gateway.web.pages import message_context
from gateway.web.security import checked_form

EXPIRED_TEXT = ("This review link has expired, and so has the hold on the message. "
                "Ask your team lead what became of it.")


async def _held_for(request: Request) -> HeldMessage:
    """The held message the link in the path names; 403/410/404 with a clear page."""
    web = web_of(request)
    try:
        link = web.links.read(request.path_params["token"])
    except LinkInvalid as exc:
        raise HTTPException(403, f"{exc}. Use the link from the latest note Tact sent you.") from None
    try:
        held = await run_in_threadpool(web.moderation.get, link.held_id)
    except NotFound:
        raise HTTPException(404, "This message is no longer in the review queue.") from None
    try:
        ReviewLinks.check_age(link, hold_expiry(web.settings, held.team))
    except LinkExpired:
        raise HTTPException(410, EXPIRED_TEXT) from None
    return held


async def review_page(request: Request) -> Response:
    web = web_of(request)
    held = await _held_for(request)
    trail = await run_in_threadpool(web.moderation.audit, held.id)
    accounts = await run_in_threadpool(web.users.list)
    return web.page(request, "review.html.j2", message_context(held) | {
        "token": request.path_params["token"], "audit": trail,
        "can_release": held.status == HELD and web.settings.sender_can_release(held.team),
        "reviewers": present.reviewers_of(web.settings, held.team, accounts)})


async def sender_release(request: Request) -> Response:
    web = web_of(request)
    form = await checked_form(request)
    held = await _held_for(request)
    if not web.settings.sender_can_release(held.team):
        raise HTTPException(403, f"Team {held.team} does not let senders release their own "
                                 "held messages; a reviewer will decide.")
    reason = str(form.get("reason") or "").strip()
    token = request.path_params["token"]
    if not reason:
        request.session["flash"] = {"kind": "error", "text": "Say why it can go out as it is."}
        return RedirectResponse(f"/review/{token}", status_code=303)
    await run_in_threadpool(web.moderation.release, held.id, actor=held.sender,
                            comment=f"released by the sender: {reason}")
    request.session["flash"] = {"kind": "ok", "text": "Released: your reply is on its way to the customer."}
    return RedirectResponse(f"/review/{token}", status_code=303)


routes = [
    Route("/review/{token}", review_page, methods=["GET"]),
    Route("/review/{token}/release", sender_release, methods=["POST"]),
]
