"""The records policies read and write: Reply in, Finding out, Verdict decided.

Everything here is pure data. `gateway.message` builds a `Reply` from raw
bytes; policies read only the `Reply` and a `TeamPolicy`; every front end
(JSON, coaching notes, headers, web UI) renders the same `Finding`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, time, timedelta
from enum import StrEnum
from types import MappingProxyType
from typing import Literal, Mapping


class Severity(StrEnum):
    INFO = "info"
    WARN = "warn"
    HOLD = "hold"


class Action(StrEnum):
    PASS = "pass"
    ANNOTATE = "annotate"
    HOLD = "hold"


@dataclass(frozen=True)
class Reply:
    """One outbound support reply, as the policies see it.

    `text` is the agent's new text (HTML reduced to text, CRLF normalised,
    signature kept); `quoted` is the customer text it answers. Finding spans
    are character offsets into `text`.
    """

    text: str
    quoted: str = ""
    sender: str = ""
    recipients: tuple[str, ...] = ()
    subject: str = ""
    team: str = "default"
    customer_name: str | None = None
    customer_wrote_at: datetime | None = None
    replied_at: datetime | None = None
    message_id: str | None = None
    # The trailing signature block as written ("-- " block, "Sent from my iPhone", list footer;
    # "" if none). Its personal part ends `text`; machine-added lines are left out of `text`.
    signature: str = ""


@dataclass(frozen=True)
class Finding:
    """One thing a policy found: what, how bad, where, and what to do instead."""

    policy: str
    severity: Severity
    message: str
    excerpt: str
    start: int
    end: int
    suggestion: str

    def to_dict(self) -> dict[str, object]:
        return {
            "policy": self.policy,
            "severity": str(self.severity),
            "message": self.message,
            "excerpt": self.excerpt,
            "start": self.start,
            "end": self.end,
            "suggestion": self.suggestion,
        }


@dataclass(frozen=True)
class Verdict:
    """The one decision taken on a reply, with the reasons that led to it."""

    action: Action
    findings: tuple[Finding, ...] = ()
    reasons: tuple[str, ...] = ()
    errors: tuple[str, ...] = ()


@dataclass(frozen=True)
class PolicyOptions:
    """A team's overrides for one policy (from `[teams.NAME.policies.ID]`)."""

    enabled: bool = True
    severity: Severity | None = None
    add_phrases: tuple[str, ...] = ()
    remove_phrases: tuple[str, ...] = ()
    thresholds: Mapping[str, float] = field(default_factory=lambda: MappingProxyType({}))


@dataclass(frozen=True)
class BusinessHours:
    """When a team works: `days` are ISO weekdays (1 = Monday)."""

    timezone: str = "UTC"
    days: tuple[int, ...] = (1, 2, 3, 4, 5)
    start: time = time(9, 0)
    end: time = time(17, 0)


@dataclass(frozen=True)
class TeamPolicy:
    """Everything policies and the decision need to know about a team."""

    name: str = "default"
    response_target: timedelta = timedelta(hours=24)
    hold_after_warnings: int = 3
    business_hours: BusinessHours | None = None
    on_error: Literal["pass", "hold"] = "pass"
    policies: Mapping[str, PolicyOptions] = field(default_factory=lambda: MappingProxyType({}))

    def options(self, policy_id: str) -> PolicyOptions:
        return self.policies.get(policy_id, _DEFAULT_OPTIONS)


_DEFAULT_OPTIONS = PolicyOptions()
