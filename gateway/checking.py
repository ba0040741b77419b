"""One message in, one verdict out: the check shared by the SMTP path and `tact check`."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime

import policies
from gateway.message import parse_message
from gateway.settings import Settings
from policies.model import Action, Reply, Verdict

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Checked:
    """The parsed reply (None when parsing failed) and the verdict on it."""

    team: str
    reply: Reply | None
    verdict: Verdict


def check_message(
    raw: bytes,
    settings: Settings,
    *,
    sender: str,
    recipients: tuple[str, ...] = (),
    received_at: datetime | None = None,
    team: str | None = None,
) -> Checked:
    """Parse and evaluate `raw` for the sender's team; never raises.

    A parser failure fails open (pass, with the error recorded) unless the
    team's `on_error` is "hold", exactly as a crashing policy does.
    """
    team_name = team or settings.team_for(sender)
    team_policy = settings.team_policy(team_name)
    try:
        reply = parse_message(
            raw, sender=sender, recipients=recipients, team=team_name, received_at=received_at
        )
    except Exception as exc:  # a parser bug must never block mail
        log.exception("parsing failed for a message from %s", sender)
        error = f"parse: {type(exc).__name__}"
        action = Action.HOLD if team_policy.on_error == "hold" else Action.PASS
        return Checked(team_name, None, Verdict(action, (), ("checking failed",), (error,)))
    return Checked(team_name, reply, policies.evaluate(reply, team_policy))
