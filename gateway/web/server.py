"""Serve the web application with uvicorn inside the gateway's own event loop.

The socket is bound here (a busy port fails `start()` at once, and port 0 gets a
real one); uvicorn neither installs signal handlers (the gateway owns SIGINT and
SIGTERM) nor touches the logging configuration.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import socket
from collections.abc import Iterator
from typing import Any

import uvicorn

from gateway.settings import parse_hostport

log = logging.getLogger(__name__)


class _EmbeddedServer(uvicorn.Server):
    """A uvicorn server that leaves signals to its host."""

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield

    def install_signal_handlers(self) -> None:  # uvicorn < 0.29
        pass


class WebServer:
    """`await start()` binds and serves `app` on `listen`; `await stop()` ends it."""

    def __init__(self, app: Any, listen: str) -> None:
        self.app = app
        self.host, self._port = parse_hostport(listen)
        self._socket: socket.socket | None = None
        self._server: _EmbeddedServer | None = None
        self._task: asyncio.Task[None] | None = None

    @property
    def port(self) -> int:
        """The bound port (the real one when `listen` asked for port 0)."""
        if self._socket is not None:
            return int(self._socket.getsockname()[1])
        return self._port

    @property
    def url(self) -> str:
        """http://host:port of the bound socket (a wildcard address reads as loopback)."""
        host = "127.0.0.1" if self.host in ("", "0.0.0.0") else "::1" if self.host == "::" else self.host
        return f"http://{'[' + host + ']' if ':' in host else host}:{self.port}"

    def bind(self) -> None:
        """Bind the listening socket; OSError (busy port, bad address) as is."""
        family = socket.AF_INET6 if ":" in self.host else socket.AF_INET
        sock = socket.socket(family, socket.SOCK_STREAM)
        try:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            sock.bind((self.host, self._port))
            sock.listen(128)
            sock.setblocking(False)
        except OSError:
            sock.close()
            raise
        self._socket = sock

    async def start(self) -> None:
        """Bind (if not yet) and serve; returns once uvicorn accepts connections."""
        if self._socket is None:
            self.bind()
        config = uvicorn.Config(self.app, log_config=None, access_log=False, lifespan="off",
                                proxy_headers=False, server_header=False,
                                timeout_graceful_shutdown=5)
        server = self._server = _EmbeddedServer(config)
        assert self._socket is not None
        self._task = asyncio.create_task(server.serve(sockets=[self._socket]), name="tact-web")
        while not server.started:
            if self._task.done():  # failed to start: surface the error
                self._task.result()
                raise RuntimeError("the web server stopped while starting")
            await asyncio.sleep(0.01)
        log.debug("web UI on http://%s:%d", self.host, self.port)

    async def stop(self) -> None:
        """Stop accepting, let requests under way finish (briefly), close the socket."""
        if self._server is not None and self._task is not None:
            self._server.should_exit = True
            try:
                await asyncio.wait_for(asyncio.shield(self._task), timeout=8)
            except (asyncio.TimeoutError, Exception):  # noqa: BLE001 - stopping regardless
                self._task.cancel()
        if self._socket is not None:
            self._socket.close()
            self._socket = None
        self._server = self._task = None
