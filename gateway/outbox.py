"""The outbox worker: sends the mail the gateway itself originates, durably.

Items live in the `outbox` table until the relay accepts them. A failed send
is retried with exponential backoff (5 s, 30 s, 2 min, 10 min, 30 min, 1 h…)
up to `max_attempts`, then marked failed and logged. The worker wakes on its
poll interval, or at once when the pipeline enqueues something.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Sequence
from datetime import datetime, timedelta

from gateway.relay import Relay, RelayError
from gateway.store import NewMail, OutboxItem, Store, utcnow

log = logging.getLogger(__name__)

DEFAULT_BACKOFF: tuple[float, ...] = (5, 30, 120, 600, 1800, 3600)
DEFAULT_MAX_ATTEMPTS = 10


def next_attempt(attempts: int, backoff: Sequence[float], now: datetime) -> datetime:
    """When to try again after `attempts` failures (the last step repeats)."""
    step = backoff[min(attempts, len(backoff)) - 1] if attempts > 0 else 0
    return now + timedelta(seconds=step)


BATCH = 20  # items claimed per round
# How long sent items wait to be marked so in the store: under load one transaction then
# marks many (until marked, their leases keep them from being sent again).
MARK_DELAY = 0.05


class OutboxWorker:
    """Polls the outbox and sends due items through the relay."""

    def __init__(self, store: Store, relay: Relay, *, poll_interval: float = 2.0,
                 backoff: Sequence[float] = DEFAULT_BACKOFF,
                 max_attempts: int = DEFAULT_MAX_ATTEMPTS,
                 report_failure: Callable[[OutboxItem, str], NewMail | None] | None = None) -> None:
        # report_failure(item, error): the note telling the agent an item was given up on
        # (a released message that could not be delivered), or None for no note
        self.store = store
        self.report_failure = report_failure
        self.relay = relay
        self.poll_interval = poll_interval
        self.backoff = tuple(backoff)
        self.max_attempts = max_attempts
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._sending: set[asyncio.Task[None]] = set()  # items handed over by `wake(item)`
        self._sent: list[OutboxItem] = []  # sent, not yet marked so in the store
        self._marking: asyncio.Task[None] | None = None

    def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name="tact-outbox")

    def wake(self, *claimed: OutboxItem) -> None:
        """Look at the outbox now (called after an enqueue); or, given items this process
        enqueued already claimed (`Store.enqueue_claimed`), send those at once: no poll,
        no claim transaction. Until they are marked sent, their lease keeps them safe."""
        if not claimed:
            self._wake.set()
            return
        for item in claimed:
            task = asyncio.create_task(self._send_claimed(item), name=f"tact-outbox-{item.id}")
            self._sending.add(task)
            task.add_done_callback(self._sending.discard)

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            try:
                await self._task
            except asyncio.CancelledError:
                pass
            self._task = None
        if self._sending:  # let sends under way finish (an unsent item's lease expires: retried)
            _, late = await asyncio.wait(set(self._sending), timeout=5)
            for task in late:
                task.cancel()
        if self._marking is not None:
            await asyncio.wait({self._marking}, timeout=5)
        await self._mark_sent(delay=0)

    async def _send_claimed(self, item: OutboxItem) -> None:
        if await self._send(item):
            self._sent.append(item)
            if self._marking is None:
                self._marking = asyncio.create_task(self._mark_sent(), name="tact-outbox-mark")

    async def _mark_sent(self, delay: float = MARK_DELAY) -> None:
        """Mark what went out, in one transaction per batch (group commit), the first batch
        after `delay`."""
        try:
            if delay and self._sent:
                await asyncio.sleep(delay)
            while self._sent:
                batch, self._sent = self._sent, []
                try:
                    await asyncio.to_thread(self.store.mark_sent_many, [item.id for item in batch])
                except Exception:
                    # their leases expire and they go out again: a note may come twice, never lost
                    log.exception("outbox: cannot mark %d sent item(s)", len(batch))
                    continue
                for item in batch:
                    log.info("outbox: sent %s #%d to %s", item.kind, item.id, ", ".join(item.recipients))
        finally:
            self._marking = None

    async def _run(self) -> None:
        while True:
            try:
                claimed, _ = await self._round()
                if claimed >= BATCH:
                    continue  # a full batch: more are probably due, don't wait for the poll
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("outbox: polling failed; retrying in %.1fs", self.poll_interval)
            try:
                await asyncio.wait_for(self._wake.wait(), self.poll_interval)
            except asyncio.TimeoutError:
                pass
            self._wake.clear()

    async def run_once(self) -> int:
        """Send one batch of due items; return how many were sent."""
        return (await self._round())[1]

    async def _round(self) -> tuple[int, int]:
        """Claim a batch and send it concurrently (the relay's pool bounds how many at once)."""
        items = await asyncio.to_thread(self.store.claim_due, BATCH)
        if not items:
            return 0, 0
        results = await asyncio.gather(*(self._send(item) for item in items))
        sent = [item for item, ok in zip(items, results) if ok]
        if sent:
            # One transaction for the batch. Should it fail, the leases expire and the
            # items go out again: a note may come twice, it is never lost.
            await asyncio.to_thread(self.store.mark_sent_many, [item.id for item in sent])
            for item in sent:
                log.info("outbox: sent %s #%d to %s", item.kind, item.id, ", ".join(item.recipients))
        return len(items), len(sent)

    async def _send(self, item: OutboxItem) -> bool:
        try:
            await self.relay.send(item.sender, item.recipients, item.raw)
        except RelayError as exc:
            await self._failed(item, exc.reply, permanent=exc.permanent)
            return False
        except Exception as exc:
            log.exception("outbox: item %d: unexpected error", item.id)
            await self._failed(item, f"{type(exc).__name__}: {exc}", permanent=False)
            return False
        return True

    async def _failed(self, item: OutboxItem, error: str, *, permanent: bool) -> None:
        attempts = item.attempts + 1
        if permanent or attempts >= self.max_attempts:
            log.error("outbox: giving up on %s #%d to %s after %d attempt(s): %s",
                      item.kind, item.id, ", ".join(item.recipients), attempts, error)
            report = None
            if self.report_failure is not None:
                try:
                    report = self.report_failure(item, error)
                except Exception:
                    log.exception("outbox: cannot render the failure report of #%d", item.id)
            await asyncio.to_thread(self.store.mark_failed, item.id, error, None, report, item.held_id)
            if report is not None:
                self._wake.set()
            return
        retry_at = next_attempt(attempts, self.backoff, utcnow())
        log.warning("outbox: %s #%d attempt %d failed (%s); next try at %s",
                    item.kind, item.id, attempts, error, retry_at.isoformat(timespec="seconds"))
        await asyncio.to_thread(self.store.mark_failed, item.id, error, retry_at)
