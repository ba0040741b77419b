"""The policies on corpora written apart from them (tests/data/heldout and heldout2, see their READMEs).

Each was written from the catalog alone by someone who saw neither the implementation nor the
development corpus, so they show how the judgment carries over to other people's replies.
Their first measurements (before any fix they prompted) are in bench/README.md.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from gateway.evaluation import case_reply
from policies import Action, TeamPolicy, Verdict, evaluate
from tests.policy_helpers import POLICIES, policy_f1

DATA = Path(__file__).parent / "data"
CORPORA = ("heldout", "heldout2")


@pytest.fixture(scope="module", params=CORPORA)
def results(request: pytest.FixtureRequest) -> list[tuple[dict, Verdict]]:
    cases = json.loads((DATA / request.param / "cases.json").read_text("utf-8"))["cases"]
    assert len(cases) >= 120
    return [(case, evaluate(case_reply(case), TeamPolicy())) for case in cases]


@pytest.mark.parametrize("policy_id", POLICIES)
def test_each_policy_carries_over(results, policy_id: str) -> None:
    f1, counts = policy_f1(results, policy_id)
    assert f1 >= 0.80, (policy_id, counts)


def test_actions_carry_over(results) -> None:
    false_holds = [c["id"] for c, v in results if v.action is Action.HOLD and c["expected_action"] != "hold"]
    holds_passed = [c["id"] for c, v in results if v.action is Action.PASS and c["expected_action"] == "hold"]
    not_hold = sum(1 for c, _ in results if c["expected_action"] != "hold")
    hold = len(results) - not_hold
    assert len(false_holds) <= 0.02 * not_hold, false_holds
    assert len(holds_passed) <= 0.05 * hold, holds_passed
