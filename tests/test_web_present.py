"""How the pages word things: ages, policy names, times, highlight cuts, chart axes."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

import pytest

from gateway.web import chart, present


@pytest.mark.parametrize(("age", "text"), [
    (timedelta(seconds=59), "less than a minute"),
    (timedelta(minutes=1), "1 min"),
    (timedelta(minutes=45, seconds=30), "45 min"),
    (timedelta(hours=1), "1 h"),
    (timedelta(hours=3, minutes=12), "3 h 12 min"),
    (timedelta(days=1), "1 d"),
    (timedelta(days=2, hours=4, minutes=59), "2 d 4 h"),
])
def test_ages_read_like_a_person_says_them(age: timedelta, text: str) -> None:
    assert present.format_age(age) == text


def test_policy_labels_are_readable_for_every_registered_policy() -> None:
    from policies import REGISTRY

    for policy_id in REGISTRY:
        label = present.policy_label(policy_id)
        assert label and label[0].isupper() and "-" not in label, policy_id
    assert present.policy_label("new_policy-x") == "New policy x"


def test_times_are_shown_in_utc_or_unknown() -> None:
    berlin = timezone(timedelta(hours=1))
    assert present.format_time(datetime(2026, 11, 30, 11, 4, tzinfo=berlin)) == "Mon 30 Nov 2026, 10:04 UTC"
    assert present.format_time(None) == "unknown"
    wrote = datetime(2026, 11, 30, 8, 0, tzinfo=timezone.utc)
    assert present.response_time(wrote, wrote + timedelta(hours=2, minutes=5)) == "2 h 5 min"
    assert present.response_time(None, wrote) is None


@pytest.mark.parametrize(("peak", "top"), [(0, 4), (2, 4), (4, 4), (5, 8), (7, 8), (9, 20), (50, 80), (81, 200)])
def test_chart_axes_end_on_a_round_number_in_four_whole_steps(peak: int, top: int) -> None:
    assert chart._nice_max(peak) == top and top % 4 == 0


def test_charts_escape_labels_and_draw_one_bar_per_count() -> None:
    rows = [{"day": date(2026, 11, 29), "pass": 3, "annotate": 0, "hold": 1, "findings": {"<x>": 2}},
            {"day": date(2026, 11, 30), "pass": 0, "annotate": 0, "hold": 0, "findings": {}}]
    svg = str(chart.decisions_chart(rows))
    assert svg.count("<rect") == 2 and "2026-11-29: 3 passed" in svg and "2026-11-29: 1 held" in svg
    findings, legend = chart.findings_chart(rows, lambda p: f"label {p}")
    assert "label &lt;x&gt;" in str(findings) and "<x>" not in str(findings)
    assert legend == [("label <x>", chart.PALETTE[0], 2)]
