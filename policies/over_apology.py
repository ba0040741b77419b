"""over-apology: more apologies than one reply can carry (warn)."""

from __future__ import annotations

from typing import ClassVar

from policies.base import register
from policies.model import Finding, PolicyOptions, Reply, Severity, TeamPolicy
from policies.signals import find
from policies.text import PhraseBook, analyse, make_finding, removed, sentence_at, squash, threshold

BOOK = PhraseBook("signals", extend="apology")


@register
class OverApology:
    id: ClassVar[str] = "over-apology"
    description: ClassVar[str] = "Three or more apologies in one reply crowd out the substance."
    severity: ClassVar[Severity] = Severity.WARN

    def check(self, reply: Reply, team: TeamPolicy, options: PolicyOptions) -> list[Finding]:
        doc = analyse(reply.text)
        if not doc.english:
            return []
        book = BOOK.for_options(options)
        hits = [m for m in find(book["apology"], reply.text, doc.content)
                if not removed(m.group(0), options)]
        hits.sort(key=lambda m: m.start())
        allowed = int(threshold(options, "max_apologies", 2))
        if len(hits) <= allowed:
            return []
        first = sentence_at(doc, hits[0].start())
        extra = hits[allowed]
        sentence = sentence_at(doc, extra.start())
        words = ", ".join(f'"{squash(reply.text[m.start():m.end()])}"' for m in hits)
        return [make_finding(
            self.id, self.severity, reply.text, sentence.start, sentence.end,
            f"{len(hits)} apologies in one reply ({words}); more than {allowed} sounds scripted "
            "and pushes the answer down.",
            f'Keep one apology, tied to what you did: "{squash(first.text)}" '
            "and cut the others, then go straight to the fix.")]
