"""`tact queue …` and `tact user …`, on SQLite and PostgreSQL, with --format json."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from gateway.cli import main
from gateway.store import Store
from policies.model import Action, Finding, Severity, Verdict
from tests.conftest import RunningGateway, Sink, make_message

VERDICT = Verdict(Action.HOLD, (Finding("blame", Severity.HOLD, "Blames the customer.", "you should have",
                                        7, 22, "Say what happens next."),), ("blame is a hold finding",))


@pytest.fixture
def config(tmp_path: Path, store_url: str) -> Path:
    path = tmp_path / "tact.toml"
    path.write_text(f'[store]\nurl = "{store_url}"\n\n[teams.billing]\nsenders = ["*@billing.test"]\n')
    return path


@pytest.fixture
def store(config: Path, store_url: str) -> Store:
    s = Store(store_url)
    s.create()
    yield s
    s.close()


def hold(store: Store, team: str = "default", sender: str = "agent@support.test",
         body: str = "Sorry, you should have read the FAQ.") -> int:
    raw = make_message(body, sender=sender)
    return store.hold(team=team, sender=sender, recipients=["customer@example.test"], raw=raw,
                      verdict=VERDICT, subject="Re: Order 1234", message_id="<reply-1@support.test>")


def tact(capsys: pytest.CaptureFixture[str], config: Path, *argv: str) -> tuple[int, list[dict], str]:
    """Run `tact … --config F --format json`; return the exit status, JSON lines, stderr."""
    status = main([*argv, "--config", str(config), "--format", "json"])
    out, err = capsys.readouterr()
    return status, [json.loads(line) for line in out.splitlines() if line.strip()], err


def test_queue_list_filters_and_prints_json(store: Store, config: Path, capsys) -> None:
    first = hold(store)
    second = hold(store, team="billing", sender="bo@billing.test")
    status, rows, _ = tact(capsys, config, "queue", "list")
    assert status == 0 and [r["id"] for r in rows] == [first, second]
    assert rows[1]["team"] == "billing" and rows[1]["policies"] == ["blame"]
    assert rows[0]["recipients"] == ["customer@example.test"] and rows[0]["status"] == "held"
    assert [r["id"] for r in tact(capsys, config, "queue", "list", "--team", "billing")[1]] == [second]
    assert tact(capsys, config, "queue", "list", "--policy", "tone_match")[1] == []
    assert tact(capsys, config, "queue", "list", "--older-than", "1h")[1] == []
    assert len(tact(capsys, config, "queue", "list", "--older-than", "0s")[1]) == 2


def test_queue_show_gives_findings_reply_and_audit(store: Store, config: Path, capsys) -> None:
    held_id = hold(store)
    status, [record], _ = tact(capsys, config, "queue", "show", str(held_id))
    assert status == 0 and record["id"] == held_id
    [finding] = record["findings"]
    assert record["reply_text"][finding["start"]:finding["end"]] == "you should have"
    assert record["reasons"] == ["blame is a hold finding"] and record["audit"] == []


def test_queue_decisions_are_audited_with_the_actor(store: Store, config: Path, capsys) -> None:
    a, b, c = hold(store), hold(store), hold(store)
    status, rows, _ = tact(capsys, config, "queue", "release", str(a), "--actor", "ann", "--comment", "ok")
    assert status == 0 and rows == [{"id": a, "action": "release", "status": "released", "ok": True}]
    status, rows, _ = tact(capsys, config, "queue", "reject", str(b), "--comment", "Offer the refund.")
    assert status == 0 and rows[0]["status"] == "rejected"
    status, rows, _ = tact(capsys, config, "queue", "delete", str(c), "--actor", "ann")
    assert status == 0 and rows[0]["status"] == "deleted"
    kinds = sorted(r["kind"] for r in store.list_outbox())
    assert kinds == ["rejected", "release"]
    _, [shown], _ = tact(capsys, config, "queue", "show", str(b))
    import getpass

    assert [(e["actor"], e["action"], e["comment"]) for e in shown["audit"]] == [
        (getpass.getuser(), "reject", "Offer the refund.")]
    assert tact(capsys, config, "queue", "list")[1] == []
    assert {r["status"] for r in tact(capsys, config, "queue", "list", "--status", "all")[1]} == {
        "released", "rejected", "deleted"}


def test_unknown_or_decided_ids_exit_1_with_a_message(store: Store, config: Path, capsys) -> None:
    held_id = hold(store)
    status, rows, _ = tact(capsys, config, "queue", "release", str(held_id), "999")
    assert status == 1
    assert rows[0]["ok"] is True
    assert rows[1] == {"id": 999, "action": "release", "ok": False, "error": "no held message #999"}
    status, rows, _ = tact(capsys, config, "queue", "delete", str(held_id))
    assert status == 1 and rows[0]["error"] == f"held message #{held_id} is released already"
    status, _, err = tact(capsys, config, "queue", "show", "999")
    assert status == 1 and "no held message #999" in err
    with pytest.raises(SystemExit) as exit_:
        main(["queue", "reject", str(held_id), "--config", str(config)])  # no --comment
    assert exit_.value.code == 2


def test_users_from_the_command_line(store: Store, config: Path, capsys, monkeypatch) -> None:
    from gateway.users import Users

    monkeypatch.setattr(sys, "stdin", io.StringIO("s3cret pass\n"))
    status, _, err = tact(capsys, config, "user", "add", "rita", "--team", "bilLing", "--password-stdin")
    assert status == 1 and "unknown team 'bilLing' (--team); configured: default, billing" in err
    monkeypatch.setattr(sys, "stdin", io.StringIO("s3cret pass\n"))
    status, [user], _ = tact(capsys, config, "user", "add", "rita", "--team", "billing", "--team", "default",
                             "--password-stdin")
    assert status == 0 and user == {"name": "rita", "role": "reviewer", "teams": ["billing", "default"]}
    assert Users(store).authenticate("rita", "s3cret pass") is not None
    monkeypatch.setattr(sys, "stdin", io.StringIO("x\n"))
    status, _, err = tact(capsys, config, "user", "add", "rita", "--password-stdin")
    assert status == 1 and "already exists" in err
    status, [token], _ = tact(capsys, config, "user", "token", "rita", "--label", "helpdesk")
    assert status == 0 and Users(store).authenticate_token(token["token"]).name == "rita"
    status, _, err = tact(capsys, config, "user", "token", "nobody")
    assert status == 1 and "no user 'nobody'" in err
    assert [u["name"] for u in tact(capsys, config, "user", "list")[1]] == ["rita"]
    assert tact(capsys, config, "user", "remove", "rita")[0] == 0
    status, _, err = tact(capsys, config, "user", "remove", "rita")
    assert status == 1 and "no user 'rita'" in err


def test_a_release_from_the_command_line_is_delivered_by_the_running_gateway(
        tmp_path: Path, sink: Sink, start_gateway: Callable[..., RunningGateway], store_url: str) -> None:
    """Another process (the CLI) releases; the gateway's outbox finds it and delivers it."""
    from gateway.settings import StoreSettings
    from tests.conftest import gateway_settings

    settings = gateway_settings(tmp_path, f"smtp://127.0.0.1:{sink.port}")
    settings = settings.model_copy(update={"store": StoreSettings(url=store_url)})
    running = start_gateway(settings.gateway.upstream, settings=settings)
    held_id = hold(running.store)
    raw = running.store.get_held(held_id)["raw"]
    config = tmp_path / "cli.toml"
    config.write_text(f'[store]\nurl = "{store_url}"\n')
    result = subprocess.run([sys.executable, "-m", "gateway.cli", "queue", "release", str(held_id),
                             "--config", str(config), "--format", "json", "--actor", "ann"],
                            capture_output=True, text=True, timeout=60,
                            env={**os.environ, "PYTHONPATH": str(Path(__file__).parent.parent)})
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["status"] == "released"
    got = sink.wait_for(lambda m: m.data == raw)
    assert got.rcpt_tos == ["customer@example.test"]


def test_an_unreachable_store_is_one_line_and_exit_1(tmp_path: Path, capsys) -> None:
    from tests.conftest import free_port

    config = tmp_path / "tact.toml"
    config.write_text(f'[store]\nurl = "postgresql://tact:pw@127.0.0.1:{free_port()}/tact"\n')
    assert main(["queue", "list", "--config", str(config)]) == 1
    err = capsys.readouterr().err
    assert "tact queue list: store postgresql://tact:***@127.0.0.1" in err and "unreachable" in err
    assert "pw@" not in err
