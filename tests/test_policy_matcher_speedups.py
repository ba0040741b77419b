"""The matcher's speed-ups find exactly what the plain forms find.

Each phrase entry runs as a regex with its word-start lookbehind moved after its
leading literals (text._word_start_last); the word index blanks lone apostrophes
instead of re-tokenising; the customer's text is cut at a nested message found
from line break to line break. These tests compare each with the plain form.
"""

from __future__ import annotations

import json
import random
import re
from importlib import resources

import pytest

from policies import text as T
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


def _old_tokens(text: str) -> tuple[list[str], list[int]]:
    bounds = [0] + [m.start() for m in T._BOUNDARY.finditer(text)] + [len(text)]
    plain = text.encode("ascii", "replace").translate(T._WORD_BYTES).decode("ascii")
    marked = f" {T._WINDOW_MARK} ".join(plain[bounds[k]:bounds[k + 1]] for k in range(len(bounds) - 1))
    tokens = [t for piece in marked.split() for t in ((piece,) if "'" not in piece else T._TOKEN.findall(piece))]
    return tokens, bounds


def test_word_index_tokens_are_the_token_regex_words() -> None:
    rng = random.Random(7)
    texts = _texts() + ["".join(rng.choice("ab1' '.\n!?’-") for _ in range(rng.randint(0, 40))) for _ in range(3000)]
    for text in texts:
        assert T._tokens.__wrapped__(text) == _old_tokens(text), text


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
