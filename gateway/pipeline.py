"""Act on one accepted message: bypass, check, then pass, annotate or hold.

`Pipeline.deliver()` returns the SMTP reply for DATA only once the message is
safe (relayed and accepted upstream, or committed to the store), and raises
`RelayError` (carrying a 4xx/5xx reply) otherwise. Notes to the sender go to
the outbox after the original is safe; they never affect the original.

Checking is CPU work, so `Checker` runs it off the event loop: in a process
pool (real parallelism; the settings reach each worker through the pool's
initializer) or, with `workers=0`, in a thread of this process (tests, and
policies registered at run time).
"""

from __future__ import annotations

import asyncio
import inspect
import logging
import multiprocessing
import os
import pickle
import re
import signal
import threading
import time
import traceback
import uuid
from collections import Counter, deque
from collections.abc import Callable
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from datetime import datetime, timezone
from email.message import Message
from multiprocessing.connection import Connection
from typing import Any

from gateway.checking import check_message
from gateway.coaching import COACHING, HELD, NOTE_HEADER, build_note, decoded, original_headers
from gateway.relay import Relay, RelayError
from gateway.settings import Settings
from gateway.store import NewMail, OutboxItem, Store
from policies.model import Action, Verdict

log = logging.getLogger(__name__)

# A check that takes longer than this is abandoned (fail open, or hold per team).
CHECK_TIMEOUT = 30.0
# Most checks a checking process is sent at once (when that many are waiting).
MAX_BATCH = 4


# --- checking off the event loop -------------------------------------------

_worker_settings: Settings | None = None


def _init_worker(settings: Settings, parent_pid: int | None = None) -> None:
    global _worker_settings
    _worker_settings = settings
    # Ctrl-C in a terminal reaches the whole process group: the gateway stops its workers
    # itself (closing their pipes), so they ignore it rather than print a traceback each.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    import policies  # noqa: F401  (load and compile every policy once per worker)

    if parent_pid is not None:
        threading.Thread(target=_exit_with_parent, args=(parent_pid,), daemon=True,
                         name="tact-parent-watch").start()


def _exit_with_parent(parent_pid: int) -> None:
    """A worker never outlives the gateway (a killed parent does not stop a pool's workers)."""
    while os.getppid() == parent_pid:
        time.sleep(1.0)
    os._exit(0)


@dataclass(frozen=True)
class Outcome:
    """What the gateway needs back from a check: the team, the verdict and, for an
    annotated message, its coaching note already rendered (None when rendering failed:
    `note_error` says why). The parsed reply stays in the worker (cheaper to send back)."""

    team: str
    verdict: Verdict
    note: bytes | None = None
    note_error: str | None = None


def check_and_render(raw: bytes, settings: Settings, sender: str, recipients: tuple[str, ...],
                     received_at: datetime) -> Outcome:
    """Check `raw` and, when it is to be annotated, render its coaching note (CPU work that
    belongs off the event loop). Never raises for a note: the message matters more."""
    checked = check_message(raw, settings, sender=sender, recipients=recipients,
                            received_at=received_at)
    note = error = None
    if checked.verdict.action is Action.ANNOTATE:
        try:
            note = build_note(COACHING, original=raw, to=sender, verdict=checked.verdict,
                              note_from=settings.gateway.note_from,
                              hostname=settings.gateway.hostname)
        except Exception as exc:
            error = "".join(traceback.format_exception(exc)).rstrip()
    return Outcome(checked.team, checked.verdict, note, error)


def _check_in_worker(raw: bytes, sender: str, recipients: tuple[str, ...],
                     received_at: datetime) -> Outcome:
    assert _worker_settings is not None, "worker started without settings"
    return check_and_render(raw, _worker_settings, sender, recipients, received_at)


def _serve_checks(conn: Connection, settings: Settings, parent_pid: int) -> None:
    """A checking process: ("ready", None) once loaded, then for each list of jobs it reads,
    ("answers", [one answer per job, in order])."""
    _init_worker(settings, parent_pid)
    conn.send_bytes(pickle.dumps(("ready", None)))
    while True:
        try:
            jobs = pickle.loads(conn.recv_bytes())  # one or more jobs, answered together
        except (EOFError, OSError):  # the gateway closed its end (stopping, or gone)
            return
        answers = []
        for job in jobs:
            try:
                answer: tuple[str, object] = ("ok", _check_in_worker(*job))
            except Exception as exc:  # check_and_render does not raise; in case it ever does
                answer = ("error", RuntimeError(f"checking raised {type(exc).__name__}"))
            answers.append(answer)
        try:
            data = pickle.dumps(("answers", answers), protocol=pickle.HIGHEST_PROTOCOL)
        except Exception:  # an unpicklable result: that job fails, the others are answered
            data = pickle.dumps(("answers", [_sendable(a) for a in answers]), protocol=pickle.HIGHEST_PROTOCOL)
        try:
            conn.send_bytes(data)
        except (EOFError, OSError):
            return


def _sendable(answer: tuple[str, object]) -> tuple[str, object]:
    try:
        pickle.dumps(answer, protocol=pickle.HIGHEST_PROTOCOL)
    except Exception as exc:
        return ("error", RuntimeError(f"cannot send the result: {type(exc).__name__}"))
    return answer


class _Worker:
    def __init__(self, context: Any, settings: Settings) -> None:
        self.conn, child = context.Pipe(duplex=True)
        self.process = context.Process(target=_serve_checks, args=(child, settings, os.getpid()),
                                       name="tact-check", daemon=True)
        self.process.start()
        child.close()  # so that the worker's death reads as end-of-file here
        self.jobs: list[asyncio.Future[Outcome]] = []  # sent, not answered yet


class CheckPool:
    """Checking processes, each sent jobs over its own pipe and answering them together.

    The event loop writes jobs to an idle worker's pipe and reads the answers when the
    pipe is readable: no manager and feeder threads (what ProcessPoolExecutor spends per
    job on the gateway's one busy core). Under load, the jobs waiting are shared out among
    the idle workers, up to MAX_BATCH at once each: one message each way and one wake-up
    of the process for several checks (about a tenth less CPU per message with the load
    benchmark's 20 clients on two cores). A worker that dies breaks the pool: its jobs
    fail with BrokenProcessPool, and the Checker starts a new pool.
    """

    def __init__(self, settings: Settings, workers: int) -> None:
        # spawn, not fork: forking a process that runs an event loop and threads is unsafe.
        context = multiprocessing.get_context("spawn")
        self._loop = asyncio.get_running_loop()
        self._workers = [_Worker(context, settings) for _ in range(workers)]
        self._idle: deque[_Worker] = deque()
        self._queue: deque[tuple[tuple[object, ...], asyncio.Future[Outcome]]] = deque()
        self._ready = self._loop.create_future()
        # (deadline, job) in submission order: one timer for the pool, not one per job
        self._deadlines: deque[tuple[float, asyncio.Future[Outcome]]] = deque()
        self._sweeper = self._loop.call_later(1.0, self._sweep)
        self.broken = False
        for worker in self._workers:
            self._loop.add_reader(worker.conn.fileno(), self._answer, worker)

    @property
    def processes(self) -> list[multiprocessing.process.BaseProcess]:
        return [w.process for w in self._workers]

    async def ready(self) -> None:
        """Wait until every worker has loaded the policies."""
        await self._ready

    def submit(self, *job: object, timeout: float = CHECK_TIMEOUT) -> asyncio.Future[Outcome]:
        """The job's answer; TimeoutError if none came within `timeout` (±1 s) seconds."""
        if self.broken:
            raise BrokenProcessPool("a checking worker died")
        future: asyncio.Future[Outcome] = self._loop.create_future()
        self._deadlines.append((self._loop.time() + timeout, future))
        self._queue.append((job, future))
        self._dispatch()
        return future

    def _sweep(self) -> None:
        now = self._loop.time()
        deadlines = self._deadlines
        while deadlines and (deadlines[0][1].done() or deadlines[0][0] <= now):
            _, future = deadlines.popleft()
            if not future.done():  # given up on; its worker is free again once it answers
                future.set_exception(asyncio.TimeoutError())
        self._sweeper = self._loop.call_later(1.0, self._sweep)

    def _dispatch(self) -> None:
        while self._idle and self._queue:
            # Jobs waiting are shared out among the idle workers, up to MAX_BATCH each in one
            # message: one wake-up of a checking process for several checks under load.
            share = min(MAX_BATCH, -(-len(self._queue) // len(self._idle)))
            jobs: list[tuple[object, ...]] = []
            futures: list[asyncio.Future[Outcome]] = []
            while self._queue and len(jobs) < share:
                job, future = self._queue.popleft()
                if not future.done():  # (else given up on (timeout) before it started)
                    jobs.append(job)
                    futures.append(future)
            if not jobs:
                continue
            worker = self._idle.popleft()
            worker.jobs = futures
            try:
                worker.conn.send_bytes(pickle.dumps(jobs, protocol=pickle.HIGHEST_PROTOCOL))
            except (OSError, ValueError):
                self._break()
                return

    def _answer(self, worker: _Worker) -> None:
        try:
            data = worker.conn.recv_bytes()
        except (EOFError, OSError):
            self._break()
            return
        try:
            status, value = pickle.loads(data)
        except Exception as exc:  # an answer this process cannot load: that job fails
            status, value = "error", RuntimeError(f"cannot load the answer: {type(exc).__name__}")
        if status == "ready":
            self._idle.append(worker)
            if len(self._idle) == len(self._workers) and not self._ready.done():
                self._ready.set_result(None)
        else:
            futures, worker.jobs = worker.jobs, []
            self._idle.append(worker)
            answers = value if status == "answers" else [(status, value)] * len(futures)
            for future, (outcome, result) in zip(futures, answers):  # type: ignore[misc]
                if not future.done():
                    if outcome == "ok":
                        future.set_result(result)
                    else:
                        future.set_exception(result)
        self._dispatch()

    def _break(self) -> None:
        if self.broken:
            return
        self.broken = True
        error = BrokenProcessPool("a checking worker died")
        pending = [f for w in self._workers for f in w.jobs] + [f for _, f in self._queue] + [self._ready]
        self._queue.clear()
        for future in pending:
            if future is not None and not future.done():
                future.set_exception(error)
        if self._ready.done() and not self._ready.cancelled():
            self._ready.exception()  # retrieved: no "never retrieved" warning
        self.close()

    def close(self) -> None:
        """Stop the workers: closing a pipe ends its worker's loop (killed if it lingers)."""
        self._sweeper.cancel()
        self._deadlines.clear()
        for worker in self._workers:
            try:
                self._loop.remove_reader(worker.conn.fileno())
            except (OSError, ValueError, RuntimeError):
                pass
            worker.conn.close()
        for _, future in self._queue:
            future.cancel()
        self._queue.clear()
        for worker in self._workers:  # answers that will not be read now: those checks fail
            for future in worker.jobs:
                if not future.done():
                    future.set_exception(BrokenProcessPool("the checking processes were stopped"))
        threading.Thread(target=_reap, args=([w.process for w in self._workers],),
                         daemon=True, name="tact-check-reaper").start()


def _reap(processes: list[multiprocessing.process.BaseProcess]) -> None:
    for process in processes:
        process.join(5)
        if process.is_alive():
            process.kill()
            process.join(1)


class Checker:
    """Runs `check_message` in checking processes (`workers >= 1`) or a thread (`0`)."""

    def __init__(self, settings: Settings, workers: int = 2) -> None:
        self.settings = settings
        self.workers = workers
        self._pool: CheckPool | None = None

    async def start(self) -> None:
        if self.workers <= 0:
            return
        self._pool = CheckPool(self.settings, self.workers)
        # Start every worker now, so the first messages do not wait for imports.
        await self._pool.ready()

    async def check(self, raw: bytes, *, sender: str, recipients: tuple[str, ...],
                    received_at: datetime) -> Outcome:
        if self._pool is None:
            return await asyncio.wait_for(
                asyncio.to_thread(check_and_render, raw, self.settings, sender, recipients,
                                  received_at), CHECK_TIMEOUT)
        pool = self._pool
        try:
            return await pool.submit(raw, sender, recipients, received_at)
        except BrokenProcessPool:
            # A worker died (killed, out of memory): replace the pool for the next
            # messages; this one fails open like any checking failure.
            if self._pool is pool:
                log.error("a checking worker died; starting a new pool")
                pool.close()
                self._pool = CheckPool(self.settings, self.workers)
            raise

    def close(self) -> None:
        if self._pool is not None:
            self._pool.close()
            self._pool = None


# --- what bypasses checking ------------------------------------------------


def bypass_reason(mail_from: str, headers: Message) -> str | None:
    """Why this message passes unchecked (no loops), or None to check it."""
    if mail_from in ("", "<>"):
        return "bounce (empty reverse path)"
    if headers.get(NOTE_HEADER) is not None:
        return "generated by Tact"
    auto = str(headers.get("Auto-Submitted") or "").split(";")[0].strip().lower()
    if auto and auto != "no":
        return f"Auto-Submitted: {auto}"
    return None


_HEADER_END = re.compile(rb"\r?\n\r?\n")
_BYPASS_NAMES = (NOTE_HEADER.lower().encode(), b"auto-submitted")


def _may_bypass(raw: bytes) -> bool:
    """Could `bypass_reason` find a header here? False when neither header name occurs in
    the header block at all (the common case), which spares parsing the headers."""
    end = _HEADER_END.search(raw)
    head = (raw[: end.end()] if end else raw).lower()
    return any(name in head for name in _BYPASS_NAMES)


def _takes_items(callback: Callable[..., None]) -> bool:
    """Does `callback` take claimed outbox items (`OutboxWorker.wake(*items)`)?"""
    try:
        parameters = inspect.signature(callback).parameters.values()
    except (TypeError, ValueError):
        return False
    return any(p.kind is inspect.Parameter.VAR_POSITIONAL for p in parameters)


class _GroupCommit:
    """Coaching notes of messages checked at about the same time go to the outbox in one
    transaction: while one commit is under way, the notes that arrive wait for the next,
    and that one takes them all (one commit and one thread hop for several notes, not one
    each). A note alone is committed at once. Each caller gets its own item, or the error."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self._pending: list[tuple[NewMail, asyncio.Future[OutboxItem]]] = []
        self._flushing: asyncio.Task[None] | None = None

    async def enqueue_claimed(self, note: NewMail) -> OutboxItem:
        loop = asyncio.get_running_loop()
        future: asyncio.Future[OutboxItem] = loop.create_future()
        self._pending.append((note, future))
        if self._flushing is None:
            self._flushing = loop.create_task(self._flush())
        return await future

    async def _flush(self) -> None:
        try:
            while self._pending:
                batch, self._pending = self._pending, []
                try:
                    items = await asyncio.to_thread(self.store.enqueue_claimed_many,
                                                    [note for note, _ in batch])
                except Exception as exc:
                    for _, future in batch:
                        if not future.done():
                            future.set_exception(exc)
                    continue
                for (_, future), item in zip(batch, items):
                    if not future.done():  # (a caller that gave up: the lease expires, the outbox sends it)
                        future.set_result(item)
        finally:
            self._flushing = None


# --- the pipeline -------------------------------------------------------------


class Pipeline:
    """Decides what happens to each message and makes it happen, safely."""

    def __init__(self, settings: Settings, checker: Checker, relay: Relay, store: Store,
                 on_enqueue: Callable[..., None] | None = None) -> None:
        # on_enqueue(): poll the outbox now; on_enqueue(item): send this claimed item now
        self.settings = settings
        self.checker = checker
        self.relay = relay
        self.store = store
        self.on_enqueue = on_enqueue
        self._hand_over = on_enqueue is not None and _takes_items(on_enqueue)
        self._notes = _GroupCommit(store)
        self.stats: Counter[str] = Counter()
        # held id → the sender's review page (signed link); set by the Gateway when the web is on
        self.review_url: Callable[[int], str] | None = None
        # record_decision(team, action, policies) for every checked message that is safe
        # (held, or accepted upstream): the decision log, no I/O on the mail path
        self.record_decision: Callable[[str, str, list[str]], None] | None = None

    async def deliver(self, mail_from: str, rcpt_tos: list[str], raw: bytes,
                      mail_options: list[str] | None = None) -> str:
        """Handle one message; return the 2xx reply, or raise RelayError."""
        ref = uuid.uuid4().hex[:12]
        received_at = datetime.now(timezone.utc)
        headers = None
        reason = None
        if mail_from in ("", "<>") or _may_bypass(raw):
            headers = original_headers(raw)
            reason = bypass_reason(mail_from, headers)
        if reason is not None:
            await self.relay.send(mail_from, rcpt_tos, raw, mail_options)
            self.stats["bypass"] += 1
            log.info("[%s] relayed unchecked (%s) from <%s> to %d recipient(s)",
                     ref, reason, mail_from, len(rcpt_tos))
            return f"250 2.0.0 OK {ref}"

        outcome = await self._check(ref, raw, mail_from, rcpt_tos, received_at)
        team, verdict = outcome.team, outcome.verdict
        log.info("[%s] <%s> team=%s action=%s findings=%s", ref, mail_from, team,
                 verdict.action, ",".join(sorted({f.policy for f in verdict.findings})) or "-")

        if verdict.action is Action.HOLD:
            held_id = await self._hold(ref, team, mail_from, rcpt_tos, raw, verdict, headers)
            self.stats["hold"] += 1
            self._record(team, verdict)
            return f"250 2.0.0 OK {ref} held for review as #{held_id}"

        await self.relay.send(mail_from, rcpt_tos, raw, mail_options)
        self.stats[str(verdict.action)] += 1
        self._record(team, verdict)
        if verdict.action is Action.ANNOTATE:
            await self._enqueue_note(ref, COACHING, mail_from, outcome)
        return f"250 2.0.0 OK {ref}"

    def _record(self, team: str, verdict: Verdict) -> None:
        if self.record_decision is not None:
            try:
                self.record_decision(team, str(verdict.action), [f.policy for f in verdict.findings])
            except Exception:  # statistics never stop mail
                log.exception("cannot record the decision")

    async def _check(self, ref: str, raw: bytes, sender: str, rcpt_tos: list[str],
                     received_at: datetime) -> Outcome:
        try:
            outcome = await self.checker.check(raw, sender=sender, recipients=tuple(rcpt_tos),
                                               received_at=received_at)
            if outcome.verdict.errors:
                self.stats["check_errors"] += 1
                log.warning("[%s] checking had errors: %s", ref, "; ".join(outcome.verdict.errors))
            return outcome
        except Exception as exc:  # the pool died, a timeout…: never block mail by our fault
            self.stats["check_errors"] += 1
            log.exception("[%s] checking failed (%s)", ref, type(exc).__name__)
            team = self.settings.team_for(sender)
            hold = self.settings.team_policy(team).on_error == "hold"
            action = Action.HOLD if hold else Action.PASS
            return Outcome(team, Verdict(action, (), ("checking failed",),
                                         (f"check: {type(exc).__name__}",)))

    async def _hold(self, ref: str, team: str, sender: str, rcpt_tos: list[str], raw: bytes,
                    verdict: Verdict, headers: Message | None) -> int:
        if headers is None:
            headers = original_headers(raw)
        def note(held_id: int) -> NewMail | None:
            return self._render(ref, HELD, sender, raw, verdict, held_id)

        try:
            held_id = await asyncio.to_thread(
                self.store.hold, team=team, sender=sender, recipients=list(rcpt_tos), raw=raw,
                verdict=verdict, subject=decoded(headers.get("Subject")),
                message_id=(str(headers.get("Message-ID") or "").strip() or None), note=note)
        except Exception as exc:
            log.exception("[%s] cannot store a held message", ref)
            raise RelayError("451 4.3.0 Cannot queue the message for review now; try again later") from exc
        if self.on_enqueue:
            self.on_enqueue()
        return held_id

    def _render(self, ref: str, kind: str, sender: str, raw: bytes, verdict: Verdict,
                held_id: int | None = None) -> NewMail | None:
        try:
            review_url = self.review_url(held_id) if self.review_url and held_id is not None else None
            data = build_note(kind, original=raw, to=sender, verdict=verdict,
                              note_from=self.settings.gateway.note_from,
                              hostname=self.settings.gateway.hostname, held_id=held_id,
                              review_url=review_url)
        except Exception:
            self.stats["note_errors"] += 1
            log.exception("[%s] cannot render the %s note", ref, kind)
            return None
        # Notes go out with the null reverse path (RFC 3834): bounces of a note never loop.
        return NewMail(kind=kind, sender="", recipients=[sender], raw=data)

    async def _enqueue_note(self, ref: str, kind: str, sender: str, outcome: Outcome) -> None:
        if outcome.note is None:
            self.stats["note_errors"] += 1
            log.error("[%s] cannot render the %s note\n%s", ref, kind, outcome.note_error)
            return
        # Notes go out with the null reverse path (RFC 3834): bounces of a note never loop.
        note = NewMail(kind=kind, sender="", recipients=[sender], raw=outcome.note)
        try:
            if self._hand_over:  # the outbox sends it at once: enqueue it claimed
                item = await self._notes.enqueue_claimed(note)
            else:
                await asyncio.to_thread(self.store.enqueue, note)
        except Exception:
            self.stats["note_errors"] += 1
            log.exception("[%s] cannot enqueue the %s note (the message itself went out)", ref, kind)
            return
        if self._hand_over:
            self.on_enqueue(item)  # type: ignore[misc]
        elif self.on_enqueue:
            self.on_enqueue()
