"""Info-level tips: coaching only, never change the action."""

from __future__ import annotations

import re
import unicodedata
from typing import ClassVar

from policies.base import register
from policies.model import Finding, PolicyOptions, Reply, Severity, TeamPolicy
from policies.signals import find
from policies.text import PhraseBook, analyse, first_name, make_finding, removed, squash

BOOK = PhraseBook("tips", extend="sympathy")


_SALUTATION = re.compile(
    r"^\s*(?:hi|hello|hey+|hiya|dear|good (?:morning|afternoon|evening)|greetings|morning|yo)\b[\s,]*", re.IGNORECASE)
_GENERIC = frozenset(
    "sir madam sir/madam customer customers team there all everyone friend friends valued member guest user client "
    "folks again mr mrs ms dr".split()
)


def _names_someone(greeting: str) -> bool:
    """Does the greeting carry a name (perhaps a nickname), not just "Hi," or "Dear Customer,"?"""
    rest = _SALUTATION.sub("", greeting)
    words = re.findall(r"[^\W\d_][\w'-]*", rest)
    return any(w[:1].isupper() and w.lower() not in _GENERIC for w in words)


def _fold(s: str) -> str:
    return "".join(c for c in unicodedata.normalize("NFKD", s.casefold()) if not unicodedata.combining(c))


@register
class GreetingName:
    id: ClassVar[str] = "greeting-name"
    description: ClassVar[str] = "Greet the customer by name when you know it."
    severity: ClassVar[Severity] = Severity.INFO

    def check(self, reply: Reply, team: TeamPolicy, options: PolicyOptions) -> list[Finding]:
        first = first_name(reply.customer_name)
        if not first or not reply.text.strip():
            return []
        doc = analyse(reply.text)
        if not doc.english or doc.words < 3:  # the greetings it knows are English; "test" is not a reply
            return []
        names = {_fold(p) for p in re.split(r"[\s,]+", reply.customer_name or "") if len(p) > 1}
        if doc.greeting is not None:
            words = {_fold(w) for w in re.findall(r"[\w'-]+", doc.greeting.text)}
            if names & words or _names_someone(doc.greeting.text):
                return []
            at = doc.greeting
            suggestion = f'"{re.sub(r"[,!.:]+$", "", at.text.strip()).split()[0]} {first},"'
        else:
            at = doc.sentences[0] if doc.sentences else doc.body
            words = {_fold(w) for w in re.findall(r"[\w'-]+", at.text)}
            if names & words:
                return []
            suggestion = f'"Hi {first}," on its own line before "{squash(at.text)[:60]}"'
        if not at.text.strip():
            return []
        return [make_finding(
            self.id, self.severity, reply.text, at.start, at.end,
            f"The reply doesn't greet {first} by name; a name shows a person read their message.",
            f"Open with {suggestion}")]


@register
class SympathyPhrasing:
    id: ClassVar[str] = "sympathy-phrasing"
    description: ClassVar[str] = "Own the sympathy: 'I understand how frustrating this is', not 'It must be frustrating'."
    severity: ClassVar[Severity] = Severity.INFO

    def check(self, reply: Reply, team: TeamPolicy, options: PolicyOptions) -> list[Finding]:
        doc = analyse(reply.text)
        if not doc.english:
            return []
        out = []
        for m in find(BOOK.for_options(options)["sympathy"], reply.text, doc.content):
            if removed(m.group(0), options):
                continue
            feeling = m.group("feeling") if "feeling" in m.re.groupindex and m.group("feeling") else "frustrating"
            out.append(make_finding(
                self.id, self.severity, reply.text, m.start(), m.end(),
                f'"{squash(reply.text[m.start():m.end()])}" guesses at the customer\'s feelings from a distance; owned '
                "sympathy sounds more sincere.",
                f'"I understand how {feeling.lower()} this is."'))
        return out
