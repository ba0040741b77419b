"""Durable state on SQLAlchemy Core: held messages, the outbox, the audit log,
users and API tokens, every checked message's decision, and a key/value table.

The methods here are synchronous; the mail path calls them through
`asyncio.to_thread` so the event loop never waits on the database. SQL stays
portable: SQLite by default, PostgreSQL (psycopg 3) for several gateways
sharing one queue. The schema is managed by the Alembic migrations in
`gateway/migrations/` (`Store.create()` upgrades to the newest).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

from sqlalchemy import (
    JSON,
    Column,
    DateTime,
    Engine,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    Text,
    and_,
    bindparam,
    create_engine,
    delete,
    event,
    insert,
    select,
    update,
)
from sqlalchemy.engine import make_url
from sqlalchemy.exc import IntegrityError

from policies.model import Verdict

log = logging.getLogger(__name__)

metadata = MetaData()

held = Table(
    "held",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("team", String(200), nullable=False),
    Column("sender", String(998), nullable=False),
    Column("recipients", JSON, nullable=False),
    Column("subject", Text, nullable=False, default=""),
    Column("message_id", String(998), nullable=True),
    Column("raw", LargeBinary, nullable=False),
    Column("action", String(20), nullable=False),
    Column("verdict", JSON, nullable=False),
    Column("status", String(20), nullable=False, default="held"),
    Column("decided_at", DateTime(timezone=True), nullable=True),
    Column("decided_by", String(200), nullable=True),
    Index("ix_held_status_created", "status", "created_at"),
)

outbox = Table(
    "outbox",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("kind", String(20), nullable=False),
    Column("sender", String(998), nullable=False),
    Column("recipients", JSON, nullable=False),
    Column("raw", LargeBinary, nullable=False),
    Column("attempts", Integer, nullable=False, default=0),
    Column("next_attempt_at", DateTime(timezone=True), nullable=False),
    Column("last_error", Text, nullable=True),
    Column("status", String(20), nullable=False, default="pending"),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("sent_at", DateTime(timezone=True), nullable=True),
    # the held message this item releases or reports on (None: a note of the mail path)
    Column("held_id", Integer, nullable=True),
    Index("ix_outbox_due", "status", "next_attempt_at"),
)

audit = Table(
    "audit",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("at", DateTime(timezone=True), nullable=False),
    Column("held_id", Integer, nullable=True, index=True),
    Column("actor", String(200), nullable=False),
    Column("action", String(40), nullable=False),
    Column("comment", Text, nullable=False, default=""),
)

users = Table(
    "users",
    metadata,
    Column("name", String(200), primary_key=True),
    Column("password_hash", Text, nullable=False),
    Column("role", String(20), nullable=False),
    Column("teams", JSON, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
)

api_tokens = Table(
    "api_tokens",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("user_name", String(200), ForeignKey("users.name", ondelete="CASCADE"), nullable=False),
    Column("token_hash", String(64), nullable=False, unique=True),
    Column("label", String(200), nullable=False, default=""),
    Column("created_at", DateTime(timezone=True), nullable=False),
)

# One row per checked message (pass, annotate, hold): the per-team statistics.
decisions = Table(
    "decisions",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("at", DateTime(timezone=True), nullable=False),
    Column("team", String(200), nullable=False),
    Column("action", String(20), nullable=False),
    Column("policies", JSON, nullable=False),  # ids of the policies that fired
    Index("ix_decisions_team_at", "team", "at"),
)

# Small values the gateway instances share (e.g. the generated web secret).
kv = Table(
    "kv",
    metadata,
    Column("key", String(200), primary_key=True),
    Column("value", Text, nullable=False),
)

# Outbox statuses. "sending" is a lease: a claimed item whose lease expired
# (the process died mid-send) becomes due again.
PENDING, SENDING, SENT, FAILED = "pending", "sending", "sent", "failed"


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


def verdict_to_json(verdict: Verdict) -> dict[str, Any]:
    """The verdict as stored: action, findings, reasons and errors."""
    return {
        "action": str(verdict.action),
        "findings": [f.to_dict() for f in verdict.findings],
        "reasons": list(verdict.reasons),
        "errors": list(verdict.errors),
    }


@dataclass(frozen=True)
class OutboxItem:
    """One message the gateway itself sends (a note, later a released message)."""

    id: int
    kind: str
    sender: str
    recipients: list[str]
    raw: bytes
    attempts: int
    held_id: int | None = None  # the held message it releases, if any


@dataclass(frozen=True)
class NewMail:
    """A message to enqueue in the outbox."""

    kind: str
    sender: str
    recipients: list[str]
    raw: bytes


class Store:
    """The database behind the gateway. Create with a URL, then `create()`."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.engine: Engine = _make_engine(url)

    def create(self) -> None:
        """Create the SQLite file's directory, then bring the schema to the newest
        migration (creating every table in a new database)."""
        url = make_url(self.url)
        database = url.database
        if url.get_backend_name() == "sqlite" and database and database != ":memory:" \
                and not database.startswith("file:"):
            Path(database).expanduser().parent.mkdir(parents=True, exist_ok=True)
        from gateway.migrations import upgrade

        upgrade(self.engine)

    def close(self) -> None:
        self.engine.dispose()

    # --- held messages --------------------------------------------------------

    def hold(
        self,
        *,
        team: str,
        sender: str,
        recipients: list[str],
        raw: bytes,
        verdict: Verdict,
        subject: str = "",
        message_id: str | None = None,
        note: Callable[[int], NewMail | None] | None = None,
    ) -> int:
        """Keep a message for review; enqueue its note in the same transaction.

        `note(held_id)` builds the note to enqueue (None: no note).

        Returns the held id. Raises on any database error: the caller answers
        4xx and the client retries, so nothing is lost.
        """
        now = utcnow()
        with self.engine.begin() as conn:
            held_id = conn.execute(
                _HELD_INSERT,
                {
                    "created_at": now,
                    "team": team,
                    "sender": sender,
                    "recipients": list(recipients),
                    "subject": subject,
                    "message_id": message_id,
                    "raw": raw,
                    "action": str(verdict.action),
                    "verdict": verdict_to_json(verdict),
                    "status": "held",
                },
            ).inserted_primary_key[0]
            mail = note(int(held_id)) if note is not None else None
            if mail is not None:
                conn.execute(_OUTBOX_INSERT, _outbox_row(mail, now))
        return int(held_id)

    def get_held(self, held_id: int) -> dict[str, Any] | None:
        with self.engine.connect() as conn:
            row = conn.execute(select(held).where(held.c.id == held_id)).mappings().first()
        return dict(row) if row else None

    def list_held(self, status: str | None = "held") -> list[dict[str, Any]]:
        query = select(held).order_by(held.c.id)
        if status is not None:
            query = query.where(held.c.status == status)
        with self.engine.connect() as conn:
            return [dict(r) for r in conn.execute(query).mappings()]

    # --- outbox ---------------------------------------------------------------

    def enqueue(self, mail: NewMail) -> int:
        """Add a message to the outbox, due now."""
        with self.engine.begin() as conn:
            return int(conn.execute(_OUTBOX_INSERT, _outbox_row(mail, utcnow())).inserted_primary_key[0])

    def enqueue_claimed(self, mail: NewMail, lease: timedelta = timedelta(minutes=5)) -> OutboxItem:
        """Add a message to the outbox already claimed by the caller, who sends it now: as if
        enqueued and claimed (if the caller dies, the lease expires and it is sent again)."""
        return self.enqueue_claimed_many([mail], lease)[0]

    def enqueue_claimed_many(self, mails: list[NewMail],
                             lease: timedelta = timedelta(minutes=5)) -> list[OutboxItem]:
        """`enqueue_claimed` for several messages in one transaction (one commit), in order."""
        if not mails:
            return []
        now = utcnow()
        rows = []
        for mail in mails:
            row = _outbox_row(mail, now)
            row.update(status=SENDING, next_attempt_at=now + lease)
            rows.append(row)
        with self.engine.begin() as conn:
            if len(rows) == 1:  # (a plain INSERT: a third less CPU than INSERT … RETURNING)
                ids = [int(conn.execute(_OUTBOX_INSERT, rows[0]).inserted_primary_key[0])]
            else:  # one INSERT … RETURNING for all (SQLAlchemy's "insertmanyvalues")
                ids = [int(i) for i in conn.execute(_OUTBOX_INSERT_RETURNING, rows).scalars()]
        return [OutboxItem(item_id, mail.kind, mail.sender, list(mail.recipients), mail.raw, 0)
                for item_id, mail in zip(ids, mails, strict=True)]

    def claim_due(self, limit: int = 20, lease: timedelta = timedelta(minutes=5)) -> list[OutboxItem]:
        """Claim due outbox items for sending (a lease, so a crash does not lose them).

        One statement claims the batch: `UPDATE … WHERE id IN (SELECT … FOR UPDATE SKIP
        LOCKED) RETURNING …`. On PostgreSQL, gateways sharing the database skip each
        other's locked rows, so no item is claimed twice; SQLite runs one writer at a time,
        which makes the same UPDATE atomic (its dialect leaves out FOR UPDATE).
        """
        now = utcnow()
        with self.engine.begin() as conn:
            rows = conn.execute(_CLAIM_DUE, {"now": now, "limit": limit,
                                             "lease_until": now + lease}).mappings().all()
        items = [OutboxItem(row["id"], row["kind"], row["sender"], list(row["recipients"]),
                            row["raw"], row["attempts"], row["held_id"]) for row in rows]
        items.sort(key=lambda item: item.id)
        return items

    def mark_sent(self, item_id: int) -> None:
        self.mark_sent_many([item_id])

    def mark_sent_many(self, item_ids: list[int]) -> None:
        """Mark several items sent in one transaction."""
        if not item_ids:
            return
        with self.engine.begin() as conn:
            conn.execute(_MARK_SENT, {"ids": list(item_ids), "sent": utcnow()})

    def mark_failed(self, item_id: int, error: str, retry_at: datetime | None,
                    report: NewMail | None = None, held_id: int | None = None) -> None:
        """Count a failed attempt; due again at `retry_at`, or failed for good if None.

        Given up on, `report` (a note to the agent) is enqueued and, for a released held
        message (`held_id`), the audit log says so: all in the same transaction.
        """
        values: dict[str, Any] = {"attempts": outbox.c.attempts + 1, "last_error": error[:2000]}
        if retry_at is None:
            values["status"] = FAILED
        else:
            values.update(status=PENDING, next_attempt_at=retry_at)
        now = utcnow()
        with self.engine.begin() as conn:
            conn.execute(update(outbox).where(outbox.c.id == item_id).values(**values))
            if retry_at is None and report is not None:
                conn.execute(_OUTBOX_INSERT, {**_outbox_row(report, now), "held_id": held_id})
            if retry_at is None and held_id is not None:
                conn.execute(insert(audit), {"at": now, "held_id": held_id, "actor": "tact-outbox",
                                             "action": "undeliverable", "comment": error[:2000]})

    def record_decisions(self, rows: list[dict[str, Any]]) -> None:
        """Record checked messages (`at`, `team`, `action`, `policies`) in one insert."""
        if rows:
            with self.engine.begin() as conn:
                conn.execute(insert(decisions), rows)

    def get_value(self, key: str) -> str | None:
        """A value of the shared key/value table, or None."""
        with self.engine.connect() as conn:
            return conn.execute(select(kv.c.value).where(kv.c.key == key)).scalar()

    def set_default_value(self, key: str, value: str) -> str:
        """Store `value` under `key` unless some value is there already; return the one
        stored (so that several instances starting at once agree on one)."""
        current = self.get_value(key)
        if current is not None:
            return current
        try:
            with self.engine.begin() as conn:
                conn.execute(insert(kv), {"key": key, "value": value})
            return value
        except IntegrityError:  # another instance was first
            stored = self.get_value(key)
            assert stored is not None
            return stored

    def prune_sent(self, sent_before: datetime) -> int:
        """Delete the outbox items sent before `sent_before` (what is pending, being sent or
        failed stays); returns how many."""
        with self.engine.begin() as conn:
            return int(conn.execute(_PRUNE_SENT, {"before": sent_before}).rowcount or 0)

    def list_outbox(self, status: str | None = None) -> list[dict[str, Any]]:
        query = select(outbox).order_by(outbox.c.id)
        if status is not None:
            query = query.where(outbox.c.status == status)
        with self.engine.connect() as conn:
            return [dict(r) for r in conn.execute(query).mappings()]


# Statements built once (building one per call costs more than running it on SQLite).
_HELD_INSERT = insert(held)
_OUTBOX_INSERT = insert(outbox)
_OUTBOX_INSERT_RETURNING = insert(outbox).returning(outbox.c.id, sort_by_parameter_order=True)
_DUE_IDS = (
    select(outbox.c.id)
    .where(and_(outbox.c.status.in_((PENDING, SENDING)), outbox.c.next_attempt_at <= bindparam("now")))
    .order_by(outbox.c.next_attempt_at, outbox.c.id)
    .limit(bindparam("limit"))
    .with_for_update(skip_locked=True)
    .scalar_subquery()
)
_CLAIM_DUE = (
    update(outbox)
    .where(outbox.c.id.in_(_DUE_IDS))
    .values(status=SENDING, next_attempt_at=bindparam("lease_until"))
    .returning(outbox.c.id, outbox.c.kind, outbox.c.sender, outbox.c.recipients, outbox.c.raw,
               outbox.c.attempts, outbox.c.held_id)
)
_PRUNE_SENT = delete(outbox).where(and_(outbox.c.status == SENT, outbox.c.sent_at < bindparam("before")))
_MARK_SENT = (
    update(outbox)
    .where(outbox.c.id.in_(bindparam("ids", expanding=True)))
    .values(status=SENT, sent_at=bindparam("sent"), last_error=None)
)


def _outbox_row(mail: NewMail, now: datetime) -> dict[str, Any]:
    return {
        "kind": mail.kind,
        "sender": mail.sender,
        "recipients": list(mail.recipients),
        "raw": mail.raw,
        "attempts": 0,
        "next_attempt_at": now,
        "status": PENDING,
        "created_at": now,
    }


def engine_url(url: str) -> str:
    """The SQLAlchemy URL for `[store] url`: `postgresql://` means psycopg 3."""
    for prefix in ("postgresql://", "postgres://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix):]
    return url


def _make_engine(url: str) -> Engine:
    url = engine_url(url)
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite":
        # A dead server fails within seconds, not after the OS's TCP timeout.
        connect_args = {"connect_timeout": 5} if parsed.get_backend_name() == "postgresql" else {}
        return create_engine(url, pool_pre_ping=True, connect_args=connect_args)
    engine = create_engine(url, connect_args={"timeout": 15})

    @event.listens_for(engine, "connect")
    def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA journal_mode=WAL")
        # FULL: a hold is answered 250 only once committed, and a commit must
        # survive a power loss too, not just a crash of this process (NORMAL).
        cur.execute("PRAGMA synchronous=FULL")
        cur.execute("PRAGMA busy_timeout=15000")
        cur.close()

    return engine
