"""The decision log: batched rows for the per-team statistics, kept through an outage."""

from __future__ import annotations

from pathlib import Path

from gateway.decisions import DecisionLog
from gateway.store import Store, _make_engine, decisions


def rows(store: Store) -> list[tuple[str, str, list[str]]]:
    with store.engine.connect() as conn:
        result = conn.execute(decisions.select().order_by(decisions.c.id)).mappings().all()
    return [(r["team"], r["action"], r["policies"]) for r in result]


async def test_decisions_are_written_in_one_batch_with_distinct_sorted_policies(store: Store) -> None:
    log = DecisionLog(store)
    log.record("billing", "pass", [])
    log.record("billing", "hold", ["blame", "tone_match", "blame"])
    assert rows(store) == []  # nothing written on the mail path
    assert await log.flush() == 2
    assert rows(store) == [("billing", "pass", []), ("billing", "hold", ["blame", "tone_match"])]
    assert await log.flush() == 0


async def test_rows_wait_in_memory_while_the_database_is_down(store: Store, tmp_path: Path) -> None:
    log = DecisionLog(store)
    log.record("default", "annotate", ["tone_match"])
    live, store.engine = store.engine, _make_engine(f"sqlite:///{tmp_path}/missing-dir/x.db")
    assert await log.flush() == 0
    log.record("default", "pass", [])
    store.engine = live
    assert await log.flush() == 2
    assert rows(store) == [("default", "annotate", ["tone_match"]), ("default", "pass", [])]


async def test_stop_writes_what_is_left(store: Store) -> None:
    log = DecisionLog(store, interval=60)
    log.start()
    log.record("default", "pass", [])
    await log.stop()
    assert rows(store) == [("default", "pass", [])]
