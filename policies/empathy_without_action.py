"""empathy-without-action: feelings acknowledged, but no next step, fix, workaround or timeline (warn)."""

from __future__ import annotations

from datetime import timedelta
from typing import ClassVar

from policies.base import register
from policies.model import Finding, PolicyOptions, Reply, Severity, TeamPolicy
from policies.signals import reply_signals
from policies.specific_questions import answers_a_question, specific_asks
from policies.text import analyse, make_finding, removed, sentence_at, squash


@register
class EmpathyWithoutAction:
    id: ClassVar[str] = "empathy-without-action"
    description: ClassVar[str] = "Empathy or apology with no concrete next step, fix, workaround or timeline."
    severity: ClassVar[Severity] = Severity.WARN

    def check(self, reply: Reply, team: TeamPolicy, options: PolicyOptions) -> list[Finding]:
        doc = analyse(reply.text)
        if not doc.english:
            return []
        sig = reply_signals(reply.text)
        empathy = [e for e in sig.empathy if not removed(reply.text[e[0]:e[1]], options)]
        if not empathy or sig.concrete_actions or specific_asks(doc, reply.text) or answers_a_question(reply):
            return []
        sentence = sentence_at(doc, empathy[0][0])
        return [make_finding(
            self.id, self.severity, reply.text, sentence.start, sentence.end,
            f'"{squash(sentence.text)}" acknowledges how the customer feels, but the reply gives no fix, '
            "next step or timeline; sympathy without action leaves them where they started.",
            f'Keep it, and say right after it what you will do and by when: "{squash(sentence.text)} '
            f'I\'ve <what you did or started> and I\'ll update you by {_next_working_day(reply)}."')]


def _next_working_day(reply: Reply) -> str:
    """The day after the reply (Monday after a Friday): a deadline the agent can keep or change."""
    if reply.replied_at is None:
        return "tomorrow"
    day = reply.replied_at + timedelta(days=1)
    while day.weekday() >= 5:
        day += timedelta(days=1)
    return day.strftime("%A")
