"""discouraging: the reply discourages further contact (hold)."""

from __future__ import annotations

import re
from typing import ClassVar

from policies.base import register
from policies.model import Finding, PolicyOptions, Reply, Severity, TeamPolicy
from policies.signals import find
from policies.text import PhraseBook, analyse, make_finding, removed, sentence_at, squash

BOOK = PhraseBook("discouraging", extend="phrases")
_TICKETS = re.compile(r"\b(?:tickets?|cases?|requests?|reopen)", re.IGNORECASE)


@register
class Discouraging:
    id: ClassVar[str] = "discouraging"
    description: ClassVar[str] = "The reply discourages the customer from getting in touch again."
    severity: ClassVar[Severity] = Severity.HOLD

    def check(self, reply: Reply, team: TeamPolicy, options: PolicyOptions) -> list[Finding]:
        doc = analyse(reply.text)
        if not doc.english:
            return []
        book = BOOK.for_options(options)
        findings: list[Finding] = []
        seen: set[int] = set()
        for m in find(book["phrases"], reply.text, doc.content):
            sentence = sentence_at(doc, m.start())
            if sentence.start in seen or find(book.get("invitations"), reply.text, sentence):
                continue
            excerpt = reply.text[m.start():m.end()]
            if removed(excerpt, options):
                continue
            seen.add(sentence.start)
            if _TICKETS.search(sentence.text):
                suggestion = ('"If this comes up again, just reply to this email so everything stays in one '
                              'place and comes straight to me."')
            else:
                suggestion = '"If anything about this is still unclear, reply here and I\'ll help."'
            findings.append(make_finding(
                self.id, self.severity, reply.text, sentence.start, sentence.end,
                f'"{squash(excerpt)}" tells the customer not to get in touch again; '
                "a customer who can't come back takes the problem elsewhere.",
                f"Replace it with an open door: {suggestion}"))
        return findings
