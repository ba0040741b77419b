"""specific-questions: vague catch-alls, guesses, and the customer's questions left unanswered."""

import pytest

from tests.policy_helpers import assert_spans, check


@pytest.mark.parametrize("text", [
    "Any other issues?",
    "Can you give more info?",
    "What's up?",
    "Please send more details.",
    "Could you tell me a bit more about what's going on?",
    "Maybe using your admin password will help?",
    "Perhaps it's the browser extension?",
])
def test_vague_or_guessing_questions_fire(text: str) -> None:
    full = f"Hi Lee,\n\nThanks for the report.\n\n{text}\n\nMo"
    findings = check("specific-questions", full)
    assert len(findings) == 1
    assert_spans(full, findings)


@pytest.mark.parametrize("text", [
    "Which browser and version are you on?",
    "Could you paste the error text shown after you click Save?",
    "Have you already tried signing in with your company account?",
    "Could you send me the order number and a photo of the label?",
])
def test_precise_questions_do_not_fire(text: str) -> None:
    assert check("specific-questions", f"Hi Lee,\n\nThanks for the report.\n\n{text}\n\nMo") == []


def test_unanswered_customer_question_fires() -> None:
    quoted = ("Hi, two things: how often are backups taken, and can I restore a single folder? "
              "Also, what happens when my storage hits 100%?")
    text = "Hi Kay,\n\nBackups are taken every night at 01:00 and kept for 30 days.\n\nNisha"
    [finding] = check("specific-questions", text, quoted)
    assert "restore a single folder" in finding.message and "100%" in finding.message
    assert finding.excerpt == text[finding.start:finding.end]


def test_answered_customer_questions_do_not_fire() -> None:
    quoted = "Can I move my booking to 13-16 May, or do I have to cancel and rebook?"
    text = "Hi Jess,\n\nNo need to cancel: I've moved your booking to 13-16 May at the same rate.\n\nLea"
    assert check("specific-questions", text, quoted) == []


def test_next_step_question_is_answered_by_action() -> None:
    quoted = "The replacement arrived cracked. What now?"
    text = "Hi Jan,\n\nI've sent a second replacement by courier today; they'll collect the cracked one.\n\nRosa"
    assert check("specific-questions", text, quoted) == []


@pytest.mark.parametrize("quoted, text", [
    ("Do you ship to Canada?", "Hi Jo,\n\nWe do! Shipping takes 5-7 days.\n\nSam"),
    ("Why is this so hard?? Is this how you treat loyal customers???",
     "Hi Jo,\n\nI'm sorry. I've refunded the charge today.\n\nSam"),
    ("How long will the refund take?", "Hi Jo,\n\nRefunds reach your card in 3-5 working days.\n\nSam"),
    ("Is this a known issue?", "Hi Jo,\n\nYes, it's a bug in version 4.1; the fix ships on Monday.\n\nSam"),
])
def test_answered_or_rhetorical_questions_do_not_fire(quoted: str, text: str) -> None:
    assert check("specific-questions", text, quoted) == []


@pytest.mark.parametrize("quoted, text", [
    ("What's the status of my order?", "Hi Jo,\n\nYour order shipped today with DPD.\n\nSam"),
    ("Any update?", "Hi Jo,\n\nThe refund was processed this morning.\n\nSam"),
])
def test_status_questions_are_answered_by_a_status(quoted: str, text: str) -> None:
    assert check("specific-questions", text, quoted) == []
