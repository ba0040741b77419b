"""The JSON API with bearer tokens, in-process over a real store: SQLite and PostgreSQL."""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from starlette.routing import Mount, Route
from starlette.testclient import TestClient

from gateway.checking import check_message
from gateway.cli import check_record
from gateway.store import Store
from gateway.users import Users
from gateway.web.app import create_app
from gateway.web.openapi import OPENAPI

from tests.conftest import make_message
from tests.web_helpers import add_accounts, hold, make_template_db, web_settings


@pytest.fixture(scope="module")
def template_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_template_db(tmp_path_factory.mktemp("template"))


@pytest.fixture
def store(tmp_path: Path, template_db: Path, store_url: str) -> Iterator[Store]:
    """The API's store on SQLite (a copy of the template) and on PostgreSQL."""
    if store_url.startswith("sqlite"):
        shutil.copyfile(template_db, tmp_path / "web.db")
        s = Store(web_settings(tmp_path).store.url)
    else:
        s = Store(store_url)
        s.create()
        add_accounts(s)
    yield s
    s.close()


@pytest.fixture
def api(tmp_path: Path, store: Store) -> TestClient:
    return TestClient(create_app(web_settings(tmp_path), store))


def bearer(store: Store, name: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {Users(store).create_token(name, 'test')}"}


def test_no_token_or_a_bad_token_is_401_in_json(api: TestClient, store: Store) -> None:
    for headers in ({}, {"Authorization": "Bearer nope"}, {"Authorization": "Basic Ym9iOng="}):
        r = api.get("/api/v1/held", headers=headers)
        assert r.status_code == 401 and r.headers["content-type"] == "application/json"
        assert r.json()["status"] == 401 and "token" in r.json()["error"]
        assert r.headers["www-authenticate"].startswith("Bearer")
    token = bearer(store, "bob")
    Users(store).remove("bob")
    assert api.get("/api/v1/held", headers=token).status_code == 401


def test_list_held_with_filters_and_permissions(api: TestClient, store: Store) -> None:
    a = hold(store, team="billing", sender="ann@billing.test", body="Bill MARKHOLD.", subject="bill")
    hold(store, team="billing", sender="ann@billing.test", body="Own MARKHOLD.", policy="ownership")
    s = hold(store, team="shipping", sender="sam@shipping.test", body="Ship MARKHOLD.", subject="ship")
    admin, bob = bearer(store, "alice"), bearer(store, "bob")
    everything = api.get("/api/v1/held", headers=admin).json()
    assert everything["count"] == 3 and [h["id"] for h in everything["held"]] == [1, 2, 3]
    first = everything["held"][0]
    assert first["team"] == "billing" and first["policies"] == ["blame"] and first["subject"] == "bill"
    assert first["recipients"] == ["customer@example.test"] and first["url"].endswith(f"/held/{a.id}")
    assert isinstance(first["age_seconds"], int) and first["status"] == "held"
    assert [h["id"] for h in api.get("/api/v1/held?team=shipping", headers=admin).json()["held"]] == [s.id]
    assert [h["id"] for h in api.get("/api/v1/held?policy=ownership", headers=admin).json()["held"]] == [2]
    assert api.get("/api/v1/held?min_age=2h", headers=admin).json()["count"] == 0
    assert api.get("/api/v1/held?min_age=0", headers=admin).json()["count"] == 3
    # bob reviews billing only
    assert {h["team"] for h in api.get("/api/v1/held", headers=bob).json()["held"]} == {"billing"}
    r = api.get("/api/v1/held?team=shipping", headers=bob)
    assert r.status_code == 403 and "may not review team 'shipping'" in r.json()["error"]
    bad = api.get("/api/v1/held?min_age=soon", headers=admin)
    assert bad.status_code == 400 and bad.json()["error"].startswith("min_age:")
    assert api.get("/api/v1/held?team=nosuch", headers=admin).status_code == 400


def test_show_held_has_findings_texts_and_audit(api: TestClient, store: Store) -> None:
    h = hold(store, team="billing", sender="ann@billing.test", body="You MARKHOLD it <b>.")
    r = api.get(f"/api/v1/held/{h.id}", headers=bearer(store, "bob"))
    assert r.status_code == 200
    data = r.json()
    assert data["reply_text"] == h.reply_text and "<b>" in data["reply_text"]  # JSON: raw text
    f = data["findings"][0]
    assert data["reply_text"][f["start"]:f["end"]] == "MARKHOLD" and f["policy"] == "blame"
    assert data["audit"] == [] and data["html"] is False
    assert api.get(f"/api/v1/held/{h.id}", headers=bearer(store, "dave")).status_code == 403
    missing = api.get("/api/v1/held/999", headers=bearer(store, "alice"))
    assert missing.status_code == 404 and missing.json()["error"] == "no held message #999"


def test_release_and_reject_through_the_api(api: TestClient, store: Store) -> None:
    a = hold(store, team="billing", sender="ann@billing.test", body="One MARKHOLD.")
    b = hold(store, team="billing", sender="ann@billing.test", body="Two MARKHOLD.")
    bob = bearer(store, "bob")
    r = api.post(f"/api/v1/held/{a.id}/release", headers=bob, json={"comment": "ok as is"})
    assert r.status_code == 200 and r.json()["status"] == "released"
    assert [o["raw"] for o in store.list_outbox() if o["kind"] == "release"] == [a.raw]
    audit = api.get(f"/api/v1/held/{a.id}", headers=bob).json()["audit"]
    assert [(e["actor"], e["action"], e["comment"]) for e in audit] == [("bob", "release", "ok as is")]
    again = api.post(f"/api/v1/held/{a.id}/release", headers=bob)
    assert again.status_code == 409 and "already" in again.json()["error"]

    no_comment = api.post(f"/api/v1/held/{b.id}/reject", headers=bob, json={})
    assert no_comment.status_code == 400 and no_comment.json()["error"].startswith("comment:")
    bad_json = api.post(f"/api/v1/held/{b.id}/reject", headers=bob, content=b"{not json")
    assert bad_json.status_code == 400 and "JSON" in bad_json.json()["error"]
    r = api.post(f"/api/v1/held/{b.id}/reject", headers=bob, json={"comment": "Rewrite the second line."})
    assert r.status_code == 200 and r.json()["status"] == "rejected"
    # outside one's teams: 403, nothing decided
    s = hold(store, team="shipping", sender="sam@shipping.test", body="Ship MARKHOLD.")
    assert api.post(f"/api/v1/held/{s.id}/release", headers=bob).status_code == 403
    assert api.post(f"/api/v1/held/{s.id}/reject", headers=bob, json={"comment": "x"}).status_code == 403
    assert store.get_held(s.id)["status"] == "held"  # type: ignore[index]


def test_check_gives_the_verdict_of_tact_check(api: TestClient, store: Store, tmp_path: Path) -> None:
    settings = web_settings(tmp_path)
    token = bearer(store, "dave")
    raw = make_message("I'm sorry, I'm so sorry, sorry again. Unfortunately that is our policy.",
                       sender="ann@billing.test")
    r = api.post("/api/v1/check", headers={**token, "Content-Type": "message/rfc822"}, content=raw)
    assert r.status_code == 200
    expected = check_record("-", check_message(raw, settings, sender="ann@billing.test"))
    assert r.json() == json.loads(json.dumps(expected))
    assert r.json()["team"] == "billing" and r.json()["findings"]

    text = "Sorry, sorry, so sorry. Unfortunately that is our policy."
    r = api.post("/api/v1/check?team=shipping", headers={**token, "Content-Type": "text/plain; charset=utf-8"},
                 content=text.encode())
    assert r.status_code == 200 and r.json()["team"] == "shipping"
    assert {f["policy"] for f in r.json()["findings"]} >= {"over-apology"}
    for f in r.json()["findings"]:
        assert f["excerpt"] and f["start"] < f["end"]

    bad_team = api.post("/api/v1/check?team=nosuch", headers={**token, "Content-Type": "text/plain"},
                        content=b"hi")
    assert bad_team.status_code == 400 and "unknown team 'nosuch'" in bad_team.json()["error"]
    wrong_type = api.post("/api/v1/check", headers={**token, "Content-Type": "application/pdf"}, content=b"%PDF")
    assert wrong_type.status_code == 415
    assert api.post("/api/v1/check", headers={"Content-Type": "text/plain"}, content=b"hi").status_code == 401


def test_check_refuses_a_message_over_the_size_limit(tmp_path: Path, store: Store) -> None:
    settings = web_settings(tmp_path)
    settings.gateway.max_message_size = 1000
    client = TestClient(create_app(settings, store))
    r = client.post("/api/v1/check", headers={**bearer(store, "alice"), "Content-Type": "text/plain"},
                    content=b"x" * 1001)
    assert r.status_code == 413 and "max_message_size" in r.json()["error"]


def test_the_openapi_document_describes_every_route(api: TestClient) -> None:
    r = api.get("/api/v1/openapi.json")
    assert r.status_code == 200 and r.json()["openapi"].startswith("3.")
    mount = next(m for m in api.app.routes if isinstance(m, Mount) and m.path == "/api/v1")  # type: ignore[attr-defined]
    routed = {(route.path, method.lower()) for route in mount.routes if isinstance(route, Route)
              for method in (route.methods or ()) if method != "HEAD"
              and route.path != "/openapi.json"}
    documented = {(path, method) for path, ops in OPENAPI["paths"].items() for method in ops}
    assert routed == documented
    unknown = api.get("/api/v1/nothing")
    assert unknown.status_code == 404 and "openapi.json" in unknown.json()["error"]
    wrong_method = api.get("/api/v1/held/1/release")
    assert wrong_method.status_code == 405 and wrong_method.json()["error"] == "GET is not allowed here."
