"""Tact's policies: pure text-in, findings-out checks of a support reply.

`evaluate(reply, team)` runs every registered, enabled policy, applies the
team's severity overrides, and takes one decision. A policy that raises is
recorded as an error and skipped (fail open); the team's `on_error` decides
whether that alone holds the message.
"""

from __future__ import annotations

import dataclasses
import logging

from policies import catalog as _catalog  # noqa: F401  (registers the policies)
from policies.base import REGISTRY, Policy, register
from policies.decision import decide
from policies.model import (
    Action,
    BusinessHours,
    Finding,
    PolicyOptions,
    Reply,
    Severity,
    TeamPolicy,
    Verdict,
)

log = logging.getLogger(__name__)

__all__ = [
    "REGISTRY", "Action", "BusinessHours", "Finding", "Policy", "PolicyOptions", "Reply",
    "Severity", "TeamPolicy", "Verdict", "decide", "evaluate", "register",
]


def evaluate(reply: Reply, team: TeamPolicy) -> Verdict:
    """Run all enabled policies on `reply` for `team` and decide the action."""
    findings: list[Finding] = []
    errors: list[str] = []
    for policy_id, policy in REGISTRY.items():
        options = team.options(policy_id)
        if not options.enabled:
            continue
        try:
            found = policy.check(reply, team, options)
        except Exception as exc:  # a policy bug must never block mail
            log.exception("policy %s failed on %s", policy_id, reply.message_id)
            errors.append(f"{policy_id}: {type(exc).__name__}")
            continue
        if options.severity is not None:
            found = [dataclasses.replace(f, severity=options.severity) for f in found]
        findings.extend(found)
    return decide(findings, team, tuple(errors))
