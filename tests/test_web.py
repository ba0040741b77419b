"""The reviewers' web pages, in-process (Starlette's test client) over a real SQLite store:
sign-in, CSRF, the sign-in rate limit, permissions, escaping, decisions, statistics."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import update
from starlette.routing import Mount, Route
from starlette.testclient import TestClient

from gateway.store import Store, held, utcnow
from gateway.web.app import create_app
from gateway.web.security import LoginLimiter

from tests.web_helpers import CUSTOMER_QUOTE, PASSWORD, csrf_of, hold, make_template_db, web_settings


@pytest.fixture(scope="module")
def template_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_template_db(tmp_path_factory.mktemp("template"))


@pytest.fixture
def store(tmp_path: Path, template_db: Path) -> Iterator[Store]:
    shutil.copyfile(template_db, tmp_path / "web.db")
    s = Store(web_settings(tmp_path).store.url)
    yield s
    s.close()


@pytest.fixture
def app(tmp_path: Path, store: Store):  # type: ignore[no-untyped-def]
    return create_app(web_settings(tmp_path), store)


def client(app, name: str | None = None) -> TestClient:  # type: ignore[no-untyped-def]
    """A browser-like client, signed in as `name` when given."""
    c = TestClient(app, follow_redirects=True)
    if name:
        page = c.get("/login")
        r = c.post("/login", data={"name": name, "password": PASSWORD,
                                   "csrf_token": csrf_of(page.text), "next": "/queue"})
        assert r.status_code == 200 and r.url.path == "/queue", r.text
    return c


# --- sign-in and sessions --------------------------------------------------------------------

def test_pages_send_a_stranger_to_the_sign_in_page(app) -> None:  # type: ignore[no-untyped-def]
    c = TestClient(app, follow_redirects=False)
    for path in ("/queue", "/held/1", "/teams/billing", "/"):
        r = c.get(path)
        assert r.status_code == 303, path
    r = c.get("/queue?team=billing")
    assert r.headers["location"] == "/login?next=%2Fqueue%3Fteam%3Dbilling"


def test_sign_in_with_the_right_password_and_out_again(app) -> None:  # type: ignore[no-untyped-def]
    c = TestClient(app, follow_redirects=True)
    page = c.get("/login")
    wrong = c.post("/login", data={"name": "bob", "password": "nope", "csrf_token": csrf_of(page.text)})
    assert wrong.status_code == 401 and "Wrong user name or password" in wrong.text
    right = c.post("/login", data={"name": "bob", "password": PASSWORD, "csrf_token": csrf_of(wrong.text),
                                   "next": "/teams/billing"})
    assert right.url.path == "/teams/billing" and "bob · reviewer" in right.text
    out = c.post("/logout", data={"csrf_token": csrf_of(right.text)})
    assert out.url.path == "/login"
    assert c.get("/queue").url.path == "/login"


def test_sign_in_never_redirects_to_another_site(app) -> None:  # type: ignore[no-untyped-def]
    c = TestClient(app, follow_redirects=False)
    page = c.get("/login")
    r = c.post("/login", data={"name": "bob", "password": PASSWORD, "csrf_token": csrf_of(page.text),
                               "next": "//evil.example/phish"})
    assert r.status_code == 303 and r.headers["location"] == "/queue"


def test_session_cookie_is_signed_httponly_and_samesite_lax(app) -> None:  # type: ignore[no-untyped-def]
    c = TestClient(app)
    cookie = c.get("/login").headers["set-cookie"].lower()
    assert cookie.startswith("tact_session=") and "httponly" in cookie and "samesite=lax" in cookie
    assert "secure" not in cookie  # plain http in this test
    # A cookie the server did not sign is ignored: no session, so the CSRF check fails.
    forged = TestClient(app, cookies={"tact_session": "eyJ1c2VyIjogImFsaWNlIn0=.forged"})
    assert forged.get("/queue", follow_redirects=False).status_code == 303


def test_cookies_are_secure_when_the_public_url_is_https(tmp_path: Path, store: Store) -> None:
    app = create_app(web_settings(tmp_path, public_url="https://tact.example.com"), store)
    cookie = TestClient(app, base_url="https://testserver").get("/login").headers["set-cookie"].lower()
    assert "; secure" in cookie


def test_pages_forbid_scripts_framing_and_referrers(app) -> None:  # type: ignore[no-untyped-def]
    r = TestClient(app).get("/login")
    assert "script-src 'none'" in r.headers["content-security-policy"]
    assert r.headers["referrer-policy"] == "no-referrer" and r.headers["x-frame-options"] == "DENY"


# --- CSRF ----------------------------------------------------------------------------------------

def _html_post_routes(app) -> list[str]:  # type: ignore[no-untyped-def]
    paths = []
    for route in app.routes:
        if isinstance(route, Route) and "POST" in (route.methods or ()):
            paths.append(route.path.replace("{held_id}", "1").replace("{action:str}", "release")
                         .replace("{token}", "x"))
    assert not any(isinstance(r, Mount) and r.path == "" for r in app.routes)
    return paths


def test_every_form_post_without_the_csrf_token_is_refused(app, store: Store) -> None:  # type: ignore[no-untyped-def]
    hold(store, team="billing", sender="ann@billing.test", body="We did MARKHOLD this.")
    c = client(app, "alice")
    token = csrf_of(c.get("/queue").text)
    paths = _html_post_routes(app)
    assert {"/login", "/logout", "/held/1/release", "/review/x/release"} <= set(paths)
    for path in paths:
        for data in ({}, {"csrf_token": "wrong"}, {"csrf_token": ""}):
            r = c.post(path, data={**data, "comment": "x", "name": "alice", "password": PASSWORD})
            assert r.status_code == 403, (path, data)
            assert "CSRF" in r.text
    assert store.get_held(1)["status"] == "held"  # type: ignore[index]
    # ...and the same form with the token goes through.
    assert c.post("/held/1/release", data={"csrf_token": token}).status_code == 200
    assert store.get_held(1)["status"] == "released"  # type: ignore[index]


def test_a_token_from_another_session_does_not_work(app, store: Store) -> None:  # type: ignore[no-untyped-def]
    hold(store, team="billing", sender="ann@billing.test", body="We did MARKHOLD this.")
    theirs = csrf_of(client(app, "bob").get("/queue").text)
    mine = client(app, "alice")
    assert mine.post("/held/1/delete", data={"csrf_token": theirs}).status_code == 403
    assert store.get_held(1)["status"] == "held"  # type: ignore[index]


# --- the sign-in rate limit ------------------------------------------------------------------------

def test_five_failed_sign_ins_block_that_user_from_that_address(app) -> None:  # type: ignore[no-untyped-def]
    now = [1000.0]
    app.state.web.limiter = LoginLimiter(5, 300, clock=lambda: now[0])
    c = TestClient(app)
    token = csrf_of(c.get("/login").text)
    for _ in range(5):
        r = c.post("/login", data={"name": "bob", "password": "guess", "csrf_token": token})
        assert r.status_code == 401
    blocked = c.post("/login", data={"name": "bob", "password": PASSWORD, "csrf_token": token})
    assert blocked.status_code == 429 and blocked.headers["retry-after"] == "300"
    assert "Too many failed sign-ins for bob from your address. Try again in 5 minutes." in blocked.text
    # Another user from the same address is not blocked.
    other = c.post("/login", data={"name": "carol", "password": PASSWORD, "csrf_token": token,
                                   "next": "/queue"}, follow_redirects=False)
    assert other.status_code == 303
    now[0] += 301  # the window has passed
    c2 = TestClient(app)
    ok = c2.post("/login", data={"name": "bob", "password": PASSWORD, "csrf_token": csrf_of(c2.get("/login").text)},
                 follow_redirects=False)
    assert ok.status_code == 303


# --- the queue ---------------------------------------------------------------------------------------

def test_the_queue_shows_counts_per_team_and_readable_rows(app, store: Store) -> None:  # type: ignore[no-untyped-def]
    a = hold(store, team="billing", sender="ann@billing.test", body="You MARKHOLD did it wrong.")
    hold(store, team="billing", sender="ann@billing.test", body="Again MARKHOLD here.", policy="ownership")
    hold(store, team="shipping", sender="sam@shipping.test", body="Not MARKHOLD ours.")
    with store.engine.begin() as conn:  # the first one has waited 3 h 12 min
        conn.execute(update(held).where(held.c.id == a.id)
                     .values(created_at=utcnow() - timedelta(hours=3, minutes=12, seconds=5)))
    page = client(app, "alice").get("/queue").text
    assert 'Held replies <span class="count">3</span>' in page
    assert '<span class="tile-count">2</span>\n      <span class="tile-name">billing</span>' in page
    assert '<span class="tile-count">1</span>\n      <span class="tile-name">shipping</span>' in page
    assert "3 h 12 min" in page and "Blames the customer" in page and "Nobody owns the next step" in page
    assert page.index("3 h 12 min") < page.index("less than a minute")  # oldest first


def test_the_queue_filters_by_team_policy_and_age(app, store: Store) -> None:  # type: ignore[no-untyped-def]
    old = hold(store, team="billing", sender="ann@billing.test", body="Old MARKHOLD one.", subject="old one")
    hold(store, team="billing", sender="ann@billing.test", body="New MARKHOLD one.", subject="new one",
         policy="ownership")
    hold(store, team="shipping", sender="sam@shipping.test", body="Ship MARKHOLD.", subject="ship one")
    with store.engine.begin() as conn:
        conn.execute(update(held).where(held.c.id == old.id).values(created_at=utcnow() - timedelta(hours=5)))
    c = client(app, "alice")

    def subjects(query: str) -> set[str]:
        page = c.get(f"/queue?{query}").text
        return {s for s in ("old one", "new one", "ship one") if s in page}

    assert subjects("") == {"old one", "new one", "ship one"}
    assert subjects("team=billing") == {"old one", "new one"}
    assert subjects("policy=ownership") == {"new one"}
    assert subjects("age=4h") == {"old one"}
    assert subjects("team=shipping&age=4h") == set()
    assert "No held reply matches these filters." in c.get("/queue?team=shipping&age=4h").text
    assert c.get("/queue?age=forever").status_code == 400


# --- permissions -----------------------------------------------------------------------------------------

def test_a_reviewer_sees_and_decides_only_their_teams(app, store: Store) -> None:  # type: ignore[no-untyped-def]
    billing = hold(store, team="billing", sender="ann@billing.test", body="Bill MARKHOLD.", subject="bill")
    shipping = hold(store, team="shipping", sender="sam@shipping.test", body="Ship MARKHOLD.", subject="ship")
    bob = client(app, "bob")
    queue = bob.get("/queue").text
    assert "bill" in queue and ">ship<" not in queue and "shipping" not in queue
    assert bob.get(f"/held/{billing.id}").status_code == 200
    page = bob.get(f"/held/{shipping.id}")
    assert page.status_code == 403 and "may not review" in page.text
    token = csrf_of(queue)
    for action in ("release", "reject", "delete"):
        r = bob.post(f"/held/{shipping.id}/{action}", data={"csrf_token": token, "comment": "no"})
        assert r.status_code == 403, action
    assert store.get_held(shipping.id)["status"] == "held"  # type: ignore[index]
    assert bob.get("/queue?team=shipping").status_code == 403
    assert bob.get("/teams/shipping").status_code == 403
    # carol reviews billing because [teams.billing] reviewers names her
    carol = client(app, "carol")
    assert carol.get(f"/held/{billing.id}").status_code == 200
    assert carol.get(f"/held/{shipping.id}").status_code == 403


def test_a_removed_account_is_signed_out_at_once(app, store: Store) -> None:  # type: ignore[no-untyped-def]
    c = client(app, "bob")
    app.state.web.users.remove("bob")
    assert c.get("/queue").url.path == "/login"


# --- the message page ---------------------------------------------------------------------------------------

def test_the_message_page_marks_each_finding_and_explains_it(app, store: Store) -> None:  # type: ignore[no-untyped-def]
    h = hold(store, team="billing", sender="ann@billing.test",
             body="Hi Pat,\n\nYou MARKHOLD the form wrong.\n\nAnn" + CUSTOMER_QUOTE)
    page = client(app, "alice").get(f"/held/{h.id}").text
    assert ('<mark class="finding sev-hold" data-findings="1" title="1. Blames the customer">MARKHOLD</mark>'
            '<sup class="fn">1</sup>') in page
    assert "This reads as blaming the customer." in page and "Say what you will do instead." in page
    assert "My order 1234 never arrived" in page  # the customer's message beside it
    for text in ("ann@billing.test", "customer@example.test", "Re: Order 1234", "Customer wrote",
                 "Mon 30 Nov 2026, 10:00 UTC"):
        assert text in page
    assert 'action="/held/1/release"' in page and 'action="/held/1/reject"' in page


def test_message_content_is_always_shown_as_text(app, store: Store) -> None:  # type: ignore[no-untyped-def]
    h = hold(store, team="billing", sender="ann@billing.test", subject="<b>bold</b> subject",
             body='Hello <script>alert("x")</script> MARKHOLD <img src=x onerror=alert(1)> & bye')
    page = client(app, "alice").get(f"/held/{h.id}").text
    assert "<script>alert" not in page and "<img src=x" not in page and "<b>bold" not in page
    assert "Hello &lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt; " in page
    assert "&lt;img src=x onerror=alert(1)&gt; &amp; bye" in page
    assert "&lt;b&gt;bold&lt;/b&gt; subject" in page


def test_html_mail_is_shown_as_its_text_never_rendered(app, store: Store) -> None:  # type: ignore[no-untyped-def]
    raw = ("From: ann@billing.test\r\nTo: customer@example.test\r\nSubject: html\r\n"
           "MIME-Version: 1.0\r\nContent-Type: text/html; charset=utf-8\r\n\r\n"
           "<html><body><p>You MARKHOLD it.</p><img src=\"https://tracker.example/x.gif\">"
           "<script>alert(1)</script></body></html>\r\n").encode()
    h = hold(store, team="billing", sender="ann@billing.test", body="", raw=raw)
    page = client(app, "alice").get(f"/held/{h.id}").text
    assert "This reply is HTML mail; it is shown as text." in page
    assert "tracker.example" not in page and "<script>alert" not in page and "<p>You" not in page
    assert ">MARKHOLD</mark>" in page


def test_findings_whose_span_does_not_fit_are_listed_unmarked(app, store: Store) -> None:  # type: ignore[no-untyped-def]
    from gateway.web.present import highlight
    from gateway.moderation import Finding

    f = Finding("blame", "hold", "m", "gone", 50, 60, "")
    assert [s.text for s in highlight("short text", [f])] == ["short text"]
    overlapping = [Finding("a", "warn", "", "", 0, 5, ""), Finding("b", "hold", "", "", 3, 8, "")]
    segs = highlight("0123456789", overlapping)
    assert [(s.text, s.marks, s.ends) for s in segs] == [
        ("012", (1,), ()), ("34", (1, 2), (1,)), ("567", (2,), (2,)), ("89", (), ())]


# --- decisions -------------------------------------------------------------------------------------------------

def test_release_queues_the_message_and_the_audit_trail_shows_it(app, store: Store) -> None:  # type: ignore[no-untyped-def]
    h = hold(store, team="billing", sender="ann@billing.test", body="Fine MARKHOLD really.")
    c = client(app, "bob")
    token = csrf_of(c.get(f"/held/{h.id}").text)
    r = c.post(f"/held/{h.id}/release", data={"csrf_token": token, "comment": "fine in context"})
    assert r.url.path == "/queue" and f"Message #{h.id} released" in r.text
    out = [o for o in store.list_outbox() if o["kind"] == "release"]
    assert len(out) == 1 and out[0]["raw"] == h.raw and out[0]["recipients"] == ["customer@example.test"]
    page = c.get(f"/held/{h.id}").text
    assert "Released" in page and "bob" in page and "fine in context" in page
    assert 'action="/held/1/release"' not in page  # no buttons on a decided message
    again = c.post(f"/held/{h.id}/release", data={"csrf_token": token})
    assert again.status_code == 409 and "already" in again.text


def test_reject_needs_a_comment_and_sends_it_to_the_agent(app, store: Store) -> None:  # type: ignore[no-untyped-def]
    h = hold(store, team="billing", sender="ann@billing.test", body="No MARKHOLD way.")
    c = client(app, "bob")
    token = csrf_of(c.get(f"/held/{h.id}").text)
    r = c.post(f"/held/{h.id}/reject", data={"csrf_token": token, "comment": "  "})
    assert r.url.path == f"/held/{h.id}" and "Write a comment for the agent" in r.text
    assert store.get_held(h.id)["status"] == "held"  # type: ignore[index]
    r = c.post(f"/held/{h.id}/reject", data={"csrf_token": token, "comment": "Offer the refund first."})
    assert "rejected" in r.text and store.get_held(h.id)["status"] == "rejected"  # type: ignore[index]
    notes = [o for o in store.list_outbox() if o["recipients"] == ["ann@billing.test"]]
    assert notes and b"Offer the refund first." in notes[-1]["raw"]


def test_delete_discards_without_sending(app, store: Store) -> None:  # type: ignore[no-untyped-def]
    h = hold(store, team="billing", sender="ann@billing.test", body="Dup MARKHOLD.")
    c = client(app, "alice")
    token = csrf_of(c.get(f"/held/{h.id}").text)
    c.post(f"/held/{h.id}/delete", data={"csrf_token": token, "comment": "sent twice"})
    assert store.get_held(h.id)["status"] == "deleted"  # type: ignore[index]
    assert not [o for o in store.list_outbox() if o["kind"] == "release"]
    assert "sent twice" in c.get(f"/held/{h.id}").text


# --- team statistics ------------------------------------------------------------------------------------------------

def test_the_team_page_draws_decisions_and_findings_per_day(app, store: Store) -> None:  # type: ignore[no-untyped-def]
    now = utcnow()
    store.record_decisions(
        [{"at": now, "team": "billing", "action": "pass", "policies": []}] * 4
        + [{"at": now, "team": "billing", "action": "annotate", "policies": ["ownership"]}] * 2
        + [{"at": now - timedelta(days=1), "team": "billing", "action": "hold", "policies": ["blame", "ownership"]}]
        + [{"at": now, "team": "shipping", "action": "hold", "policies": ["blame"]}])
    c = client(app, "bob")
    page = c.get("/teams/billing").text
    assert page.count("<svg") >= 2 and "<script" not in page
    today, yesterday = now.date().isoformat(), (now - timedelta(days=1)).date().isoformat()
    assert f"<title>{today}: 4 passed</title>" in page and f"<title>{today}: 2 coached</title>" in page
    assert f"<title>{yesterday}: 1 held</title>" in page
    assert f"<title>{today}: 2 × Nobody owns the next step</title>" in page
    assert "Nobody owns the next step (3)" in page and "Blames the customer (1)" in page
    assert '<span class="stat-n">7</span> replies checked' in page
    assert c.get("/teams/shipping").status_code == 403
    assert client(app, "alice").get("/teams/nosuch").status_code == 404


def test_static_assets_are_served_from_the_package(app) -> None:  # type: ignore[no-untyped-def]
    r = TestClient(app).get("/static/tact.css")
    assert r.status_code == 200 and "mark.sev-hold" in r.text
    page = TestClient(app).get("/login").text
    assert "http://" not in page and "https://" not in page  # no CDN, nothing from elsewhere
