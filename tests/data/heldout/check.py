"""Validate the held-out policy corpus (tests/data/heldout/cases.json).

Standard library only. Usage:

    python tests/data/heldout/check.py [path/to/cases.json] [--no-coverage]

Checks that every case is well formed, that ids are unique, that every label key
is present, that ``expected_action`` follows from the labels by the catalog's
rules (docs: ../shared/spec/policies.md, "From findings to an action", with the
default team: response_target 24 h, hold_after_warnings 3, no business hours),
and that late-apology labels agree with the timestamps. Unless ``--no-coverage``
is given it also checks the corpus mix: at least MIN_CASES cases, every policy
positive in at least MIN_POSITIVES cases and listed as a hard negative in at
least MIN_HARD_NEGATIVES cases. Prints a summary; exits 1 on any error.
"""
from __future__ import annotations

import json
import sys
from collections import Counter
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

POLICIES = (
    "tone-match",
    "specific-questions",
    "ownership",
    "late-apology",
    "over-apology",
    "blame",
    "discouraging",
    "empathy-without-action",
)
HOLD_SEVERITY = ("blame", "discouraging")
HOLD_LEVEL_KEYS = ("tone-match", "ownership")
ACTIONS = ("pass", "annotate", "hold")
RESPONSE_TARGET = timedelta(hours=24)
HOLD_AFTER_WARNINGS = 3
REQUIRED = ("id", "customer_message", "customer", "customer_wrote_at", "replied_at",
            "reply", "labels", "hold_level", "expected_action", "note")
OPTIONAL = ("signature", "hard_negative_for")
MIN_CASES = 120
MIN_POSITIVES = 10
MIN_HARD_NEGATIVES = 5


def parse_time(value: str, where: str, errors: list[str]) -> datetime | None:
    """Parse an ISO 8601 timestamp that must carry a UTC offset."""
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except (TypeError, ValueError):
        errors.append(f"{where}: not an ISO 8601 time: {value!r}")
        return None
    if parsed.tzinfo is None:
        errors.append(f"{where}: time has no UTC offset: {value!r}")
        return None
    return parsed


def is_str_list(value: Any) -> bool:
    """True when value is a list of strings."""
    return isinstance(value, list) and all(isinstance(item, str) for item in value)


def expected_action(labels: dict[str, bool], hold_level: dict[str, bool]) -> str:
    """The action the catalog's rules derive from a case's labels."""
    if any(labels[p] for p in HOLD_SEVERITY):
        return "hold"
    if any(labels[p] and hold_level[p] for p in HOLD_LEVEL_KEYS):
        return "hold"
    warns = sum(1 for p in POLICIES if labels[p] and p not in HOLD_SEVERITY)
    if warns >= HOLD_AFTER_WARNINGS:
        return "hold"
    return "annotate" if warns else "pass"


def check_case(case: Any, index: int, errors: list[str]) -> None:
    """Append to errors every problem found in one case."""
    if not isinstance(case, dict):
        errors.append(f"case #{index}: not an object")
        return
    cid = case.get("id", f"#{index}")
    where = f"case {cid}"
    for key in REQUIRED:
        if key not in case:
            errors.append(f"{where}: missing key {key!r}")
    unknown = set(case) - set(REQUIRED) - set(OPTIONAL)
    if unknown:
        errors.append(f"{where}: unknown keys {sorted(unknown)}")
    if any(key not in case for key in REQUIRED):
        return
    if not isinstance(cid, str) or not cid:
        errors.append(f"{where}: 'id' must be a non-empty string")
    if not is_str_list(case["customer_message"]):
        errors.append(f"{where}: 'customer_message' must be a list of strings")
    if not is_str_list(case["reply"]) or not any(line.strip() for line in case["reply"]):
        errors.append(f"{where}: 'reply' must be a non-empty list of strings")
    if "signature" in case and not is_str_list(case["signature"]):
        errors.append(f"{where}: 'signature' must be a list of strings")
    customer = case["customer"]
    if not isinstance(customer, dict) or not isinstance(customer.get("name"), str):
        errors.append(f"{where}: 'customer' must be an object with a string 'name'")
    if not isinstance(case["note"], str) or not case["note"].strip():
        errors.append(f"{where}: 'note' must be a non-empty string")

    labels, hold_level = case["labels"], case["hold_level"]
    if not isinstance(labels, dict) or set(labels) != set(POLICIES):
        errors.append(f"{where}: 'labels' must have exactly the keys {list(POLICIES)}")
        return
    if any(not isinstance(v, bool) for v in labels.values()):
        errors.append(f"{where}: every label must be true or false")
        return
    if not isinstance(hold_level, dict) or set(hold_level) != set(HOLD_LEVEL_KEYS):
        errors.append(f"{where}: 'hold_level' must have exactly the keys {list(HOLD_LEVEL_KEYS)}")
        return
    if any(not isinstance(v, bool) for v in hold_level.values()):
        errors.append(f"{where}: every hold_level value must be true or false")
        return
    for policy in HOLD_LEVEL_KEYS:
        if hold_level[policy] and not labels[policy]:
            errors.append(f"{where}: hold_level[{policy!r}] is true but the label is false")

    action = case["expected_action"]
    if action not in ACTIONS:
        errors.append(f"{where}: 'expected_action' must be one of {ACTIONS}, got {action!r}")
    else:
        derived = expected_action(labels, hold_level)
        if derived != action:
            errors.append(f"{where}: expected_action is {action!r} but the labels give {derived!r}")

    for policy in case.get("hard_negative_for", []):
        if policy not in POLICIES:
            errors.append(f"{where}: hard_negative_for names unknown policy {policy!r}")
        elif labels[policy]:
            errors.append(f"{where}: {policy!r} is both positive and listed as a hard negative")

    no_customer_text = not case["customer_message"]
    if no_customer_text and labels["tone-match"]:
        errors.append(f"{where}: tone-match is positive but there is no customer text")
    replied = parse_time(case["replied_at"], f"{where} replied_at", errors)
    wrote_raw = case["customer_wrote_at"]
    if wrote_raw is None:
        if labels["late-apology"]:
            errors.append(f"{where}: late-apology is positive but customer_wrote_at is null")
        return
    if no_customer_text:
        errors.append(f"{where}: customer_wrote_at is set but customer_message is empty")
    wrote = parse_time(wrote_raw, f"{where} customer_wrote_at", errors)
    if wrote is None or replied is None:
        return
    if replied < wrote:
        errors.append(f"{where}: replied_at is before customer_wrote_at")
    if labels["late-apology"] and replied - wrote <= RESPONSE_TARGET:
        hours = (replied - wrote).total_seconds() / 3600
        errors.append(f"{where}: late-apology is positive but the reply came after {hours:.1f} h "
                      f"(needs more than {RESPONSE_TARGET.total_seconds() / 3600:.0f} h)")


def summarise(cases: list[dict[str, Any]]) -> tuple[Counter, Counter, Counter, Counter]:
    """Counts of actions, positive labels, hold-level labels and hard negatives."""
    actions: Counter = Counter()
    positives: Counter = Counter()
    holds: Counter = Counter()
    hard: Counter = Counter()
    for case in cases:
        actions[case.get("expected_action")] += 1
        for policy, value in case.get("labels", {}).items():
            positives[policy] += bool(value)
        for policy, value in case.get("hold_level", {}).items():
            holds[policy] += bool(value)
        for policy in case.get("hard_negative_for", []):
            hard[policy] += 1
    return actions, positives, holds, hard


def main(argv: list[str]) -> int:
    """Validate the corpus named in argv (default: cases.json next to this script)."""
    coverage = "--no-coverage" not in argv
    paths = [a for a in argv if not a.startswith("--")]
    path = Path(paths[0]) if paths else Path(__file__).with_name("cases.json")
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as exc:
        print(f"error: cannot read {path}: {exc}")
        return 1
    errors: list[str] = []
    cases = data.get("cases") if isinstance(data, dict) else None
    if not isinstance(cases, list):
        print(f"error: {path}: top level must be an object with a list under 'cases'")
        return 1
    ids = Counter(c.get("id") for c in cases if isinstance(c, dict))
    for cid, n in sorted(ids.items(), key=lambda kv: str(kv[0])):
        if n > 1:
            errors.append(f"id {cid!r} is used {n} times")
    for index, case in enumerate(cases):
        check_case(case, index, errors)

    actions, positives, holds, hard = summarise(cases)
    if coverage:
        if len(cases) < MIN_CASES:
            errors.append(f"only {len(cases)} cases (need at least {MIN_CASES})")
        for policy in POLICIES:
            if positives[policy] < MIN_POSITIVES:
                errors.append(f"{policy}: {positives[policy]} positives (need {MIN_POSITIVES})")
            if hard[policy] < MIN_HARD_NEGATIVES:
                errors.append(f"{policy}: {hard[policy]} hard negatives (need {MIN_HARD_NEGATIVES})")

    total = len(cases) or 1
    print(f"{path}: {len(cases)} cases")
    print("actions: " + ", ".join(f"{a} {actions[a]} ({100 * actions[a] / total:.0f}%)" for a in ACTIONS))
    print(f"{'policy':<24}{'positive':>9}{'hold-level':>12}{'hard-neg':>10}")
    for policy in POLICIES:
        level = str(holds[policy]) if policy in HOLD_LEVEL_KEYS else "-"
        print(f"{policy:<24}{positives[policy]:>9}{level:>12}{hard[policy]:>10}")
    for error in errors:
        print(f"error: {error}")
    print("OK" if not errors else f"{len(errors)} error(s)")
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
