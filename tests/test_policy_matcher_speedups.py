"""The matcher's speed-ups find exactly what the plain forms find.

Each phrase entry runs as a regex with its word-start lookbehind moved after its
leading literals (text._word_start_last); the word index finds a word's windows
in the text with lone apostrophes blanked, in one pass or when the word is first
looked up; the customer's text is cut at a nested message found from line break
to line break. These tests compare each with the plain form.
"""

from __future__ import annotations

import json
import random
import re
from importlib import resources

import pytest

from policies import text as T
from policies.model import PolicyOptions
from policies.signals import flat
from tests.shared_corpus import corpus_dir

SAMPLES = [
    "Hi Ana,\n\nObviously you should have read the manual. As I said, it's on your end.\n\nSam",
    "You'll need to contact your bank. We've refunded it; it'll show by Friday. I'm sorry you feel that way!",
    "'quoted' words, don't, you'll, rock 'n' roll, o''clock, x'; 'y. Your request has been forwarded to "
    "the billing team, who will get back to you. If you had checked the settings first... (e.g. the FAQ)",
    "hi!! thanks so much :) this is the third time i've asked, unacceptable. i want a refund asap?!",
]


def _texts() -> list[str]:
    texts = [flat(s) for s in SAMPLES]
    try:
        cases = json.loads((corpus_dir("labeled") / "cases.json").read_text("utf-8"))["cases"]
    except pytest.skip.Exception:
        return texts
    for case in cases:
        texts.append(flat("\n".join(case["reply"])))
        texts.append(flat("\n".join(case.get("customer_message") or [])))
    return texts


def _entries() -> list[str]:
    out = []
    for path in resources.files("policies").joinpath("phrases").iterdir():
        if path.name.endswith(".toml"):
            for entries in T.load_phrases(path.name[:-5]).values():
                out += [T._lower_source(e) for e in entries]
    return out


def test_entries_with_the_word_start_check_moved_find_the_same_matches() -> None:
    texts = _texts()
    moved = 0
    for entry in _entries():
        body = f"(?:{entry})"
        fast = T._word_start_last(body)
        if fast is None:
            continue
        moved += 1
        plain = re.compile(rf"(?<![\w'])(?:{body})(?![\w])")
        for k, text in enumerate(texts):
            for pos in (0, 7) if k < len(SAMPLES) else (0,):  # (a lookbehind sees before pos)
                got = [(m.span(), m.groups()) for m in fast.finditer(text, pos)]
                assert got == [(m.span(), m.groups()) for m in plain.finditer(text, pos)], entry
    assert moved > 300  # most entries start with literal letters


def _old_index(text: str) -> dict[str, list[tuple[int, int]]]:
    """Every word's stretches, the plain way: tokenise with _TOKEN window by window (a
    window ends with its run of stops); a vocabulary word also where a token is it and an
    apostrophe ("week's")."""
    bounds = [0] + [m.end() - 1 for m in T._BOUNDARY.finditer(text)] + [len(text)]
    windows: dict[str, list[int]] = {}
    for k in range(len(bounds) - 1):
        for token in T._TOKEN.findall(text[bounds[k]:bounds[k + 1]].lower()):
            stem = token.split("'")[0]
            for word in {token, stem} if stem in T._VOCAB else {token}:
                ids = windows.setdefault(word, [])
                if not ids or ids[-1] != k:
                    ids.append(k)
    out = {}
    for word, ids in windows.items():
        spans, first = [], ids[0]
        for prev, wid in zip(ids, ids[1:] + [None]):
            if wid is None or wid != prev + 1:
                spans.append((bounds[first], bounds[prev + 1] + 1))
                first = wid
        out[word] = spans
    return out


def test_word_index_finds_each_word_where_the_token_regex_does() -> None:
    rng = random.Random(7)
    texts = _texts() + ["".join(rng.choice("ab1' '.\n!?’-") for _ in range(rng.randint(0, 40))) for _ in range(3000)]
    long = [" ".join(texts[k:k + 30]) for k in range(0, len(texts) - 30, 7)]  # indexed lazily
    assert any(len(t) >= T._INDEX_IN_ONE_PASS_BELOW for t in long) and any(len(t) < 100 for t in texts)
    filled_late = 0  # long texts asked for enough words to be indexed in one pass after all
    for text in texts + long:
        text = text.lower()
        old = _old_index(text)
        tokens = set(T._TOKEN.findall(text))
        assert T.all_words.__wrapped__(text) == frozenset(tokens), text
        index, present, _ = T.word_index.__wrapped__(text, T._VOCAB_VERSION[0])
        # the vocabulary's words (also as "week's"), and words that start with one of its
        # prefixes ("apolog*")
        assert present == {w for w in old if w in T._VOCAB or w in tokens and w.startswith(tuple(T._PREFIXES))}, text
        for word in present:  # (what a matcher looks up)
            assert index[word] == old[word], (text, word)
        assert index["notaword"] == [], text
        filled_late += len(text) >= T._INDEX_IN_ONE_PASS_BELOW and len(present) > T._LOOKUPS_BEFORE_FILL
    assert filled_late


def _old_finditer(matcher: T.Matcher, text: str, pos: int, end: int) -> list[tuple[int, int]]:
    """What Matcher.finditer finds in text[pos:end], the plain way: every entry over every
    stretch of its anchor words, each clipped to the part (no plan, no skipping)."""
    index, present, by_prefix = T.word_index(text, T._VOCAB_VERSION[0])
    lists: dict[int, list[list[tuple[int, int]]]] = {}
    for word, entries in matcher.by_word.items():
        words = [w for w in by_prefix.get(word[:-1], [])] if word.endswith("*") else [word]
        for w in words:
            if w in present:
                for i in entries:
                    lists.setdefault(i, []).append(index[w])
    found: dict[tuple[int, int], tuple[int, int]] = {}
    if matcher.unanchored is not None:
        found.update((m.span(), m.span()) for m in matcher.unanchored.finditer(text, pos, end))
    for i in sorted(lists):
        for ws, we in T._merged(lists[i]):
            ws, we = max(ws, pos), min(we, end)
            if ws < we:
                for m in matcher.entries[i].finditer(text, ws, we):
                    found.setdefault(m.span(), m.span())
    kept: list[tuple[int, int]] = []
    for span in sorted(found, key=T._longest_first):
        if not (kept and span[1] <= kept[-1][1]):
            kept.append(span)
    return kept


def _books() -> list[T.Matcher]:
    out = []
    for path in resources.files("policies").joinpath("phrases").iterdir():
        if path.name.endswith(".toml"):
            book = T.PhraseBook(path.name[:-5], extend="").for_options(PolicyOptions())
            out += [m for m in book.values() if m is not None]
    return out


def test_the_windowed_matcher_finds_what_the_whole_alternation_finds() -> None:
    """Each entry runs only over the windows of its anchor words; every match the family's
    plain alternation finds over the whole text is still found (or lies inside a longer one):
    phrases next to a possessive ("this week's", "tonight's"), after a title ("Dr. Smith"),
    ending in a run of stops ("happy to help!!")."""
    texts = _texts() + [flat(t) for t in (
        "I'll add it to this week's dispatch, and tonight's run will pick it up.",
        "Yours faithfully, Dr. Harold Ainsworth",
        "Thanks so much for reaching out, happy to help!! Any idea?? u'll love it",
    )]
    for matcher in _books():
        for text in texts:
            found = [m.span() for m in matcher.finditer(text)]
            for m in matcher.full.finditer(text):
                assert any(a <= m.start() and m.end() <= b for a, b in found), (m.group(0), text)


def test_matcher_asked_about_part_of_a_text_finds_what_the_plain_way_finds() -> None:
    """A policy may ask sentence by sentence: the matcher then runs only over the stretches
    that reach into the part asked about, planned once per text."""
    texts = _texts()
    texts += [" ".join(texts[k:k + 25]) for k in range(0, len(texts) - 25, 20)]  # long replies
    matchers = [m for name in ("signals", "blame", "ownership", "discouraging")
                for m in T.PhraseBook(name, extend="").for_options(PolicyOptions()).values() if m is not None]
    rng = random.Random(3)
    parts = 0
    for text in filter(None, texts):
        cuts = sorted({0, len(text), *(rng.randrange(len(text) + 1) for _ in range(6))})
        for matcher in matchers:
            for a, b in [*zip(cuts, cuts[1:]), (0, len(text)), (cuts[1], len(text) + 5)]:
                got = [m.span() for m in matcher.finditer(text, a, b)]
                assert got == _old_finditer(matcher, text, a, min(b, len(text))), (text[a:b], a, b)
                parts += 1
    assert parts > 10_000


_OLD_NESTED = re.compile("^" + T._NESTED, re.MULTILINE | re.IGNORECASE)


def test_nested_message_cut_matches_the_line_start_search() -> None:
    rng = random.Random(3)
    pieces = ["On Mon, Bob wrote:\n", "on x\ny wrote: \n", "From: a\n", "\n", "Sent from my iPhone", "-- Original Message",
              "_____", "Am 3. schrieb", "hello\n", "\n\n", "x"]
    for _ in range(3000):
        text = "".join(rng.choice(pieces) for _ in range(rng.randint(0, 8)))
        m = _OLD_NESTED.search(text)
        old = text[:m.start()] if m and m.start() > 0 else text
        new = text
        if not T._NESTED_START.match(text):
            n = T._NESTED_AFTER_BREAK.search(text)
            if n:
                new = text[:n.start() + 1]
        assert new == old, text
