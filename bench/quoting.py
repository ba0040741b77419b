"""Measure quote splitting on ../shared/corpus/quoting (third-party fixtures, test data only).

    .venv/bin/python bench/quoting.py [--corpus PATH] [--show-misses] [--parse] [--support]
                                      [--mail-parser-reply]

For each fixture with an exact `.expected.txt`, our extracted reply text is
compared to it after whitespace normalisation (talon's HTML cases with all
whitespace removed). Prints, per source: n, matches, share; the overall share;
and the mean time per split. `--support` also prints how the splitter cuts
the ../shared/corpus/support messages (a sanity look, no oracle).

Sources disagree on what "the reply" is (see SOURCES.md). talon keeps the
signature; the others' oracles strip it (email_reply_trimmer, github/zapier/crisp
email-reply-parser, mail_extract, mail-parser-reply), so for them our
`Split.text_without_signature` is compared (see SIGNATURE_KEPT). The `sig-only`
column counts misses where our text still differs only by a signature-looking
tail (a sign-off we keep as the agent's voice); `inline-only` those where the
oracle keeps inline `>` quotes that Tact moves to `quoted`.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from gateway.message import html_to_text, parse_message, split_message  # noqa: E402
from gateway.quoting import Split, split_reply  # noqa: E402

DEFAULT_CORPUS = ROOT.parent / "shared" / "corpus"


@dataclass
class SourceResult:
    n: int = 0
    matches: int = 0
    sig_only: int = 0  # mismatches where the oracle only strips a signature we keep
    inline_only: int = 0  # mismatches where the oracle keeps inline `>` quotes we move to `quoted`
    misses: list[str] = field(default_factory=list)


def _norm(s: str) -> str:
    s = s.replace("\r\n", "\n").replace("\r", "\n").replace("\u00a0", " ").strip()
    s = "\n".join(line.strip() for line in s.split("\n"))
    return re.sub(r"\n{3,}", "\n\n", s)


def _nows(s: str) -> str:
    return re.sub(r"\s+", "", s)


def _read_text(p: Path) -> str:
    data = p.read_bytes()
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return data.decode("latin-1")


# Sources whose oracle keeps the signature in the reply (talon: "quoted text removed,
# signature kept", taglines such as "Sent from my iPhone" included). Every other source's
# oracle defines the reply without the signature block, so it is compared with
# `Split.text_without_signature`. A plain sign-off is not a signature to us (crisp and
# mail_extract keep "-Name", email_reply_trimmer keeps "Best regards,\nName"); github's
# parser and crisp's "Regards,\nName\nTitle" disagree and stay misses.
SIGNATURE_KEPT = {"talon"}


def split_fixture(path: Path) -> Split:
    """Our split of one fixture, whatever its format."""
    if path.suffix == ".eml":
        return split_message(path.read_bytes())
    text = _read_text(path).replace("\r\n", "\n").replace("\r", "\n")
    if path.suffix == ".html":
        text = html_to_text(text)
    return split_reply(text)


def extract(path: Path, source: str = "talon") -> str:
    """Our reply text for one fixture, as the source's oracle defines the reply."""
    s = split_fixture(path)
    return s.text if source in SIGNATURE_KEPT else s.text_without_signature


def body_text(path: Path) -> str:
    """The unsplit body text we would hand to a splitter (for comparing other splitters)."""
    from gateway.message import _extract, _normalise

    if path.suffix == ".eml":
        _, plain, html = _extract(path.read_bytes())
        text = plain if plain.strip() else html_to_text(html)
    else:
        text = _read_text(path)
        if path.suffix == ".html":
            text = html_to_text(text)
    text = _normalise(text)
    return "\n".join(x for x in text.split("\n") if x.strip() not in ("\ue000", "\ue001"))


def mail_parser_reply_extract(path: Path) -> str:
    """mail-parser-reply's latest reply (`replies[0].body`), for comparison only."""
    from mailparser_reply import EmailReplyParser

    global _MPR
    if _MPR is None:
        _MPR = EmailReplyParser(languages=["en", "de", "fr", "es", "nl", "it", "pl", "sv", "da"])
    replies = _MPR.read(body_text(path)).replies
    return replies[0].body if replies else ""


_MPR = None


_SIG_TAIL = re.compile(
    r"^\s*(?:--\s*\n|__+\s*\n|sent from my|get outlook|von meinem|envoyé de mon|enviado desde"
    r"|[-–—]\s*\w|thanks|cheers|regards|best|sincerely|\w+(?: \w+)?\s*$)",
    re.I,
)


def _signature_only(ours: str, expected: str) -> bool:
    if not ours.startswith(expected):
        return False
    tail = ours[len(expected):]
    return bool(tail.strip()) and tail.count("\n") <= 12 and bool(_SIG_TAIL.match(tail.lstrip("\n")))


def _inline_only(ours: str, expected: str) -> bool:
    if not re.search(r"(?m)^\s*>", expected):
        return False
    kept = "\n".join(x for x in expected.split("\n") if not x.lstrip().startswith(">"))
    return _nows(kept) == _nows(ours)


def evaluate(corpus: Path, extractor=None) -> tuple[dict[str, SourceResult], float, int]:
    """Returns per-source results, total seconds spent extracting, and the call count."""
    qdir = corpus / "quoting"
    results: dict[str, SourceResult] = {}
    spent = 0.0
    calls = 0
    for line in (qdir / "INDEX.jsonl").read_text(encoding="utf-8").splitlines():
        if not line.strip():
            continue
        rec = json.loads(line)
        exp_name = rec.get("expected")
        if not exp_name or not exp_name.endswith(".expected.txt"):
            continue  # only assertions / json oracles: no exact reply text
        kind = rec.get("expected_kind", "")
        source = rec["source"].split("/")[-1]
        fixture = qdir / rec["file"]
        expected = _read_text(qdir / exp_name)
        t0 = time.perf_counter()
        ours = extractor(fixture) if extractor else extract(fixture, source)
        spent += time.perf_counter() - t0
        calls += 1
        res = results.setdefault(source, SourceResult())
        res.n += 1
        if "whitespace removed" in kind.lower() or "all whitespace" in kind.lower():
            ok = _nows(ours) == _nows(expected)
        else:
            ok = _norm(ours) == _norm(expected)
        if ok:
            res.matches += 1
        else:
            if _signature_only(_norm(ours), _norm(expected)):
                res.sig_only += 1
            elif _inline_only(ours, expected):
                res.inline_only += 1
            res.misses.append(rec["file"])
    return results, spent, calls


def support_look(corpus: Path) -> None:
    sdir = corpus / "support"
    for line in (sdir / "MESSAGES.jsonl").read_text(encoding="utf-8").splitlines():
        rec = json.loads(line)
        f = sdir / rec.get("file", "")
        if f.suffix == ".eml" and f.exists():
            r = parse_message(f.read_bytes())
            new, quoted, who, when = r.text, r.quoted, r.customer_name, r.customer_wrote_at
        else:
            s = split_reply(rec.get("text", "").replace("\r\n", "\n"))
            new, quoted, who, when = s.text, s.quoted, None, None
        print(f"--- {rec.get('file')} [{rec.get('role')}/{rec.get('lang')}] "
              f"quote={rec.get('has_quoted_text_heuristic')} new={len(new)} quoted={len(quoted)} "
              f"name={who!r} at={when}")
        print("    NEW:", new[:160].replace("\n", " / "))
        print("    QUO:", quoted[:100].replace("\n", " / "))


def quotequail_tops(corpus: Path) -> tuple[int, int]:
    """quotequail's 9 `.expected.json`: does our new text equal its `html_top` (as text)?"""
    qdir = corpus / "quoting"
    n = ok = 0
    for exp_file in sorted(qdir.glob("quotequail-*.expected.json")):
        exp = json.loads(exp_file.read_text(encoding="utf-8"))
        stem = exp_file.name[: -len(".expected.json")]
        srcs = [p for p in qdir.glob(stem + ".*") if not p.name.endswith(".json")]
        if not srcs:
            continue
        n += 1
        ok += _nows(extract(srcs[0])) == _nows(html_to_text(exp.get("html_top") or ""))
    return ok, n


def parse_timing(corpus: Path, rounds: int = 5) -> None:
    """Whole parse_message (MIME + HTML + split + dates) on the labeled replies."""
    files = sorted((corpus / "labeled" / "eml").glob("*.eml"))
    raws = [f.read_bytes() for f in files]
    if not raws:
        print("no labeled replies found")
        return
    for raw in raws:
        parse_message(raw)  # warm up
    groups = {"all": raws, "4-8 KB": [r for r in raws if 4000 <= len(r) <= 8000]}
    for label, group in groups.items():
        if not group:
            continue
        t0 = time.perf_counter()
        for _ in range(rounds):
            for raw in group:
                parse_message(raw)
        ms = 1000 * (time.perf_counter() - t0) / (rounds * len(group))
        mean_kb = sum(map(len, group)) / len(group) / 1024
        print(f"parse_message, labeled replies ({label}, n={len(group)}, mean {mean_kb:.1f} KB): "
              f"{ms:.2f} ms per message")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS)
    ap.add_argument("--show-misses", action="store_true")
    ap.add_argument("--support", action="store_true")
    ap.add_argument("--parse", action="store_true", help="also time parse_message on labeled replies")
    ap.add_argument("--mail-parser-reply", action="store_true",
                    help="measure mail-parser-reply (replies[0].body) on the same fixtures instead")
    args = ap.parse_args(argv)
    if not (args.corpus / "quoting" / "INDEX.jsonl").exists():
        print(f"corpus not found at {args.corpus}", file=sys.stderr)
        return 2
    extractor = mail_parser_reply_extract if args.mail_parser_reply else None
    if extractor:
        print("splitter: mail-parser-reply (for comparison)")
    results, spent, calls = evaluate(args.corpus, extractor)
    print(f"{'source':<22}{'n':>5}{'match':>7}{'share':>8}{'sig-only':>10}{'inline-only':>13}")
    tn = tm = ts = ti = 0
    for source in sorted(results):
        r = results[source]
        tn, tm, ts, ti = tn + r.n, tm + r.matches, ts + r.sig_only, ti + r.inline_only
        print(f"{source:<22}{r.n:>5}{r.matches:>7}{r.matches / r.n:>8.2f}{r.sig_only:>10}"
              f"{r.inline_only:>13}")
    print(f"{'overall':<22}{tn:>5}{tm:>7}{tm / tn:>8.2f}{ts:>10}{ti:>13}")
    print(f"overall as Tact's spec reads it (signature kept, inline quotes moved to `quoted`): "
          f"{(tm + ts + ti) / tn:.2f}")
    print(f"mean {1000 * spent / max(calls, 1):.3f} ms per fixture (parse/HTML + split)")
    if not extractor:
        ok, n = quotequail_tops(args.corpus)
        print(f"quotequail (.expected.json, new text == html_top): {ok}/{n}")
    if args.show_misses:
        for source in sorted(results):
            for f in results[source].misses:
                print("miss", f)
    if args.parse:
        parse_timing(args.corpus)
    if args.support:
        support_look(args.corpus)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
