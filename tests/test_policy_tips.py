"""Info-level tips: greeting by name and owned sympathy; they never change the action."""

import pytest

from policies import Action, Reply, Severity, TeamPolicy, evaluate
from tests.policy_helpers import assert_spans, check


@pytest.mark.parametrize("text", ["Hi,\n\nI've reset it.\n\nSam", "Hello there,\n\nDone.\n\nSam",
                                  "I've reset it for you.\n\nSam"])
def test_no_greeting_by_name_is_a_tip(text: str) -> None:
    [finding] = check("greeting-name", text, customer_name="Ingrid Olsen")
    assert finding.severity is Severity.INFO and "Ingrid" in finding.suggestion
    assert_spans(text, [finding])


@pytest.mark.parametrize("text", ["Hi Ingrid,\n\nDone.", "Dear Ms Olsen,\n\nDone.", "Hello ingrid!\n\nDone."])
def test_greeting_by_name_passes(text: str) -> None:
    assert check("greeting-name", text, customer_name="Ingrid Olsen") == []


def test_unknown_name_is_silent() -> None:
    assert check("greeting-name", "Hi,\n\nDone.", customer_name=None) == []


def test_distanced_sympathy_is_a_tip() -> None:
    text = "Hi Ana,\n\nIt must be frustrating to lose the draft. I've restored it from last night's backup.\n\nSam"
    [finding] = check("sympathy-phrasing", text)
    assert finding.excerpt == "It must be frustrating"
    assert "I understand how frustrating" in finding.suggestion


def test_owned_sympathy_passes() -> None:
    assert check("sympathy-phrasing", "Hi Ana,\n\nI understand how frustrating this is; I've restored it.") == []


def test_tips_alone_pass_the_message() -> None:
    reply = Reply(text="Hi,\n\nIt must be frustrating. I've restored the draft from last night's backup.\n\nSam",
                  customer_name="Ana Diaz")
    verdict = evaluate(reply, TeamPolicy())
    assert verdict.action is Action.PASS
    assert {f.policy for f in verdict.findings} == {"greeting-name", "sympathy-phrasing"}
