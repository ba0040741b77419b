"""How held messages read to a team lead: ages, policy names, times, highlighted replies.

Pure functions, no web framework: the templates call them, the tests read them.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Any, Protocol

# Short names for the policies' ids, as a team lead would say them.
POLICY_LABELS: dict[str, str] = {
    "blame": "Blames the customer",
    "discouraging": "Discourages contact",
    "specific-questions": "Vague or unanswered questions",
    "empathy-without-action": "Empathy without a next step",
    "late-apology": "Late reply without an apology",
    "over-apology": "Too many apologies",
    "ownership": "Nobody owns the next step",
    "greeting-name": "No greeting by name",
    "sympathy-phrasing": "Distant sympathy phrasing",
    "tone-match": "Tone does not match",
}

SEVERITY_LABELS = {"hold": "Must fix", "warn": "Should fix", "info": "Tip"}
STATUS_LABELS = {"held": "Waiting for review", "released": "Released", "rejected": "Rejected",
                 "deleted": "Deleted", "expired": "Expired"}
ACTION_LABELS = {"release": "Released", "reject": "Rejected", "delete": "Deleted", "hold": "Held"}

# The age filter of the queue page: value → (label, minimum age).
AGE_FILTERS: dict[str, tuple[str, timedelta]] = {
    "1h": ("older than 1 hour", timedelta(hours=1)),
    "4h": ("older than 4 hours", timedelta(hours=4)),
    "24h": ("older than 1 day", timedelta(days=1)),
    "3d": ("older than 3 days", timedelta(days=3)),
}


def policy_label(policy_id: str) -> str:
    """A readable name for a policy id (unknown ids are spelled out from the id)."""
    if policy_id in POLICY_LABELS:
        return POLICY_LABELS[policy_id]
    words = policy_id.replace("_", " ").replace("-", " ").strip()
    return words[:1].upper() + words[1:] if words else "Unknown check"


def policy_description(policy_id: str) -> str:
    """The policy's own one-line description, or "" when it is not registered."""
    from policies import REGISTRY

    policy = REGISTRY.get(policy_id)
    return str(getattr(policy, "description", "")) if policy else ""


def format_age(age: timedelta) -> str:
    """"3 h 12 min", "2 d 4 h", "45 min", "less than a minute"."""
    minutes = int(age.total_seconds() // 60)
    if minutes < 1:
        return "less than a minute"
    days, rest = divmod(minutes, 24 * 60)
    hours, mins = divmod(rest, 60)
    if days:
        return f"{days} d {hours} h" if hours else f"{days} d"
    if hours:
        return f"{hours} h {mins} min" if mins else f"{hours} h"
    return f"{mins} min"


def format_time(when: datetime | None) -> str:
    """"Mon 30 Nov 2026, 10:04 UTC", or "unknown"."""
    if when is None:
        return "unknown"
    if when.tzinfo is None:
        when = when.replace(tzinfo=timezone.utc)
    when = when.astimezone(timezone.utc)
    return when.strftime("%a %d %b %Y, %H:%M UTC")


def parse_age_filter(value: str | None) -> timedelta | None:
    """The queue's `age` filter: a key of AGE_FILTERS, or None for any age."""
    if not value:
        return None
    if value not in AGE_FILTERS:
        raise ValueError(f"age: expected one of {', '.join(AGE_FILTERS)}, got {value!r}")
    return AGE_FILTERS[value][1]


class _Span(Protocol):
    start: int
    end: int


@dataclass(frozen=True)
class Segment:
    """A run of reply text; `marks` are the 1-based numbers of the findings covering it,
    `ends` those whose span ends here (their number is shown after the run)."""

    text: str
    marks: tuple[int, ...] = ()
    ends: tuple[int, ...] = ()


def highlight(text: str, findings: Sequence[_Span]) -> list[Segment]:
    """Cut `text` at every finding's start and end, so the template can mark each run
    (escaping each slice itself: the text is never trusted). Findings whose span does
    not fit the text are left out of the marking (they are still listed)."""
    spans = [(n, f.start, f.end) for n, f in enumerate(findings, 1)
             if 0 <= f.start < f.end <= len(text)]
    cuts = sorted({0, len(text), *(s for _, s, _ in spans), *(e for _, _, e in spans)})
    segments: list[Segment] = []
    for a, b in zip(cuts, cuts[1:]):
        marks = tuple(n for n, s, e in spans if s <= a and b <= e)
        ends = tuple(n for n, _, e in spans if e == b)
        segments.append(Segment(text[a:b], marks, ends))
    return segments


_SEVERITY_RANK = {"info": 0, "warn": 1, "hold": 2}


def worst_severity(findings: Sequence[Any], marks: Sequence[int]) -> str:
    """The most severe severity among the findings numbered `marks` (1-based)."""
    severities = [str(findings[n - 1].severity) for n in marks]
    return max(severities, key=lambda s: _SEVERITY_RANK.get(s, 0), default="info")


def response_time(customer_wrote_at: datetime | None, replied_at: datetime | None) -> str | None:
    """"2 h 5 min" from the customer's message to the reply, or None when unknown."""
    if customer_wrote_at is None or replied_at is None or replied_at < customer_wrote_at:
        return None
    return format_age(replied_at - customer_wrote_at)


def located(text: str, finding: _Span) -> bool:
    """Does the finding's span fit the text (so it is highlighted)?"""
    return 0 <= finding.start < finding.end <= len(text)


def reviewers_of(settings: Any, team: str, accounts: Sequence[Any] = ()) -> list[str]:
    """Who reviews a team's held mail, as the sender's page names them: the team's
    `reviewers` and the reviewer accounts that name the team (admins are not listed)."""
    team_settings = settings.teams.get(team)
    named = list(team_settings.reviewers) if team_settings else []
    named += [a.name for a in accounts if a.role == "reviewer" and team in a.teams]
    return list(dict.fromkeys(named))
