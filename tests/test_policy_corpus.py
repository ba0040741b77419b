"""The policies against the hand-labeled development cases (../shared/corpus/labeled/cases.json).

A regression guard, not a target: the figures that matter are measured on an
unseen corpus. `bench/policy_eval.py` prints the full table.
"""

from __future__ import annotations

import json

import pytest

from gateway.evaluation import case_reply
from policies import Action, TeamPolicy, evaluate
from tests.policy_helpers import POLICIES, policy_f1
from tests.shared_corpus import corpus_dir

pytestmark = pytest.mark.corpus


@pytest.fixture(scope="module")
def results() -> list[tuple[dict, object]]:
    cases = json.loads((corpus_dir("labeled") / "cases.json").read_text("utf-8"))["cases"]
    return [(case, evaluate(case_reply(case), TeamPolicy())) for case in cases]


@pytest.mark.parametrize("policy_id", POLICIES)
def test_each_policy_scores_well(results, policy_id: str) -> None:
    f1, counts = policy_f1(results, policy_id)
    assert f1 >= 0.9, (policy_id, counts)


def test_no_false_holds(results) -> None:
    false_holds = [case["id"] for case, verdict in results
                   if verdict.action is Action.HOLD and case["expected_action"] != "hold"]
    assert false_holds == []


def test_tact_eval_meets_the_quality_targets(capsys: pytest.CaptureFixture[str]) -> None:
    """Issue 3's targets, measured the way a user measures them: `tact eval` on the labeled corpus."""
    from gateway.cli import main

    assert main(["eval", "--no-progress", "--format", "json", str(corpus_dir("labeled"))]) == 0
    report = json.loads(capsys.readouterr().out)
    low = {p: s["f1"] for p, s in report["policies"].items() if p in POLICIES and s["f1"] < 0.90}
    assert low == {}, f"policies below F1 0.90: {low}"
    assert report["actions"]["false_holds"]["share"] <= 0.02, report["actions"]["false_holds"]
    confusion = report["actions"]["confusion"]
    labeled_hold = sum(confusion["hold"].values())
    assert confusion["hold"].get("pass", 0) <= 0.05 * labeled_hold, confusion["hold"]
