"""empathy-without-action: feelings acknowledged with no fix, next step or timeline."""

import pytest

from tests.policy_helpers import assert_spans, check


@pytest.mark.parametrize("text", [
    "I'm so sorry to hear the course was cancelled. I understand how disappointing that is.",
    "That sounds really stressful, and I completely understand your frustration.",
    "I'm sorry for the confusion. Your case has been passed to the claims team and they'll review it.",
    "I'm sorry you're locked out. Could you tell me a bit more about what's going on?",
])
def test_empathy_alone_warns(text: str) -> None:
    full = f"Hi Eve,\n\n{text}\n\nTom"
    [finding] = check("empathy-without-action", full)
    assert_spans(full, [finding])


@pytest.mark.parametrize("text", [
    "I'm sorry the lamp arrived broken. I've opened a claim and you'll have the refund within 5 days.",
    "I understand how stressful this is. Go to Settings > Security and click Reset to unlock it now.",
    "Sorry about that! I'll call you tomorrow at 9am to rebook the visit.",
    "I've moved your booking to Friday; the new confirmation is on its way.",
    "I'm sorry it stopped working. Which firmware version does the app show under Settings > Device?",
])
def test_empathy_with_action_passes(text: str) -> None:
    assert check("empathy-without-action", f"Hi Eve,\n\n{text}\n\nTom") == []


def test_wait_apology_alone_is_not_empathy() -> None:
    assert check("empathy-without-action", "Hi Eve,\n\nSorry for the slow reply. Your plan includes three users.\n\nTom") == []


def test_an_answer_to_the_customers_question_is_substance() -> None:
    text = "Hi Eve,\n\nSorry for the confusion! Your plan already includes unlimited users, so nothing needs to change.\n\nTom"
    assert check("empathy-without-action", text, "Do I need to upgrade my plan to add more users?") == []


def test_sympathy_that_only_echoes_the_question_is_not_an_answer() -> None:
    text = "Hi Eve,\n\nI'm so sorry about the charge; I can only imagine how upsetting it is.\n\nTom"
    assert check("empathy-without-action", text, "Why were we charged a no-show fee?")
