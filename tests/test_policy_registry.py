"""Every catalog policy, and the tips, register themselves."""

from policies import REGISTRY, Severity

CATALOG = {
    "tone-match", "specific-questions", "ownership", "late-apology", "over-apology",
    "blame", "discouraging", "empathy-without-action",
}
TIPS = {"greeting-name", "sympathy-phrasing"}


def test_registered_ids_are_the_catalog_plus_tips() -> None:
    assert set(REGISTRY) == CATALOG | TIPS


def test_default_severities_follow_the_catalog() -> None:
    expected = {"blame": Severity.HOLD, "discouraging": Severity.HOLD}
    for policy_id in CATALOG:
        assert REGISTRY[policy_id].severity is expected.get(policy_id, Severity.WARN), policy_id
    for policy_id in TIPS:
        assert REGISTRY[policy_id].severity is Severity.INFO


def test_every_policy_describes_itself() -> None:
    for policy in REGISTRY.values():
        assert policy.description and policy.id
