"""The decision log: one row per checked message (time, team, action, policies that fired),
for the per-team statistics of the review UI.

The mail path only appends to a list (`record`, no I/O); a background task writes what
accumulated in one INSERT per second (or sooner when many are waiting). The rows are
statistics, not mail: should the database be down, they wait in memory (up to a bound)
and go in with the next write that succeeds.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Iterable
from datetime import datetime, timezone

from gateway.store import Store

log = logging.getLogger(__name__)

FLUSH_INTERVAL = 1.0  # seconds between writes
FLUSH_AT = 500  # rows waiting that trigger a write at once
MAX_PENDING = 100_000  # beyond this (a long database outage) the oldest rows are dropped


class DecisionLog:
    """Buffers decisions and writes them in batches."""

    def __init__(self, store: Store, *, interval: float = FLUSH_INTERVAL) -> None:
        self.store = store
        self.interval = interval
        self._pending: list[tuple[float, str, str, Iterable[str]]] = []
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self.dropped = 0

    def record(self, team: str, action: str, policies: Iterable[str]) -> None:
        """Note one checked message (called on the event loop: a tuple appended, no I/O;
        the rows are built in the writer's thread)."""
        pending = self._pending
        pending.append((time.time(), team, action, policies))
        if len(pending) >= FLUSH_AT:
            if len(pending) > MAX_PENDING:
                drop = len(pending) - MAX_PENDING
                del pending[:drop]
                self.dropped += drop
            self._wake.set()

    def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name="tact-decisions")

    async def stop(self) -> None:
        """Stop the writer and write what is left."""
        if self._task is not None:
            self._task.cancel()
            try:
                await self._task
            except asyncio.CancelledError:
                pass
            self._task = None
        await self.flush()

    async def flush(self) -> int:
        """Write the waiting rows now; return how many were written."""
        batch, self._pending = self._pending, []
        if not batch:
            return 0
        try:
            await asyncio.to_thread(_write, self.store, batch)
        except Exception:
            log.exception("decisions: cannot record %d row(s); will retry", len(batch))
            self._pending[:0] = batch
            return 0
        return len(batch)

    async def _run(self) -> None:
        while True:
            try:
                await asyncio.wait_for(self._wake.wait(), self.interval)
            except asyncio.TimeoutError:
                pass
            self._wake.clear()
            await self.flush()


def _write(store: Store, batch: list[tuple[float, str, str, Iterable[str]]]) -> None:
    store.record_decisions([
        {"at": datetime.fromtimestamp(at, timezone.utc), "team": team, "action": action,
         "policies": sorted(set(policies))}
        for at, team, action, policies in batch])
