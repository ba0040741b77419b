"""late-apology: a reply later than the team's response target that doesn't acknowledge the wait (warn)."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import ClassVar
from zoneinfo import ZoneInfo

from policies.base import register
from policies.model import BusinessHours, Finding, PolicyOptions, Reply, Severity, TeamPolicy
from policies.signals import find
from policies.text import PhraseBook, Span, analyse, anchor, make_finding, squash

BOOK = PhraseBook("signals", extend="wait_ack")


def business_time(start: datetime, end: datetime, hours: BusinessHours) -> timedelta:
    """Time between `start` and `end` that falls inside the team's working hours."""
    if end <= start:
        return timedelta(0)
    tz = ZoneInfo(hours.timezone)
    start_l, end_l = start.astimezone(tz), end.astimezone(tz)
    total = timedelta(0)
    day = start_l.date()
    last = end_l.date()
    if (last - day).days > 400:  # far beyond any response target; no need to be exact
        return end - start
    while day <= last:
        if day.isoweekday() in hours.days:
            open_at = datetime.combine(day, hours.start, tz)
            close_at = datetime.combine(day, hours.end, tz)
            lo, hi = max(open_at, start_l), min(close_at, end_l)
            if hi > lo:
                total += hi - lo
        day += timedelta(days=1)
    return total


def waited(reply: Reply, team: TeamPolicy) -> timedelta | None:
    if reply.customer_wrote_at is None or reply.replied_at is None:
        return None
    start, end = _aware(reply.customer_wrote_at), _aware(reply.replied_at)
    if team.business_hours is not None:
        return business_time(start, end, team.business_hours)
    return end - start


def _aware(t: datetime) -> datetime:
    return t if t.tzinfo is not None else t.replace(tzinfo=timezone.utc)


def _hours(d: timedelta) -> str:
    h = d.total_seconds() / 3600
    return f"{h:.0f} h" if h < 72 else f"{h / 24:.1f} days"


@register
class LateApology:
    id: ClassVar[str] = "late-apology"
    description: ClassVar[str] = "A reply later than the response target should acknowledge the wait."
    severity: ClassVar[Severity] = Severity.WARN

    def check(self, reply: Reply, team: TeamPolicy, options: PolicyOptions) -> list[Finding]:
        wait = waited(reply, team)
        if wait is None or wait <= team.response_target:
            return []
        doc = analyse(reply.text)
        if not doc.english:
            return []
        if find(BOOK.for_options(options)["wait_ack"], reply.text, doc.body):
            return []
        where = anchor(doc)
        kind = " business" if team.business_hours is not None else ""
        return [make_finding(
            self.id, self.severity, reply.text, where.start, where.end,
            f"Sent {_hours(wait)}{kind} after the customer wrote (target {_hours(team.response_target)}) "
            "without acknowledging the wait; a late answer that ignores the delay reads as indifference.",
            f'{_before(where)} one line about the wait: "Thank you for your patience, and sorry this '
            'took longer than it should have."')]


def _before(where: Span) -> str:
    """Where the line goes, in the agent's own words: before their first sentence."""
    words = squash(where.text)
    if len(words) > 60:
        words = words[:57].rstrip() + "…"
    return f'Before "{words}", add'
