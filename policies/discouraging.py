"""discouraging: the reply discourages further contact (hold)."""

from __future__ import annotations

import re
from typing import ClassVar

from policies.base import register
from policies.model import Finding, PolicyOptions, Reply, Severity, TeamPolicy
from policies.signals import find
from policies.text import Doc, Matcher, PhraseBook, analyse, make_finding, removed, sentence_at, squash

BOOK = PhraseBook("discouraging", extend="phrases")
_TICKETS = re.compile(r"\b(?:tickets?|cases?|requests?|reopen)", re.IGNORECASE)

# The phrase list above names the usual wordings; this reads the structure behind them, for
# the many others: a prohibition or a "no point / no longer" close to getting in touch.
# (whole words only, no optional letters: the phrase matcher anchors on them)
_CONTACT = (r"(?:emails?|emailing|emailed|e-mails?|e-mailing|contact|contacting|write|writing|write in|writing in"
            r"|message|messages|messaging|ticket|tickets|call|calls|calling|ring|ringing|phone|phoning"
            r"|correspondence|get in touch|getting in touch|reach out|reaching out|chase|chasing|follow-ups?"
            r"|follow ups?|reply|replies|replying|respond|responding|enquiry|enquiries|inquiry|inquiries|query"
            r"|queries|request|requests|chasers?)")
_WORDS = r"(?:[\w'-]+[ ,]+){0,5}?"
# Matched on the lower-cased copy of the text (signals.flat), through the fast phrase matcher.
# "please stop sending repeat emails", "don't keep opening new tickets"
_PROHIBIT = Matcher([
    r"(?:(?:please |kindly )?(?:stop|cease|refrain from|avoid|quit)|(?:please )?(?:do not|don't|dont) (?:keep|continue"
    r"|send|open|raise|submit|create|log|e-?mail|contact|write|message|call|ring|chase))\b " + _WORDS + _CONTACT,
])
_CLOSES = Matcher([
    # "there's no point emailing us again about this"
    r"(?:(?:there(?:'s| is) )?(?:really |simply |absolutely )?no (?:need|point|reason|use)(?: in| for you)?"
    r"|it(?:'s| is) (?:pointless|not necessary|unnecessary) to)\b "
    + _WORDS + _CONTACT + r"\b[^.!?\n]{0,60}?\b(?:again|any ?more|further|about (?:this|it|that)|regarding (?:this|it)"
    r"|on this (?:matter|topic|subject)|in future)",
    # "we will no longer respond to correspondence", "we won't reply to how-to questions"
    r"(?:(?:we|i)(?:'ll| will)? (?:won't|will not|will no longer|no longer|do not|don't|cannot|can't|are unable to"
    r"|am unable to)(?: be able to)? (?:respond|reply|answer|engage|correspond|read)(?:ing)?"
    r"|(?:we|i) (?:are|am) (?:no longer|not) (?:responding|replying|answering))"
    r"(?: to)? " + _WORDS + r"(?:further|future|more|additional|repeat(?:ed)?|other|any|these|such|how-to|"
    r"correspondence|questions|emails|messages|requests|queries|tickets|enquiries|inquiries)",
    # "limit contact to one email a week"
    r"(?:limit|restrict|reduce|keep) (?:your |their |all )?(?:contact|e-?mails?|calls?|messages?"
    r"|correspondence|tickets?)\b[^.!?\n]{0,60}?\b(?:to (?:one|a single|once)|a (?:week|month|day))",
    # "contacting us again will not change the outcome"
    r"(?:emailing|e-mailing|contacting|calling|chasing|writing to|messaging|phoning)(?: us| this \w+)?"
    r"(?: again| further| repeatedly| more)? (?:will not|won't|doesn't|does not|isn't going to|cannot|can't)"
    r" (?:change|speed|alter|affect|help|make|get)",
])
_SOMEONE_ELSE = re.compile(
    r"\s+(?:the|your|their|them|him|her|a|an|any (?:other|third))\b(?! (?:[\w-]+ )?(?:team|support|helpdesk|inbox"
    r"|address|mailbox|desk|department|office|line|queue|service|cent(?:re|er)))", re.IGNORECASE)
_NOT_A_CLOSE = re.compile(
    r"\b(?:hesitate|unsubscribe|notification|newsletter|receiving|marketing|until (?:monday|tuesday|wednesday|"
    r"thursday|friday|tomorrow|we|I|the)|out of (?:the )?office|on (?:leave|holiday))", re.IGNORECASE)


def closing_doors(text: str, doc: Doc) -> list[tuple[int, int]]:
    """Spans that, in other words, tell the customer not to get in touch again."""
    out = []
    prohibitions = [m for m in find(_PROHIBIT, text, doc.content)
                    if not _SOMEONE_ELSE.match(text, m.end())]  # "avoid contacting the hotel": not us
    for m in prohibitions + find(_CLOSES, text, doc.content):
        if _NOT_A_CLOSE.search(sentence_at(doc, m.start()).text):
            continue  # "to stop these emails, unsubscribe", "we won't reply until Monday"
        out.append((m.start(), m.end()))
    return out


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
        spans = [(m.start(), m.end()) for m in find(book["phrases"], reply.text, doc.content)]
        spans += closing_doors(reply.text, doc)
        for start, end in sorted(spans):
            sentence = sentence_at(doc, start)
            if sentence.start in seen or find(book.get("invitations"), reply.text, sentence):
                continue
            excerpt = reply.text[start:end]
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
