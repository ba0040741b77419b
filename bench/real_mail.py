"""What Tact does with real mail: `tact check` over ../shared/corpus/support and ../shared/corpus/quoting.

    .venv/bin/python bench/real_mail.py [--corpus PATH] [--config tact.toml] [--findings] [--json FILE]

Runs the same check as `tact check` (gateway.checking.check_message, the
message's own Date as the time of receipt, the sender's team) in-process over
every message of both corpora (third-party test data, never copied into the
repository; see ../shared/corpus/SOURCES.md) and prints, per corpus:

- how many messages got each action (pass / annotate / hold);
- how many findings each policy raised, by severity;
- every held message with its findings (file, policy, severity, excerpt).

`--findings` also lists every warn finding (info tips are only counted);
`--json FILE` writes one `tact check --format json --explain` record per
message, for reading the reply and quoted text by hand.

The hand review of these figures is bench/real_mail_review.md. Exits 0 with a
"skipped" line when the corpus is absent.
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
from collections import Counter
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from gateway.checking import check_message  # noqa: E402
from gateway.cli import _from_address, check_record  # noqa: E402
from gateway.settings import load_settings  # noqa: E402

DEFAULT_CORPUS = ROOT.parent / "shared" / "corpus"
ACTIONS = ("pass", "annotate", "hold")
SEVERITIES = ("info", "warn", "hold")


def support_files(corpus: Path) -> list[Path]:
    """The 44 messages of support/ (41 .eml, 3 body-only .txt), in name order."""
    folder = corpus / "support"
    return sorted(p for p in folder.iterdir() if p.suffix in (".eml", ".txt"))


def quoting_files(corpus: Path) -> list[Path]:
    """The 207 fixtures of quoting/ as INDEX.jsonl lists them (not their .expected/.elided companions)."""
    folder = corpus / "quoting"
    index = folder / "INDEX.jsonl"
    lines = index.read_text(encoding="utf-8").splitlines()
    return [folder / json.loads(line)["file"] for line in lines if line.strip()]


def check_all(files: list[Path], config: str | None) -> list[dict[str, Any]]:
    """One `tact check --format json --explain` record per file, checked in-process."""
    settings = load_settings(config)
    records = []
    for path in files:
        raw = path.read_bytes()
        checked = check_message(raw, settings, sender=_from_address(raw))
        records.append(check_record(str(path), checked, explain=True))
    return records


def summarise(name: str, records: list[dict[str, Any]], *, show_findings: bool) -> str:
    """The tables for one corpus: actions, findings per policy and severity, holds."""
    actions = Counter(r["action"] for r in records)
    per_policy: dict[str, Counter[str]] = {}
    for r in records:
        for f in r["findings"]:
            per_policy.setdefault(f["policy"], Counter())[f["severity"]] += 1
    out = [f"## {name}: {len(records)} messages", ""]
    out.append("| action | messages |")
    out.append("|---|---|")
    out += [f"| {a} | {actions.get(a, 0)} |" for a in ACTIONS]
    out += ["", "| policy | " + " | ".join(SEVERITIES) + " | messages |", "|---|" + "---|" * (len(SEVERITIES) + 1)]
    for policy in sorted(per_policy):
        n_msgs = sum(1 for r in records if any(f["policy"] == policy for f in r["findings"]))
        out.append(f"| {policy} | " + " | ".join(str(per_policy[policy].get(s, 0)) for s in SEVERITIES)
                   + f" | {n_msgs} |")
    if not per_policy:
        out.append("| (none) |" + " 0 |" * (len(SEVERITIES) + 1))
    errors = [r for r in records if r.get("errors")]
    if errors:
        out += ["", "checking errors (failed open):"]
        out += [f"- {Path(r['file']).name}: {', '.join(r['errors'])}" for r in errors]
    holds = [r for r in records if r["action"] == "hold"]
    out += ["", f"holds ({len(holds)}):"]
    for r in holds:
        out.append(f"- {Path(r['file']).name} ({'; '.join(r.get('reasons', []))})")
        out += [_finding_line(f) for f in r["findings"] if f["severity"] != "info"]
    if show_findings:
        warned = [r for r in records if r["action"] != "hold" and any(f["severity"] == "warn" for f in r["findings"])]
        out += ["", f"warn findings on messages not held ({len(warned)} messages):"]
        for r in warned:
            out.append(f"- {Path(r['file']).name} ({r['action']})")
            out += [_finding_line(f) for f in r["findings"] if f["severity"] == "warn"]
    return "\n".join(out)


def _finding_line(f: dict[str, Any]) -> str:
    excerpt = " ".join(f["excerpt"].split())
    if len(excerpt) > 100:
        excerpt = excerpt[:97] + "..."
    return f"    [{f['severity']}] {f['policy']}: \"{excerpt}\""


def main(argv: list[str] | None = None) -> int:
    """Print the tables for support/ and quoting/; 0 also when the corpus is absent (skipped)."""
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS, help="the shared corpus folder")
    ap.add_argument("--config", help="tact.toml to use (default: as `tact check`: $TACT_CONFIG, ./tact.toml, defaults)")
    ap.add_argument("--findings", action="store_true", help="also list every warn finding")
    ap.add_argument("--json", type=Path, help="write one check record (with reply and quoted text) per line here")
    args = ap.parse_args(argv)

    if not (args.corpus / "support").is_dir() or not (args.corpus / "quoting" / "INDEX.jsonl").is_file():
        print(f"skipped: {args.corpus} has no support/ and quoting/INDEX.jsonl (the shared corpus is absent)")
        return 0
    # mailparser logs "Email content 'pgp-signature' not handled" for signed mail: noise here.
    logging.getLogger("mailparser").setLevel(logging.ERROR)

    all_records = []
    sections = []
    for name, files in (("support", support_files(args.corpus)), ("quoting", quoting_files(args.corpus))):
        records = check_all(files, args.config)
        for r in records:
            r["corpus"] = name
        all_records += records
        sections.append(summarise(name, records, show_findings=args.findings))
    print("\n\n".join(sections))
    if args.json:
        with args.json.open("w", encoding="utf-8") as fh:
            for r in all_records:
                fh.write(json.dumps(r, ensure_ascii=False) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
