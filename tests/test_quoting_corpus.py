"""Quote splitting measured on ../shared/corpus/quoting (third-party fixtures; see SOURCES.md).

Each source's `.expected.txt` is that library's oracle, not Tact's spec:
- talon keeps the signature; every other source's oracle strips it, so those are
  compared with `Split.text_without_signature` (the splitter separates RFC 3676
  "-- " blocks, underscore-rule blocks, client taglines and mailing-list footers).
  A plain sign-off ("Thanks,\nName", "-Name") is the agent's voice, not a
  signature: github's parser and crisp's "Regards,\nName\nTitle" disagree (misses).
- email_reply_trimmer and mail_extract keep inline `>` quotes inside the reply;
  for an interleaved or bottom-posted reply Tact puts only the agent's own lines
  in `text` (quoted customer words must not be judged as the agent's).
`bench/quoting.py` prints the per-source table.
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest

from tests.shared_corpus import corpus_dir

ROOT = Path(__file__).resolve().parents[1]

# The shares reached when this test was last raised (138/149 exact, 144/149 as Tact's spec
# reads the oracles); raise them as the splitter improves. mail-parser-reply, measured on
# the same fixtures (`bench/quoting.py --mail-parser-reply`), reaches 62/149.
MIN_OVERALL_EXACT = 0.92
MIN_OVERALL_SPEC = 0.96  # exact, or differing only by a kept signature / moved inline quote
MIN_PER_SOURCE = {"talon": 0.95, "email-reply-parser": 0.97, "email_reply_trimmer": 0.89,
                  "email_reply_parser": 0.88, "mail_extract": 1.0}


def _bench():
    spec = importlib.util.spec_from_file_location("bench_quoting", ROOT / "bench" / "quoting.py")
    mod = importlib.util.module_from_spec(spec)
    assert spec.loader is not None
    sys.modules[spec.name] = mod  # dataclasses look their module up
    spec.loader.exec_module(mod)
    return mod


@pytest.mark.corpus
def test_quoting_corpus_share() -> None:
    corpus = corpus_dir("quoting").parent  # skips, or fails under CI=true, when absent
    bench = _bench()
    results, _, _ = bench.evaluate(corpus)
    n = sum(r.n for r in results.values())
    exact = sum(r.matches for r in results.values())
    spec_ok = exact + sum(r.sig_only + r.inline_only for r in results.values())
    assert n >= 140
    report = {s: f"{r.matches}/{r.n}" for s, r in results.items()}
    assert exact / n >= MIN_OVERALL_EXACT, report
    assert spec_ok / n >= MIN_OVERALL_SPEC, report
    for source, floor in MIN_PER_SOURCE.items():
        r = results[source]
        assert r.matches / r.n >= floor, (source, report)
