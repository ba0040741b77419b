"""Shared fixtures: free ports, an SMTP sink as the upstream, a running Gateway,
and a test-only policy that fires on marker words (independent of the real
policies' wording)."""

from __future__ import annotations

import asyncio
import socket
import threading
import time
from collections.abc import Callable, Coroutine, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any, ClassVar

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, Envelope, Session

from gateway.server import Gateway
from gateway.settings import GatewaySettings, Settings, StoreSettings, WebSettings
from gateway.store import Store
from policies.model import Finding, PolicyOptions, Reply, Severity, TeamPolicy


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def read_until(stream: IO[str] | None, marker: str, timeout: float = 60) -> list[str]:
    """A child process's output lines up to the first one with `marker` in it, or up to its
    end, or for `timeout` seconds (checked between lines): what `tact serve` said on start."""
    assert stream is not None, "start the process with stderr=subprocess.PIPE"
    lines: list[str] = []
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        line = stream.readline()
        lines.append(line)
        if marker in line or not line:
            break
    return lines


# --- the upstream: an aiosmtpd sink that records what it accepts -----------------


@dataclass
class Received:
    mail_from: str
    rcpt_tos: list[str]
    data: bytes


class SinkHandler:
    """Accepts everything, except recipients whose local part starts with
    `refuse` (550) or `defer` (450), and messages containing `SINK-REJECT` (554)."""

    def __init__(self) -> None:
        self.messages: list[Received] = []
        self.arrived = threading.Condition()
        self.delay = 0.0  # seconds each DATA takes (a slow upstream)

    async def handle_RCPT(self, server: SMTP, session: Session, envelope: Envelope,
                          address: str, rcpt_options: list[str]) -> str:
        if address.startswith("refuse"):
            return "550 5.1.1 No such user here"
        if address.startswith("defer"):
            return "450 4.2.1 Mailbox busy"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        if self.delay:
            await asyncio.sleep(self.delay)
        data = envelope.original_content or b""
        if b"SINK-REJECT" in data:
            return "554 5.7.1 Message rejected by policy"
        with self.arrived:
            self.messages.append(Received(envelope.mail_from, list(envelope.rcpt_tos), data))
            self.arrived.notify_all()
        return "250 OK sink"


class Sink:
    """The upstream SMTP server of the tests; can be stopped and started again."""

    def __init__(self) -> None:
        self.port = free_port()
        self.handler = SinkHandler()
        self._controller: Controller | None = None

    @property
    def messages(self) -> list[Received]:
        return self.handler.messages

    def start(self) -> None:
        self._controller = Controller(self.handler, hostname="127.0.0.1", port=self.port,
                                      server_hostname="sink.test", enable_SMTPUTF8=True)
        self._controller.start()

    def stop(self) -> None:
        if self._controller is not None:
            self._controller.stop()
            self._controller = None

    def wait_for(self, predicate: Callable[[Received], bool], timeout: float = 10.0) -> Received:
        """The first received message matching `predicate`, waiting for it."""
        deadline = time.monotonic() + timeout
        with self.handler.arrived:
            while True:
                for msg in self.messages:
                    if predicate(msg):
                        return msg
                left = deadline - time.monotonic()
                if left <= 0:
                    raise AssertionError(f"no matching message within {timeout}s; got {len(self.messages)}")
                self.handler.arrived.wait(left)

    def notes(self) -> list[Received]:
        return [m for m in self.messages if b"X-Tact-Note: 1" in m.data]

    def originals(self) -> list[Received]:
        return [m for m in self.messages if b"X-Tact-Note: 1" not in m.data]


@pytest.fixture
def sink() -> Iterator[Sink]:
    s = Sink()
    s.start()
    yield s
    s.stop()


# --- a running gateway, in its own event loop thread ------------------------------


class RunningGateway:
    """A Gateway running in a background event loop, for blocking smtplib tests."""

    def __init__(self, settings: Settings, **options: Any) -> None:
        self.settings = settings
        self.loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self.loop.run_forever, name="gateway-loop", daemon=True)
        self._thread.start()

        async def make() -> Gateway:
            return Gateway(settings, **options)

        self.gateway: Gateway = self.run(make())
        try:
            self.run(self.gateway.start())
        except BaseException:
            self._stop_loop()
            raise

    @property
    def port(self) -> int:
        return self.gateway.port

    @property
    def store(self) -> Any:
        return self.gateway.store

    def run(self, coro: Coroutine[Any, Any, Any], timeout: float = 30.0) -> Any:
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(timeout)

    def stop(self) -> None:
        try:
            self.run(self.gateway.stop())
        finally:
            self._stop_loop()

    def _stop_loop(self) -> None:
        self.loop.call_soon_threadsafe(self.loop.stop)
        self._thread.join(10)
        self.loop.close()


def gateway_settings(tmp_path: Path, upstream: str, **gateway: Any) -> Settings:
    """Settings for a test gateway: listen on a free port, store in tmp_path."""
    values: dict[str, Any] = {"listen": f"127.0.0.1:{free_port()}", "upstream": upstream,
                              "hostname": "tact.test", "note_from": "tact@tact.test",
                              "upstream_pool_size": 4, "upstream_timeout": 5.0}
    values.update(gateway)
    # The web UI is off here (its default port would clash between gateways); web tests turn it on.
    return Settings(gateway=GatewaySettings(**values),
                    store=StoreSettings(url=f"sqlite:///{tmp_path / 'var' / 'tact.db'}"),
                    web=WebSettings(enabled=False))


@pytest.fixture
def start_gateway(tmp_path: Path) -> Iterator[Callable[..., RunningGateway]]:
    """Factory: start_gateway(upstream=..., check_workers=0, **gateway_settings)."""
    running: list[RunningGateway] = []

    def start(upstream: str, *, check_workers: int = 0, outbox_poll_interval: float = 0.1,
              outbox_backoff: tuple[float, ...] = (0.2, 0.2, 0.5), settings: Settings | None = None,
              **gateway: Any) -> RunningGateway:
        s = settings or gateway_settings(tmp_path, upstream, **gateway)
        g = RunningGateway(s, check_workers=check_workers, outbox_poll_interval=outbox_poll_interval,
                           outbox_backoff=outbox_backoff)
        running.append(g)
        return g

    yield start
    for g in running:
        g.stop()


@pytest.fixture
def gateway(sink: Sink, start_gateway: Callable[..., RunningGateway]) -> RunningGateway:
    """A gateway relaying to the sink, checking in-process."""
    return start_gateway(f"smtp://127.0.0.1:{sink.port}")


# --- a test-only policy that fires on marker words --------------------------------


class MarkerPolicy:
    """MARKWARN → a warn finding, MARKHOLD → a hold finding, MARKCRASH → raises."""

    id: ClassVar[str] = "test_marker"
    description: ClassVar[str] = "fires on marker words (tests only)"
    severity: ClassVar[Severity] = Severity.WARN

    def check(self, reply: Reply, team: TeamPolicy, options: PolicyOptions) -> list[Finding]:
        if "MARKCRASH" in reply.text:
            raise RuntimeError("policy bug")
        found = []
        for word, severity in (("MARKWARN", Severity.WARN), ("MARKHOLD", Severity.HOLD)):
            at = reply.text.find(word)
            if at >= 0:
                found.append(Finding(self.id, severity, f"The marker {word} <b>is</b> here.",
                                     word, at, at + len(word), f"Remove {word} & try again."))
        return found


@pytest.fixture
def marker_policy() -> Iterator[MarkerPolicy]:
    """Only the marker policy is registered while the test runs (real ones restored after)."""
    from policies.base import REGISTRY

    saved = dict(REGISTRY)
    REGISTRY.clear()
    policy = MarkerPolicy()
    REGISTRY[policy.id] = policy
    yield policy
    REGISTRY.clear()
    REGISTRY.update(saved)


def make_message(body: str = "Thanks for your patience, the refund went out today.",
                 *, sender: str = "agent@support.test", to: str = "customer@example.test",
                 subject: str = "Re: Order 1234", headers: dict[str, str] | None = None) -> bytes:
    """A small CRLF text/plain reply, as a mail client would send it."""
    lines = [f"From: Agent <{sender}>", f"To: {to}", f"Subject: {subject}",
             "Date: Mon, 30 Nov 2026 10:00:00 +0000",
             "Message-ID: <reply-1@support.test>", "In-Reply-To: <cust-1@example.test>",
             "MIME-Version: 1.0", "Content-Type: text/plain; charset=utf-8",
             "Content-Transfer-Encoding: 8bit"]
    lines += [f"{k}: {v}" for k, v in (headers or {}).items()]
    return ("\r\n".join(lines) + "\r\n\r\n" + body.replace("\n", "\r\n") + "\r\n").encode("utf-8")


# --- the store's database: the same tests on SQLite and on PostgreSQL --------------


@pytest.fixture(params=["sqlite", "postgresql"])
def store_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A `[store] url` for an empty database: a SQLite file, or a fresh PostgreSQL schema
    (skipped when PostgreSQL is unreachable, failed under CI=true; see tests/databases.py)."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'var' / 'tact.db'}"
        return
    from tests.databases import postgres_schema

    with postgres_schema() as url:
        yield url


@pytest.fixture
def store(store_url: str) -> Iterator[Store]:
    """A created store on each of `store_url`'s databases (a test file may define its own)."""
    s = Store(store_url)
    s.create()
    yield s
    s.close()
