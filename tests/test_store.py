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
def sqlite_store(tmp_path: Path) -> Store:
    s = Store(f"sqlite:///{tmp_path / 'deep' / 'dir' / 'tact.db'}")
    s.create()
    return s


def note(to: str = "agent@support.test") -> NewMail:
    return NewMail(kind="held", sender="", recipients=[to], raw=b"Subject: note\r\n\r\nhi\r\n")


def test_sqlite_file_is_created_with_its_directory_in_wal_mode(sqlite_store: Store, tmp_path: Path) -> None:
    assert (tmp_path / "deep" / "dir" / "tact.db").is_file()
    with sqlite_store.engine.connect() as conn:
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


def test_prune_sent_deletes_only_what_went_out_before_the_cutoff(store: Store) -> None:
    old, recent, pending, failed = (store.enqueue(note(f"{n}@x.test")) for n in ("old", "recent", "pending", "failed"))
    store.claim_due()
    store.mark_sent_many([old])
    cutoff = utcnow()
    store.mark_sent_many([recent])
    store.mark_failed(failed, "550 no such user", None)
    assert store.prune_sent(cutoff) == 1
    assert {row["id"]: row["status"] for row in store.list_outbox()} == {
        recent: SENT, pending: "sending", failed: FAILED}  # (pending: claimed above, not sent)


def test_mark_sent(store: Store) -> None:
    item_id = store.enqueue(note())
    store.claim_due()
    store.mark_sent(item_id)
    [row] = store.list_outbox()
    assert row["status"] == SENT and row["sent_at"] is not None
    assert store.claim_due() == []


def test_notes_enqueued_together_are_claimed_in_order_until_their_lease_expires(store: Store) -> None:
    mails = [note(f"agent{k}@x.test") for k in range(5)]
    items = store.enqueue_claimed_many(mails, lease=timedelta(seconds=-1))  # lease already over
    assert [i.recipients for i in items] == [m.recipients for m in mails]
    assert len({i.id for i in items}) == 5
    rows = {row["id"]: row for row in store.list_outbox()}
    assert [rows[i.id]["recipients"] for i in items] == [m.recipients for m in mails]  # ids match rows
    # claimed by the caller, who died without sending: the outbox sends them again
    assert sorted(c.id for c in store.claim_due()) == sorted(i.id for i in items)
    assert store.enqueue_claimed_many([]) == []


# --- migrations -----------------------------------------------------------------------


def test_a_new_database_is_migrated_to_the_newest_revision_and_a_restart_changes_nothing(
        store: Store) -> None:
    from sqlalchemy import inspect

    from gateway.migrations import current, head

    assert current(store.engine) == head()
    tables = set(inspect(store.engine).get_table_names())
    assert {"held", "outbox", "audit", "users", "api_tokens", "decisions", "kv"} <= tables
    store.create()  # the next start: nothing to do, nothing lost
    assert current(store.engine) == head()


def test_a_database_made_before_migrations_is_upgraded_keeping_its_mail(tmp_path: Path) -> None:
    """The first gateway made its tables with create_all: held and outbox, no alembic_version."""
    import sqlalchemy as sa

    from gateway.migrations import current, head

    url = f"sqlite:///{tmp_path / 'old.db'}"
    engine = sa.create_engine(url)
    with engine.begin() as conn:
        conn.execute(text("CREATE TABLE held (id INTEGER PRIMARY KEY, created_at DATETIME NOT NULL, "
                          "team VARCHAR(200) NOT NULL, sender VARCHAR(998) NOT NULL, recipients JSON NOT NULL, "
                          "subject TEXT NOT NULL, message_id VARCHAR(998), raw BLOB NOT NULL, "
                          "action VARCHAR(20) NOT NULL, verdict JSON NOT NULL, status VARCHAR(20) NOT NULL)"))
        conn.execute(text("CREATE TABLE outbox (id INTEGER PRIMARY KEY, kind VARCHAR(20) NOT NULL, "
                          "sender VARCHAR(998) NOT NULL, recipients JSON NOT NULL, raw BLOB NOT NULL, "
                          "attempts INTEGER NOT NULL, next_attempt_at DATETIME NOT NULL, last_error TEXT, "
                          "status VARCHAR(20) NOT NULL, created_at DATETIME NOT NULL, sent_at DATETIME)"))
        conn.execute(text("INSERT INTO held VALUES (7, '2026-11-01 10:00:00', 'billing', 'a@x', '[\"c@y\"]', "
                          "'Re: old', NULL, X'6869', 'hold', '{\"findings\": []}', 'held')"))
    engine.dispose()
    store = Store(url)
    store.create()
    assert current(store.engine) == head()
    row = store.get_held(7)
    assert row is not None and row["raw"] == b"hi" and row["status"] == "held" and row["decided_at"] is None


def test_a_dead_postgresql_is_a_clear_error_naming_the_url_without_its_password() -> None:
    import asyncio

    from gateway.server import Gateway, StartupError
    from gateway.settings import Settings, StoreSettings
    from tests.conftest import free_port

    port = free_port()  # nothing listens there
    url = f"postgresql://tact:s3cret@127.0.0.1:{port}/tact"
    gateway = Gateway(Settings(store=StoreSettings(url=url)), check_workers=0)
    with pytest.raises(StartupError) as caught:
        asyncio.run(gateway.start())
    message = str(caught.value)
    assert f"postgresql://tact:***@127.0.0.1:{port}/tact" in message and "unreachable" in message
    assert "s3cret" not in message


# --- small tables ---------------------------------------------------------------------


def test_the_first_value_stored_under_a_key_wins(store: Store) -> None:
    assert store.get_value("web_secret") is None
    assert store.set_default_value("web_secret", "one") == "one"
    assert store.set_default_value("web_secret", "two") == "one"
    assert store.get_value("web_secret") == "one"


def test_decisions_are_recorded_in_one_batch(store: Store) -> None:
    from gateway.store import decisions

    now = utcnow()
    store.record_decisions([{"at": now, "team": "billing", "action": "pass", "policies": []},
                            {"at": now, "team": "billing", "action": "hold", "policies": ["blame"]}])
    store.record_decisions([])
    with store.engine.connect() as conn:
        rows = conn.execute(decisions.select().order_by(decisions.c.id)).mappings().all()
    assert [(r["team"], r["action"], r["policies"]) for r in rows] == [
        ("billing", "pass", []), ("billing", "hold", ["blame"])]


def test_concurrent_claims_never_take_the_same_item(store: Store) -> None:
    """Eight threads claim from 300 due items at once: every item is claimed exactly once."""
    from concurrent.futures import ThreadPoolExecutor

    for i in range(300):
        store.enqueue(note(f"r{i}@x.test"))

    def drain() -> list[int]:
        got: list[int] = []
        while batch := store.claim_due(limit=7):
            got.extend(item.id for item in batch)
        return got

    with ThreadPoolExecutor(8) as pool:
        results = list(pool.map(lambda _: drain(), range(8)))
    claimed = [i for r in results for i in r]
    assert len(claimed) == 300 and len(set(claimed)) == 300


def test_gateways_starting_together_on_a_new_database_migrate_it_once(store_url: str) -> None:
    """Four processes create the same new database at once: all start, one schema."""
    import subprocess
    import sys

    from gateway.migrations import current, head

    root = Path(__file__).resolve().parent.parent
    code = "import sys; from gateway.store import Store; Store(sys.argv[1]).create()"
    starts = [subprocess.Popen([sys.executable, "-c", code, store_url], cwd=root,
                               stderr=subprocess.PIPE, text=True) for _ in range(4)]
    errors = [p.communicate(timeout=120)[1] for p in starts]
    assert [p.returncode for p in starts] == [0, 0, 0, 0], errors
    store = Store(store_url)
    assert current(store.engine) == head()
    held_id = store.hold(team="default", sender="s@x", recipients=["r@x"], raw=b"x", verdict=VERDICT)
    assert store.get_held(held_id) is not None
    store.close()
