"""Imports every policy module so that each registers itself.

Keep this list in step with policies.md; tests/test_policy_registry.py checks it.
"""

# Policy modules are added here as they are written, e.g.:
# from policies import blame, discouraging, ownership  # noqa: F401
