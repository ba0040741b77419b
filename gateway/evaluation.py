"""`tact eval`: score the policies against a labeled corpus.

Two layouts: messages as they leave a mail client (`labels.jsonl` naming `.eml` files, checked
exactly as the gateway checks mail), or replies written as data (`cases.json`: customer message,
reply, times and labels, evaluated on the policies directly, as tests/data/heldout*).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

from gateway.checking import check_message
from gateway.settings import Settings
from policies import evaluate
from policies.model import Action, Reply, Severity, Verdict

ACTIONS = [str(a) for a in Action]


class EvalError(Exception):
    """The corpus cannot be read; worded for the user."""


def load_labels(folder: Path) -> list[dict[str, Any]]:
    labels = folder / "labels.jsonl"
    if not labels.is_file():
        raise EvalError(f"{folder}: no labels.jsonl here (expected one JSON object per message) "
                        "and no cases.json")
    rows = []
    for n, line in enumerate(labels.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
            row["file"], row["labels"]  # noqa: B018  (both keys are required)
        except (json.JSONDecodeError, KeyError, TypeError) as exc:
            raise EvalError(f"{labels}:{n}: not a label line ({exc})") from None
        rows.append(row)
    if not rows:
        raise EvalError(f"{labels}: no labeled messages")
    return rows


def evaluate_corpus(folder: Path, settings: Settings, *, progress: bool = True) -> dict[str, Any]:
    """Check every labeled message; return per-policy counts and scores and the action confusion."""
    from tqdm import tqdm

    rows = load_cases(folder) if _is_cases(folder) else load_labels(folder)
    counts: dict[str, dict[str, int]] = {}
    confusion = {e: {a: 0 for a in ACTIONS} for e in ACTIONS}
    mistakes: list[dict[str, Any]] = []
    judged = _judge(folder, rows, settings)
    for row, verdict in tqdm(judged, total=len(rows), desc="tact eval", unit="msg", disable=not progress,
                             file=None):
        fired = {f.policy for f in verdict.findings if f.severity is not Severity.INFO}
        for policy, expected in row["labels"].items():
            c = counts.setdefault(policy, {"tp": 0, "fp": 0, "fn": 0, "tn": 0})
            got = policy in fired
            c[{(True, True): "tp", (False, True): "fp", (True, False): "fn", (False, False): "tn"}[(bool(expected), got)]] += 1
            if bool(expected) != got:
                mistakes.append({"id": row.get("id") or row.get("file"), "policy": policy,
                                 "expected": bool(expected), "got": got})
        expected_action = row.get("expected_action")
        if expected_action in confusion:
            confusion[expected_action][str(verdict.action)] += 1
    policies = {p: {**c, **_scores(c)} for p, c in sorted(counts.items())}
    total = sum(sum(r.values()) for r in confusion.values())
    agree = sum(confusion[a][a] for a in ACTIONS)
    return {
        "corpus": str(folder),
        "messages": len(rows),
        "policies": policies,
        "macro_f1": round(sum(p["f1"] for p in policies.values()) / max(len(policies), 1), 3),
        "actions": {"confusion": confusion, "accuracy": round(agree / total, 3) if total else None,
                    "false_holds": _share(confusion, ("pass", "annotate"), "hold"),
                    "missed_holds": _share(confusion, ("hold",), "pass")},
        "mistakes": mistakes,
    }


def _is_cases(folder: Path) -> bool:
    return (folder / "cases.json").is_file() and not (folder / "labels.jsonl").is_file()


def load_cases(folder: Path) -> list[dict[str, Any]]:
    """The cases of a `cases.json` corpus, each with its labels."""
    path = folder / "cases.json"
    try:
        cases = json.loads(path.read_text(encoding="utf-8"))["cases"]
        for n, case in enumerate(cases, 1):
            case["reply"], case["labels"], case["replied_at"]  # noqa: B018  (required keys)
    except (OSError, json.JSONDecodeError, KeyError, TypeError) as exc:
        raise EvalError(f"{path}: not a cases file ({type(exc).__name__}: {exc})") from None
    if not cases:
        raise EvalError(f"{path}: no cases")
    return list(cases)


def case_reply(case: dict[str, Any]) -> Reply:
    """The Reply a parser would produce for a case: its signature after the usual "-- " line,
    an earlier message (`earlier`) quoted under the customer's as mail clients nest it."""
    text = "\n".join(case["reply"])
    if case.get("signature"):
        text += "\n\n-- \n" + "\n".join(case["signature"])
    quoted = "\n".join(case.get("customer_message") or [])
    earlier = case.get("earlier")
    if earlier and quoted:
        quoted += f"\n\nOn {earlier['at']}, {earlier['name']} <{earlier['email']}> wrote:\n"
        quoted += "\n".join("> " + line if line else ">" for line in earlier["text"])
    wrote = case.get("customer_wrote_at")
    return Reply(text=text, quoted=quoted, subject=case.get("subject", ""),
                 customer_name=(case.get("customer") or {}).get("name"),
                 customer_wrote_at=datetime.fromisoformat(wrote) if wrote else None,
                 replied_at=datetime.fromisoformat(case["replied_at"]) if case.get("replied_at") else None,
                 message_id=case.get("id"))


def _judge(folder: Path, rows: list[dict[str, Any]], settings: Settings) -> Iterator[tuple[dict[str, Any], Verdict]]:
    for row in rows:
        team = row.get("team") or "default"
        if "reply" in row:
            yield row, evaluate(case_reply(row), settings.team_policy(team))
            continue
        path = folder / row["file"]
        try:
            raw = path.read_bytes()
        except OSError as exc:
            raise EvalError(f"{path}: cannot read: {exc.strerror or exc}") from None
        yield row, check_message(raw, settings, sender="", team=team).verdict


def _scores(c: dict[str, int]) -> dict[str, float]:
    tp, fp, fn = c["tp"], c["fp"], c["fn"]
    precision = tp / (tp + fp) if tp + fp else 1.0
    recall = tp / (tp + fn) if tp + fn else 1.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {"precision": round(precision, 3), "recall": round(recall, 3), "f1": round(f1, 3)}


def _share(confusion: dict[str, dict[str, int]], expected: tuple[str, ...], got: str) -> dict[str, Any]:
    n = sum(sum(confusion[e].values()) for e in expected)
    k = sum(confusion[e][got] for e in expected)
    return {"count": k, "of": n, "share": round(k / n, 3) if n else 0.0}


def format_report(r: dict[str, Any]) -> str:
    lines = [f"{r['corpus']}: {r['messages']} messages", "",
             f"{'policy':<24}{'P':>7}{'R':>7}{'F1':>7}{'tp':>5}{'fp':>5}{'fn':>5}"]
    for pid, p in r["policies"].items():
        lines.append(f"{pid:<24}{p['precision']:>7.3f}{p['recall']:>7.3f}{p['f1']:>7.3f}{p['tp']:>5}{p['fp']:>5}{p['fn']:>5}")
    lines.append(f"{'macro F1':<38}{r['macro_f1']:>7.3f}")
    a = r["actions"]
    lines += ["", "actions (rows: expected, columns: got)", f"{'':<10}" + "".join(f"{x:>10}" for x in ACTIONS)]
    for e in ACTIONS:
        lines.append(f"{e:<10}" + "".join(f"{a['confusion'][e][g]:>10}" for g in ACTIONS))
    fh, mh = a["false_holds"], a["missed_holds"]
    lines += [
        f"accuracy {a['accuracy']}; false holds {fh['count']}/{fh['of']} ({fh['share']:.1%}); "
        f"holds passed {mh['count']}/{mh['of']} ({mh['share']:.1%})",
    ]
    return "\n".join(lines)
