"""The gateway as a process: `serve()` and checking in a process pool."""

from __future__ import annotations

import asyncio
import os
import signal
import smtplib
import subprocess
import sys
import time
from collections.abc import Callable
from datetime import datetime, timezone
from concurrent.futures.process import BrokenProcessPool
from pathlib import Path

import pytest

from gateway.pipeline import CheckPool, check_and_render
from gateway.settings import Settings

from tests.conftest import RunningGateway, Sink, free_port, make_message, read_until

ROOT = Path(__file__).resolve().parent.parent
SERVE = "import sys; from gateway.settings import Settings; from gateway.server import serve; sys.exit(serve(Settings()))"


def test_checking_in_a_process_pool(sink: Sink, start_gateway: Callable[..., RunningGateway]) -> None:
    g = start_gateway(f"smtp://127.0.0.1:{sink.port}", check_workers=1)
    data = make_message()
    with smtplib.SMTP("127.0.0.1", g.port, timeout=20) as client:
        for _ in range(3):
            client.sendmail("agent@support.test", ["customer@example.test"], data)
    # Whatever the real policies decide, all three were checked in the pool and are safe.
    assert len(sink.originals()) + len(g.store.list_held()) == 3
    assert g.gateway.checker._pool is not None


def test_a_dead_checking_worker_fails_open_and_is_replaced(
        sink: Sink, start_gateway: Callable[..., RunningGateway]) -> None:
    g = start_gateway(f"smtp://127.0.0.1:{sink.port}", check_workers=1)
    pool = g.gateway.checker._pool
    for process in pool.processes:
        process.kill()
        process.join(5)
    data = make_message()
    with smtplib.SMTP("127.0.0.1", g.port, timeout=20) as client:
        client.sendmail("agent@support.test", ["customer@example.test"], data)
        assert sink.wait_for(lambda m: True).data == data  # failed open
        assert g.gateway.checker._pool is not pool
        client.sendmail("agent@support.test", ["customer@example.test"], data)
    assert len(sink.originals()) + len(g.store.list_held()) == 2


def start_serve(tmp_path: Path, listen: str, upstream: str) -> subprocess.Popen[str]:
    env = {**os.environ, "TACT_GATEWAY__LISTEN": listen, "TACT_GATEWAY__UPSTREAM": upstream,
           "TACT_STORE__URL": f"sqlite:///{tmp_path / 'serve.db'}", "TACT_GATEWAY__HOSTNAME": "tact.test"}
    env.pop("TACT_CONFIG", None)
    return subprocess.Popen([sys.executable, "-c", SERVE], cwd=tmp_path, env=env,
                            stderr=subprocess.PIPE, text=True)


def test_serve_runs_until_sigterm_and_exits_0(tmp_path: Path, sink: Sink) -> None:
    port = free_port()
    proc = start_serve(tmp_path, f"127.0.0.1:{port}", f"smtp://127.0.0.1:{sink.port}")
    try:
        lines = read_until(proc.stderr, "listening for SMTP", timeout=30)
        assert f"127.0.0.1:{port}" in "".join(lines), lines
        data = make_message()
        with smtplib.SMTP("127.0.0.1", port, timeout=20) as client:
            client.sendmail("agent@support.test", ["customer@example.test"], data)
        assert sink.wait_for(lambda m: True).data == data
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(20) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()


def test_serve_on_a_busy_port_says_so_in_one_line_and_fails(tmp_path: Path, sink: Sink) -> None:
    import socket

    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        proc = start_serve(tmp_path, f"127.0.0.1:{port}", f"smtp://127.0.0.1:{sink.port}")
        _, err = proc.communicate(timeout=30)
    assert proc.returncode == 1
    errors = [line for line in err.splitlines() if line.startswith("tact: error:")]
    assert len(errors) == 1 and "cannot listen on" in errors[0], err


def test_an_unreachable_store_is_a_startup_error(tmp_path: Path, sink: Sink) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("")
    env_store = f"sqlite:///{blocker / 'sub' / 'tact.db'}"  # a directory under a file
    env = {**os.environ, "TACT_GATEWAY__LISTEN": f"127.0.0.1:{free_port()}",
           "TACT_GATEWAY__UPSTREAM": f"smtp://127.0.0.1:{sink.port}", "TACT_STORE__URL": env_store}
    env.pop("TACT_CONFIG", None)
    done = subprocess.run([sys.executable, "-c", SERVE], cwd=tmp_path, env=env, capture_output=True,
                          text=True, timeout=30)
    assert done.returncode == 1
    errors = [line for line in done.stderr.splitlines() if line.startswith("tact: error:")]
    assert len(errors) == 1 and "store" in errors[0] and "unreachable" in errors[0], done.stderr
    print(errors[0])


async def test_a_check_without_an_answer_times_out() -> None:
    pool = CheckPool(Settings(), 0)  # no worker: nothing ever answers
    try:
        started = time.monotonic()
        with pytest.raises(TimeoutError):
            await pool.submit(b"x", "a@b", (), None, timeout=0.1)
        assert time.monotonic() - started < 3
    finally:
        pool.close()
    assert not pool.broken
    with pytest.raises(BrokenProcessPool):
        pool._break()
        pool.submit(b"x", "a@b", (), None)


async def test_checks_sent_to_a_worker_together_each_get_their_own_answer() -> None:
    # One worker, nine checks at once: while it works on the first, the rest wait and go to
    # it in groups; every check must still get the verdict on its own message.
    settings = Settings()
    texts = ["Hi Ana,\n\nObviously you should have read the manual before writing in.\n\nSam",
             "Hi Ana,\n\nI've refunded the order; it will show on your card by Friday.\n\nSam",
             "Hi Ana,\n\nYour request has been forwarded to the relevant department.\n\nSam"] * 3
    messages = [make_message(f"{text}\n\nCase {k}") for k, text in enumerate(texts)]
    when = datetime(2026, 11, 30, 12, tzinfo=timezone.utc)
    pool = CheckPool(settings, 1)
    try:
        await pool.ready()
        futures = [pool.submit(raw, "agent@support.test", ("customer@example.test",), when) for raw in messages]
        outcomes = await asyncio.gather(*futures)
    finally:
        pool.close()
    expected = [check_and_render(raw, settings, "agent@support.test", ("customer@example.test",), when)
                for raw in messages]
    assert [o.verdict for o in outcomes] == [e.verdict for e in expected]
    assert len({str(o.verdict.action) for o in outcomes}) > 1  # (the texts differ in what they get)


def _startup_lines(tmp_path: Path, sink: Sink) -> list[str]:
    env = {**os.environ, "TACT_GATEWAY__LISTEN": f"127.0.0.1:{free_port()}",
           "TACT_GATEWAY__UPSTREAM": f"smtp://127.0.0.1:{sink.port}", "TACT_WEB__LISTEN": f"127.0.0.1:{free_port()}",
           "TACT_STORE__URL": f"sqlite:///{tmp_path / 'serve.db'}"}
    env.pop("TACT_CONFIG", None)
    proc = subprocess.Popen([sys.executable, "-c", SERVE], cwd=tmp_path, env=env, stderr=subprocess.PIPE, text=True)
    try:
        return [line for line in read_until(proc.stderr, "Ctrl-C stops") if line]
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(20)


def test_the_first_start_says_how_to_let_a_team_lead_sign_in(tmp_path: Path, sink: Sink) -> None:
    first = "".join(_startup_lines(tmp_path, sink))
    assert "review queue and API on http://127.0.0.1:" in first
    assert "nobody can sign in yet" in first and "tact user add" in first
    from gateway.store import Store
    from gateway.users import Users
    store = Store(f"sqlite:///{tmp_path / 'serve.db'}")
    Users(store).add("lead", "a long passphrase", role="admin")
    store.close()
    assert "nobody can sign in yet" not in "".join(_startup_lines(tmp_path, sink))
