"""ownership: anonymous hand-offs warn; sending the customer away with nothing holds."""

import pytest

from policies import Severity
from tests.policy_helpers import assert_spans, check


@pytest.mark.parametrize("text", [
    "The team will look into it.",
    "Someone will get back to you.",
    "It has been forwarded to the relevant department.",
    "Your request has been passed on to our billing team and they will be in touch.",
    "A member of the returns team will contact you within 3 days.",
    "This will be reviewed by the warehouse team.",
])
def test_anonymous_hand_off_warns(text: str) -> None:
    full = f"Hi Jo,\n\nThanks for your message. {text}\n\nBest,\nSam"
    findings = check("ownership", full)
    assert findings and all(f.severity is Severity.WARN for f in findings)
    assert_spans(full, findings)
    assert "I'll" in findings[0].suggestion


@pytest.mark.parametrize("text", [
    "You'll need to contact your bank about the charge.",
    "That's not our department, so you should speak to the courier.",
    "There's nothing we can do about a delayed payment.",
])
def test_sent_elsewhere_with_nothing_holds(text: str) -> None:
    findings = check("ownership", f"Hi Jo,\n\n{text}\n\nSam")
    assert [f.severity for f in findings] == [Severity.HOLD]


def test_sent_elsewhere_with_a_next_step_only_warns() -> None:
    text = ("Hi Jo,\n\nYou'll need to contact your bank about the charge. I'll email you the dispute "
            "letter by Friday so you have everything they ask for.\n\nSam")
    assert all(f.severity is not Severity.HOLD for f in check("ownership", text))


@pytest.mark.parametrize("text", [
    "I've asked our billing team to reverse the charge and I'll update you by Thursday.",
    "I'm working with our engineers on this and will email you tomorrow at 10:00.",
    "Our infrastructure team has the ticket from me, and I'll confirm once the move is done.",
    "I've refunded the order myself; it will reach your card in 3-5 days.",
])
def test_owned_steps_do_not_fire(text: str) -> None:
    assert check("ownership", f"Hi Jo,\n\n{text}\n\nSam") == []


def test_deflection_in_the_quoted_earlier_reply_does_not_fire() -> None:
    quoted = ("Any update?\n\nOn Mon, 2 Nov 2026 at 10:00, Support <help@example.com> wrote:\n"
              "> The team will look into it and someone will get back to you.")
    text = "Hi Ruth,\n\nI've found the duplicate entry and removed it; the report is correct now.\n\nElena"
    assert check("ownership", text, quoted) == []
