"""Imports every policy module so that each registers itself.

Keep this list in step with policies.md; tests/test_policy_registry.py checks it.
"""

from policies import (  # noqa: F401
    blame,
    discouraging,
    empathy_without_action,
    late_apology,
    over_apology,
    ownership,
    specific_questions,
    tips,
    tone_match,
)
