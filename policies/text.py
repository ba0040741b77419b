"""Shared text helpers for the policies: where the agent's words are, their
sentences, phrase lists compiled once, a cheap language guess, and the
customer's side of the thread.

Everything here is pure and cheap (regular expressions, no NLP models), and
the per-reply analysis is cached so that eight policies read one parse.
"""

from __future__ import annotations

import re
import tomllib
from operator import itemgetter
from bisect import bisect_right
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from typing import Iterable, Mapping, NamedTuple

from policies.model import Finding, PolicyOptions, Severity

# ---------------------------------------------------------------- phrases


@lru_cache(maxsize=None)
def load_phrases(name: str) -> Mapping[str, tuple[str, ...]]:
    """Phrase families of `policies/phrases/NAME.toml`: family → regex sources."""
    raw = resources.files("policies").joinpath("phrases", f"{name}.toml").read_text("utf-8")
    data = tomllib.loads(raw)
    return {key: tuple(value) for key, value in data.items() if isinstance(value, list)}


def literal_phrase(phrase: str) -> str:
    """A team's plain phrase as a regex: case-insensitive, any whitespace between words."""
    words = phrase.strip().split()
    return r"\s+".join(re.escape(w) for w in words)


def compile_phrases(entries: Iterable[str]) -> Matcher | None:
    """One alternation of regex sources, word-bounded; it runs on lower-cased text (see signals.flat)."""
    parts = tuple(_lower_source(e) for e in entries if e)
    if not parts:
        return None
    return _matcher(parts)


@lru_cache(maxsize=1024)
def _matcher(parts: tuple[str, ...]) -> Matcher:
    """One Matcher per list of entries: books that share a family (over-apology's and the
    shared signals' "apology", say) then share its matches through `signals._find`'s cache."""
    return Matcher(list(parts))


def _bounded(parts: list[str]) -> re.Pattern[str]:
    body = "|".join(f"(?:{p})" for p in parts)
    source = rf"(?<![\w'])(?:{body})(?![\w])"
    return _word_start_last(body) or re.compile(source)


def _word_start_last(body: str) -> re.Pattern[str] | None:
    r"""`(?<![\w'])(?:body)(?![\w])` compiled so that the engine can skip ahead, or None.

    A pattern that opens with the word-start lookbehind is tried at every
    position of the text, which makes even a plain "obviously" slow. So the
    lookbehind is moved to just after the literal letters each way through
    `body` starts with ("you (?:must|…)" becomes "you(?<![\w']you) (?:must|…)";
    "(?:if|had) you" becomes "(?:if(?<![\w']if)|had(?<![\w']had)) you"): it
    still tests the character before the match start, but now the pattern
    starts with a literal (or a set of first letters), and the engine jumps
    between their occurrences. Same matches, spans and groups. None when some
    way through `body` does not start with a literal.
    """
    from re import _compiler, _parser  # type: ignore[attr-defined]

    try:
        tree = _parser.parse(rf"(?:{body})(?![\w])")
    except re.error:
        return None
    if tree.state.flags & ~re.UNICODE:  # inline flags (case-insensitive, …): keep the plain form
        return None
    first = _guarded(list(tree.data[:1]), tree.state)
    if first is None:
        return None
    tree.data[:1] = first
    return _compiler.compile(tree)


def _guarded(items: list, state: object) -> list | None:  # type: ignore[type-arg]
    """`items` with the word-start lookbehind inserted after their leading literals (see
    `_word_start_last`), or None when some way through them starts otherwise."""
    from re import _constants as c  # type: ignore[attr-defined]
    from re import _parser  # type: ignore[attr-defined]

    k = 0
    while k < len(items) and items[k][0] is c.LITERAL:
        k += 1
    if k:
        letters = "".join(re.escape(chr(av)) for _, av in items[:k])
        lookbehind = _parser.parse(rf"(?<![\w']{letters})").data[0]
        return items[:k] + [lookbehind] + items[k:]
    if not items:
        return None
    op, av = items[0]
    if op is c.SUBPATTERN:
        group, add_flags, del_flags, sub = av
        inner = None if add_flags or del_flags else _guarded(list(sub.data), state)
        if inner is None:
            return None
        return [(op, (group, add_flags, del_flags, _parser.SubPattern(state, inner)))] + items[1:]
    if op is c.BRANCH:
        alternatives = [_guarded(list(alt.data), state) for alt in av[1]]
        if any(alt is None for alt in alternatives):
            return None
        return [(op, (av[0], [_parser.SubPattern(state, alt) for alt in alternatives]))] + items[1:]
    return None


class Matcher:
    """A phrase family, matched fast.

    Scanning every position of a 5 KB reply with a large alternation is slow
    in Python's engine. So each entry's required whole words ("anchors") are
    worked out once from its parsed form; at match time the text's word index
    (built once per text) says where those words occur, and each entry runs
    only over the sentences around them. Entries with no anchor word are
    scanned in full.
    """

    def __init__(self, parts: list[str]) -> None:
        self.full = _bounded(parts)
        self.re = self.full
        unanchored: list[str] = []
        self.entries: list[re.Pattern[str]] = []
        self.by_word: dict[str, list[int]] = {}
        for part in parts:
            words = anchor_words(part)
            if words:
                self.entries.append(_bounded([part]))
                for w in words:
                    self.by_word.setdefault(w, []).append(len(self.entries) - 1)
            else:
                unanchored.append(part)
        self.words = frozenset(w for w in self.by_word if not w.endswith("*"))
        self.prefixes = frozenset(w[:-1] for w in self.by_word if w.endswith("*"))
        _register_vocabulary(self.words, tuple(sorted(self.prefixes)))
        self.unanchored = _bounded(unanchored) if unanchored else None

    def finditer(self, text: str, pos: int = 0, endpos: int | None = None) -> list[re.Match[str]]:
        end = len(text) if endpos is None else min(endpos, len(text))
        index, present, by_prefix = word_index(text, _VOCAB_VERSION[0])
        plan = index.plans.get(self)
        if plan is None:  # (worked out once per text: some policies ask sentence by sentence)
            plan = index.plans[self] = self._plan(index, present, by_prefix)
        if not plan and self.unanchored is None:
            return []  # (most calls: none of the family's words is in the text)
        found: dict[tuple[int, int], re.Match[str]] = {}
        if self.unanchored is not None:
            for m in self.unanchored.finditer(text, pos, end):
                found[m.span()] = m
        entries = self.entries
        for i, stretches in plan:  # in entry order, so that the first entry's match is kept for a span
            finditer = entries[i].finditer
            if stretches[0][1] <= pos:  # only the stretches that reach into text[pos:end] (in order, apart)
                stretches = stretches[bisect_right(stretches, pos, key=_STRETCH_END):]
            for ws, we in stretches:
                if ws >= end:
                    break
                if ws < pos:
                    ws = pos
                if we > end:
                    we = end
                if ws < we:
                    for m in finditer(text, ws, we):
                        found.setdefault(m.span(), m)
        if len(found) < 2:
            return list(found.values())
        kept: list[re.Match[str]] = []
        for k in sorted(found, key=_longest_first):
            if kept and k[1] <= kept[-1].end():
                continue  # inside a longer match of another entry
            kept.append(found[k])
        return kept

    def _plan(self, index: _Stretches, present: frozenset[str],
              by_prefix: dict[str, list[str]]) -> list[tuple[int, list[tuple[int, int]]]]:
        """Each entry with an anchor word in the text, and the stretches it runs over there
        (its anchor words' stretches, joined), in entry order."""
        windows: dict[int, list[list[tuple[int, int]]]] = {}  # entry → its words' stretch lists
        by_word = self.by_word
        for w in self.words & present:  # (two frozensets: Python walks the smaller one)
            wids = index[w]
            for i in by_word[w]:
                if i in windows:
                    windows[i].append(wids)
                else:
                    windows[i] = [wids]
        if by_prefix and self.prefixes:
            for p in self.prefixes.intersection(by_prefix):
                for w in by_prefix[p]:
                    wids = index[w]
                    for i in by_word[p + "*"]:
                        if i in windows:
                            windows[i].append(wids)
                        else:
                            windows[i] = [wids]
        return [(i, lists[0] if len(lists) == 1 else _merged(lists)) for i, lists in sorted(windows.items())]

    def search(self, text: str, pos: int = 0, endpos: int | None = None) -> re.Match[str] | None:
        hits = self.finditer(text, pos, endpos)
        return hits[0] if hits else None


def _merged(lists: list[list[tuple[int, int]]]) -> list[tuple[int, int]]:
    """Several words' stretches as one list, overlapping or touching ones joined."""
    out: list[tuple[int, int]] = []
    for ws, we in sorted(span for spans in lists for span in spans):
        if out and ws <= out[-1][1]:
            if we > out[-1][1]:
                out[-1] = (out[-1][0], we)
        else:
            out.append((ws, we))
    return out


def _longest_first(span: tuple[int, int]) -> tuple[int, int]:
    return span[0], -span[1]


_STRETCH_END = itemgetter(1)


_TOKEN = re.compile(r"[a-z0-9]+(?:'[a-z0-9]+)*")


# Where a sentence-ish window ends: a run of stops before a space, quote or bracket, or a
# line break; not the dot of a title ("Dr. Smith"). (Written as "[.!?]+(?=[\s"')\]]|$)|\n",
# but starting with one character class, which lets the engine skip ahead to candidates
# instead of trying every position.) A window ends with the run's last stop ("help!!").
_BOUNDARY = re.compile(r"[.!?\n](?<!\b[DdMm]r\.)(?<!\b[Mm]rs\.)(?<!\b[Mm]s\.)(?<!\b[Pp]rof\.)"
                       r"(?:(?<=\n)|[.!?]*(?=[\s\"')\]]|$))")


_VOCAB: set[str] = set()
_PREFIXES: list[str] = []
_VOCAB_VERSION = [0]


def _register_vocabulary(words: frozenset[str], prefixes: tuple[str, ...]) -> None:
    """Every anchor word any matcher looks for; the word index keeps only these."""
    new_words = words - _VOCAB
    new_prefixes = [p for p in prefixes if p not in _PREFIXES]
    if new_words or new_prefixes:
        _VOCAB.update(new_words)
        _PREFIXES.extend(new_prefixes)
        _VOCAB_VERSION[0] += 1


@lru_cache(maxsize=8)
def _prefix_heads(version: int) -> dict[str, list[str]]:
    heads: dict[str, list[str]] = {}
    for p in _PREFIXES:
        heads.setdefault(p[:3], []).append(p)
    return heads


# _TOKEN's characters stay, every other character becomes a space (non-ASCII ones are
# first encoded as "?"): then str.split finds the words, much faster than _TOKEN.findall.
_WORD_BYTES = bytes(c if chr(c) in "abcdefghijklmnopqrstuvwxyz0123456789'" else 32 for c in range(256))
# An apostrophe without a letter or digit on both sides, which _TOKEN leaves out of words.
# (Blanking these before str.split gives _TOKEN's words without running _TOKEN on every
# word that has an apostrophe; the pattern starts with the apostrophe so the engine skips
# ahead between them.)
_LONE_APOSTROPHE = re.compile(r"'(?:(?<![a-z0-9]')|(?![a-z0-9]))")


@lru_cache(maxsize=1024)
def _word_text(text: str) -> tuple[str, list[int]]:
    """`text` with every character that is not part of a word (as `_TOKEN` finds words)
    made a space, same offsets, padded with a space each side; and the window starts
    (see `word_index`)."""
    bounds = [0] + [m.end() - 1 for m in _BOUNDARY.finditer(text)] + [len(text)]
    plain = text.encode("ascii", "replace").translate(_WORD_BYTES).decode("ascii")  # same offsets
    if "'" in plain:  # a word neither starts nor ends with an apostrophe, nor has two in a row
        plain = _LONE_APOSTROPHE.sub(" ", plain)
    return f" {plain} ", bounds


@lru_cache(maxsize=1024)
def all_words(text: str) -> frozenset[str]:
    """The distinct lower-case words of `text`."""
    return frozenset(_word_text(text)[0].split())


class _Stretches(dict):  # type: ignore[type-arg]
    """word → its stretches in one text (see `word_index`). In a long text each is worked
    out when first asked for (a text has many anchor words; the matchers that read a
    customer's long message look for a few), by finding the word's occurrences; a short
    text is indexed in one pass over its words (`fill`), which costs less there than the
    lookups would, and so is the rest of a long text once it has been asked for many words
    (a long reply: every policy reads it)."""

    __slots__ = ("_padded", "_bounds", "_wanted", "_stems", "_lookups", "plans")

    def __init__(self, padded: str, bounds: list[int], wanted: frozenset[str],
                 stems: dict[str, list[str]]) -> None:
        super().__init__()
        self._padded = padded
        self._bounds = bounds
        self._wanted = wanted  # the words a matcher may ask for
        self._stems = stems  # a word → the text's words that are it and an apostrophe ("week's")
        self._lookups = 0
        self.plans: dict[Matcher, list[tuple[int, list[tuple[int, int]]]]] = {}  # see Matcher.finditer

    def fill(self, words: frozenset[str]) -> None:
        """Index every one of `words` that occurs, in one pass over the text's words."""
        padded, bounds, stems = self._padded, self._bounds, self._stems
        stemmed = [w for w in stems if w in words]
        look = words.union(*(stems[w] for w in stemmed)) if stemmed else words
        windows: dict[str, list[int]] = {}
        wid = 0
        pieces = [padded[bounds[k] + 1:bounds[k + 1] + 1] for k in range(len(bounds) - 1)]
        for w in f" {_WINDOW_MARK} ".join(pieces).split():
            if w == _WINDOW_MARK:
                wid += 1
            elif w in look:
                ids = windows.get(w)
                if ids is None:
                    windows[w] = [wid]
                elif ids[-1] != wid:
                    ids.append(wid)
        for w in stemmed:  # "week" also where the text says "week's"
            windows[w] = sorted({k for form in (w, *stems[w]) for k in windows.get(form, ())})
        for w, ids in windows.items():
            if len(ids) == 1:  # (most words: one window, no joining to do)
                k = ids[0]
                self[w] = [(bounds[k], bounds[k + 1] + 1)]
            else:
                self[w] = _joined(ids, bounds)

    def __missing__(self, word: str) -> list[tuple[int, int]]:
        self._lookups += 1
        if self._lookups == _LOOKUPS_BEFORE_FILL:  # many asked for: index the rest in one pass
            self.fill(self._wanted.difference(self))
            if word in self:
                return self[word]  # type: ignore[no-any-return]
        padded, bounds = self._padded, self._bounds
        also = self._stems.get(word, ())  # "week's" for "week"
        ids = []
        for form in (word, *also):
            needle = f" {form} "
            step = len(form) + 1  # the next occurrence may start at this one's closing space
            i = padded.find(needle)
            while i >= 0:
                ids.append(bisect_right(bounds, i) - 1)  # (the word starts at padded[i + 1], text[i])
                i = padded.find(needle, i + step)
        if also:
            ids.sort()
        spans = self[word] = _joined(ids, bounds) if ids else []
        return spans


_WINDOW_MARK = "|"  # between windows in `fill`'s word list; never part of a word
# Below this length a text is indexed in one pass (see `_Stretches`): the policies look up
# ~60 words in a reply, and one pass over a 1.5 KB reply's ~250 words costs less; a 4 KB
# customer message has ~700 words, of which the matchers look up a few (load.py's: 6). A
# longer text is indexed word by word until this many words have been asked for, then in
# one pass (a 5 KB reply: ~180 words asked for, common ones among them, each a dozen
# str.find calls).
_INDEX_IN_ONE_PASS_BELOW = 2500
_LOOKUPS_BEFORE_FILL = 20


def _joined(ids: list[int], bounds: list[int]) -> list[tuple[int, int]]:
    """Window ids (ascending, repeats allowed) as stretches: neighbouring windows joined."""
    spans = []
    first = last = ids[0]
    for wid in ids[1:]:
        if wid > last + 1:
            spans.append((bounds[first], bounds[last + 1] + 1))
            first = wid
        last = wid
    spans.append((bounds[first], bounds[last + 1] + 1))
    return spans


@lru_cache(maxsize=1024)
def word_index(text: str, version: int = 0) -> tuple[dict[str, list[tuple[int, int]]], frozenset[str],
                                                     dict[str, list[str]]]:
    """Where in `text` each anchor word occurs, as the stretches a phrase with it must lie in.

    Returns (word → stretches, those words, prefix → words of the text with that prefix). A stretch
    is one or more neighbouring sentence-ish windows (a sentence, line or paragraph:
    window k is text[starts[k]:starts[k + 1] + 1]), as (start, end) offsets, in order.
    Only the vocabulary's words are indexed up front, and in a long text none (see `_Stretches`).
    `version` changes whenever matchers register new anchor words.
    """
    padded, bounds = _word_text(text)
    words = all_words(text)
    by_prefix: dict[str, list[str]] = {}
    if _PREFIXES:
        by_head = _prefix_heads(_VOCAB_VERSION[0])  # every prefix is 3+ letters long
        for w in [w for w in words if w[:3] in by_head]:  # (few words pass; a comprehension tests them fast)
            for p in by_head[w[:3]]:
                if w.startswith(p):
                    by_prefix.setdefault(p, []).append(w)
    # "this week's", "tonight's", "u'll": the apostrophe ends a word for the phrases' regexes,
    # so "this week" matches there too, and a vocabulary word also occurs where the text has
    # it and an apostrophe.
    stems: dict[str, list[str]] = {}
    if "'" in padded:
        for w in [w for w in words if "'" in w]:
            stem = w[:w.index("'")]
            if stem in _VOCAB:
                stems.setdefault(stem, []).append(w)
    wanted = words & _VOCAB
    if by_prefix or stems:
        wanted |= {w for ws in by_prefix.values() for w in ws} | stems.keys()
    index = _Stretches(padded, bounds, wanted, stems)
    if len(text) < _INDEX_IN_ONE_PASS_BELOW:
        index.fill(wanted)
    return index, wanted, by_prefix


_SPLIT = re.compile(r"[^a-z0-9']+")


def anchor_words(source: str) -> set[str] | None:
    """Whole words of which every match of `source` contains at least one (None if none can be found)."""
    from re import _parser  # type: ignore[attr-defined]

    try:
        parsed = _parser.parse(source)
    except re.error:
        return None
    return _required(list(parsed), True, True)


def _words_of(run: str, left: bool, right: bool) -> set[str]:
    """Complete words inside a literal run (edge pieces count only when bounded);
    a word start that may continue is kept as a prefix anchor, "apolog*"."""
    padded = (" " if left else "") + run + (" " if right else "")
    pieces = _SPLIT.split(padded)
    words = {p.strip("'") for p in pieces[1:-1] if p.strip("'")}
    if len(pieces) >= 2 and not words:
        tail = pieces[-1].strip("'")
        if len(tail) >= 3:
            words.add(tail + "*")
    return words


def _required(seq: list, left: bool, right: bool) -> set[str] | None:  # type: ignore[type-arg]
    from re import _constants as c  # type: ignore[attr-defined]

    best: set[str] | None = None

    def consider(s: set[str] | None) -> None:
        nonlocal best
        if s and (best is None or _strength(s) > _strength(best)):
            best = s

    def flush(run: list[str], at_left: bool, at_right: bool) -> None:
        if run:
            words = _words_of("".join(run), at_left, at_right)
            if words:
                consider({max(words, key=lambda w: (w not in _COMMON, len(w)))})

    run: list[str] = []
    run_left = left
    for k, (op, av) in enumerate(seq):
        if op is c.LITERAL:
            if not run:
                run_left = _left_bounded(seq, k, left)
            run.append(chr(av))
            continue
        flush(run, run_left, _right_bounded(seq, k - 1, right))
        pending, pending_left = run, run_left
        run = []
        first = _left_bounded(seq, k, left)
        last = _right_bounded(seq, k, right)
        if op is c.BRANCH and pending:  # the parser factors a shared first letter out of the alternatives
            from re import _constants as cc  # type: ignore[attr-defined]

            lead = [(cc.LITERAL, ord(ch)) for ch in pending]
            sets = [_required(lead + list(alt), pending_left, last) for alt in av[1]]
            if all(sets):
                consider(set().union(*sets))  # type: ignore[arg-type]
        if op is c.SUBPATTERN:
            consider(_required(list(av[3]), first, last))
        elif op is c.BRANCH:
            sets = [_required(list(alt), first, last) for alt in av[1]]
            if all(sets):
                consider(set().union(*sets))  # type: ignore[arg-type]
        elif op in (c.MAX_REPEAT, c.MIN_REPEAT, getattr(c, "POSSESSIVE_REPEAT", None)) and av[0] >= 1:
            consider(_required(list(av[2]), False, False))
    flush(run, run_left, right)
    return best


def _left_bounded(seq: list, k: int, left: bool) -> bool:  # type: ignore[type-arg]
    """Is the text just before seq[k] always a non-word character (or the entry's start)?"""
    if k == 0:
        return left
    prev = seq[k - 1]
    if not _edge_sep(prev, last=True):
        return False
    return _left_bounded(seq, k - 1, left) if _optional(prev) else True


def _right_bounded(seq: list, k: int, right: bool) -> bool:  # type: ignore[type-arg]
    """Is the text just after seq[k] always a non-word character (or the entry's end)?"""
    if k >= len(seq) - 1:
        return right
    nxt = seq[k + 1]
    if not _edge_sep(nxt, last=False):
        return False
    return _right_bounded(seq, k + 1, right) if _optional(nxt) else True


def _optional(item: tuple) -> bool:  # type: ignore[type-arg]
    from re import _constants as c  # type: ignore[attr-defined]

    op, av = item
    if op in (c.MAX_REPEAT, c.MIN_REPEAT):
        return av[0] == 0
    if op is c.BRANCH:
        return any(not alt for alt in av[1])
    return False


def _edge_sep(item: tuple, last: bool) -> bool:  # type: ignore[type-arg]
    """Does every way through `item` end (last=True) or start with a non-word character?"""
    from re import _constants as c  # type: ignore[attr-defined]

    op, av = item
    if op in (c.AT, c.ASSERT, c.ASSERT_NOT):
        return True
    if op is c.BRANCH:
        return all(not alt or _edge_sep(list(alt)[-1 if last else 0], last) for alt in av[1])
    if op is c.SUBPATTERN:
        inner = list(av[3])
        return bool(inner) and _edge_sep(inner[-1 if last else 0], last)
    if op in (c.MAX_REPEAT, c.MIN_REPEAT):
        inner = list(av[2])
        return bool(inner) and _edge_sep(inner[-1 if last else 0], last)
    return _is_sep(item)


_COMMON = frozenset(
    """you your the our and for have has with that this will can are was not been be to of in on it is i we me
    my a an as if so do at by or any all get got they them their there it's i'm i've i'll we're we've""".split()
)
_FREQUENT = frozenset(
    """please sorry will would could should thanks thank help team time now today here what when email back
    just also more very really about from into than then what's that's you've you'll you'd you're one up
    was were are is use set""".split()
)


def _strength(s: set[str]) -> tuple[int, int]:
    """Rarer, longer words make better anchors (fewer places to look)."""
    def score(w: str) -> int:
        bare = w.rstrip("*")
        if bare in _COMMON:
            return 0
        if bare in _FREQUENT:
            return 1
        return max(2, min(len(bare), 7) - (2 if w.endswith("*") else 0))

    return (min(score(w) for w in s), -len(s))


def _is_sep(item: tuple) -> bool:  # type: ignore[type-arg]
    """True when an op can only match a non-word character (or a word boundary)."""
    from re import _constants as c  # type: ignore[attr-defined]

    op, av = item
    if op is c.LITERAL:
        return not (chr(av).isalnum() or chr(av) == "'")
    if op is c.AT:
        return av in (c.AT_BOUNDARY,)
    if op is c.IN:
        return all(o is c.CATEGORY and a in (c.CATEGORY_SPACE,) or (o is c.LITERAL and not chr(a).isalnum())
                   for o, a in av)
    if op in (c.MAX_REPEAT, c.MIN_REPEAT) and av[0] >= 1:
        return all(_is_sep(x) for x in av[2])
    return False


def _lower_source(source: str) -> str:
    """Lower-case a regex source (the text it runs on is lower-cased), keeping escapes and group names."""
    out = []
    i = 0
    while i < len(source):
        c = source[i]
        if c == "\\" and i + 1 < len(source):
            out.append(source[i:i + 2])
            i += 2
            continue
        if source.startswith("(?P<", i):
            j = source.index(">", i)
            out.append(source[i:j + 1])
            i = j + 1
            continue
        out.append(c.lower())
        i += 1
    return "".join(out)


class PhraseBook:
    """A policy's phrase families, compiled once at import and once per team tuning.

    `options.remove_phrases` drops entries whose source (or plain wording)
    equals a removed phrase; `options.add_phrases` are the team's literal
    phrases, added to the family named `extend`.
    """

    def __init__(self, name: str, extend: str) -> None:
        self.families = load_phrases(name)
        self.extend = extend
        self._default = self._compile((), ())

    def _compile(self, add: tuple[str, ...], remove: tuple[str, ...]) -> dict[str, Matcher | None]:
        gone = {_plain(r) for r in remove}
        out: dict[str, Matcher | None] = {}
        for family, entries in self.families.items():
            kept = [e for e in entries if _plain(e) not in gone]
            if family == self.extend:
                kept += [literal_phrase(a) for a in add if a.strip()]
            out[family] = compile_phrases(kept)
        if self.extend not in out:
            out[self.extend] = compile_phrases(literal_phrase(a) for a in add if a.strip())
        return out

    def for_options(self, options: PolicyOptions) -> dict[str, Matcher | None]:
        if not options.add_phrases and not options.remove_phrases:
            return self._default
        return _tuned(self, tuple(options.add_phrases), tuple(options.remove_phrases))


@lru_cache(maxsize=256)
def _tuned(book: PhraseBook, add: tuple[str, ...], remove: tuple[str, ...]) -> dict[str, Matcher | None]:
    return book._compile(add, remove)


def _plain(source: str) -> str:
    """A phrase or regex source reduced to lower-case words, for remove_phrases matching."""
    return " ".join(re.sub(r"\\s[+*]|[^\w'’ ]+", " ", source.lower()).split())


def removed(excerpt: str, options: PolicyOptions) -> bool:
    """True when the excerpt contains wording the team removed (whole words, any case)."""
    if not options.remove_phrases:
        return False
    plain = f" {_plain(excerpt)} "
    return any(f" {_plain(r)} " in plain for r in options.remove_phrases if _plain(r))


def threshold(options: PolicyOptions, key: str, default: float) -> float:
    value = options.thresholds.get(key, default)
    return float(value)


# ---------------------------------------------------------------- spans


class Span(NamedTuple):
    """A stretch of a text: text[start:end]. (A named tuple: analyse makes one per
    sentence, and a frozen dataclass is several times slower to create.)"""

    start: int
    end: int
    text: str


_SIG = re.compile(r"^-- ?$", re.MULTILINE)
_QUOTED_LINES = re.compile(r"(?:>[^\n]*(?:\n|$))+")
_QUOTE_START = re.compile(
    r"^(?:>|On .{0,200}wrote:\s*$|-{2,}\s*(?:Original Message|Forwarded message)|From:\s|Am .{0,120}schrieb)",
    re.MULTILINE,
)
_SIGNOFF = re.compile(
    r"^\s*(?:(?:kind|best|warm|warmest|many|with kind|with best)?\s*(?:regards|wishes|thanks)|best|cheers|"
    r"thanks(?: again)?|thank you|sincerely|yours (?:faithfully|sincerely|truly)|all the best|take care|"
    r"talk soon|speak soon|ta|regards|apologies again|again,? (?:so )?sorry.{0,30}|warmly)[,.!]?\s*$",
    re.IGNORECASE | re.MULTILINE,
)
_SHORT_GREETING = re.compile(
    r"\s*(?:hi|hello|hey+|hiya|heya|dear|good (?:morning|afternoon|evening)|greetings|morning)\b"
    r"(?:[ \t]+[\w.'’-]+){0,3}?[ \t]*[,!:]", re.IGNORECASE)
_GREETING = re.compile(
    r"^\s*(?:(?:hi|hello|hey+|hiya|dear|good (?:morning|afternoon|evening)|greetings|morning|yo)\b[^\n]{0,80}"
    r"|[A-Z][\w.'’-]*(?: [A-Z][\w.'’-]*){0,3},)\s*$",
    re.IGNORECASE,
)
_BULLET = re.compile(r"^\s*(?:[-*•·]|\d{1,2}[.)])\s+")
# A sentence stop: stops and closing quotes, then a space before a capital or digit, or a
# line end. ("[.!?][.!?]*" rather than "[.!?]+": starting with a character class lets the
# engine skip ahead to candidates.)
_SENT_END = re.compile(r"([.!?][.!?]*[\"'’”)\]]*)(?:\s+(?=[\"'‘“(\[]?[A-Z0-9À-Ý])|[ \t]*\n)")
_ABBREV = re.compile(r"(?:\b(?:e\.g|i\.e|Mr|Mrs|Ms|Dr|St|vs|etc|approx|no|Nr|Jr|Sr)\.)$", re.IGNORECASE)
_WORD = re.compile(r"[A-Za-zÀ-ÿ']+")
# _WORD's characters stay, every other one becomes a space (beyond Latin-1 via "?"), so
# that str.split finds the same words faster.
_WORD_LATIN1 = bytes(c if chr(c).isascii() and chr(c).isalpha() or c == 39 or c >= 0xC0 else 32 for c in range(256))


def _words(text: str) -> list[str]:
    """_WORD.findall(text)."""
    return text.encode("latin-1", "replace").translate(_WORD_LATIN1).decode("latin-1").split()

_EN_STOP = frozenset(
    """the and to of you your is it that for we i have this with be are on can will not as at please our
    my me was if or from by has would could been there what which when about an do just any all they their
    it's i'm i've i'll we've we'll you're you'll don't can't isn't won't here how thanks thank sorry get
    let know should so up out one more also but
    lol yep yeah yup nope gonna wanna gotta u ur ppl pls plz thx ty np ttyl btw omg idk tbh kinda sorta hey heya
    hiya ok okay cool awesome totally""".split()
)


@dataclass(frozen=True)
class Doc:
    """The agent's text, analysed once.

    `body` excludes the signature (after "-- ") and any quote the parser left
    in; `content` further excludes the greeting line and the sign-off block.
    """

    text: str
    body: Span
    content: Span
    greeting: Span | None
    signoff: Span | None
    sentences: tuple[Span, ...]
    english: bool
    words: int
    sentence_starts: tuple[int, ...]  # for finding a sentence by offset


@lru_cache(maxsize=512)
def analyse(text: str) -> Doc:
    """Split the reply into its parts and sentences (offsets into `text`)."""
    end = len(text)
    m = _SIG.search(text)
    if m:
        end = m.start()
    start = len(text) - len(text.lstrip())
    greeting = None
    q = _QUOTE_START.search(text, 0, end)
    lead = text[start:q.start()].strip() if q else ""
    if q and q.group(0) == ">" and (not lead or _GREETING.match(lead) and "\n" not in lead):
        # "Hi Bernard,\n\n> what they wrote\n\nMy answer…": a quoted line answered point by
        # point; the agent's text starts after it
        block = _QUOTED_LINES.match(text, q.start())
        quoted_end = block.end() if block else q.end()
        rest = text[quoted_end:end]
        if rest.strip():
            if lead:
                greeting = Span(start, start + len(lead), lead)
            start = quoted_end + len(rest) - len(rest.lstrip())
            q = _QUOTE_START.search(text, start, end)
    if q and q.start() > start:
        end = q.start()
    while end > start and text[end - 1].isspace():
        end -= 1
    body = Span(start, end, text[start:end])

    first_nl = text.find("\n", start, end)
    first_line_end = end if first_nl < 0 else first_nl
    first_line = text[start:first_line_end]
    c_start = start
    if greeting is None and _GREETING.match(first_line):
        short = _SHORT_GREETING.match(first_line)
        if len(first_line.split()) > 6 and short:
            # "Hi Sven, it's Harbour-2026!": the greeting is "Hi Sven,", the answer follows it
            gm_end = start + short.end()
            greeting = Span(start, gm_end, text[start:gm_end].rstrip())
            c_start = gm_end
        elif len(first_line.strip()) <= 80:
            gm_end = start + len(first_line.rstrip())
            greeting = Span(start, gm_end, text[start:gm_end])
            c_start = first_line_end

    signoff = None
    c_end = end
    lines = _line_spans(text, c_start, end)
    tail = lines[-6:] if lines else []
    for ls, le in tail:
        if _SIGNOFF.match(text[ls:le]):
            signoff = Span(ls, end, text[ls:end])
            c_end = ls
            break
    else:
        k = len(lines)
        while k >= 2 and len(lines) - k < 4 and _looks_like_name(text[lines[k - 1][0]:lines[k - 1][1]].strip()):
            k -= 1
        if k < len(lines):
            ls = lines[k][0]
            c_end = ls
            signoff = Span(ls, end, text[ls:end])
    while c_start < c_end and text[c_start].isspace():
        c_start += 1
    while c_end > c_start and text[c_end - 1].isspace():
        c_end -= 1
    content = Span(c_start, c_end, text[c_start:c_end])
    sentences = tuple(split_sentences(text, c_start, c_end))
    words = _words(body.text.lower())
    return Doc(text, body, content, greeting, signoff, sentences, _english(words), len(words),
               tuple(s.start for s in sentences))


def _line_spans(text: str, start: int, end: int) -> list[tuple[int, int]]:
    out = []
    pos = start
    while pos < end:
        nl = text.find("\n", pos, end)
        le = end if nl < 0 else nl
        if text[pos:le].strip():
            out.append((pos, le))
        pos = le + 1
    return out


def _looks_like_name(line: str) -> bool:
    words = line.replace("|", " ").split()
    if not 1 <= len(words) <= 4 or line.endswith((".", "?", "!", ":", ",")):
        return False
    return all(w[:1].isupper() or not w[:1].isalpha() for w in words)


def split_sentences(text: str, start: int, end: int) -> Iterable[Span]:
    """Sentences of text[start:end]: paragraphs, list items and sentence stops.

    Single line breaks inside a paragraph are treated as spaces (hard-wrapped
    plain text), except before a list item.
    """
    for ps, pe in _units(text, start, end):
        pos = ps
        for m in _SENT_END.finditer(text, ps, pe):
            stop = m.end(1)
            if _ABBREV.search(text, max(ps, stop - 8), stop):
                continue
            s = _trimmed(text, pos, stop)
            if s:
                yield s
            pos = m.end()
        s = _trimmed(text, pos, pe)
        if s:
            yield s


def _units(text: str, start: int, end: int) -> Iterable[tuple[int, int]]:
    unit_start = None
    after_colon = False  # the unit's last line (so far) ends with ":"
    pos = start
    while pos < end:
        nl = text.find("\n", pos, end)
        le = end if nl < 0 else nl
        line = text[pos:le]
        kept = line.rstrip()
        if not kept:
            if unit_start is not None:
                yield unit_start, pos
                unit_start = None
        elif _BULLET.match(line) or (unit_start is not None and after_colon):
            if unit_start is not None:
                yield unit_start, pos
            unit_start = pos
        elif unit_start is None:
            unit_start = pos
        after_colon = kept.endswith(":")
        pos = le + 1
    if unit_start is not None:
        yield unit_start, end


def _trimmed(text: str, s: int, e: int) -> Span | None:
    piece = text[s:e]
    core = piece.strip()  # str.strip removes exactly the characters str.isspace accepts
    if not core:
        return None
    s += len(piece) - len(piece.lstrip())
    return Span(s, s + len(core), core)


_FOREIGN_STOP = frozenset(
    """der die das und ist nicht ich sie wir mit für auf ein eine zu den von bitte danke ihr ihre ihnen uns
    haben wird wurde sind auch noch schon le la les et est pas je vous nous avec pour sur une des du merci
    bonjour votre vos nos ce cette qui que dans sont été el los las y es yo usted con para por gracias hola
    su sus está muy pero het een niet ik wij voor van uw wordt zijn il lo gli non io grazie della sono
    não eu você obrigado obrigada uma pela pelo será já sua seu muito com foi estamos
    och är att jag det inte för på med och vi ni hej tack hälsningar og ikke jeg vil hilsen
    ho è ci questo questa molto abbiamo siamo suo dit heb hoi groet groeten je jij maar ook zoals dat wat
    hebben graag""".split()
)


def _english(words: list[str]) -> bool:
    """English unless another language's function words clearly outnumber English ones."""
    if len(words) < 4:
        return True
    english = sum(map(_EN_STOP.__contains__, words))
    foreign = sum(map(_FOREIGN_STOP.__contains__, words))
    if foreign >= 2 and foreign > english:
        return False
    if len(words) >= 8 and english / len(words) < 0.06:
        return False  # hardly an English function word: a language neither list knows
    return english / len(words) >= 0.12 or foreign < 2


def is_english(text: str) -> bool:
    """Cheap guess: does a fair share of the words come from English function words?"""
    return _english(_words(text.lower()))


def sentence_at(doc: Doc, pos: int) -> Span:
    """The sentence containing offset `pos` (or a one-line span around it)."""
    k = bisect_right(doc.sentence_starts, pos) - 1  # sentences are in order and don't overlap
    if k >= 0 and pos < doc.sentences[k].end:
        return doc.sentences[k]
    nl_start = doc.text.rfind("\n", 0, pos) + 1
    nl_end = doc.text.find("\n", pos)
    if nl_end < 0:
        nl_end = len(doc.text)
    return Span(nl_start, nl_end, doc.text[nl_start:nl_end])


def anchor(doc: Doc) -> Span:
    """Where to point a finding about something missing: the first sentence of the content."""
    if doc.sentences:
        return doc.sentences[0]
    if doc.body.text:
        return doc.body
    return Span(0, len(doc.text), doc.text)


def squash(s: str) -> str:
    """Whitespace folded to single spaces (for quoting the agent's words in messages)."""
    return " ".join(s.split())


# ---------------------------------------------------------------- the customer's side

_NESTED = (
    r"(?:On [^\n]{0,200}(?:\n[^\n]{0,200})?wrote:\s*$|-{2,}\s*(?:Original Message|Forwarded message)|From:\s.*$|Am .{0,120}schrieb|"
    r"_{5,}|Sent from my )"
)
_NESTED_START = re.compile("^" + _NESTED, re.MULTILINE | re.IGNORECASE)
# The same after a line break: "^" would be tried at every position of the text, while a
# pattern that starts with "\n" lets the engine jump from line break to line break.
_NESTED_AFTER_BREAK = re.compile(r"\n" + _NESTED, re.MULTILINE | re.IGNORECASE)


@lru_cache(maxsize=512)
def customer_text(quoted: str) -> str:
    """The customer's own words in `quoted`: one quote level removed, nested
    earlier messages (deeper quotes, attributions, header blocks) dropped."""
    if not quoted.strip():
        return ""
    text = quoted.replace("\r\n", "\n")
    if ">" in text:  # without any ">", no line is quoted: nothing to remove line by line
        lines = text.split("\n")
        quoted_lines = [ln for ln in lines if ln.strip()]
        if quoted_lines and all(ln.lstrip().startswith(">") for ln in quoted_lines):
            lines = [re.sub(r"^\s*> ?", "", ln) for ln in lines]
        text = "\n".join(ln for ln in lines if not ln.lstrip().startswith(">"))
    # Drop an attribution line at the very top, then cut at the next one.
    text = re.sub(r"\A\s*(?:On .{0,200}wrote:|From:.*)\s*\n", "", text, flags=re.IGNORECASE)
    if not _NESTED_START.match(text):  # (a nested start at the very top cuts nothing)
        m = _NESTED_AFTER_BREAK.search(text)
        if m:
            text = text[: m.start() + 1]
    m = _DIGEST_END.search(text)  # a forum or ticket notification: its own words end there
    if m and m.start() > 0:
        text = text[: m.start()]
    return text.strip()


_DIGEST_END = re.compile(
    r"^\s*(?:-{6,}|_{6,}|Previous Replies\b|To respond, reply to this email|Reply to this email directly"
    r"|You (?:are )?receiv(?:ed|ing) this (?:because|email)|If you did not sign up|Unsubscribe\b)",
    re.MULTILINE | re.IGNORECASE,
)


_NOT_A_PERSON = frozenset(
    """team support service services help helpdesk desk department dept resources office admin administrator
    info information noreply no-reply notifications notification robot bot sync system mailer daemon postmaster
    billing sales accounts account customer care group list lists newsletter news digest alerts alert
    mon tue wed thu fri sat sun monday tuesday wednesday thursday friday saturday sunday jan feb mar apr jun jul
    aug sep sept oct nov dec uhr am pm utc gmt the via on behalf""".split()
)


def first_name(name: str | None) -> str | None:
    """The first name to greet, or None when `name` doesn't look like a person's
    ("Google Apps Sync Team", "billing@…", "Wed 12:00")."""
    if not name or "@" in name or "<" in name or "[" in name or any(c.isdigit() for c in name):
        return None
    parts = [p for p in re.split(r"[\s,]+", name.strip()) if p]
    if not parts or len(parts) > 4 or any(p.strip(".'\"()").lower() in _NOT_A_PERSON for p in parts):
        return None
    first = parts[1] if "," in name and len(parts) >= 2 else parts[0]  # "Lastname, Firstname"
    first = first.strip(".'\"()")
    if len(first) < 2 or not first[0].isupper() or first.isupper() and len(first) > 3:
        return None
    return first


def make_finding(policy: str, severity: Severity, text: str, start: int, end: int,
                 message: str, suggestion: str) -> Finding:
    """A Finding whose excerpt is exactly text[start:end] (trimmed of outer whitespace)."""

    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    return Finding(policy, severity, message, text[start:end], start, end, suggestion)
