"""Score and time the policies.

    .venv/bin/python bench/policy_eval.py [--corpus DIR] [--verbose] [--no-timing]

1. Per-policy precision / recall / F1 and the action confusion on the
   hand-written cases in `cases.json` (replies built directly as `Reply`s),
   and on the labeled `.eml` corpus when `gateway.message.parse_message` is
   the real parser (not the placeholder).
2. `policies.evaluate` time per ~5 KB reply: median, p99, replies/s on one core.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import policies  # noqa: E402
from gateway.evaluation import case_reply  # noqa: E402
from policies.model import Reply, TeamPolicy  # noqa: E402

POLICIES = ["tone-match", "specific-questions", "ownership", "late-apology", "over-apology",
            "blame", "discouraging", "empathy-without-action"]
ACTIONS = ["pass", "annotate", "hold"]
DEFAULT_CORPUS = ROOT.parent / "shared" / "corpus" / "labeled"


def score(items: list[tuple[str, dict, str, policies.Verdict]], verbose: bool) -> None:
    """items: (id, labels, expected_action, verdict)."""
    counts = {p: Counter() for p in POLICIES}
    confusion: Counter = Counter()
    for case_id, labels, expected, verdict in items:
        found = {f.policy for f in verdict.findings if str(f.severity) != "info"}
        for p in POLICIES:
            truth, got = bool(labels.get(p)), p in found
            key = "tp" if truth and got else "fp" if got else "fn" if truth else "tn"
            counts[p][key] += 1
            if verbose and key in ("fp", "fn"):
                ex = next((f.excerpt for f in verdict.findings if f.policy == p), "")
                print(f"  {key.upper()} {p:24} {case_id}  {ex[:90]!r}")
        confusion[(expected, str(verdict.action))] += 1
    print(f"\n{'policy':24} {'P':>5} {'R':>5} {'F1':>5}   tp fp fn")
    f1s = []
    for p in POLICIES:
        c = counts[p]
        prec = c["tp"] / (c["tp"] + c["fp"]) if c["tp"] + c["fp"] else 1.0
        rec = c["tp"] / (c["tp"] + c["fn"]) if c["tp"] + c["fn"] else 1.0
        f1 = 2 * prec * rec / (prec + rec) if prec + rec else 0.0
        f1s.append(f1)
        print(f"{p:24} {prec:5.2f} {rec:5.2f} {f1:5.2f}   {c['tp']:2} {c['fp']:2} {c['fn']:2}")
    print(f"{'macro F1':24} {'':5} {'':5} {sum(f1s) / len(f1s):5.2f}")
    print("\naction confusion (rows expected, columns got)")
    print(f"{'':10}" + "".join(f"{a:>10}" for a in ACTIONS))
    for e in ACTIONS:
        print(f"{e:10}" + "".join(f"{confusion[(e, g)]:10}" for g in ACTIONS))
    right = sum(confusion[(a, a)] for a in ACTIONS)
    print(f"accuracy {right}/{len(items)}; false holds {sum(confusion[(e, 'hold')] for e in ('pass', 'annotate'))}")


def run_cases(corpus: Path, verbose: bool) -> list[tuple[str, Reply]]:
    data = json.loads((corpus / "cases.json").read_text("utf-8"))
    team = TeamPolicy()
    items, replies = [], []
    for case in data["cases"]:
        reply = case_reply(case)
        replies.append((case["id"], reply))
        items.append((case["id"], case["labels"], case["expected_action"], policies.evaluate(reply, team)))
    print(f"== cases.json: {len(items)} cases")
    score(items, verbose)
    return replies


def run_eml(corpus: Path, verbose: bool) -> None:
    try:
        from gateway import message
    except Exception as exc:  # pragma: no cover - depends on the other helper's work
        print(f"\n== eml corpus skipped: gateway.message not importable ({exc})")
        return
    if "placeholder" in (message.__doc__ or "").lower():
        print("\n== eml corpus skipped: gateway.message.parse_message is still the placeholder")
        return
    team = TeamPolicy()
    items = []
    for line in (corpus / "labels.jsonl").read_text("utf-8").splitlines():
        if not line.strip():
            continue
        row = json.loads(line)
        raw = (corpus / row["file"]).read_bytes()
        reply = message.parse_message(raw)
        items.append((row["id"], row["labels"], row["expected_action"], policies.evaluate(reply, team)))
    print(f"\n== eml corpus via gateway.message.parse_message: {len(items)} messages")
    score(items, verbose)


# Caches that stay warm in a long-running gateway: compiled phrase books and per-word stems.
_WARM_CACHES = {"load_phrases", "_tuned", "_matcher", "_prefix_heads", "stem"}


def _forget_texts() -> None:
    """Empty the policies' per-text caches (analysis, word indexes, the customer's side,
    matches). The replies timed are distinct, but parts of them (a customer's question,
    say) repeat; a real stream of mail rarely repeats them, so no cache may help."""
    for name, module in list(sys.modules.items()):
        if name == "policies" or name.startswith("policies."):
            for attr, obj in vars(module).items():
                if attr not in _WARM_CACHES and callable(getattr(obj, "cache_clear", None)):
                    obj.cache_clear()


def _timed(reply: Reply, team: TeamPolicy) -> float:
    """Seconds evaluate() takes on `reply`, with no per-text cache warm."""
    _forget_texts()
    t0 = time.perf_counter()
    policies.evaluate(reply, team)
    return time.perf_counter() - t0


def run_timing(replies: list[tuple[str, Reply]], n: int = 400) -> None:
    """Time evaluate() on distinct ~5 KB replies, with no per-text cache warm (see _forget_texts)."""
    base_text = "\n\n".join(r.text for _, r in replies[:40])
    base_text = base_text[:5000]
    base_quoted = "\n\n".join(r.quoted for _, r in replies[:12])[:2500]
    team = TeamPolicy()
    sample = replies[19][1]
    times = []
    for i in range(n):
        reply = Reply(text=f"Hi Sam,\n\n{base_text}\n\nRef {i}\n\nMaya", quoted=f"{base_quoted}\n{i}",
                      customer_name="Sam Lee", customer_wrote_at=sample.customer_wrote_at,
                      replied_at=sample.replied_at)
        times.append(_timed(reply, team))
    _report(f"{n} distinct replies of {len(base_text) / 1024:.1f} KB new text + "
            f"{len(base_quoted) / 1024:.1f} KB quote", times)
    times = []
    for rnd in range(5):
        for case_id, r in replies:
            reply = Reply(text=f"{r.text}\n{rnd}", quoted=f"{r.quoted}\n{rnd}", customer_name=r.customer_name,
                          customer_wrote_at=r.customer_wrote_at, replied_at=r.replied_at)
            times.append(_timed(reply, team))
    _report(f"the {len(replies)} cases.json replies (x5, made distinct)", times)
    messages = five_kb_messages(replies, n)
    times = [_timed(reply, team) for reply in messages]
    _report(f"{n} distinct 5 KB messages ({len(messages[0].text) / 1024:.1f} KB reply + "
            f"{len(messages[0].quoted) / 1024:.1f} KB quoted thread)", times)


def five_kb_messages(replies: list[tuple[str, Reply]], n: int) -> list[Reply]:
    """N distinct 5 KB messages as mail usually arrives: a longer reply over a quoted thread."""
    sample = replies[19][1]
    thread_text = "\n\n".join(r.text for _, r in replies[29:32])[:1500]
    older = [r for _, r in replies[40:60] if r.quoted]
    thread_quote = older[0].quoted + "".join(
        f"\n\nOn Mon, 2 Nov 2026 at 10:{k:02d}, Support <help@example.com> wrote:\n"
        + "\n".join("> " + line for line in (r.text + "\n\n" + r.quoted).splitlines())
        for k, r in enumerate(older[1:6]))
    thread_quote = thread_quote[:3500]
    return [Reply(text=f"{thread_text}\n{i}", quoted=f"{thread_quote}\n{i}", customer_name="Sam Lee",
                  customer_wrote_at=sample.customer_wrote_at, replied_at=sample.replied_at) for i in range(n)]


def _report(what: str, times: list[float]) -> None:
    times = sorted(times)
    med = statistics.median(times)
    p99 = times[max(0, int(len(times) * 0.99) - 1)]
    print(f"\n== evaluate() on {what}: median {med * 1000:.2f} ms, p99 {p99 * 1000:.2f} ms, "
          f"{1 / med:.0f} replies/s on one core")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS)
    ap.add_argument("--verbose", "-v", action="store_true", help="list false positives and negatives")
    ap.add_argument("--no-timing", action="store_true")
    args = ap.parse_args()
    replies = run_cases(args.corpus, args.verbose)
    run_eml(args.corpus, args.verbose)
    if not args.no_timing:
        if hasattr(os, "getloadavg") and (load1 := os.getloadavg()[0]) > 0.5:
            print(f"\nnote: load average {load1:.2f}: other work on this machine shares the cores, "
                  "so the times below are longer than one core of its own would give")
        run_timing(replies)


if __name__ == "__main__":
    main()
