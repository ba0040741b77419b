"""The moderation service: release, reject, delete, expiry, permissions, audit and stats.

Every test runs on SQLite and on PostgreSQL (the `store_url` fixture), with a real gateway
holding real SMTP mail and relaying to a real aiosmtpd sink.
"""

from __future__ import annotations

import smtplib
import threading
import time
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

import pytest

from gateway.moderation import AlreadyDecided, Forbidden, Moderation, NotFound
from gateway.settings import Settings, StoreSettings, TeamSettings
from gateway.store import FAILED, SENT, utcnow
from gateway.users import User, Users
from tests.conftest import RunningGateway, Sink, gateway_settings, make_message

ADMIN = User("ann", "admin", ())


def eventually(condition: Callable[[], object], timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "condition not met in time"
        time.sleep(0.02)


@pytest.fixture
def settings(tmp_path: Path, sink: Sink, store_url: str) -> Settings:
    """Team billing (agents @billing.test) releases after 1 h; everyone else is rejected
    after the default 72 h."""
    base = gateway_settings(tmp_path, f"smtp://127.0.0.1:{sink.port}")
    teams = {"billing": TeamSettings(senders=["*@billing.test"], hold_expiry="1h",
                                     expire_action="release", reviewers=["rita"])}
    return base.model_copy(update={"store": StoreSettings(url=store_url), "teams": teams})


@pytest.fixture
def running(start_gateway: Callable[..., RunningGateway], settings: Settings,
            marker_policy: object) -> RunningGateway:
    return start_gateway(settings.gateway.upstream, settings=settings)


@pytest.fixture
def moderation(running: RunningGateway) -> Moderation:
    """The gateway's own service (its outbox wakes when a decision queues mail)."""
    return running.gateway.moderation


def hold(gateway: RunningGateway, body: str = "Please MARKHOLD wait.", *,
         sender: str = "agent@support.test", to: str = "customer@example.test",
         message_id: str = "<reply-1@support.test>") -> tuple[int, bytes]:
    """Send a reply the marker policy holds; return its held id and bytes."""
    data = make_message(body, sender=sender, to=to, headers={"X-Test-Id": message_id})
    data = data.replace(b"Message-ID: <reply-1@support.test>", b"Message-ID: " + message_id.encode())
    with smtplib.SMTP("127.0.0.1", gateway.port, timeout=10) as client:
        client.sendmail(sender, [to], data)
    ids = [h["id"] for h in gateway.store.list_held(status=None) if h["raw"] == data]
    assert len(ids) == 1
    return ids[0], data


def held_notes(sink: Sink) -> list[bytes]:
    return [m.data for m in sink.notes() if b"X-Tact-Action: hold" in m.data]


# --- release ----------------------------------------------------------------------------


def test_a_released_message_reaches_its_recipients_byte_identical_and_is_audited(
        running: RunningGateway, moderation: Moderation, sink: Sink) -> None:
    held_id, data = hold(running, to="customer@example.test")
    assert sink.originals() == []
    summary = moderation.release(held_id, actor="ann", comment="fine as it is")
    assert summary.status == "released"
    got = sink.wait_for(lambda m: m.data == data)
    assert got.mail_from == "agent@support.test" and got.rcpt_tos == ["customer@example.test"]
    eventually(lambda: [r["status"] for r in running.store.list_outbox() if r["kind"] == "release"] == [SENT])
    [entry] = moderation.audit(held_id)
    assert (entry.actor, entry.action, entry.comment, entry.held_id) == ("ann", "release", "fine as it is", held_id)
    assert moderation.list_held() == []
    assert moderation.get(held_id).status == "released"


def test_a_message_is_decided_only_once(running: RunningGateway, moderation: Moderation,
                                         sink: Sink) -> None:
    held_id, data = hold(running)
    results: list[str] = []

    def release() -> None:
        try:
            moderation.release(held_id, actor="ann")
            results.append("released")
        except AlreadyDecided:
            results.append("already")

    threads = [threading.Thread(target=release) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(results) == ["already"] * 5 + ["released"]
    with pytest.raises(AlreadyDecided, match="released already"):
        moderation.reject(held_id, actor="bob", comment="too late")
    sink.wait_for(lambda m: m.data == data)
    time.sleep(0.3)
    assert [m.data for m in sink.originals()].count(data) == 1
    assert [e.action for e in moderation.audit(held_id)] == ["release"]


def test_an_unknown_id_is_not_found(moderation: Moderation) -> None:
    with pytest.raises(NotFound, match="#999"):
        moderation.get(999)
    with pytest.raises(NotFound):
        moderation.release(999, actor="ann")


def test_the_sink_down_during_a_release_delays_it_and_loses_nothing(
        running: RunningGateway, moderation: Moderation, sink: Sink) -> None:
    held_id, data = hold(running)
    sink.wait_for(lambda m: b"X-Tact-Note: 1" in m.data)  # the held note went out
    sink.stop()
    moderation.release(held_id, actor="ann")
    eventually(lambda: any(r["kind"] == "release" and r["attempts"] > 0 for r in running.store.list_outbox()))
    [row] = [r for r in running.store.list_outbox() if r["kind"] == "release"]
    assert row["status"] in ("pending", "sending") and row["last_error"]
    sink.start()
    sink.wait_for(lambda m: m.data == data)
    eventually(lambda: [r["status"] for r in running.store.list_outbox() if r["kind"] == "release"] == [SENT])


def test_a_release_refused_for_good_is_reported_to_the_agent(
        running: RunningGateway, moderation: Moderation, sink: Sink) -> None:
    held_id, data = hold(running, to="refuse-me@example.test")
    moderation.release(held_id, actor="ann")
    note = sink.wait_for(lambda m: b"X-Tact-Action: undeliverable" in m.data)
    assert note.rcpt_tos == ["agent@support.test"] and note.mail_from in ("", "<>")
    assert b"could NOT be delivered" in note.data and b"550 5.1.1" in note.data
    eventually(lambda: [r["status"] for r in running.store.list_outbox() if r["kind"] == "release"] == [FAILED])
    assert [e.action for e in moderation.audit(held_id)] == ["undeliverable", "release"]
    assert data not in [m.data for m in sink.messages]


# --- reject and delete ----------------------------------------------------------------


def test_a_rejection_sends_the_agent_the_comment_and_not_the_message(
        running: RunningGateway, moderation: Moderation, sink: Sink) -> None:
    held_id, data = hold(running)
    with pytest.raises(ValueError, match="comment"):
        moderation.reject(held_id, actor="ann", comment="  ")
    moderation.reject(held_id, actor="ann", comment="Please offer the refund\nbefore Friday.")
    note = sink.wait_for(lambda m: b"X-Tact-Action: rejected" in m.data)
    assert note.rcpt_tos == ["agent@support.test"] and note.mail_from in ("", "<>")
    text = note.data.decode()
    assert "ann rejected it" in text and "Please offer the refund" in text and "before Friday." in text
    assert "In-Reply-To: <reply-1@support.test>" in text
    time.sleep(0.3)
    assert data not in [m.data for m in sink.messages]
    [entry] = moderation.audit(held_id)
    assert (entry.action, entry.comment) == ("reject", "Please offer the refund\nbefore Friday.")


def test_a_deleted_message_is_erased_and_sent_nowhere(running: RunningGateway, moderation: Moderation,
                                                      sink: Sink) -> None:
    held_id, data = hold(running)
    sink.wait_for(lambda m: b"X-Tact-Note: 1" in m.data)
    before = len(sink.messages)
    moderation.delete(held_id, actor="ann", comment="test message")
    time.sleep(0.3)
    assert len(sink.messages) == before
    assert running.store.get_held(held_id)["raw"] == b""  # type: ignore[index]
    assert moderation.get(held_id).status == "deleted"
    assert [(e.action, e.comment) for e in moderation.audit(held_id)] == [("delete", "test message")]


# --- expiry -----------------------------------------------------------------------------


def test_expiry_follows_each_teams_hold_expiry_and_expire_action(
        running: RunningGateway, moderation: Moderation, sink: Sink) -> None:
    billing_id, billing_data = hold(running, sender="bo@billing.test", message_id="<b@billing.test>")
    default_id, default_data = hold(running, sender="agent@support.test", message_id="<d@support.test>")
    now = utcnow()
    assert moderation.expire_due(now + timedelta(minutes=30)) == 0
    assert moderation.expire_due(now + timedelta(hours=2)) == 1  # billing: 1 h, then released
    sink.wait_for(lambda m: m.data == billing_data)
    assert moderation.get(default_id).status == "held"
    assert moderation.expire_due(now + timedelta(hours=71)) == 0
    assert moderation.expire_due(now + timedelta(hours=73)) == 1  # default: 72 h, then rejected
    note = sink.wait_for(lambda m: b"X-Tact-Action: rejected" in m.data)
    assert note.rcpt_tos == ["agent@support.test"] and b"not reviewed within 72 h" in note.data
    assert default_data not in [m.data for m in sink.messages]
    assert [(e.held_id, e.actor, e.action) for e in moderation.audit()] == [
        (default_id, "tact-expiry", "reject"), (billing_id, "tact-expiry", "release")]
    assert moderation.expire_due(now + timedelta(days=30)) == 0


# --- reading and permissions ------------------------------------------------------------


def test_a_held_message_shows_its_findings_at_their_spans(running: RunningGateway,
                                                          moderation: Moderation) -> None:
    held_id, data = hold(running, body="Hello,\n\nPlease MARKHOLD wait.\n\nBest, Agent")
    message = moderation.get(held_id, user=ADMIN)
    assert message.raw == data and message.message_id == "<reply-1@support.test>"
    assert message.policies == ["test_marker"] and message.subject == "Re: Order 1234"
    [finding] = message.findings
    assert message.reply_text[finding.start:finding.end] == finding.excerpt == "MARKHOLD"
    assert finding.severity == "hold" and not message.html
    assert message.recipients == ["customer@example.test"] and message.age >= timedelta(0)


def test_reviewers_see_and_decide_only_their_teams(running: RunningGateway, moderation: Moderation) -> None:
    billing_id, _ = hold(running, sender="bo@billing.test", message_id="<b@billing.test>")
    default_id, _ = hold(running, sender="agent@support.test", message_id="<d@support.test>")
    rita = User("rita", "reviewer", ())  # named in [teams.billing] reviewers
    dan = User("dan", "reviewer", ("default",))  # the account names team default
    assert [h.id for h in moderation.list_held(user=rita)] == [billing_id]
    assert [h.id for h in moderation.list_held(user=dan)] == [default_id]
    assert [h.id for h in moderation.list_held(user=ADMIN)] == [billing_id, default_id]
    assert moderation.counts_by_team(user=rita) == {"billing": 1}
    assert moderation.counts_by_team() == {"billing": 1, "default": 1}
    with pytest.raises(Forbidden):
        moderation.get(default_id, user=rita)
    with pytest.raises(Forbidden):
        moderation.release(default_id, actor="rita", user=rita)
    assert moderation.get(default_id).status == "held"
    moderation.release(billing_id, actor="rita", user=rita)
    assert moderation.counts_by_team() == {"default": 1}


def test_the_queue_filters_by_team_policy_and_age(running: RunningGateway, moderation: Moderation) -> None:
    billing_id, _ = hold(running, sender="bo@billing.test", message_id="<b@billing.test>")
    default_id, _ = hold(running, sender="agent@support.test", message_id="<d@support.test>")
    assert [h.id for h in moderation.list_held(team="billing")] == [billing_id]
    assert [h.id for h in moderation.list_held(policy="test_marker")] == [billing_id, default_id]
    assert moderation.list_held(policy="blame") == []
    assert moderation.list_held(min_age=timedelta(hours=1)) == []
    assert [h.id for h in moderation.list_held(min_age=timedelta(0))] == [billing_id, default_id]
    moderation.delete(default_id, actor="ann")
    assert [h.id for h in moderation.list_held()] == [billing_id]
    assert [h.id for h in moderation.list_held(status="deleted")] == [default_id]


# --- statistics ---------------------------------------------------------------------------


def test_every_checked_message_counts_in_its_teams_daily_stats(
        running: RunningGateway, moderation: Moderation, sink: Sink) -> None:
    with smtplib.SMTP("127.0.0.1", running.port, timeout=10) as client:
        for body in ("All good.", "A MARKWARN here.", "Please MARKHOLD.", "Fine too."):
            client.sendmail("agent@support.test", ["customer@example.test"], make_message(body))
        client.sendmail("bo@billing.test", ["c@example.test"],
                        make_message("MARKWARN", sender="bo@billing.test"))
    running.run(running.gateway.decision_log.flush())
    [today] = moderation.team_stats("default", days=1)
    assert today["day"] == utcnow().date()
    assert (today["pass"], today["annotate"], today["hold"]) == (2, 1, 1)
    assert today["findings"] == {"test_marker": 2}
    week = moderation.team_stats("billing", days=7)
    assert len(week) == 7 and week[-1]["annotate"] == 1 and sum(d["pass"] for d in week) == 0


# --- users --------------------------------------------------------------------------------


def test_users_passwords_roles_and_tokens(running: RunningGateway) -> None:
    users = Users(running.store)
    rita = users.add("rita", "correct horse", role="reviewer", teams=["billing", "billing", "vip"])
    assert rita == User("rita", "reviewer", ("billing", "vip"))
    with pytest.raises(ValueError, match="already exists"):
        users.add("rita", "x")
    with pytest.raises(ValueError, match="role 'boss'"):
        users.add("bob", "x", role="boss")
    assert users.authenticate("rita", "correct horse") == rita
    assert users.authenticate("rita", "wrong") is None and users.authenticate("nobody", "x") is None
    token = users.create_token("rita", "helpdesk")
    assert users.authenticate_token(token) == rita
    assert users.authenticate_token(token + "x") is None and users.authenticate_token("") is None
    with pytest.raises(ValueError, match="no user 'bob'"):
        users.create_token("bob")
    users.add("ann", "pw", role="admin")
    assert [u.name for u in users.list()] == ["ann", "rita"]
    assert users.remove("rita") and not users.remove("rita")
    assert users.authenticate_token(token) is None and users.get("rita") is None


# --- a dead database on the mail path -----------------------------------------------------


def test_a_dead_database_answers_451_on_hold_and_the_retry_is_held(
        running: RunningGateway, moderation: Moderation, sink: Sink, tmp_path: Path,
        store_url: str) -> None:
    from gateway.store import _make_engine
    from tests.conftest import free_port

    dead = (f"postgresql://postgres@127.0.0.1:{free_port()}/test" if store_url.startswith("postgresql")
            else f"sqlite:///{tmp_path}/missing-dir/x.db")
    live, running.store.engine = running.store.engine, _make_engine(dead)
    data = make_message("Please MARKHOLD wait.")
    with smtplib.SMTP("127.0.0.1", running.port, timeout=30) as client:
        client.ehlo()
        client.mail("agent@support.test")
        client.rcpt("customer@example.test")
        code, text = client.data(data)
    assert code == 451 and b"try again later" in text
    assert sink.messages == []
    running.store.engine = live  # the database is back; the client retries
    with smtplib.SMTP("127.0.0.1", running.port, timeout=10) as client:
        client.sendmail("agent@support.test", ["customer@example.test"], data)
    [summary] = moderation.list_held()
    assert moderation.get(summary.id).raw == data and sink.originals() == []
