"""Ordinary support sentences that reuse blaming, discouraging or vague words must pass."""

import pytest

from policies import Action, Reply, TeamPolicy, evaluate

QUOTED = "Hi, the booking is wrong and I need it fixed."


@pytest.mark.parametrize("sentence", [
    "This is obviously not the experience we want you to have, and I've refunded the fee.",
    "Sounds like you had a rough morning! I've reset the password for you.",
    "It's not your fault at all; the form was confusing. I've fixed the booking.",
    "I'm sorry you had to write for the third time. I've fixed the booking now.",
    "We should have paid closer attention to your first email; I've fixed the booking.",
    "This is a common error with the v2 firmware, and I've pushed the fix to your booking app.",
    "Any new messages will be answered within 24 hours, and I've fixed the booking.",
    "Please don't create new accounts for each device; I've fixed the booking on your main one.",
    "Please avoid contacting the hotel directly; I'll fix the booking and update you by Friday.",
    "I've fixed the booking. If you have any other questions, just reply to this email.",
    "I've fixed the booking. Let me know if there's anything else I can help with.",
    "I've fixed the booking. Please don't hesitate to get in touch if anything looks off.",
])
def test_ordinary_sentences_pass(sentence: str) -> None:
    reply = Reply(text=f"Hi Ana,\n\n{sentence}\n\nSam", quoted=QUOTED, customer_name="Ana Ruiz")
    verdict = evaluate(reply, TeamPolicy())
    assert verdict.action is Action.PASS, [(f.policy, f.excerpt) for f in verdict.findings]
