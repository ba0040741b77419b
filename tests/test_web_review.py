"""The sender's review page behind the signed link of the held note: valid, expired,
tampered; release by the sender where the team allows it (audited); and the link in a
real held note, followed over real HTTP, releasing to a real SMTP sink."""

from __future__ import annotations

import re
import shutil
import smtplib
import time
from collections.abc import Callable, Iterator
from email import message_from_bytes
from pathlib import Path

import httpx
import pytest
from itsdangerous import TimestampSigner, URLSafeTimedSerializer
from starlette.testclient import TestClient

from gateway.settings import TeamSettings, WebSettings
from gateway.store import Store
from gateway.web.app import create_app
from gateway.web.links import SALT, ReviewLinks, shared_secret

from tests.conftest import MarkerPolicy, RunningGateway, Sink, free_port, gateway_settings, make_message
from tests.web_helpers import TEAMS, add_accounts, csrf_of, hold, web_settings

SECRET = "test-secret-for-review-links-0123456789"


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    s = Store(web_settings(tmp_path).store.url)
    s.create()
    yield s
    s.close()


def app_for(tmp_path: Path, store: Store, **teams: TeamSettings):  # type: ignore[no-untyped-def]
    settings = web_settings(tmp_path)
    settings.teams.update(teams)
    return create_app(settings, store, secret=SECRET, base_url="http://tact.test")


def signed_ago(held_id: int, seconds: float, secret: str = SECRET) -> str:
    """A link token as Tact makes it, but signed `seconds` ago (or with another secret)."""

    class Then(TimestampSigner):
        def get_timestamp(self) -> int:
            return int(time.time() - seconds)

    return URLSafeTimedSerializer(secret, salt=SALT, signer=Then).dumps({"held": held_id})


def test_a_valid_link_shows_the_findings_and_who_reviews(tmp_path: Path, store: Store) -> None:
    h = hold(store, team="billing", sender="ann@billing.test", body="You MARKHOLD it <script>x</script>.")
    app = app_for(tmp_path, store)
    url = app.state.web.links.url(h.id)
    assert url.startswith("http://tact.test/review/")
    page = TestClient(app).get(url.removeprefix("http://tact.test"))
    assert page.status_code == 200
    assert ">MARKHOLD</mark>" in page.text and "This reads as blaming the customer." in page.text
    assert "Say what you will do instead." in page.text and "&lt;script&gt;x" in page.text
    assert "carol will review it." in page.text  # [teams.billing] reviewers
    add_accounts(store)  # bob's account names billing too
    page = TestClient(app).get(url.removeprefix("http://tact.test"))
    assert "carol, bob will review it." in page.text
    assert "Release my reply" not in page.text  # billing does not let senders release


def test_the_sender_releases_with_a_reason_where_the_team_allows_it(tmp_path: Path, store: Store) -> None:
    h = hold(store, team="shipping", sender="sam@shipping.test", body="Not MARKHOLD ours.")
    app = app_for(tmp_path, store)
    client = TestClient(app)
    path = f"/review/{app.state.web.links.token(h.id)}"
    page = client.get(path)
    assert "Release my reply" in page.text
    token = csrf_of(page.text)
    empty = client.post(f"{path}/release", data={"csrf_token": token, "reason": " "})
    assert "Say why it can go out as it is." in empty.text
    assert store.get_held(h.id)["status"] == "held"  # type: ignore[index]
    done = client.post(f"{path}/release", data={"csrf_token": token,
                                                "reason": "The customer asked for exactly this wording."})
    assert done.status_code == 200 and "Released: your reply is on its way" in done.text
    assert store.get_held(h.id)["status"] == "released"  # type: ignore[index]
    trail = app.state.web.moderation.audit(h.id)
    assert [(e.actor, e.action) for e in trail] == [("sam@shipping.test", "release")]
    assert "The customer asked for exactly this wording." in trail[0].comment
    assert [o["raw"] for o in store.list_outbox() if o["kind"] == "release"] == [h.raw]
    assert "Release my reply" not in client.get(path).text  # decided: no form any more
    assert client.post(f"{path}/release", data={"csrf_token": token, "reason": "again"}).status_code == 409


def test_a_sender_of_a_team_without_sender_release_cannot_release(tmp_path: Path, store: Store) -> None:
    h = hold(store, team="billing", sender="ann@billing.test", body="You MARKHOLD it.")
    app = app_for(tmp_path, store)
    client = TestClient(app)
    path = f"/review/{app.state.web.links.token(h.id)}"
    assert client.get(path).status_code == 200
    token = csrf_of(client.get("/login").text)  # the session's token, as a crafted form would send it
    r = client.post(f"{path}/release", data={"csrf_token": token, "reason": "pls"})
    assert r.status_code == 403 and "does not let senders release" in r.text
    assert store.get_held(h.id)["status"] == "held"  # type: ignore[index]


def test_tampered_or_foreign_links_are_refused(tmp_path: Path, store: Store) -> None:
    h = hold(store, team="shipping", sender="sam@shipping.test", body="Not MARKHOLD ours.")
    app = app_for(tmp_path, store)
    client = TestClient(app)
    good = app.state.web.links.token(h.id)
    tampered = good[:-3] + ("AAA" if not good.endswith("AAA") else "BBB")
    other_id = ReviewLinks(SECRET, "x").token(h.id).replace(good.split(".")[0], "eyJoZWxkIjoyfQ")
    for token in (tampered, other_id, signed_ago(h.id, 0, secret="another-secret-entirely-000000"), "garbage"):
        page = client.get(f"/review/{token}")
        assert page.status_code == 403, token
        assert "this review link is not valid" in page.text and "Sign in" not in page.text
        r = client.post(f"/review/{token}/release", data={"csrf_token": csrf_of(client.get("/login").text),
                                                          "reason": "x"})
        assert r.status_code == 403
    assert store.get_held(h.id)["status"] == "held"  # type: ignore[index]


def test_links_expire_with_the_teams_hold_expiry(tmp_path: Path, store: Store) -> None:
    short = TeamSettings(**{**TEAMS["shipping"].model_dump(), "hold_expiry": "1h"})
    h = hold(store, team="shipping", sender="sam@shipping.test", body="Not MARKHOLD ours.")
    b = hold(store, team="billing", sender="ann@billing.test", body="You MARKHOLD it.")
    app = app_for(tmp_path, store, shipping=short)
    client = TestClient(app)
    two_hours = 2 * 3600
    expired = client.get(f"/review/{signed_ago(h.id, two_hours)}")
    assert expired.status_code == 410 and "This review link has expired" in expired.text
    r = client.post(f"/review/{signed_ago(h.id, two_hours)}/release",
                    data={"csrf_token": csrf_of(client.get("/login").text), "reason": "late"})
    assert r.status_code == 410 and store.get_held(h.id)["status"] == "held"  # type: ignore[index]
    assert client.get(f"/review/{signed_ago(h.id, 60)}").status_code == 200
    # billing keeps the default 72 h
    assert client.get(f"/review/{signed_ago(b.id, two_hours)}").status_code == 200
    assert client.get(f"/review/{signed_ago(b.id, 73 * 3600)}").status_code == 410


def test_a_link_to_a_message_gone_from_the_queue_says_so(tmp_path: Path, store: Store) -> None:
    app = app_for(tmp_path, store)
    r = TestClient(app).get(f"/review/{app.state.web.links.token(999)}")
    assert r.status_code == 404 and "no longer in the review queue" in r.text


def test_the_generated_secret_is_kept_in_the_store_and_shared(tmp_path: Path, store: Store) -> None:
    first = shared_secret(store)
    assert len(first) >= 40 and shared_secret(store) == first
    other = Store(store.url)  # another instance on the same database
    assert shared_secret(other) == first
    other.close()
    h = hold(store, team="billing", sender="ann@billing.test", body="You MARKHOLD it.")
    one = create_app(web_settings(tmp_path), store)
    two = create_app(web_settings(tmp_path), store)
    token = one.state.web.links.token(h.id)
    assert TestClient(two).get(f"/review/{token}").status_code == 200
    configured = create_app(web_settings(tmp_path, secret_key="configured-secret-0123456789"), store)
    assert TestClient(configured).get(f"/review/{token}").status_code == 403


# --- end to end: a real gateway, a real note, real HTTP, a real sink ------------------------------------------

def _review_url(note: bytes) -> str:
    text = next(p.get_payload(decode=True).decode() for p in message_from_bytes(note).walk()
                if p.get_content_type() == "text/plain")
    match = re.search(r"(http://\S+/review/\S+)", text)
    assert match, text
    return match.group(1)


def test_the_held_note_links_to_a_page_that_releases_the_reply(
        tmp_path: Path, sink: Sink, marker_policy: MarkerPolicy,
        start_gateway: Callable[..., RunningGateway]) -> None:
    settings = gateway_settings(tmp_path, f"smtp://127.0.0.1:{sink.port}")
    web_port = free_port()
    settings.web = WebSettings(listen=f"127.0.0.1:{web_port}")
    settings.teams = dict(TEAMS)
    g = start_gateway(settings.gateway.upstream, settings=settings)
    assert g.gateway.web is not None and g.gateway.web.port == web_port
    raw = make_message("Hi Pat,\n\nNot MARKHOLD ours, sorry.\n\nSam", sender="sam@shipping.test")
    with smtplib.SMTP("127.0.0.1", g.port, timeout=20) as client:
        client.sendmail("sam@shipping.test", ["customer@example.test"], raw)
    note = sink.wait_for(lambda m: b"X-Tact-Note: 1" in m.data and m.rcpt_tos == ["sam@shipping.test"])
    url = _review_url(note.data)
    assert url.startswith(f"http://127.0.0.1:{web_port}/review/")
    with httpx.Client(timeout=20, follow_redirects=True) as http:
        page = http.get(url)
        assert page.status_code == 200 and ">MARKHOLD</mark>" in page.text
        done = http.post(f"{url}/release", data={"csrf_token": csrf_of(page.text), "reason": "wording agreed"})
        assert done.status_code == 200 and "Released" in done.text
    released = sink.wait_for(lambda m: m.rcpt_tos == ["customer@example.test"])
    assert released.data == raw
    assert [o for o in sink.originals() if o.rcpt_tos == ["customer@example.test"]] == [released]
