"""over-apology: three or more apologies warn; one or two sincere ones pass; the limit is tunable."""

from types import MappingProxyType

from policies import PolicyOptions, Severity
from tests.policy_helpers import assert_spans, check

THREE = ("Hi Ali,\n\nI'm so sorry about the mix-up. I apologise for the trouble, and sorry again that "
         "you had to chase it. I've refunded the extra charge today.\n\nKim")
TWO = ("Hi Ali,\n\nI'm sorry about the double charge. I've refunded it today; it shows in 3-5 days. "
       "Sorry again for the worry.\n\nKim")


def test_three_apologies_warn() -> None:
    [finding] = check("over-apology", THREE)
    assert finding.severity is Severity.WARN and "3 apologies" in finding.message
    assert_spans(THREE, [finding])
    assert "I'm so sorry about the mix-up." in finding.suggestion


def test_two_apologies_pass() -> None:
    assert check("over-apology", TWO) == []


def test_threshold_is_tunable() -> None:
    strict = PolicyOptions(thresholds=MappingProxyType({"max_apologies": 1}))
    lenient = PolicyOptions(thresholds=MappingProxyType({"max_apologies": 3}))
    assert check("over-apology", TWO, options=strict)
    assert check("over-apology", THREE, options=lenient) == []
