"""specific-questions: vague catch-all questions, guesses posed as questions,
and the customer's direct questions left unanswered (warn)."""

from __future__ import annotations

import re
from functools import lru_cache
from typing import ClassVar

from policies.base import register
from policies.model import Finding, PolicyOptions, Reply, Severity, TeamPolicy
from policies.ownership import BOOK as OWNERSHIP
from policies.signals import P as SIGNALS
from policies.signals import customer, find, flat, overlaps, reply_signals
from policies.text import (Doc, PhraseBook, all_words, analyse, anchor, is_english, make_finding, removed,
                           sentence_at, squash)

BOOK = PhraseBook("specific_questions", extend="vague")

_STOP = frozenset(
    """the and for you your are was were is it its that this with have has had can could would will should
    shall may might must does did do done get got make made need needs want wants know tell told please thanks
    thank just also there here what when where which how why who whom whose whether any some still again than
    then them they their about into from over under after before only even very really much many more most
    other rather whole one two three yes not but all our out off ever been being able like just sure said way
    anything something everything nothing someone anyone thing things lot bit quick question questions
    hello dear regards best cheers kind mine yours ours let lets help idea ideas now right well okay ok
    going gonna actually""".split()
)
_TOKEN = re.compile(r"[a-z0-9]+(?:'[a-z0-9]+)*")
_SUFFIXES = ("ments", "ment", "ings", "ing", "ied", "ies", "ed", "es", "s", "ly")


_IRREGULAR = {
    "sent": "send", "paid": "pay", "made": "make", "bought": "buy", "took": "take", "taken": "take",
    "gave": "give", "given": "give", "left": "leave", "found": "find", "told": "tell", "kept": "keep",
    "brought": "bring", "chose": "choose", "chosen": "choose", "lost": "lose", "wrote": "write",
    "written": "write", "went": "go", "gone": "go", "came": "come", "ran": "run", "charged": "charge",
}


@lru_cache(maxsize=20000)
def stem(word: str) -> str:
    word = word.strip("'").replace("'s", "")
    word = _IRREGULAR.get(word, word)
    for suf in _SUFFIXES:
        if word.endswith(suf) and len(word) - len(suf) >= 3:
            word = word[: -len(suf)]
            if suf in ("ing", "ed") and len(word) >= 4 and word[-1] == word[-2] and word[-1] not in "aeiouls":
                word = word[:-1]  # shipping → ship
            break
    return word[:5]


def keywords(text: str) -> set[str]:
    out = set()
    for tok in _TOKEN.findall(text.lower()):
        tok = tok.strip("'-")
        if tok in _STOP or (len(tok) < 3 and not tok.isdigit()):
            continue
        out.add(stem(tok))
    return out


@lru_cache(maxsize=512)
def _reply_keywords(text: str) -> frozenset[str]:
    words = all_words(flat(text))
    return frozenset(stem(w) for w in words if w not in _STOP and (len(w) >= 3 or w.isdigit()))


def specific_asks(doc: Doc, text: str) -> bool:
    """True when the reply asks the customer for something precise (a next step of its own)."""
    book = BOOK.for_options(_NO_OPTIONS)
    vague = [(m.start(), m.end()) for fam in ("vague", "guess") for m in find(book[fam], text, doc.content)]
    for s in doc.sentences:
        if s.text.rstrip().endswith("?") and not overlaps((s.start, s.end), vague):
            if len(s.text.split()) >= 5:
                return True
    return False


_NO_OPTIONS = PolicyOptions()
# "Is this how you treat customers???": venting, not a question to answer point by point.
_RHETORICAL = re.compile(
    r"\b(?:why (?:is|does|has) (?:this|it|everything) (?:so |always |got to be so )"
    r"(?:hard|difficult|complicated|slow|painful|bad)|why (?:can't|cannot|won't|don't) you (?:people|guys|ever|just)"
    r"|what(?:'s| is) wrong with (?:you|your company|this company)"
    r"|^(?:hi|hello|hey)?[ ,!]*(?:how are (?:you|things)|how's it going|how have you been)(?: (?:today|doing))?\?"
    r"|is this how|are you (?:serious|kidding|joking)|how (?:is|was|can|could) (?:this|that|it) "
    r"(?:be )?(?:acceptable|possible|ok|okay|fair|right|legal))",
    re.IGNORECASE,
)
_ENDS_QUESTION = re.compile(r"\?[^\w]*$")
_CATCH_ALL = re.compile(r"(?:any|anything|is there|what)\b", re.IGNORECASE)

_ASK_FOR = (
    (("error", " code", "message"), "the exact wording of the error (or a screenshot of it)"),
    ((" app ", " app.", " app,", "phone", "android", "ipad"), "your phone model and the app version (Settings > About)"),
    (("browser", "chrome", "safari", "firefox", "website", " page"), "which browser and version you're using"),
    (("log in", "login", "sign in", "password", "locked out"), "the email address you sign in with and the message you see"),
    ((" charge ", " charged", "payment", "refund", "invoice", " bill"), "the date and amount of the charge as it appears on your statement"),
    (("parcel", "order", "delivery", "booking", "tracking"), "the order or booking reference"),
)


def ask_for(quoted: str) -> str:
    """What to ask for, guessed from what the customer wrote about."""
    low = f" {' '.join(quoted.lower().split())} "
    asks = [what for words, what in _ASK_FOR if any(w in low for w in words)][:2]
    if not asks:
        asks = ["what you clicked just before it happened", "what you saw on screen"]
    return " and ".join(asks)


@register
class SpecificQuestions:
    id: ClassVar[str] = "specific-questions"
    description: ClassVar[str] = "Ask precise questions, don't guess, and answer what the customer asked."
    severity: ClassVar[Severity] = Severity.WARN

    def check(self, reply: Reply, team: TeamPolicy, options: PolicyOptions) -> list[Finding]:
        doc = analyse(reply.text)
        if not doc.english:
            return []
        book = BOOK.for_options(options)
        findings: list[Finding] = []
        seen: set[int] = set()
        for family in ("vague", "guess"):
            for m in find(book[family], reply.text, doc.content):
                excerpt = reply.text[m.start():m.end()]
                sentence = sentence_at(doc, m.start())
                if sentence.start in seen or removed(excerpt, options):
                    continue
                if family == "vague" and _CATCH_ALL.match(excerpt) and not _ENDS_QUESTION.search(sentence.text):
                    continue  # "If you have any other questions, reply here" is a close, not a question
                seen.add(sentence.start)
                if family == "vague":
                    message = (f'"{squash(excerpt)}" is a catch-all; the customer has to guess what you need, '
                               "which costs another round-trip.")
                    suggestion = (
                        'Close with the next step instead of an open question, e.g. "If it still isn\'t right by '
                        'tomorrow, reply here and I\'ll pick it up myself."' if _CATCH_ALL.match(excerpt)
                        else f'Name exactly what you need, e.g. "Could you send me {ask_for(reply.quoted)}?"')
                else:
                    message = (f'"{squash(excerpt)}" is a guess posed as a question; test it first or ask '
                               "for the fact that would tell you.")
                    suggestion = ('State what you checked and give one clear step, e.g. "I tested this on my side: '
                                  'please try … and tell me what you see."')
                findings.append(make_finding(self.id, self.severity, reply.text, sentence.start, sentence.end,
                                             message, suggestion))
        unanswered = self._unanswered(reply, doc)
        if unanswered:
            where = anchor(doc)
            asked = " and ".join(f'"{q}"' for q in unanswered)
            them = "them" if len(unanswered) > 1 else "it"
            findings.append(make_finding(
                self.id, self.severity, reply.text, where.start, where.end,
                f"The customer asked {asked} and the reply doesn't answer {them}; an unanswered question "
                "means another email.",
                f'Answer {them} directly, e.g. a paragraph that starts "You asked {_topic(unanswered[0])}: …"'))
        return findings

    def _unanswered(self, reply: Reply, doc: Doc) -> list[str]:
        who = customer(reply.quoted)
        if who is None or not who.questions or not is_english(who.text):
            return []  # (their questions are matched by English words)
        sig = reply_signals(reply.text)
        answer = _reply_keywords(reply.text)

        def says(family: str) -> bool:  # in the reply's content (the whole text's word index, cached)
            pattern = SIGNALS.get(family)
            return bool(pattern and find(pattern, reply.text, doc.content))

        asked = [(q, keywords(q)) for q in who.questions if not _RHETORICAL.search(q)]
        if any(_REQUEST.match(q) for q, _ in asked) and _hands_off(reply.text, doc):
            # "Can you refund it?" met by "That's not our department" or "This has been
            # escalated": the hand-off is the problem (ownership's finding), not a missed question
            asked = [(q, kw) for q, kw in asked if not _REQUEST.match(q)]
        out = []
        for i, (q, kw) in enumerate(asked):
            others = set().union(*(k for j, (_, k) in enumerate(asked) if j != i)) if len(asked) > 1 else set()
            distinctive = kw - others if len(asked) > 1 else kw
            hits = len(distinctive & answer)
            if hits:
                continue
            if len(asked) == 1 and (says("answer")
                                    or sig.actions and len(keywords(who.text) & answer) >= 2):
                continue
            if _search("cause_question", flat(q)):
                if says("explanation"):
                    continue
            elif _search("next_step_question", flat(q)):
                # "what now?", "any news?", "could you take a look?": answered by what was done,
                # steps to follow, what caused it or where things stand
                if sig.actions or specific_asks(doc, reply.text) or any(
                        says(family) for family in ("instruction", "explanation", "status")):
                    continue
            elif not distinctive or len(asked) == 1 and sig.actions:
                continue
            out.append(squash(q))
        return out


def answers_a_question(reply: Reply) -> bool:
    """True when the reply takes up the words of one of the customer's questions (an answer is substance)."""
    who = customer(reply.quoted)
    if who is None or not who.questions:
        return False
    sig = reply_signals(reply.text)
    plain = " ".join(s.text for s in sig.doc.sentences
                     if not overlaps((s.start, s.end), list(sig.empathy) + list(sig.apologies)))
    answer = keywords(plain)
    return any(len(keywords(q) & answer) >= 2 or (len(keywords(q)) == 1 and keywords(q) <= answer)
               for q in who.questions)


# "Can you refund it?", "Could you send one?": a request, answered by doing it or not.
_REQUEST = re.compile(r"(?:please,? )?(?:can|could|would|will) you (?!(?:please )?(?:tell|explain|confirm|let)\b)\w+",
                      re.IGNORECASE)


def _hands_off(text: str, doc: Doc) -> bool:
    """Does the reply hand the customer's matter to someone else (ownership's phrases)?"""
    book = OWNERSHIP.for_options(_NO_OPTIONS)
    return bool(find(book["deflect"], text, doc.content) or find(book["elsewhere"], text, doc.content))


def _search(family: str, text: str) -> bool:
    pattern = SIGNALS.get(family)
    return bool(pattern and pattern.search(text))


def _topic(question: str) -> str:
    q = squash(question).rstrip("?")
    q = q if len(q) <= 60 else q[:57].rsplit(" ", 1)[0] + "…"
    return f'"{q}?"'.replace('"', "'")
