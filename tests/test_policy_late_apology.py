"""late-apology: late replies acknowledge the wait; business hours count only working time."""

from datetime import time, timedelta

import pytest

from policies import BusinessHours, TeamPolicy
from tests.policy_helpers import assert_spans, at, check

ANSWER = "Hi Ben,\n\nI've added the SPF record, and forwarding works again.\n\nDaniel"


def test_late_without_acknowledgement_warns() -> None:
    findings = check("late-apology", ANSWER, "help", customer_wrote_at=at(16, 9), replied_at=at(18, 10))
    assert len(findings) == 1 and "49 h" in findings[0].message
    assert_spans(ANSWER, findings)


@pytest.mark.parametrize("opening", [
    "Sorry for the slow reply.",
    "Thanks for your patience while I looked into this.",
    "Apologies for the delay in getting back to you.",
    "Thank you for bearing with us over the weekend.",
    "Sorry it's taken me until Wednesday to answer.",
])
def test_acknowledged_wait_passes(opening: str) -> None:
    text = f"Hi Ben,\n\n{opening} I've added the SPF record.\n\nDaniel"
    assert check("late-apology", text, "help", customer_wrote_at=at(16, 9), replied_at=at(18, 10)) == []


def test_within_target_passes() -> None:
    assert check("late-apology", ANSWER, "help", customer_wrote_at=at(16, 9), replied_at=at(17, 8)) == []


@pytest.mark.parametrize("wrote, replied", [(None, at(18, 10)), (at(16, 9), None)])
def test_unknown_times_are_silent(wrote, replied) -> None:
    assert check("late-apology", ANSWER, "help", customer_wrote_at=wrote, replied_at=replied) == []


def test_team_response_target_applies() -> None:
    team = TeamPolicy(name="fast", response_target=timedelta(hours=4))
    assert check("late-apology", ANSWER, "help", team=team, customer_wrote_at=at(16, 9), replied_at=at(16, 15))
    assert not check("late-apology", ANSWER, "help", customer_wrote_at=at(16, 9), replied_at=at(16, 15))


MON_FRI = BusinessHours(timezone="Europe/London", days=(1, 2, 3, 4, 5), start=time(9), end=time(17))


def test_friday_evening_to_monday_morning_is_not_late_in_business_hours() -> None:
    team = TeamPolicy(name="weekdays", business_hours=MON_FRI)
    # Friday 20 Nov 18:30 → Monday 23 Nov 10:00: one business hour.
    assert check("late-apology", ANSWER, "help", team=team, customer_wrote_at=at(20, 18, 30),
                 replied_at=at(23, 10)) == []
    # The same gap counted in clock time is late.
    assert check("late-apology", ANSWER, "help", customer_wrote_at=at(20, 18, 30), replied_at=at(23, 10))


def test_business_hours_still_catch_a_real_delay() -> None:
    team = TeamPolicy(name="weekdays", business_hours=MON_FRI, response_target=timedelta(hours=8))
    findings = check("late-apology", ANSWER, "help", team=team, customer_wrote_at=at(16, 10),
                     replied_at=at(18, 12))
    assert findings and "business" in findings[0].message
