"""tone-match: the reply's register is far from the customer's (warn);
an upset customer answered breezily or dismissively (hold)."""

from __future__ import annotations

import re
from typing import ClassVar

from policies.base import register
from policies.blame import BOOK as BLAME
from policies.discouraging import BOOK as DISCOURAGING
from policies.ownership import BOOK as OWNERSHIP
from policies.model import Finding, PolicyOptions, Reply, Severity, TeamPolicy
from policies.signals import Customer, customer, find, reply_signals
from policies.text import Doc, PhraseBook, analyse, make_finding, removed, sentence_at, squash

BOOK = PhraseBook("tone_match", extend="stiff")
_NO_OPTIONS = PolicyOptions()
_WRITER_ACTS = re.compile(r"\b(?:I|we)(?:'ve|'ll|'m| have| will| am)\b", re.IGNORECASE)

_PLAIN = {
    "dear sir or madam": "Hi <name>,", "dear sir/madam": "Hi <name>,", "dear customer": "Hi <name>,",
    "please be advised": "(drop it and just say it)", "please be informed": "(drop it and just say it)",
    "kindly note": "Just so you know,", "yours faithfully": "Thanks, <your name>",
    "acknowledge receipt": "Thanks for your message", "aforementioned": "this", "pertaining to": "about",
    "in accordance with": "under", "at your earliest convenience": "when you get a moment",
    "it should be noted": "(drop it)", "we wish to inform you": "(drop it)", "hereby": "(drop it)",
}


def _tones(who: Customer, body: str, *, stiff: int, slang: int, mood: str) -> str:
    """The line a person reads: "customer: casual, frustrated · reply: formal, upbeat"."""
    own = Customer(body)
    register = ("formal" if stiff or own.formal >= 2 and own.formal > own.casual
                else "casual" if slang or own.casual >= 2 and own.casual > own.formal else "neutral")
    return f"customer: {who.describe()} · reply: {register}, {mood}"


_CHEER = re.compile(r"(?:great news|good news|awesome|amazing|super|yay|woo+hoo)[,!:. ]*|[!]+|[:;]-?[)D]|"
                    r"(?:have an? (?:great|nice|lovely|good|awesome|amazing|fab) (?:day|one|weekend)|no worries)[.!]*|"
                    "[\U0001F300-\U0001FAFF\U00002600-\U000027BF]", re.IGNORECASE)


def _calm_opening(doc: Doc, actions: tuple[tuple[int, int], ...]) -> str:
    """A rewrite in the agent's words: acknowledge first, then their news without the cheer."""
    sentence = sentence_at(doc, actions[0][0]) if actions else None
    news = " ".join(_CHEER.sub(" ", sentence.text).split()).strip(" ,;:") if sentence else ""
    if len(news.split()) < 3:
        return ('Drop the cheer and emoji, and open by acknowledging the problem, e.g. "I\'m sorry this '
                'has happened again. Here is what I\'ve done: …"')
    news = news[:1].upper() + news[1:]
    return (f'Drop the cheer and emoji, and acknowledge the problem before your news: "I\'m sorry you\'ve had '
            f'this trouble. {news.rstrip(".")}."')


def _plain(excerpt: str) -> str:
    low = " ".join(excerpt.lower().split())
    for key, value in _PLAIN.items():
        if key in low:
            return value
    return "plain, everyday words"


@register
class ToneMatch:
    id: ClassVar[str] = "tone-match"
    description: ClassVar[str] = "The reply's tone should meet the customer where they are."
    severity: ClassVar[Severity] = Severity.WARN

    def check(self, reply: Reply, team: TeamPolicy, options: PolicyOptions) -> list[Finding]:
        who = customer(reply.quoted)
        if who is None:
            return []
        doc = analyse(reply.text)
        if not doc.english:
            return []
        text = reply.text
        book = BOOK.for_options(options)
        sig = reply_signals(text)
        keep = lambda ms: [m for m in ms if not removed(m.group(0), options)]  # noqa: E731
        stiff = keep(find(book["stiff"], text, doc.body))
        slang = keep(find(book["slang"], text, doc.body))
        cheery = keep(find(book["cheery"], text, doc.body))
        curt = keep(find(book["curt"], text, doc.content))
        cheer = len(cheery) + sig.emoji + min(2, text.count("!!", doc.body.start, doc.body.end))

        def tones(mood: str) -> str:
            return _tones(who, doc.body.text, stiff=len(stiff), slang=len(slang), mood=mood)

        if cheer >= 2 or (cheer >= 1 and slang):
            if who.is_upset:
                first = min((m.start() for m in cheery), default=None)
                at = sentence_at(doc, first) if first is not None else (doc.greeting or doc.sentences[0])
                return [make_finding(
                    self.id, Severity.HOLD, text, at.start, at.end,
                    f'The customer is upset, and "{squash(at.text)}" sounds breezy; cheer reads as not taking '
                    f"them seriously ({tones('upbeat')}).",
                    _calm_opening(doc, sig.actions))]
        elif who.is_upset:  # (asked first: most customers are not, and then none of this matters)
            blame = find(BLAME.for_options(_NO_OPTIONS)["phrases"], text, doc.content)
            if not sig.actions:
                # Shutting the door or sending them elsewhere, with nothing done for them, is
                # dismissive to someone already upset (with a fix it is the other policies' matter).
                blame += find(DISCOURAGING.for_options(_NO_OPTIONS)["phrases"], text, doc.content)
                blame += find(OWNERSHIP.for_options(_NO_OPTIONS)["elsewhere"], text, doc.content)
            cold = not sig.empathy
            curt = curt if cold else []
            # a few cold words with no "I've"/"we'll" in them, greeting or not: "Hi Lena, this has
            # been forwarded to the relevant department."
            short = (cold and doc.words < 30 and bool(doc.content.text)
                     and not _WRITER_ACTS.search(doc.content.text))
            if blame or curt or short:
                at = sentence_at(doc, (blame or curt)[0].start()) if (blame or curt) else doc.content
                if not at.text:
                    at = doc.body
                return [make_finding(
                    self.id, Severity.HOLD, text, at.start, at.end,
                    f'The customer is upset, and "{squash(at.text)}" is curt or dismissive; it escalates '
                    f"instead of calming ({tones('blaming' if blame else 'curt')}).",
                    'Acknowledge the problem before the facts, e.g. "I\'m sorry you\'ve had to chase this. '
                    'I\'ve checked, and here is where things stand: …"')]
        if stiff and (who.register == "casual" or len(stiff) >= 2 and who.register != "formal"):
            m = stiff[0]
            return [make_finding(
                self.id, self.severity, text, m.start(), m.end(),
                f'"{squash(reply.text[m.start():m.end()])}" is stiff and bureaucratic for a customer who wrote '
                f'{"casually" if who.register == "casual" else "plainly"}; it puts distance between you '
                f"({tones('upbeat' if cheer else 'warm' if sig.empathy else 'neutral')}).",
                f'Write the way they did: use "{_plain(text[m.start():m.end()])}" instead, and keep the rest plain.')]
        slangy = len(slang) + (sig.emoji if sig.emoji >= 2 else 0)
        if slangy >= 1 and (who.register == "formal" or who.register == "neutral" and slangy >= 3):
            where = (slang[0].start(), slang[0].end()) if slang else (doc.body.start, doc.body.end)
            word = squash(text[where[0]:where[1]])
            return [make_finding(
                self.id, self.severity, text, where[0], where[1],
                f'"{word}" is slangy for a customer who wrote formally; it can read as not taking the '
                f"request seriously ({tones('upbeat' if cheer else 'warm' if sig.empathy else 'neutral')}).",
                "Match their register: full words, no emoji or 'lol', e.g. \"Dear <name>, thank you for "
                "your message. Yes, this can be done: …\"")]
        return []
