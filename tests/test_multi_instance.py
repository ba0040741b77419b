"""Two gateway processes on one PostgreSQL: every released message is delivered exactly once.

Two `tact serve` processes share the database and the upstream (a real aiosmtpd sink);
two `tact queue release` processes release the same 200 held messages at the same time,
in opposite orders. Each message must reach the sink once: the status guard lets one
release through, and the outbox claim (FOR UPDATE SKIP LOCKED) lets one gateway send it.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

from gateway.moderation import Moderation
from gateway.settings import Settings
from gateway.store import SENT, Store
from policies.model import Action, Finding, Severity, Verdict
from tests.conftest import Sink, free_port, make_message, read_until
from tests.databases import postgres_schema, require_postgres

ROOT = Path(__file__).resolve().parent.parent
COUNT = 200
VERDICT = Verdict(Action.HOLD, (Finding("blame", Severity.HOLD, "Blames the customer.", "you should",
                                        0, 10, ""),), ())


def _env() -> dict[str, str]:
    return {**os.environ, "PYTHONPATH": str(ROOT), "PYTHONUNBUFFERED": "1"}


def _config(path: Path, store_url: str, sink_port: int) -> Path:
    path.write_text(f"""
[gateway]
listen = "127.0.0.1:{free_port()}"
upstream = "smtp://127.0.0.1:{sink_port}"
hostname = "tact.test"
check_workers = 0

[store]
url = "{store_url}"

[web]
enabled = false
""")
    return path


def _message_id(data: bytes) -> str:
    match = re.search(rb"^Message-ID: (<[^>]+>)", data, re.M | re.I)
    assert match, data[:200]
    return match.group(1).decode()


def test_two_gateways_deliver_each_of_200_released_messages_exactly_once(tmp_path: Path, sink: Sink) -> None:
    require_postgres()
    with postgres_schema() as url:
        store = Store(url)
        store.create()
        ids = []
        for i in range(COUNT):
            raw = make_message(f"Reply number {i}.").replace(
                b"Message-ID: <reply-1@support.test>", f"Message-ID: <r{i}@support.test>".encode())
            ids.append(store.hold(team="default", sender="agent@support.test",
                                  recipients=[f"customer{i}@example.test"], raw=raw, verdict=VERDICT))
        gateways = [
            subprocess.Popen([sys.executable, "-m", "gateway.cli", "serve",
                              "--config", str(_config(tmp_path / f"g{n}.toml", url, sink.port))],
                             env=_env(), stderr=subprocess.PIPE, text=True)
            for n in (1, 2)]
        logs: list[str] = []
        try:
            for g in gateways:  # wait until each listens
                said = read_until(g.stderr, "listening for SMTP")
                assert "listening for SMTP" in said[-1], f"gateway did not start: {''.join(said)}"
            cli = _config(tmp_path / "cli.toml", url, sink.port)
            # A slow upstream (0.1 s a message, 8 at a time): one gateway alone would need over
            # 2 s, a poll interval, for the 200, so both take part whatever the timing.
            sink.handler.delay = 0.1
            releases = [
                subprocess.Popen([sys.executable, "-m", "gateway.cli", "queue", "release",
                                  *map(str, order), "--actor", actor, "--config", str(cli),
                                  "--format", "json"],
                                 env=_env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
                for actor, order in (("ann", ids), ("bob", ids[::-1]))]
            outcomes = [json.loads(line) for p in releases
                        for line in p.communicate(timeout=300)[0].splitlines()]
            deadline = time.monotonic() + 120
            while len(sink.messages) < COUNT and time.monotonic() < deadline:
                time.sleep(0.1)
            time.sleep(3)  # a second delivery of anything would arrive by now (polls are 2 s apart)
        finally:
            for g in gateways:
                g.terminate()
            for g in gateways:
                assert g.stderr is not None
                logs.append(g.communicate(timeout=30)[1])
        # Each message was released once, by one of the two processes…
        released = Counter(o["id"] for o in outcomes if o["ok"])
        assert released == Counter(ids)
        assert {o["error"] for o in outcomes if not o["ok"]} <= {
            f"held message #{i} is released already" for i in ids}
        # …and reached the sink once, byte for byte.
        arrived = Counter(_message_id(m.data) for m in sink.messages)
        assert len(sink.messages) == COUNT and set(arrived.values()) == {1}
        assert arrived.keys() == {f"<r{i}@support.test>" for i in range(COUNT)}
        held_raw = {h["id"]: h["raw"] for h in store.list_held(status=None)}
        assert sorted(m.data for m in sink.messages) == sorted(held_raw.values())
        # Both gateways sent some: the work was shared, not done by one.
        sent_by = [len(re.findall(r"outbox: sent release", log)) for log in logs]
        assert sum(sent_by) == COUNT and all(n > 0 for n in sent_by), sent_by
        print(f"sent by gateway 1, 2: {sent_by}; releases by ann, bob: "
              f"{Counter(e.actor for e in Moderation(store, Settings()).audit(limit=1000))}")
        assert {r["status"] for r in store.list_outbox()} == {SENT}
        audit = Moderation(store, Settings()).audit(limit=1000)
        assert Counter(e.held_id for e in audit if e.action == "release") == Counter(ids)
        store.close()


def test_two_gateways_expiring_the_same_200_messages_release_each_once(tmp_path: Path, sink: Sink) -> None:
    """Both gateways' expiry loops (every 0.05 s) race over the same overdue messages."""
    from gateway.settings import GatewaySettings, StoreSettings, TeamSettings, WebSettings
    from tests.conftest import RunningGateway

    require_postgres()
    with postgres_schema() as url:
        store = Store(url)
        store.create()
        for i in range(COUNT):
            raw = make_message(f"Reply number {i}.").replace(
                b"Message-ID: <reply-1@support.test>", f"Message-ID: <x{i}@billing.test>".encode())
            store.hold(team="billing", sender="bo@billing.test", recipients=["c@example.test"],
                       raw=raw, verdict=VERDICT)
        time.sleep(1.1)  # every one is past the team's 1 s hold_expiry
        running = []
        try:
            for _ in range(2):
                settings = Settings(
                    gateway=GatewaySettings(listen=f"127.0.0.1:{free_port()}", hostname="tact.test",
                                            upstream=f"smtp://127.0.0.1:{sink.port}"),
                    store=StoreSettings(url=url), web=WebSettings(enabled=False),
                    teams={"billing": TeamSettings(senders=["*@billing.test"], hold_expiry="1s",
                                                   expire_action="release")})
                running.append(RunningGateway(settings, check_workers=0, outbox_poll_interval=0.1,
                                              expiry_interval=0.05))
            deadline = time.monotonic() + 60
            while len(sink.messages) < COUNT and time.monotonic() < deadline:
                time.sleep(0.1)
            time.sleep(1)
        finally:
            for g in running:
                g.stop()
        arrived = Counter(_message_id(m.data) for m in sink.messages)
        assert len(sink.messages) == COUNT and set(arrived.values()) == {1}
        audit = Moderation(store, Settings()).audit(limit=1000)
        assert len(audit) == COUNT and {(e.actor, e.action) for e in audit} == {("tact-expiry", "release")}
        assert store.list_held() == []
        store.close()
