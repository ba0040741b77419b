"""Per-team tuning from tact.toml, as an operator writes it: one team's tuning changes its
verdict, and the other team, checking the very same message, is unaffected."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from gateway.cli import main

REPLY = b"""From: Sam <sam@support.example.com>
To: Kim <kim@example.com>
Subject: Re: invoice
Date: Mon, 16 Nov 2026 10:00:00 +0000
Message-ID: <tuning-1@example.com>
Content-Type: text/plain; charset=utf-8

Hi Kim,

Your question has been forwarded to the billing team and they will get back to you.
Per our standard procedure the reissue takes a while.

Sam

On Mon, 16 Nov 2026 at 09:00, Kim <kim@example.com> wrote:
> Hi, why does my invoice show the wrong company name?
"""

CONFIG = """
[teams.billing]
senders = ["*@billing.example.com"]
[teams.billing.policies.ownership]
severity = "hold"
[teams.billing.policies.specific-questions]
enabled = false

[teams.support]
senders = ["*@support.example.com"]
hold_after_warnings = 2

[teams.frontline]
senders = ["*@frontline.example.com"]
[teams.frontline.policies.ownership]
remove_phrases = ["forwarded to the billing", "they will get back"]
[teams.frontline.policies.specific-questions]
enabled = false
"""


def _verdict(tmp_path: Path, capsys: pytest.CaptureFixture[str], team: str | None) -> dict:
    config = tmp_path / "tact.toml"
    config.write_text(CONFIG)
    message = tmp_path / "reply.eml"
    message.write_bytes(REPLY.replace(b"\n", b"\r\n"))
    args = ["--config", str(config), "check", "--format", "json", str(message)]
    assert main(args + (["--team", team] if team else [])) == 0
    return json.loads(capsys.readouterr().out.splitlines()[0])


def _policies(verdict: dict) -> dict[str, str]:
    return {f["policy"]: f["severity"] for f in verdict["findings"] if f["severity"] != "info"}


def test_each_team_gets_its_own_verdict_for_the_same_message(tmp_path: Path,
                                                                 capsys: pytest.CaptureFixture[str]) -> None:
    default = _verdict(tmp_path, capsys, "default")
    assert default["action"] == "annotate"
    assert _policies(default) == {"ownership": "warn", "specific-questions": "warn"}

    billing = _verdict(tmp_path, capsys, "billing")  # ownership made a hold finding, questions off
    assert billing["action"] == "hold" and _policies(billing) == {"ownership": "hold"}

    support = _verdict(tmp_path, capsys, "support")  # holds at two warnings, not three
    assert support["action"] == "hold" and _policies(support) == _policies(default)

    frontline = _verdict(tmp_path, capsys, "frontline")  # the hand-off phrase is fine for them
    assert frontline["action"] == "pass" and _policies(frontline) == {}

    assert _verdict(tmp_path, capsys, "default") == default  # nobody's tuning touched the default


def test_the_sender_picks_the_team(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    verdict = _verdict(tmp_path, capsys, None)  # From: …@support.example.com
    assert verdict["team"] == "support" and verdict["action"] == "hold"
