"""discouraging: closing the door on the customer holds; ordinary closes pass."""

import pytest

from policies import Severity
from tests.policy_helpers import assert_spans, check


@pytest.mark.parametrize("close", [
    "Please stop emailing us about this order.",
    "There's no need to contact us again about the refund.",
    "We won't respond to further messages on this topic.",
    "Please refrain from opening more tickets for the same issue.",
    "Any further emails about this booking will go unanswered.",
    "Please don't raise new tickets for this problem.",
    "This ticket will be closed without a reply if you reopen it.",
    "Please hold off on contacting support again until next month.",
])
def test_discouraging_fires(close: str) -> None:
    text = f"Hi Sam,\n\nYour refund was issued today.\n\n{close}\n\nRegards,\nKim"
    findings = check("discouraging", text)
    assert len(findings) == 1 and findings[0].severity is Severity.HOLD
    assert_spans(text, findings)
    assert "reply" in findings[0].suggestion.lower()


@pytest.mark.parametrize("close", [
    "Reply any time if anything else comes up.",
    "Please don't hesitate to contact us if the charger stops again.",
    "No need to reply to this one; I'll email you the tracking number on Friday, and you can write back here any time.",
    "If you have more questions, just reply to this email and I'll help.",
    "Let me know if anything is unclear.",
])
def test_ordinary_closes_do_not_fire(close: str) -> None:
    assert check("discouraging", f"Hi Sam,\n\nYour refund was issued today.\n\n{close}\n\nKim") == []


def test_stop_emailing_in_the_quote_does_not_fire() -> None:
    quoted = "Please stop emailing me your surveys. I will not respond to further messages."
    assert check("discouraging", "Hi Derek,\n\nI've removed you from the survey list.\n\nLiam", quoted) == []
