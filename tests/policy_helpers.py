"""Small helpers shared by the policy tests."""

from __future__ import annotations

from datetime import datetime

from policies import REGISTRY, Finding, PolicyOptions, Reply, Severity, TeamPolicy, Verdict


def check(policy_id: str, text: str, quoted: str = "", team: TeamPolicy | None = None,
          options: PolicyOptions | None = None, **fields: object) -> list[Finding]:
    """Run one registered policy on a reply built from `text` (and the customer's `quoted` text)."""
    team = team or TeamPolicy()
    reply = Reply(text=text, quoted=quoted, **fields)  # type: ignore[arg-type]
    return REGISTRY[policy_id].check(reply, team, options or team.options(policy_id))


def at(day: int, hour: int, minute: int = 0) -> datetime:
    """A time in November 2026 (the 16th is a Monday), in UTC."""
    from datetime import timezone

    return datetime(2026, 11, day, hour, minute, tzinfo=timezone.utc)


def assert_spans(text: str, findings: list[Finding]) -> None:
    for f in findings:
        assert f.excerpt == text[f.start:f.end]
        assert f.excerpt.strip() == f.excerpt and f.excerpt
        assert f.message and f.suggestion


POLICIES = ("tone-match", "specific-questions", "ownership", "late-apology", "over-apology",
            "blame", "discouraging", "empathy-without-action")


def policy_f1(results: list[tuple[dict, Verdict]], policy_id: str) -> tuple[float, dict[str, int]]:
    """F1 of one policy over (labeled case, verdict) pairs; info findings don't count."""
    c = {"tp": 0, "fp": 0, "fn": 0}
    for case, verdict in results:
        got = any(f.policy == policy_id and f.severity is not Severity.INFO for f in verdict.findings)
        truth = bool(case["labels"][policy_id])
        c["tp"] += got and truth
        c["fp"] += got and not truth
        c["fn"] += truth and not got
    return 2 * c["tp"] / (2 * c["tp"] + c["fp"] + c["fn"]), c
