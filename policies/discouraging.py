"""discouraging: the reply discourages further contact (hold)."""

from __future__ import annotations

import re
from typing import ClassVar

from policies.base import register
from policies.model import Finding, PolicyOptions, Reply, Severity, TeamPolicy
from policies.signals import find
from policies.text import PhraseBook, Span, analyse, make_finding, removed, sentence_at, squash

BOOK = PhraseBook("discouraging", extend="phrases")
_TICKETS = re.compile(r"\b(?:tickets?|cases?|requests?|reopen)", re.IGNORECASE)

# The phrase list above names the usual wordings; this reads the structure behind them, for
# the many others: a prohibition or a "no point / no longer" close to getting in touch.
_CONTACT = (r"(?:e-?mail(?:s|ing|ed)?|contact(?:ing)?|writ(?:e|ing)(?: in| to us)?|messag(?:e|es|ing)|tickets?"
            r"|call(?:s|ing)?|ring(?:ing)?|phon(?:e|ing)|correspondence|get(?:ting)? in touch|reach(?:ing)? out"
            r"|chas(?:e|ing)|follow(?:ing)?[- ]ups?|repl(?:y|ies|ying)|respond(?:ing)?|enquir(?:y|ies)|inquir(?:y|ies)"
            r"|quer(?:y|ies)|requests?|chasers?)")
_WORDS = r"(?:[\w'’-]+[ ,]+){0,5}?"
_PROHIBIT = re.compile(
    r"\b(?:(?:please |kindly )?(?:stop|cease|refrain from|avoid|quit)|(?:please )?(?:do not|don't|dont) (?:keep|continue"
    r"|send|open|raise|submit|create|log|e-?mail|contact|write|message|call|ring|chase))\b " + _WORDS + _CONTACT + r"\b",
    re.IGNORECASE)
_NO_POINT = re.compile(
    r"\b(?:(?:there(?:'s| is) )?(?:really |simply |absolutely )?no (?:need|point|reason|use)(?: in| for you)?"
    r"|it(?:'s| is) (?:pointless|not necessary|unnecessary) to)\b "
    + _WORDS + _CONTACT + r"\b[^.!?\n]{0,60}?\b(?:again|any ?more|further|about (?:this|it|that)|regarding (?:this|it)"
    r"|on this (?:matter|topic|subject)|in future)\b",
    re.IGNORECASE)
_WONT_ANSWER = re.compile(
    r"\b(?:(?:we|I)(?:'ll| will)? (?:won't|will not|will no longer|no longer|do not|don't|cannot|can't|are unable to"
    r"|am unable to)(?: be able to)? (?:respond|reply|answer|engage|correspond|read)(?:ing)?"
    r"|(?:we|I) (?:are|am) (?:no longer|not) (?:responding|replying|answering))"
    r"(?: to)? " + _WORDS + r"(?:further|future|more|additional|repeat(?:ed)?|other|any|these|such|how-to|"
    r"correspondence|questions|emails|messages|requests|queries|tickets|enquiries|inquiries)\b",
    re.IGNORECASE)
_SOMEONE_ELSE = re.compile(
    r"\s+(?:the|your|their|them|him|her|a|an|any (?:other|third))\b(?! (?:[\w-]+ )?(?:team|support|helpdesk|inbox"
    r"|address|mailbox|desk|department|office|line|queue|service|cent(?:re|er)))", re.IGNORECASE)
# "limit contact to one email a week", "contacting us again will not change the outcome"
_RATION = re.compile(r"\b(?:limit|restrict|reduce|keep) (?:your |their |all )?(?:contact|e-?mails?|calls?|messages?"
                     r"|correspondence|tickets?)\b[^.!?\n]{0,60}?\b(?:to (?:one|a single|once)|a (?:week|month|day))\b",
                     re.IGNORECASE)
_FUTILE = re.compile(r"\b(?:e-?mailing|contacting|calling|chasing|writing to|messaging|phoning)(?: us| this \w+)?"
                     r"(?: again| further| repeatedly| more)? (?:will not|won't|doesn't|does not|isn't going to|cannot|can't)"
                     r" (?:change|speed|alter|affect|help|make|get)\b", re.IGNORECASE)
_NOT_A_CLOSE = re.compile(
    r"\b(?:hesitate|unsubscribe|notification|newsletter|receiving|marketing|until (?:monday|tuesday|wednesday|"
    r"thursday|friday|tomorrow|we|I|the)|out of (?:the )?office|on (?:leave|holiday))", re.IGNORECASE)


# Every structure above has one of these words; a sentence without any is skipped at once.
_CUE = re.compile(r"\b(?:stop|cease|refrain|avoid|quit|do not|don't|dont|no|pointless|not necessary|unnecessary"
                  r"|won't|will not|no longer|cannot|can't|unable|not|doesn't|isn't|limit|restrict|reduce|keep)\b",
                  re.IGNORECASE)


def closing_doors(sentences: tuple[Span, ...]) -> list[tuple[int, int]]:
    """Spans of sentences that, in other words, tell the customer not to get in touch again."""
    out = []
    for sentence in sentences:
        s = sentence.text
        if not _CUE.search(s) or _NOT_A_CLOSE.search(s):
            continue
        m = (_PROHIBIT.search(s) or _NO_POINT.search(s) or _WONT_ANSWER.search(s) or _RATION.search(s)
             or _FUTILE.search(s))
        if m and m.re is _PROHIBIT and _SOMEONE_ELSE.match(s, m.end()):
            continue  # "please avoid contacting the hotel directly; I'll fix it": not us
        if m:
            out.append((sentence.start + m.start(), sentence.start + m.end()))
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
        spans += closing_doors(doc.sentences)
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
