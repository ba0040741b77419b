"""The outbox worker: durable delivery of the gateway's own mail, with retries."""

from __future__ import annotations

import asyncio
import time
from datetime import datetime, timezone

from sqlalchemy import event

from gateway.outbox import OutboxWorker, next_attempt
from gateway.relay import RelayError
from gateway.settings import StoreSettings
from gateway.store import FAILED, SENT, NewMail, Store
from tests.conftest import RunningGateway, Sink, gateway_settings, make_message

NOTE = NewMail(kind="coaching", sender="", recipients=["agent@support.test"],
               raw=b"X-Tact-Note: 1\r\nSubject: note\r\n\r\nhi\r\n")


class FlakyRelay:
    """Refuses the first `failures` sends with `reply`, then accepts."""

    def __init__(self, failures: int, reply: str = "451 4.4.1 down", permanent: bool = False) -> None:
        self.failures = failures
        self.reply = reply
        self.permanent = permanent
        self.sent: list[bytes] = []

    async def send(self, mail_from, rcpt_tos, data, mail_options=None) -> None:
        if self.failures > 0:
            self.failures -= 1
            raise RelayError(self.reply, permanent=self.permanent)
        self.sent.append(data)

    async def close(self) -> None:
        pass


def test_backoff_grows_and_then_stays_at_its_cap() -> None:
    now = datetime(2026, 1, 1, tzinfo=timezone.utc)
    steps = [(next_attempt(n, (5, 30, 120), now) - now).total_seconds() for n in (1, 2, 3, 4, 9)]
    assert steps == [5, 30, 120, 120, 120]


async def test_a_failed_send_is_retried_after_the_backoff(store: Store) -> None:
    relay = FlakyRelay(failures=2)
    worker = OutboxWorker(store, relay, backoff=(0.05,), max_attempts=5)
    store.enqueue(NOTE)
    assert await worker.run_once() == 0
    assert await worker.run_once() == 0  # not due yet
    await asyncio.sleep(0.06)
    assert await worker.run_once() == 0
    await asyncio.sleep(0.06)
    assert await worker.run_once() == 1
    [row] = store.list_outbox()
    assert row["status"] == SENT and row["attempts"] == 2 and relay.sent == [NOTE.raw]


async def test_it_gives_up_after_max_attempts(store: Store) -> None:
    worker = OutboxWorker(store, FlakyRelay(failures=99), backoff=(0,), max_attempts=3)
    store.enqueue(NOTE)
    for _ in range(5):
        await worker.run_once()
    [row] = store.list_outbox()
    assert row["status"] == FAILED and row["attempts"] == 3 and row["last_error"] == "451 4.4.1 down"


async def test_a_permanent_refusal_is_not_retried(store: Store) -> None:
    worker = OutboxWorker(store, FlakyRelay(1, "550 5.1.1 no such user", permanent=True), backoff=(0,))
    store.enqueue(NOTE)
    await worker.run_once()
    await worker.run_once()
    assert store.list_outbox()[0]["status"] == FAILED


async def test_the_running_worker_wakes_on_enqueue(store: Store) -> None:
    relay = FlakyRelay(failures=0)
    worker = OutboxWorker(store, relay, poll_interval=60)
    worker.start()
    try:
        await asyncio.sleep(0.05)
        store.enqueue(NOTE)
        worker.wake()
        for _ in range(100):
            if relay.sent:
                break
            await asyncio.sleep(0.02)
        assert relay.sent == [NOTE.raw]
    finally:
        await worker.stop()


def test_the_gateway_deletes_what_it_sent_once_keep_sent_has_passed(tmp_path, sink: Sink, marker_policy) -> None:
    """[store] keep_sent: the outbox does not grow for ever; what failed stays for a person."""
    import smtplib

    settings = gateway_settings(tmp_path, f"smtp://127.0.0.1:{sink.port}")
    settings.store = StoreSettings(url=settings.store.url, keep_sent="1s")
    store = Store(settings.store.url)  # an item given up on before the gateway starts
    store.create()
    store.mark_failed(store.enqueue(NOTE), "550 no such user", None)
    store.close()
    gateway = RunningGateway(settings, check_workers=0, outbox_poll_interval=0.1, expiry_interval=0.2,
                             prune_interval=0.2)
    try:
        with smtplib.SMTP("127.0.0.1", gateway.port, timeout=10) as client:
            client.sendmail("agent@support.test", ["customer@example.test"], make_message("MARKWARN"))
        sink.wait_for(lambda m: m.rcpt_tos == ["agent@support.test"])  # the coaching note
        eventually(lambda: [r["status"] for r in gateway.store.list_outbox()] == [FAILED, SENT])
        eventually(lambda: [r["status"] for r in gateway.store.list_outbox()] == [FAILED])
    finally:
        gateway.stop()


def test_a_note_is_delivered_once_the_upstream_is_back(gateway: RunningGateway, sink: Sink,
                                                       marker_policy) -> None:
    import smtplib

    data = make_message("MARKWARN")
    with smtplib.SMTP("127.0.0.1", gateway.port, timeout=10) as client:
        client.sendmail("agent@support.test", ["customer@example.test"], data)
    sink.wait_for(lambda m: m.data == data)
    sink.wait_for(lambda m: m.rcpt_tos == ["agent@support.test"])
    # Now the upstream goes away while a note is due.
    sink.stop()
    gateway.store.enqueue(NOTE)
    eventually(lambda: any(r["attempts"] > 0 for r in gateway.store.list_outbox()))
    sink.start()
    sink.wait_for(lambda m: m.data == NOTE.raw)
    eventually(lambda: [r["status"] for r in gateway.store.list_outbox()] == [SENT, SENT])


def eventually(condition, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "condition not met in time"
        time.sleep(0.02)


async def test_an_item_handed_over_claimed_is_sent_at_once_and_marked(store: Store) -> None:
    relay = FlakyRelay(failures=0)
    worker = OutboxWorker(store, relay, poll_interval=60)  # no polling: only the hand-over
    item = store.enqueue_claimed(NOTE)
    assert store.claim_due() == []  # leased to us: nobody else takes it
    worker.wake(item)
    await worker.stop()  # waits for the send and marks it
    [row] = store.list_outbox()
    assert relay.sent == [NOTE.raw] and row["status"] == SENT and row["sent_at"] is not None


async def test_items_sent_about_together_are_marked_sent_in_one_transaction(store: Store) -> None:
    class StaggeredRelay(FlakyRelay):
        """Each send takes a little longer than the one before (an upstream at work)."""

        async def send(self, mail_from, rcpt_tos, data, mail_options=None) -> None:
            self.calls = getattr(self, "calls", 0) + 1
            await asyncio.sleep(0.008 * self.calls)
            await super().send(mail_from, rcpt_tos, data, mail_options)

    relay = StaggeredRelay(failures=0)
    worker = OutboxWorker(store, relay, poll_interval=60)
    items = store.enqueue_claimed_many([NOTE] * 5)
    commits: list[int] = []
    event.listen(store.engine, "commit", lambda _conn: commits.append(1))
    worker.wake(*items)
    for _ in range(200):  # until every one is marked, without stopping the worker
        if {row["status"] for row in store.list_outbox()} == {SENT}:
            break
        await asyncio.sleep(0.01)
    assert {row["status"] for row in store.list_outbox()} == {SENT} and len(relay.sent) == 5
    assert len(commits) == 1  # (one UPDATE for the five, sent over 40 ms, not one each)
    await worker.stop()


async def test_a_handed_over_item_that_fails_is_retried_by_the_poller(store: Store) -> None:
    relay = FlakyRelay(failures=1)
    worker = OutboxWorker(store, relay, backoff=(0,), max_attempts=5)
    worker.wake(store.enqueue_claimed(NOTE))
    for _ in range(100):
        if store.list_outbox()[0]["attempts"] == 1:
            break
        await asyncio.sleep(0.01)
    assert relay.sent == []
    assert await worker.run_once() == 1
    [row] = store.list_outbox()
    assert row["status"] == SENT and row["attempts"] == 1 and relay.sent == [NOTE.raw]
