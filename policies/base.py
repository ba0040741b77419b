"""What a policy is, and the registry of all of them."""

from __future__ import annotations

from typing import ClassVar, Protocol

from policies.model import Finding, PolicyOptions, Reply, Severity, TeamPolicy


class Policy(Protocol):
    """A policy: a stable `id`, a one-line `description`, a default severity,
    and a pure `check` that returns findings (spans into `reply.text`)."""

    id: ClassVar[str]
    description: ClassVar[str]
    severity: ClassVar[Severity]

    def check(self, reply: Reply, team: TeamPolicy, options: PolicyOptions) -> list[Finding]: ...


REGISTRY: dict[str, Policy] = {}


def register(cls: type) -> type:
    """Class decorator: instantiate the policy once and add it to the registry."""
    policy = cls()
    if policy.id in REGISTRY:
        raise ValueError(f"policy id {policy.id!r} registered twice")
    REGISTRY[policy.id] = policy
    return cls
