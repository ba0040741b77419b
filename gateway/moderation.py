"""The one moderation service behind the web UI, the JSON API and the CLI.

Release, reject (with a comment the agent receives), delete and expire held
messages. Every decision is one transaction: the status changes only from
`held` (`UPDATE … WHERE status = 'held'`, so two reviewers or two gateway
instances never decide a message twice), the mail it causes goes into the
durable outbox, and the audit log records who, when, what and why.

The methods are synchronous (the web layer calls them in a thread pool, the
gateway through `asyncio.to_thread`).
"""

from __future__ import annotations

import email.policy
import logging
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone
from email.parser import BytesParser
from typing import Any

from sqlalchemy import Connection, and_, func, insert, select, update

from gateway.coaching import build_decision_note
from gateway.message import parse_message
from gateway.settings import Settings
from gateway.store import NewMail, OutboxItem, Store, audit, decisions, held, outbox, utcnow
from gateway.users import User

log = logging.getLogger(__name__)

HELD, RELEASED, REJECTED, DELETED = "held", "released", "rejected", "deleted"
EXPIRY_ACTOR = "tact-expiry"
OUTBOX_ACTOR = "tact-outbox"
# Outbox kinds this module enqueues.
RELEASE, REJECTION, UNDELIVERABLE = "release", "rejected", "undeliverable"


class NotFound(Exception):
    """No held message with that id."""


class AlreadyDecided(Exception):
    """The message was released, rejected or deleted already (by someone else, maybe)."""


class Forbidden(Exception):
    """The user may not review this message's team."""


@dataclass(frozen=True)
class Finding:
    """One finding as stored in the verdict JSON (spans index `HeldMessage.reply_text`)."""

    policy: str
    severity: str
    message: str
    excerpt: str
    start: int
    end: int
    suggestion: str


@dataclass(frozen=True)
class HeldSummary:
    """A row of the queue."""

    id: int
    team: str
    sender: str
    recipients: list[str]
    subject: str
    created_at: datetime
    status: str
    policies: list[str]
    age: timedelta


@dataclass(frozen=True)
class HeldMessage(HeldSummary):
    """One held message with what a reviewer needs to decide."""

    raw: bytes
    message_id: str | None
    findings: list[Finding]
    reply_text: str
    quoted_text: str
    customer_wrote_at: datetime | None
    replied_at: datetime | None
    html: bool
    reasons: list[str]


@dataclass(frozen=True)
class AuditEntry:
    """One line of the audit log."""

    at: datetime
    held_id: int | None
    actor: str
    action: str
    comment: str


class Moderation:
    """Decisions on held messages. `wake_outbox()` is called after a decision queued mail."""

    def __init__(self, store: Store, settings: Settings, *,
                 wake_outbox: Callable[[], None] | None = None) -> None:
        self.store = store
        self.settings = settings
        self.wake_outbox = wake_outbox

    # --- who may review what ----------------------------------------------------

    def can_review(self, user: User, team: str) -> bool:
        """Admins review every team; a reviewer the teams of the account, and any team
        whose `[teams.NAME] reviewers` names them."""
        if user.role == "admin":
            return True
        if team in user.teams:
            return True
        configured = self.settings.teams.get(team)
        return configured is not None and user.name in configured.reviewers

    def _check(self, user: User | None, team: str) -> None:
        if user is not None and not self.can_review(user, team):
            raise Forbidden(f"{user.name} may not review team {team!r}")

    # --- reading ----------------------------------------------------------------

    def list_held(self, *, user: User | None = None, team: str | None = None,
                  policy: str | None = None, min_age: timedelta | None = None,
                  status: str | None = HELD) -> list[HeldSummary]:
        """The queue, oldest first. `user=None`: no permission filter (the CLI);
        `status=None`: every status."""
        now = utcnow()
        query = select(*_SUMMARY_COLUMNS).order_by(held.c.created_at, held.c.id)
        if status is not None:
            query = query.where(held.c.status == status)
        if team is not None:
            query = query.where(held.c.team == team)
        if min_age is not None:
            query = query.where(held.c.created_at <= now - min_age)
        with self.store.engine.connect() as conn:
            rows = conn.execute(query).mappings().all()
        result = []
        for row in rows:
            if user is not None and not self.can_review(user, row["team"]):
                continue
            summary = _summary(row, now)
            if policy is not None and policy not in summary.policies:
                continue
            result.append(summary)
        return result

    def counts_by_team(self, *, user: User | None = None) -> dict[str, int]:
        """How many messages wait for review, per team (only teams with some)."""
        query = (select(held.c.team, func.count()).where(held.c.status == HELD)
                 .group_by(held.c.team).order_by(held.c.team))
        with self.store.engine.connect() as conn:
            rows = conn.execute(query).all()
        return {team: int(n) for team, n in rows if user is None or self.can_review(user, team)}

    def get(self, held_id: int, *, user: User | None = None) -> HeldMessage:
        """One held message, parsed for display. NotFound, Forbidden."""
        row = self._row(held_id)
        self._check(user, row["team"])
        summary = _summary(row, utcnow())
        raw = bytes(row["raw"])
        reply = parse_message(raw, sender=row["sender"], recipients=tuple(row["recipients"]),
                              team=row["team"])
        verdict = row["verdict"] or {}
        findings = [Finding(f["policy"], str(f["severity"]), f["message"], f["excerpt"],
                            int(f["start"]), int(f["end"]), f.get("suggestion") or "")
                    for f in verdict.get("findings", [])]
        return HeldMessage(
            **summary.__dict__, raw=raw, message_id=row["message_id"], findings=findings,
            reply_text=reply.text, quoted_text=reply.quoted,
            customer_wrote_at=reply.customer_wrote_at, replied_at=reply.replied_at,
            html=_has_html(raw), reasons=list(verdict.get("reasons", [])))

    def audit(self, held_id: int | None = None, *, limit: int = 200) -> list[AuditEntry]:
        """The audit log, newest first (of one message, or of all)."""
        query = select(audit).order_by(audit.c.id.desc()).limit(limit)
        if held_id is not None:
            query = query.where(audit.c.held_id == held_id)
        with self.store.engine.connect() as conn:
            rows = conn.execute(query).mappings().all()
        return [AuditEntry(_aware(r["at"]), r["held_id"], r["actor"], r["action"], r["comment"])
                for r in rows]

    # --- deciding ---------------------------------------------------------------

    def release(self, held_id: int, *, actor: str, comment: str = "",
                user: User | None = None) -> HeldSummary:
        """Send the message as it is (raw bytes, original envelope) through the outbox."""
        row = self._row(held_id)
        self._check(user, row["team"])

        def mail(conn: Connection, row: dict[str, Any]) -> None:
            conn.execute(insert(outbox), _outbox_row(NewMail(
                RELEASE, row["sender"], list(row["recipients"]), bytes(row["raw"])), held_id))

        return self._decide(row, RELEASED, actor, "release", comment, mail)

    def reject(self, held_id: int, *, actor: str, comment: str,
               user: User | None = None) -> HeldSummary:
        """Do not send it; the agent gets a note with the comment. ValueError without one."""
        if not comment or not comment.strip():
            raise ValueError("a rejection needs a comment for the agent")
        row = self._row(held_id)
        self._check(user, row["team"])
        note = self._note(REJECTION, row, comment=comment.strip(), actor=actor)

        def mail(conn: Connection, row: dict[str, Any]) -> None:
            conn.execute(insert(outbox), _outbox_row(note, held_id))

        return self._decide(row, REJECTED, actor, "reject", comment.strip(), mail)

    def delete(self, held_id: int, *, actor: str, comment: str = "",
               user: User | None = None) -> None:
        """Discard the message without a word to anyone (its content is erased)."""
        row = self._row(held_id)
        self._check(user, row["team"])
        self._decide(row, DELETED, actor, "delete", comment, None, erase=True)

    def expire_due(self, now: datetime | None = None) -> int:
        """Decide every message older than its team's `hold_expiry`, by its team's
        `expire_action`; return how many this call decided (another instance may take
        some first: those are skipped)."""
        now = now or utcnow()
        expiries = {name: self.settings.team_expiry(name) for name in self.settings.team_names()}
        oldest_allowed = now - min(e for e, _ in expiries.values())
        query = (select(held.c.id, held.c.team, held.c.created_at)
                 .where(and_(held.c.status == HELD, held.c.created_at <= oldest_allowed))
                 .order_by(held.c.created_at, held.c.id))
        with self.store.engine.connect() as conn:
            rows = conn.execute(query).all()
        done = 0
        for held_id, team, created_at in rows:
            expiry, action = expiries.get(team, expiries["default"])
            if _aware(created_at) > now - expiry:
                continue
            why = f"not reviewed within {_hours(expiry)}: {'released' if action == 'release' else 'not sent'}"
            try:
                if action == "release":
                    self.release(held_id, actor=EXPIRY_ACTOR, comment=why)
                else:
                    self.reject(held_id, actor=EXPIRY_ACTOR, comment=why)
            except (AlreadyDecided, NotFound):
                continue
            done += 1
        return done

    # --- statistics -------------------------------------------------------------

    def team_stats(self, team: str, *, days: int = 30) -> list[dict[str, Any]]:
        """Per day (UTC, oldest first, every day of the range): how many messages passed,
        were annotated or held, and how many fired each policy."""
        today = utcnow().date()
        first = today - timedelta(days=days - 1)
        since = datetime(first.year, first.month, first.day, tzinfo=timezone.utc)
        query = (select(decisions.c.at, decisions.c.action, decisions.c.policies)
                 .where(and_(decisions.c.team == team, decisions.c.at >= since)))
        per_day: dict[date, dict[str, Any]] = {
            first + timedelta(days=i): {"day": first + timedelta(days=i), "pass": 0, "annotate": 0,
                                        "hold": 0, "findings": Counter()}
            for i in range(days)}
        with self.store.engine.connect() as conn:
            for at, action, policies in conn.execute(query):
                day = per_day.get(_aware(at).date())
                if day is None:
                    continue
                if action in ("pass", "annotate", "hold"):
                    day[action] += 1
                day["findings"].update(policies or ())
        return [{**d, "findings": dict(d["findings"])} for d in per_day.values()]

    # --- the outbox's final failure ---------------------------------------------

    def undeliverable_note(self, item: OutboxItem, error: str) -> NewMail | None:
        """The note telling the agent that a released message could not be delivered
        (the outbox gave up on it); None for other outbox items."""
        if item.kind != RELEASE or item.held_id is None:
            return None
        row = {"id": item.held_id, "sender": item.sender, "raw": item.raw}
        return self._note(UNDELIVERABLE, row, comment=error, actor=OUTBOX_ACTOR)

    # --- internals --------------------------------------------------------------

    def _row(self, held_id: int) -> dict[str, Any]:
        with self.store.engine.connect() as conn:
            row = conn.execute(select(held).where(held.c.id == held_id)).mappings().first()
        if row is None:
            raise NotFound(f"no held message #{held_id}")
        return dict(row)

    def _note(self, kind: str, row: dict[str, Any], *, comment: str, actor: str) -> NewMail:
        data = build_decision_note(kind, original=bytes(row["raw"]), to=row["sender"],
                                   comment=comment, actor=actor, held_id=int(row["id"]),
                                   note_from=self.settings.gateway.note_from,
                                   hostname=self.settings.gateway.hostname)
        # The null reverse path (RFC 3834), like every note: its bounces never loop.
        return NewMail(kind=kind, sender="", recipients=[row["sender"]], raw=data)

    def _decide(self, row: dict[str, Any], status: str, actor: str, action: str, comment: str,
                mail: Callable[[Connection, dict[str, Any]], None] | None, *,
                erase: bool = False) -> HeldSummary:
        now = utcnow()
        values: dict[str, Any] = {"status": status, "decided_at": now, "decided_by": actor}
        if erase:
            values["raw"] = b""
        with self.store.engine.begin() as conn:
            changed = conn.execute(update(held).where(and_(held.c.id == row["id"],
                                                           held.c.status == HELD)).values(**values))
            if changed.rowcount != 1:
                current = conn.execute(select(held.c.status).where(held.c.id == row["id"])).scalar()
                raise AlreadyDecided(f"held message #{row['id']} is {current} already")
            if mail is not None:
                mail(conn, row)
            conn.execute(insert(audit), {"at": now, "held_id": row["id"], "actor": actor,
                                         "action": action, "comment": comment or ""})
        log.info("held #%d: %s by %s%s", row["id"], action, actor, f" ({comment})" if comment else "")
        if mail is not None and self.wake_outbox is not None:
            try:
                self.wake_outbox()
            except Exception:  # the poll finds it anyway
                log.exception("cannot wake the outbox")
        return _summary({**row, "status": status}, now)


_SUMMARY_COLUMNS = (held.c.id, held.c.team, held.c.sender, held.c.recipients, held.c.subject,
                    held.c.created_at, held.c.status, held.c.verdict)


def _summary(row: Any, now: datetime) -> HeldSummary:
    created = _aware(row["created_at"])
    verdict = row["verdict"] or {}
    policies = list(dict.fromkeys(f["policy"] for f in verdict.get("findings", [])))
    return HeldSummary(int(row["id"]), row["team"], row["sender"], list(row["recipients"]),
                       row["subject"] or "", created, row["status"], policies, now - created)


def _outbox_row(mail: NewMail, held_id: int) -> dict[str, Any]:
    now = utcnow()
    return {"kind": mail.kind, "sender": mail.sender, "recipients": list(mail.recipients),
            "raw": mail.raw, "attempts": 0, "next_attempt_at": now, "status": "pending",
            "created_at": now, "held_id": held_id}


def _aware(dt: datetime) -> datetime:
    """SQLite hands back naive datetimes; every time here is UTC."""
    return dt if dt.tzinfo is not None else dt.replace(tzinfo=timezone.utc)


def _hours(delta: timedelta) -> str:
    hours = delta.total_seconds() / 3600
    return f"{hours:g} h" if hours >= 1 else f"{delta.total_seconds():g} s"


def _has_html(raw: bytes) -> bool:
    try:
        msg = BytesParser(policy=email.policy.compat32).parsebytes(raw)
    except Exception:
        return False
    return any(part.get_content_type() == "text/html" for part in msg.walk())
