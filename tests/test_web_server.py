"""The web UI inside the gateway: same event loop as SMTP, on `[web] listen`, off with
`enabled = false`, a busy port is a one-line startup error; `[web]` settings validated."""

from __future__ import annotations

import asyncio
import smtplib
import socket
from collections.abc import Callable
from email import message_from_bytes
from pathlib import Path

import httpx
import pytest

from gateway.server import Gateway, StartupError
from gateway.settings import ConfigError, WebSettings, load_settings

from tests.conftest import MarkerPolicy, RunningGateway, Sink, free_port, gateway_settings, make_message


def _note_text(data: bytes) -> str:
    return next(p.get_payload(decode=True).decode() for p in message_from_bytes(data).walk()
                if p.get_content_type() == "text/plain")


def _hold_one(g: RunningGateway, sink: Sink) -> str:
    with smtplib.SMTP("127.0.0.1", g.port, timeout=20) as client:
        client.sendmail("agent@support.test", ["customer@example.test"], make_message("We MARKHOLD it."))
    return _note_text(sink.wait_for(lambda m: b"X-Tact-Note: 1" in m.data).data)


def test_the_web_ui_runs_in_the_gateways_event_loop(
        tmp_path: Path, sink: Sink, marker_policy: MarkerPolicy) -> None:
    settings = gateway_settings(tmp_path, f"smtp://127.0.0.1:{sink.port}")
    port = free_port()
    settings.web = WebSettings(listen=f"127.0.0.1:{port}")
    g = RunningGateway(settings, check_workers=0, outbox_poll_interval=0.1)
    try:
        assert g.gateway.web is not None and g.gateway.web._task is not None
        assert g.gateway.web._task.get_loop() is g.loop
        r = httpx.get(f"http://127.0.0.1:{port}/login", timeout=10)
        assert r.status_code == 200 and "Sign in" in r.text
        assert f"http://127.0.0.1:{port}/review/" in _hold_one(g, sink)
    finally:
        g.stop()
    with pytest.raises(httpx.ConnectError):  # stopped with the gateway
        httpx.get(f"http://127.0.0.1:{port}/login", timeout=5)


def test_enabled_false_serves_no_web_and_notes_carry_no_link(
        sink: Sink, marker_policy: MarkerPolicy, gateway: RunningGateway) -> None:
    assert gateway.settings.web.enabled is False and gateway.gateway.web is None
    text = _hold_one(gateway, sink)
    assert "/review/" not in text and "has NOT been sent" in text


def test_a_public_url_is_the_base_of_the_link(
        tmp_path: Path, sink: Sink, marker_policy: MarkerPolicy,
        start_gateway: Callable[..., RunningGateway]) -> None:
    settings = gateway_settings(tmp_path, f"smtp://127.0.0.1:{sink.port}")
    settings.web = WebSettings(enabled=False, public_url="https://tact.example.com/")
    g = start_gateway(settings.gateway.upstream, settings=settings)
    assert g.gateway.web is None  # served elsewhere; the notes still link to it
    assert "See the findings of #1 and what happens next: https://tact.example.com/review/" in _hold_one(g, sink)


def test_a_busy_web_port_is_a_one_line_startup_error(tmp_path: Path, sink: Sink) -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen(1)
        port = busy.getsockname()[1]
        settings = gateway_settings(tmp_path, f"smtp://127.0.0.1:{sink.port}")
        settings.web = WebSettings(listen=f"127.0.0.1:{port}")
        gateway = Gateway(settings, check_workers=0)

        async def start() -> None:
            try:
                await gateway.start()
            finally:
                await gateway.stop()

        with pytest.raises(StartupError) as caught:
            asyncio.run(start())
    assert str(caught.value) == f"cannot listen on [web] listen 127.0.0.1:{port}: Address already in use"


@pytest.mark.parametrize(("toml", "expected"), [
    ('[web]\npublic_url = "tact.example.com"', "web.public_url: expected an http:// or https:// URL"),
    ('[web]\nsecret_key = "short"', "web.secret_key: String should have at least 16 characters"),
    ('[web]\nlogin_window = "soon"', "web.login_window: expected a duration"),
    ('[web]\nlogin_attempts = 0', "web.login_attempts: Input should be greater than or equal to 1"),
    ('[web]\nport = 80', "web.port: unknown key"),
])
def test_bad_web_settings_name_the_key(tmp_path: Path, toml: str, expected: str) -> None:
    path = tmp_path / "tact.toml"
    path.write_text(toml, encoding="utf-8")
    with pytest.raises(ConfigError) as caught:
        load_settings(path)
    assert expected in str(caught.value)


def test_web_settings_defaults_and_https_cookies() -> None:
    web = WebSettings()
    assert web.enabled and web.base_url() == "http://127.0.0.1:8025" and not web.secure_cookies()
    assert WebSettings(listen="0.0.0.0:9000").base_url() == "http://127.0.0.1:9000"
    https = WebSettings(public_url="https://tact.example.com/")
    assert https.base_url() == "https://tact.example.com" and https.secure_cookies()
    assert not WebSettings(public_url="https://x.example", cookie_secure=False).secure_cookies()
