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
# "it's not your fault", "this wasn't user error": negated blame is reassurance.
_NEGATED = re.compile(r"(?:\bnot|n't|\bnever|\bno)\s+(?:\w+\s+){0,2}$", re.IGNORECASE)
# "we should have paid closer attention": the writer taking the blame.
_FIRST_PERSON = re.compile(r"\b(?:we|i|i'm|i've|we've|we're|our|us)\b[^.;!?]*$", re.IGNORECASE)
_APOLOGY = re.compile(r"\b(?:sorry|apologi[sz]e|apologies)\b", re.IGNORECASE)
_WRITER = re.compile(r"\b(?:we|i|i'm|i've|i'll|we've|we're|we'll|our|us)\b", re.IGNORECASE)
# Words that only blame when aimed at the customer.
_WEAK = re.compile(
    r"^(?:obviously|clearly|evidently|(?:a |very |a very )?common (?:mistake|error)|(?:user|operator|customer|human) error|"
    r"for the \w+ time|before \w+|(?:pay|paid|paying) (?:closer|more) attention)",
    re.IGNORECASE,
)


def _aimed_at_customer(text: str, start: int, end: int, sentence_start: int, sentence_text: str) -> bool:
    """Screen out reassurance, self-criticism and apologies that reuse blaming words."""
    before = text[max(sentence_start, start - 40):start]
    excerpt = text[start:end]
    if _NEGATED.search(before):
        return False
    if not excerpt.lower().startswith(("you", "if you", "had you", "because you", "since you", "as you")) \
            and _FIRST_PERSON.search(before):
        return False
    if _APOLOGY.search(sentence_text) and "feel that way" not in excerpt.lower():
        return False
    if _WEAK.match(excerpt) and _WRITER.search(sentence_text):
        return False
    return True
_AGREES = re.compile(r"\b(?:you(?:'re| are) (?:quite |absolutely |completely )?right|(?:our|my) (?:mistake|error|fault))\b",
                     re.IGNORECASE)
_LEADING = re.compile(r"^\s*(?:and|but|so|also|anyway|however)?,?\s*", re.IGNORECASE)


def neutral_rewrite(sentence: str, phrase: str) -> str | None:
    """The sentence with the blaming phrase cut out, when what is left still says something."""
    if phrase.lower().startswith(("if ", "had ", "because ", "since ")):
        return None  # a clause cut out of its sentence leaves broken grammar
    head, _, last = phrase.rpartition(" ")
    if head and last.lower() in ("the", "your", "it", "this", "that"):
        phrase = head  # "Obviously the import failed": keep "the import failed"
    rest = sentence.replace(phrase, "", 1)
    rest = re.sub(r"\s+([,.;:])", r"\1", rest)
    rest = _LEADING.sub("", rest.strip(" ,;:"))
    if len(rest.split()) < 5 or re.search(r"\byou(?:'d| had| should| must| would)\b", rest, re.IGNORECASE):
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
        agrees = _AGREES.search(doc.content.text)
        findings: list[Finding] = []
        seen: set[int] = set()
        for m in find(pattern, reply.text, doc.content):
            if m.group(0).lower().startswith("you") and _OUR_DOING.search(reply.text[max(0, m.start() - 30):m.start()]):
                continue
            excerpt = reply.text[m.start():m.end()]
            if removed(excerpt, options) or agrees and excerpt.lower().startswith(("clearly", "plainly")):
                continue  # ("you're right … your booking clearly says automatic": on their side)
            sentence = sentence_at(doc, m.start())
            if sentence.start in seen or not _aimed_at_customer(reply.text, m.start(), m.end(),
                                                                 sentence.start, sentence.text):
                continue
            seen.add(sentence.start)
            opens = m.start() - sentence.start <= 3
            rewrite = neutral_rewrite(squash(sentence.text), squash(excerpt)) if opens else None
            if rewrite:
                suggestion = f'Say it without the dig: "{rewrite}"'
            else:
                suggestion = ('Describe what happened without pointing at the customer, and what you did '
                              'about it, e.g. "It looks like that step didn\'t go through, so I\'ve done it '
                              'for you from here."')
            findings.append(make_finding(
                self.id, self.severity, reply.text, m.start(), m.end(),
                f'"{squash(excerpt)}" puts the fault on the customer or talks down to them; '
                "customers who feel blamed stop listening to the fix.",
                suggestion))
        return findings
