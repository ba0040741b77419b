"""Decide once: findings plus team settings become pass, annotate or hold."""

from __future__ import annotations

from policies.model import Action, Finding, Severity, TeamPolicy, Verdict


def decide(findings: list[Finding], team: TeamPolicy, errors: tuple[str, ...] = ()) -> Verdict:
    """Turn findings into one action, recording why (policies.md, "From findings to an action")."""
    holds = sorted({f.policy for f in findings if f.severity is Severity.HOLD})
    warns = sorted({f.policy for f in findings if f.severity is Severity.WARN})
    ordered = tuple(sorted(findings, key=lambda f: (f.start, f.policy)))
    if errors and team.on_error == "hold":
        return Verdict(Action.HOLD, ordered, ("checking failed and the team holds on error",), errors)
    if holds:
        return Verdict(Action.HOLD, ordered, tuple(f"{p}: this must not reach a customer as written" for p in holds), errors)
    if len(warns) >= team.hold_after_warnings:
        reason = (f"{len(warns)} different things to fix ({', '.join(warns)}); the team holds a reply "
                  f"with {team.hold_after_warnings} or more")
        return Verdict(Action.HOLD, ordered, (reason,), errors)
    if warns:
        return Verdict(Action.ANNOTATE, ordered, tuple(f"{p} warned" for p in warns), errors)
    return Verdict(Action.PASS, ordered, (), errors)
