"""The store: held messages and the outbox."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import text

from gateway.store import FAILED, PENDING, SENT, NewMail, Store, utcnow
from policies.model import Action, Finding, Severity, Verdict

VERDICT = Verdict(Action.HOLD, (Finding("blame", Severity.HOLD, "Blames the customer.", "you should have",
                                        3, 18, "Say what happens next."),), ("blame is a hold finding",))


@pytest.fixture
def store(tmp_path: Path) -> Store:
    s = Store(f"sqlite:///{tmp_path / 'deep' / 'dir' / 'tact.db'}")
    s.create()
    return s


def note(to: str = "agent@support.test") -> NewMail:
    return NewMail(kind="held", sender="", recipients=[to], raw=b"Subject: note\r\n\r\nhi\r\n")


def test_sqlite_file_is_created_with_its_directory_in_wal_mode(store: Store, tmp_path: Path) -> None:
    assert (tmp_path / "deep" / "dir" / "tact.db").is_file()
    with store.engine.connect() as conn:
        assert conn.execute(text("PRAGMA journal_mode")).scalar() == "wal"


def test_hold_keeps_everything_and_enqueues_its_note_together(store: Store) -> None:
    raw = b"Subject: Re: x\r\n\r\nbody \xe9\r\n"
    seen: list[int] = []

    def make_note(held_id: int) -> NewMail:
        seen.append(held_id)
        return note()

    held_id = store.hold(team="billing", sender="agent@support.test", recipients=["a@x.test", "b@x.test"],
                         raw=raw, verdict=VERDICT, subject="Re: x", message_id="<m@x>", note=make_note)
    assert seen == [held_id]
    row = store.get_held(held_id)
    assert row is not None
    assert row["raw"] == raw and row["team"] == "billing" and row["status"] == "held"
    assert row["recipients"] == ["a@x.test", "b@x.test"]
    assert row["verdict"]["action"] == "hold"
    assert row["verdict"]["findings"][0]["excerpt"] == "you should have"
    assert row["verdict"]["reasons"] == ["blame is a hold finding"]
    [item] = store.list_outbox()
    assert item["kind"] == "held" and item["status"] == PENDING and item["recipients"] == ["agent@support.test"]


def test_a_failing_note_rolls_the_hold_back(store: Store) -> None:
    def broken(held_id: int) -> NewMail:
        raise RuntimeError("boom")

    with pytest.raises(RuntimeError):
        store.hold(team="default", sender="s@x", recipients=["r@x"], raw=b"x", verdict=VERDICT, note=broken)
    assert store.list_held(status=None) == [] and store.list_outbox() == []


def test_claim_due_claims_each_item_once(store: Store) -> None:
    first = store.enqueue(note("one@x.test"))
    store.enqueue(note("two@x.test"))
    claimed = store.claim_due(limit=1)
    assert [c.id for c in claimed] == [first]
    assert [c.recipients for c in store.claim_due()] == [["two@x.test"]]
    assert store.claim_due() == []


def test_an_expired_lease_makes_an_item_due_again(store: Store) -> None:
    item_id = store.enqueue(note())
    assert len(store.claim_due(lease=timedelta(seconds=-1))) == 1
    assert [c.id for c in store.claim_due()] == [item_id]


def test_failures_are_counted_and_scheduled(store: Store) -> None:
    item_id = store.enqueue(note())
    store.claim_due()
    store.mark_failed(item_id, "451 down", utcnow() + timedelta(hours=1))
    [row] = store.list_outbox()
    assert row["attempts"] == 1 and row["status"] == PENDING and row["last_error"] == "451 down"
    assert store.claim_due() == []  # not due yet
    store.mark_failed(item_id, "550 gone", None)
    assert store.list_outbox()[0]["status"] == FAILED
    assert store.list_outbox()[0]["attempts"] == 2


def test_mark_sent(store: Store) -> None:
    item_id = store.enqueue(note())
    store.claim_due()
    store.mark_sent(item_id)
    [row] = store.list_outbox()
    assert row["status"] == SENT and row["sent_at"] is not None
    assert store.claim_due() == []
