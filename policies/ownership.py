"""ownership: the next step is deflected to anonymous others or passive voice (warn),
or the customer is sent elsewhere with no hand-off and no next step (hold)."""

from __future__ import annotations

import re
from typing import ClassVar

from policies.base import register
from policies.model import Finding, PolicyOptions, Reply, Severity, TeamPolicy
from policies.signals import find, reply_signals
from policies.text import PhraseBook, Span, analyse, make_finding, removed, sentence_at, squash

BOOK = PhraseBook("ownership", extend="deflect")
_TEAM = re.compile(
    r"\b(the|our|your)\s+((?:[\w&-]+\s+){0,3}(?:team|department|dept|group|folks|crew|depot|office|desk|"
    r"billing|claims|finance|accounts|electrician|installer|bank|card issuer|provider|vet|hotel|property|host|"
    r"airline|registrar|landlord|manufacturer|courier|insurer))\b",
    re.IGNORECASE,
)
_CONTACT = re.compile(r"[\w.+-]+@[\w-]+\.[\w.]+|https?://\S+|\+?\d[\d ()-]{7,}\d")


def _steps_outside(text: str, referral: list[Span]) -> bool:
    """Does the reply give a next step outside the sentences that send the customer elsewhere?"""
    return any(not any(s.start <= a[0] < s.end for s in referral) for a in reply_signals(text).actions)


@register
class Ownership:
    id: ClassVar[str] = "ownership"
    description: ClassVar[str] = "A named person should own the next step."
    severity: ClassVar[Severity] = Severity.WARN

    def check(self, reply: Reply, team: TeamPolicy, options: PolicyOptions) -> list[Finding]:
        doc = analyse(reply.text)
        if not doc.english:
            return []
        book = BOOK.for_options(options)
        text = reply.text
        owned = find(book["owned"], text, doc.content)
        future_owned = [m for m in owned if not re.match(r"i(?:'ve| have)? (?:asked|contacted|spoken|called|emailed|messaged|chased|escalated|booked|arranged|passed|forwarded|sent|raised|handed)", m.group(0))]
        handoffs = [m for m in owned if m not in future_owned]
        owned_sentences = {sentence_at(doc, m.start()).start for m in future_owned}
        deflect = [m for m in find(book["deflect"], text, doc.content) if not removed(m.group(0), options)]
        elsewhere = [m for m in find(book["elsewhere"], text, doc.content) if not removed(m.group(0), options)]

        findings: list[Finding] = []
        seen: set[int] = set()
        if elsewhere and not deflect and not handoffs and not future_owned \
                and not _steps_outside(text, [sentence_at(doc, m.start()) for m in elsewhere]) \
                and not _CONTACT.search(doc.content.text):
            m = elsewhere[0]
            party = _party(text[m.start():m.end()]) or _party(sentence_at(doc, m.start()).text) or "them"
            sentence = sentence_at(doc, m.start())
            severity = Severity.HOLD
            return [make_finding(
                self.id, severity, text, m.start(), m.end(),
                f'"{squash(reply.text[m.start():m.end()])}" sends the customer elsewhere with no hand-off and no next step; '
                "they are left to solve it alone.",
                f'Take the first step yourself, e.g. "I\'ve contacted {party} for you with the details of '
                f'your case, and I\'ll email you by tomorrow with what they say." ({squash(sentence.text)})')]
        if future_owned:
            return []
        for m in sorted(deflect + elsewhere, key=lambda m: m.start()):
            sentence = sentence_at(doc, m.start())
            if sentence.start in seen or sentence.start in owned_sentences:
                continue
            seen.add(sentence.start)
            named = _party(text[m.start():sentence.end]) or _party(sentence.text)
            said = squash(reply.text[m.start():m.end()])
            if m in elsewhere:
                message = (f'"{said}" sends the customer to someone else; say what you have already done '
                           "and what happens next.")
                suggestion = (f'"I\'ve written to {named or "them"} with your case details, and I\'ll check back '
                              'with you on Thursday."')
            else:
                message = (f'"{said}" hands the next step to someone anonymous; the customer doesn\'t know '
                           "who is responsible or when to expect news.")
                suggestion = (f'Own it in the first person, e.g. "I\'ve passed this to {named or "the right team"} '
                              'myself and I\'ll email you by Thursday with their answer."')
            findings.append(make_finding(self.id, self.severity, text, m.start(), m.end(), message, suggestion))
        return findings


def _party(s: str) -> str | None:
    """Who the step was handed to, in the writer's words ("our claims department", "your bank")."""
    m = _TEAM.search(s)
    if not m:
        return None
    return f"{m.group(1).lower()} {' '.join(m.group(2).split())}"
