"""blame: the reply blames or talks down to the customer (hold)."""

from __future__ import annotations

import re
from typing import ClassVar

from policies.base import register
from policies.model import Finding, PolicyOptions, Reply, Severity, TeamPolicy
from policies.signals import find
from policies.text import PhraseBook, analyse, make_finding, removed, sentence_at, squash

BOOK = PhraseBook("blame", extend="phrases")

# "we charged you incorrectly" is our fault, not the customer's.
_OUR_DOING = re.compile(r"\b(?:we|I|they|it|has|have|had|was|were|been|our \w+)\s+\w+\s*$", re.IGNORECASE)
_LEADING = re.compile(r"^\s*(?:and|but|so|also|anyway|however)?,?\s*", re.IGNORECASE)


def neutral_rewrite(sentence: str, phrase: str) -> str | None:
    """The sentence with the blaming phrase cut out, when what is left still says something."""
    rest = sentence.replace(phrase, "", 1)
    rest = re.sub(r"\s+([,.;:])", r"\1", rest)
    rest = _LEADING.sub("", rest.strip(" ,;:"))
    if len(rest.split()) < 5 or re.search(r"\byou(?:'d| had| should| must)\b", rest, re.IGNORECASE):
        return None
    return rest[:1].upper() + rest[1:]


@register
class Blame:
    id: ClassVar[str] = "blame"
    description: ClassVar[str] = "The reply blames or talks down to the customer."
    severity: ClassVar[Severity] = Severity.HOLD

    def check(self, reply: Reply, team: TeamPolicy, options: PolicyOptions) -> list[Finding]:
        doc = analyse(reply.text)
        if not doc.english:
            return []
        pattern = BOOK.for_options(options)["phrases"]
        findings: list[Finding] = []
        seen: set[int] = set()
        for m in find(pattern, reply.text, doc.content):
            if m.group(0).lower().startswith("you") and _OUR_DOING.search(reply.text[max(0, m.start() - 30):m.start()]):
                continue
            excerpt = reply.text[m.start():m.end()]
            if removed(excerpt, options):
                continue
            sentence = sentence_at(doc, m.start())
            if sentence.start in seen:
                continue
            seen.add(sentence.start)
            rewrite = neutral_rewrite(squash(sentence.text), squash(excerpt))
            if rewrite:
                suggestion = f'Say it without the dig: "{rewrite}"'
            else:
                suggestion = ('Describe what happened neutrally and what you did about it, e.g. '
                              '"The setting was switched off, so I\'ve turned it on for you."')
            findings.append(make_finding(
                self.id, self.severity, reply.text, m.start(), m.end(),
                f'"{squash(excerpt)}" puts the fault on the customer or talks down to them; '
                "customers who feel blamed stop listening to the fix.",
                suggestion))
        return findings
