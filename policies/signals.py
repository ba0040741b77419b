"""Signals several policies share: apologies, empathy, action, and how the
customer sounds. Computed once per reply (cached) from `phrases/signals.toml`.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from functools import cached_property, lru_cache

from policies.model import PolicyOptions
from policies.text import Doc, Matcher, PhraseBook, Span, analyse, customer_text

_BOOK = PhraseBook("signals", extend="")
P = _BOOK.for_options(PolicyOptions())

# A line break on its own (not one of a blank line). Written to start with the line break,
# with the check before it as a lookbehind, so that the engine can jump between breaks.
_SINGLE_NL = re.compile(r"\n(?<!\n\n)(?!\n)")
_PICTO = re.compile("[\U0001F300-\U0001FAFF\U00002600-\U000027BF\U0001F000-\U0001F2FF]")
_SMILEY = re.compile(r"[:;]-?[)D(P]|\^_\^|<3")


def count_emoji(text: str, start: int = 0, end: int | None = None) -> int:
    """Pictographs plus typed smileys such as :) ;-) <3 (not inside words or times)."""
    end = len(text) if end is None else end
    n = 0 if text.isascii() else len(_PICTO.findall(text, start, end))
    for m in _SMILEY.finditer(text, start, end):
        before = text[m.start() - 1] if m.start() > 0 else " "
        after = text[m.end()] if m.end() < len(text) else " "
        if not (before.isalnum() or before == ":") and not after.isalnum():
            n += 1
    return n


_NEGATION_BEFORE = re.compile(r"\b(?:nothing|not|never|no|nobody|no one)\s+(?:\w+\s+){0,1}$", re.IGNORECASE)
_VAGUE_PROMISE = re.compile(
    r"(?:I|we)(?:'ll| will| are going to|'re going to| am going to|'m going to| shall) (?:\w+ ){0,2}?"
    r"(?:look into|look at|investigate|be in touch|get back|let you know|keep you (?:posted|updated)|update you"
    r"|follow up|come back|reach out|check)\b",
    re.IGNORECASE)
_FUTURE = re.compile(r"\b(?:will|'ll|shall|should|going to|expect|within|by)\b", re.IGNORECASE)
# A run of 3+ capitals as a word. The first capital comes before the word-start check
# (a lookbehind over it) so that the engine can skip ahead to capitals.
_CAPS = re.compile(r"[A-Z](?<![\w-][A-Z])[A-Z]{2,}(?![\w-])")
_SHOUTED_SHORT = frozenset("NOT NOW ALL ANY YET TWO WHY HOW YOU OUR DAY BUT AND THE ONE TEN SIX OFF OUT WAY".split())
_ACRONYMS = frozenset(
    """PHP SSL DNS URL API CSV PDF UTC GMT BST CET CEST EST EDT PST PDT IST AEST AEDT USB ISP VAT FAQ SMS TLS SPF DKIM
    AAAA HTML HTTP HTTPS WIFI IBAN PIN ATM USA GDPR CEO CFO CTO COO IOS LED NYC ETA RSVP WWW VPN SSO CRM ERP SKU
    PPE MOT DVD ZIP CMS SEO SAAS AWS GCP NAS RAM CPU GPU SSD HDD LAN WAN DHCP IMAP SMTP POP NHS HMRC IRS ACH BACS
    CHAPS SWIFT EUR USD GBP AUD INR CAD JPY CHF NZD SEK NOK DKK IPV UPS DHL TNT FEDEX USPS EOD AOB""".split()
)
_IMPERATIVES = frozenset(
    """go click tap select choose try use set switch enter clear restart reply send sign log download install
    update check visit follow press hold turn unplug plug disconnect reconnect reauthorize reauthorise refresh
    copy paste type add remove leave keep open head navigate drag scroll forward call ring email text""".split()
)
_FIRST_WORD = re.compile(r"[A-Za-z]+")
_STEP = re.compile(r"\s*(?:\d{1,2}[.)]|[-*•])\s+\w")


@lru_cache(maxsize=512)
def flat(text: str) -> str:
    """Same-length copy for phrase matching: lower case, single line breaks → spaces,
    curly → straight apostrophes. Offsets are the same as in `text`."""
    out = _SINGLE_NL.sub(" ", text).replace("’", "'").replace("‘", "'")
    low = out.lower()
    if len(low) != len(out):  # a few characters lower-case to two; keep those as they are
        low = "".join(c.lower() if len(c.lower()) == 1 else c for c in out)
    return low


def find(pattern: Matcher | None, text: str, span: Span) -> list[re.Match[str]]:
    """Matches of `pattern` in the flat copy of `text` within `span`."""
    if pattern is None or span.end <= span.start:
        return []
    return list(_find(pattern, flat(text), span.start, span.end))


@lru_cache(maxsize=4096)
def _find(pattern: Matcher, text: str, start: int, end: int) -> tuple[re.Match[str], ...]:
    """Several policies look for the same family in the same text: match once."""
    return tuple(pattern.finditer(text, start, end))


def overlaps(a: tuple[int, int], spans: list[tuple[int, int]]) -> bool:
    return any(a[0] < e and s < a[1] for s, e in spans)


# ---------------------------------------------------------------- the reply


class ReplySignals:
    """Signals of one reply, each worked out the first time a policy asks for it."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.doc = analyse(text)
        self._starts = [s.start for s in self.doc.sentences]

    def _spans(self, family: str) -> tuple[tuple[int, int], ...]:
        return tuple((m.start(), m.end()) for m in find(P[family], self.text, self.doc.content))

    @cached_property
    def apologies(self) -> tuple[tuple[int, int], ...]:
        return self._spans("apology")

    @cached_property
    def wait_acks(self) -> tuple[tuple[int, int], ...]:
        return self._spans("wait_ack")

    @cached_property
    def empathy(self) -> tuple[tuple[int, int], ...]:
        """Empathy and apologies, except those about the wait (late-apology's business)."""
        waits = list(self.wait_acks)  # "sorry for the wait" is about the wait; "I understand your
        # frustration and appreciate your patience" is empathy too
        return tuple(e for e in self._spans("empathy") if not overlaps(e, waits))

    @cached_property
    def actions(self) -> tuple[tuple[int, int], ...]:
        """Something done, a committed next step, a workaround, instructions or a dated promise."""
        doc, text = self.doc, self.text
        actions = [a for a in self._spans("action")  # "there's nothing we can do" is not a step
                   if not _NEGATION_BEFORE.search(text, max(0, a[0] - 24), a[0])]
        actions += self._spans("instruction")
        for s in doc.sentences:  # imperatives, list steps and menu paths the customer can follow
            m = _FIRST_WORD.match(s.text)
            if (m and m.group(0).lower() in _IMPERATIVES) or _STEP.match(s.text) or " > " in s.text:
                actions.append((s.start, s.end))
        for m in find(P["timeline"], text, doc.content):
            sentence = _sentence_of(doc, m.start(), self._starts)
            if sentence and _FUTURE.search(flat(text), sentence.start, sentence.end):
                actions.append((m.start(), m.end()))
        return tuple(sorted(actions))

    @cached_property
    def concrete_actions(self) -> tuple[tuple[int, int], ...]:
        """Actions without the vague promises ("we'll look into it and get back to you") that
        name no time: a next step the customer can hold us to."""
        text, doc = self.text, self.doc
        timed = {s.start for s in doc.sentences if find(P["timeline"], text, s)}
        out = []
        for a in self.actions:
            sentence = _sentence_of(doc, a[0], self._starts)
            if _VAGUE_PROMISE.match(text, a[0]) and (sentence is None or sentence.start not in timed):
                continue
            out.append(a)
        return tuple(out)

    @cached_property
    def emoji(self) -> int:
        return count_emoji(self.text, self.doc.body.start, self.doc.body.end)


@lru_cache(maxsize=512)
def reply_signals(text: str) -> ReplySignals:
    return ReplySignals(text)


def _sentence_of(doc: Doc, pos: int, starts: list[int]) -> Span | None:
    k = bisect_right(starts, pos) - 1
    if k >= 0 and doc.sentences[k].start <= pos < doc.sentences[k].end:
        return doc.sentences[k]
    return None


# ---------------------------------------------------------------- the customer


class Customer:
    """How the customer wrote: register, how upset, and their direct questions.

    Each is worked out the first time a policy asks for it: most replies need
    only how upset the customer is and what they asked, not their register.
    """

    def __init__(self, text: str) -> None:
        self.text = text
        self._flat = flat(text)

    @cached_property
    def casual(self) -> int:
        text = self.text
        casual = _count(P["casual"], self._flat)
        casual += min(2, count_emoji(text))
        if re.search(r"\sx+\s*\Z", text):  # a kiss at the end
            casual += 1
        starts = _sentence_initials(text)
        lowers = sum(1 for c in starts if c.islower())
        if len(starts) >= 2 and lowers / len(starts) >= 0.5:
            casual += 2
        if _I.search(text):
            casual += 1
        return casual

    @cached_property
    def formal(self) -> int:
        return _count(P["formal"], self._flat)

    @cached_property
    def register(self) -> str:
        """"casual", "formal" or "neutral"."""
        casual, formal = self.casual, self.formal
        if casual >= 2 and casual > formal:
            return "casual"
        if formal >= 2 and formal > casual:
            return "formal"
        return "neutral"

    @cached_property
    def upset(self) -> int:
        text = self.text
        upset = _count(P["upset"], self._flat) + _count(P["upset_strong"], self._flat)
        shouted = len(_shouted(text))
        # a few capitals may be labels or names; many, with "!", are shouting
        upset += 2 if shouted >= 3 and "!" in text else min(1, shouted)
        # "!!", "??", "?!" … once at most: "!!" alone is as often glee as anger.
        upset += int(any(p in text for p in ("!!", "??", "?!", "!?")))
        return upset

    @property
    def is_upset(self) -> bool:
        return self.upset >= 2

    @cached_property
    def emotion(self) -> str:
        """"angry", "urgent", "frustrated", "confused" or "calm": how they sound, for people to read."""
        flat_text = self._flat
        if self.is_upset:
            shouting = "!!!" in self.text or len(_shouted(self.text)) >= 2
            if shouting or _count(P["angry"], flat_text):
                return "angry"
            return "urgent" if _count(P["urgent"], flat_text) else "frustrated"
        if _count(P["urgent"], flat_text):
            return "urgent"
        if _count(P["confused"], flat_text):
            return "confused"
        return "frustrated" if _count(P["upset"], flat_text) else "calm"

    def cues(self, limit: int = 2) -> list[str]:
        """What in their words says they are upset: "fifth time", "RIDICULOUS", "!!!"."""
        found = [(m.start(), self.text[m.start():m.end()]) for family in ("upset_strong", "upset")
                 if (pattern := P[family]) is not None for m in pattern.finditer(self._flat)]
        found += [(self.text.find(w), w) for w in _shouted(self.text)]
        for mark in ("!!!", "!!", "???", "??"):
            if mark in self.text:
                found.append((self.text.find(mark), mark))
                break
        out: list[str] = []
        for _, cue in sorted(found, key=lambda f: (f[0], -len(f[1]))):
            cue = " ".join(cue.split())
            if not any(cue.lower() in o.lower() or o.lower() in cue.lower() for o in out):
                out.append(cue)
        return out[:limit]

    def describe(self) -> str:
        """E.g. 'casual, frustrated — “third time”, “!!”'."""
        cues = self.cues() if self.emotion in ("angry", "frustrated", "urgent") else []
        said = f' — {", ".join(f"“{c}”" for c in cues)}' if cues else ""
        return f"{self.register}, {self.emotion}{said}"

    @cached_property
    def questions(self) -> tuple[str, ...]:
        return tuple(part for q in _questions(self.text, self._flat) for part in _split_question(q))


def _shouted(text: str) -> list[str]:
    """Words in capitals that read as shouting: not acronyms, not in a URL or path, said once
    (an acronym or a log level recurs), in a line that also has lower-case words."""
    found = []
    for m in _CAPS.finditer(text):
        w = m.group(0)
        if w in _ACRONYMS or not (len(w) >= 4 or w in _SHOUTED_SHORT):
            continue
        before, after = text[max(0, m.start() - 1):m.start()], text[m.end():m.end() + 1]
        joined = text[m.end() + 1:m.end() + 2]
        if before and before in "/._=?&:" or after and after in "/._=-:" and joined.isalnum():
            continue  # a path, a URL, a file or field name
        line_start = text.rfind("\n", 0, m.start()) + 1
        line_end = text.find("\n", m.end())
        line = text[line_start:line_end if line_end >= 0 else len(text)]
        if not any(c.islower() for c in line) or text.count(w) > 1:
            continue
        found.append(w)
    return found


def _count(pattern: Matcher | None, flat_text: str) -> int:
    return len(pattern.finditer(flat_text)) if pattern else 0


# The first letter of the text and of each sentence or line. The regex starts with a
# character class so that the engine skips ahead to candidate positions quickly; the
# text's own start is matched separately.
_TEXT_START = re.compile(r"\s*([A-Za-z])")
_NEXT_START = re.compile(r"(?:[.!?]\s+|\n)\s*([A-Za-z])")


def _sentence_initials(text: str) -> list[str]:
    first = _TEXT_START.match(text)
    rest = _NEXT_START.findall(text, first.end() if first else 0)
    return [first.group(1), *rest] if first else rest


# "i", "i'm", "i've", "i'd" as a word (lower case: casual). Written to start with the
# literal "i", with the word-start check as a lookbehind after it, so the engine can
# jump between the i's instead of trying the lookbehind at every position.
_I = re.compile(r"i(?<![\w']i)(?:'m|'ve|'d)?(?![\w'])")


_QUESTION_MARKS = re.compile(r"\?\?*")  # not "\?+": a literal first lets the engine skip ahead


def _questions(text: str, flat_text: str) -> list[str]:
    """Each run of "?" back to the previous sentence stop or line break: the customer's questions."""
    out = []
    for m in _QUESTION_MARKS.finditer(flat_text):
        if m.end() < len(flat_text) and (flat_text[m.end()].isalnum() or flat_text[m.end()] in "=&/_"):
            continue  # "?id=3" in a link, or "?getline?" (quotes lost to a bad charset): not a question
        start = max(flat_text.rfind(ch, 0, m.start()) for ch in ".!?\n") + 1
        q = text[start:m.end()].strip()
        if len(q) > 1:
            out.append(q)
    return out


@lru_cache(maxsize=512)
def customer(quoted: str) -> Customer | None:
    """The customer's side of the thread, or None when there is none."""
    text = customer_text(quoted)
    if len(text.strip()) < 3:
        return None
    return Customer(text)


_COMPOUND = re.compile(
    r"(?:,|;)?\s+(?:and|also|plus)\s+(?=(?:can|could|is|are|do|does|did|will|would|what|how|when|where|why|which|who|should)\b)",
    re.IGNORECASE,
)
_PREAMBLE = re.compile(r"^(?:.{0,40}:\s+|(?:also|and|plus|so|ok|okay|hi|hello|hey)\b[,!]?\s+)+", re.IGNORECASE)


def _split_question(q: str) -> list[str]:
    """One customer question per item: "how often …, and can I …?" is two."""
    parts = [p.strip() for p in _COMPOUND.split(" ".join(q.split())) if p.strip()]
    out = []
    for p in parts:
        p = _PREAMBLE.sub("", p).strip()
        if len(p) > 1:
            out.append(p if p.endswith("?") else p + "?")
    return out
