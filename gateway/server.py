"""The running gateway: settings → store → relay → outbox worker → SMTP listener.

`Gateway` is the object tests and the CLI start and stop; `serve(settings)`
runs one until SIGINT/SIGTERM and returns the process exit code.
"""

from __future__ import annotations

import asyncio
import logging
import os
import signal
import ssl
import sys
import time
from collections.abc import Sequence

from gateway.decisions import DecisionLog
from gateway.moderation import Moderation
from gateway.outbox import DEFAULT_BACKOFF, OutboxWorker
from gateway.pipeline import Checker, Pipeline
from gateway.relay import Relay, make_relay
from gateway.settings import Settings, format_duration, parse_hostport
from gateway.smtp import Handler, protocol_factory, tls_context
from gateway.store import Store, utcnow
from gateway.users import Users
from gateway.web.server import WebServer

log = logging.getLogger(__name__)


# How long a stop waits for deliveries under way.
DRAIN_SECONDS = 10.0
# How often held messages past their team's hold_expiry are expired.
EXPIRY_INTERVAL = 60.0
# How often outbox items sent longer than [store] keep_sent ago are deleted (a scan of the
# sent items: not every minute).
PRUNE_INTERVAL = 600.0


class StartupError(Exception):
    """The gateway cannot start; the message is one line for the operator."""


def default_check_workers() -> int:
    """Two checking processes (or one per core, if fewer)."""
    return max(1, min(2, os.cpu_count() or 1))


class Gateway:
    """One gateway instance. `await start()`, read `port`, `await stop()`.

    `check_workers=0` checks in a thread of this process instead of a process
    pool (tests; policies registered at run time are then visible).
    """

    def __init__(self, settings: Settings, *, check_workers: int | None = None,
                 outbox_poll_interval: float = 2.0,
                 outbox_backoff: Sequence[float] = DEFAULT_BACKOFF,
                 outbox_max_attempts: int = 10,
                 expiry_interval: float = EXPIRY_INTERVAL,
                 prune_interval: float = PRUNE_INTERVAL) -> None:
        self.settings = settings
        if check_workers is None:
            check_workers = settings.gateway.check_workers
        self.check_workers = default_check_workers() if check_workers is None else check_workers
        self.store = Store(settings.store.url)
        self.relay: Relay = make_relay(settings)
        self._loop: asyncio.AbstractEventLoop | None = None
        self.moderation = Moderation(self.store, settings, wake_outbox=self._wake_outbox)
        self.outbox = OutboxWorker(self.store, self.relay, poll_interval=outbox_poll_interval,
                                   backoff=outbox_backoff, max_attempts=outbox_max_attempts,
                                   report_failure=self.moderation.undeliverable_note)
        self.decision_log = DecisionLog(self.store)
        self.expiry_interval = expiry_interval
        self.prune_interval = prune_interval
        self._expiry: asyncio.Task[None] | None = None
        self.checker = Checker(settings, self.check_workers)
        self.pipeline = Pipeline(settings, self.checker, self.relay, self.store,
                                 on_enqueue=self.outbox.wake)
        self.pipeline.record_decision = self.decision_log.record
        self.host, self._port = parse_hostport(settings.gateway.listen)
        self._server: asyncio.base_events.Server | None = None
        self._handler: Handler | None = None
        self.web: WebServer | None = None  # the review UI and API, when [web] enabled

    @property
    def port(self) -> int:
        """The bound SMTP port (the real one when `listen` asked for port 0)."""
        if self._server is not None and self._server.sockets:
            return int(self._server.sockets[0].getsockname()[1])
        return self._port

    async def start(self) -> None:
        """Start everything; raise StartupError with a one-line reason on failure."""
        try:
            context = tls_context(self.settings)
        except (OSError, ssl.SSLError) as exc:
            raise StartupError(f"cannot load the TLS certificate/key "
                               f"({self.settings.gateway.tls_cert}): {exc}") from exc
        if self.settings.gateway.users and context is None:
            log.warning("tact: [gateway] users are set but tls_cert is not: AUTH is offered only "
                        "after STARTTLS, so nobody can log in")
        try:
            await asyncio.to_thread(self.store.create)
        except Exception as exc:
            raise StartupError(f"store {_safe_url(self.settings.store.url)} is unreachable: "
                               f"{type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''}") from exc
        await self._setup_web()
        handler = self._handler = Handler(self.settings, self.pipeline)
        loop = asyncio.get_running_loop()
        try:  # bind first (a busy port fails fast), serve once checking is ready
            self._server = await loop.create_server(
                protocol_factory(self.settings, handler, context), self.host, self._port,
                start_serving=False)
        except OSError as exc:
            await self._stop_web()
            raise StartupError(f"cannot listen on {self.settings.gateway.listen}: {exc.strerror or exc}") from exc
        try:
            await self.checker.start()
        except Exception as exc:
            self._server.close()
            await self._stop_web()
            raise StartupError(f"cannot start the checking workers: {exc}") from exc
        await self._server.start_serving()
        if self.web is not None:
            await self.web.start()
        self._loop = loop
        self.outbox.start()
        self.decision_log.start()
        self._expiry = asyncio.create_task(self._expire_periodically(), name="tact-expiry")
        log.debug("listening for SMTP on %s:%d, relaying to %s", self.host, self.port,
                  _safe_url(self.settings.gateway.upstream))

    async def _setup_web(self) -> None:
        """Bind the web UI's port (a busy one fails the start) and give the held notes their
        review links: when the web is enabled, or served elsewhere (`[web] public_url`)."""
        web = self.settings.web
        if not (web.enabled or web.public_url):
            return
        from gateway.web.links import ReviewLinks, secret_key

        try:
            secret = await asyncio.to_thread(secret_key, self.settings, self.store)
        except Exception as exc:
            raise StartupError(f"cannot read or create the web secret in the store: {exc}") from exc
        base_url = web.public_url
        if web.enabled:
            from gateway.web.app import create_app

            self.web = WebServer(None, web.listen)
            try:
                self.web.bind()
            except OSError as exc:
                self.web = None
                raise StartupError(f"cannot listen on [web] listen {web.listen}: "
                                   f"{exc.strerror or exc}") from exc
            base_url = base_url or self.web.url
            self.web.app = create_app(self.settings, self.store, moderation=self.moderation,
                                      secret=secret, base_url=base_url)
        self.pipeline.review_url = ReviewLinks(secret, base_url or web.base_url()).url

    async def _stop_web(self) -> None:
        if self.web is not None:
            await self.web.stop()
            self.web = None

    async def stop(self) -> None:
        """Stop accepting, finish, and release everything."""
        await self._stop_web()
        if self._server is not None:
            self._server.close()
            try:
                await asyncio.wait_for(self._server.wait_closed(), timeout=5)
            except asyncio.TimeoutError:
                pass
            self._server = None
        # Let deliveries under way finish (their clients are waiting for an answer).
        deadline = asyncio.get_running_loop().time() + DRAIN_SECONDS
        while self._handler is not None and self._handler.in_flight and \
                asyncio.get_running_loop().time() < deadline:
            await asyncio.sleep(0.05)
        if self._expiry is not None:
            self._expiry.cancel()
            try:
                await self._expiry
            except asyncio.CancelledError:
                pass
            self._expiry = None
        await self.outbox.stop()
        await self.decision_log.stop()
        await self.relay.close()
        self.checker.close()
        await asyncio.to_thread(self.store.close)


    def _wake_outbox(self) -> None:
        """Moderation queued mail (from any thread): let the outbox look now."""
        if self._loop is not None and not self._loop.is_closed():
            self._loop.call_soon_threadsafe(self.outbox.wake)

    async def _expire_periodically(self) -> None:
        """Expire held messages past their team's hold_expiry, at start and then every
        `expiry_interval` seconds, and delete outbox items sent longer than `[store]
        keep_sent` ago every `prune_interval` seconds (several instances may: each message
        is decided once, each item deleted once)."""
        pruned_at = None
        while True:
            try:
                done = await asyncio.to_thread(self.moderation.expire_due)
                if done:
                    log.info("expiry: decided %d held message(s) past their hold_expiry", done)
                if pruned_at is None or time.monotonic() - pruned_at >= self.prune_interval:
                    pruned_at = time.monotonic()
                    keep = self.settings.store.keep_sent
                    pruned = await asyncio.to_thread(self.store.prune_sent, utcnow() - keep)
                    if pruned:
                        log.info("outbox: deleted %d item(s) sent more than %s ago", pruned,
                                 format_duration(keep))
            except Exception:
                log.exception("expiry failed; trying again in %.0fs", self.expiry_interval)
            await asyncio.sleep(self.expiry_interval)


def _safe_url(url: str) -> str:
    """A URL with any password masked, for logs and errors."""
    from urllib.parse import urlsplit, urlunsplit

    try:
        parts = urlsplit(url)
        if parts.password:
            netloc = parts.netloc.replace(f":{parts.password}@", ":***@")
            return urlunsplit(parts._replace(netloc=netloc))
    except ValueError:
        pass
    return url


def serve(settings: Settings) -> int:
    """Run the gateway until SIGINT/SIGTERM. Returns the exit code (0 ok, 1 startup error)."""
    if not logging.getLogger().handlers:
        logging.basicConfig(stream=sys.stderr, level=logging.INFO,
                            format="%(asctime)s %(levelname)s %(name)s: %(message)s")
        # aiosmtpd logs every connection and command at INFO ("mail.log"): too chatty for a gateway.
        logging.getLogger("mail.log").setLevel(logging.WARNING)
        logging.getLogger("uvicorn.error").setLevel(logging.WARNING)  # "Started server process…"
    try:
        return asyncio.run(_serve(settings))
    except StartupError as exc:
        print(f"tact: error: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 0


async def _serve(settings: Settings) -> int:
    try:
        gateway = Gateway(settings)
    except Exception as exc:  # e.g. a database URL whose driver is not installed
        raise StartupError(f"cannot set up the gateway: {type(exc).__name__}: {exc}") from exc
    await gateway.start()
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        try:
            loop.add_signal_handler(sig, stop.set)
        except (NotImplementedError, RuntimeError):
            pass
    print(f"tact: listening for SMTP on {gateway.host}:{gateway.port}, relaying to "
          f"{_safe_url(settings.gateway.upstream)}, store {_safe_url(settings.store.url)}",
          file=sys.stderr, flush=True)
    if gateway.web is not None:
        print(f"tact: review queue and API on {gateway.web.url} (public URL "
              f"{settings.web.public_url or gateway.web.url})", file=sys.stderr, flush=True)
        if not await asyncio.to_thread(Users(gateway.store).list):
            print("tact: nobody can sign in yet: add a team lead with "
                  "`tact user add NAME --role admin`", file=sys.stderr, flush=True)
    print("tact: send it a sample reply with `tact send-sample --kind annotate` (or pass, hold); "
          "Ctrl-C stops", file=sys.stderr, flush=True)
    try:
        await stop.wait()
    finally:
        log.info("tact: stopping")
        await gateway.stop()
    return 0
