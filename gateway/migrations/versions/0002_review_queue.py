"""The review queue: decisions on held messages, the audit log, users and API tokens,
every checked message's decision, a key/value table; indexes for the queue and outbox.

Revision ID: 0002
Revises: 0001
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("held") as batch:
        batch.add_column(sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column("decided_by", sa.String(200), nullable=True))
    op.create_index("ix_held_status_created", "held", ["status", "created_at"])
    with op.batch_alter_table("outbox") as batch:
        batch.add_column(sa.Column("held_id", sa.Integer, nullable=True))
    op.create_index("ix_outbox_due", "outbox", ["status", "next_attempt_at"])
    op.create_table(
        "audit",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("held_id", sa.Integer, nullable=True),
        sa.Column("actor", sa.String(200), nullable=False),
        sa.Column("action", sa.String(40), nullable=False),
        sa.Column("comment", sa.Text, nullable=False),
    )
    op.create_index("ix_audit_held_id", "audit", ["held_id"])
    op.create_table(
        "users",
        sa.Column("name", sa.String(200), primary_key=True),
        sa.Column("password_hash", sa.Text, nullable=False),
        sa.Column("role", sa.String(20), nullable=False),
        sa.Column("teams", sa.JSON, nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_table(
        "api_tokens",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("user_name", sa.String(200), sa.ForeignKey("users.name", ondelete="CASCADE"),
                  nullable=False),
        sa.Column("token_hash", sa.String(64), nullable=False, unique=True),
        sa.Column("label", sa.String(200), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_table(
        "decisions",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("team", sa.String(200), nullable=False),
        sa.Column("action", sa.String(20), nullable=False),
        sa.Column("policies", sa.JSON, nullable=False),
    )
    op.create_index("ix_decisions_team_at", "decisions", ["team", "at"])
    op.create_table(
        "kv",
        sa.Column("key", sa.String(200), primary_key=True),
        sa.Column("value", sa.Text, nullable=False),
    )


def downgrade() -> None:
    op.drop_table("kv")
    op.drop_index("ix_decisions_team_at", "decisions")
    op.drop_table("decisions")
    op.drop_table("api_tokens")
    op.drop_table("users")
    op.drop_index("ix_audit_held_id", "audit")
    op.drop_table("audit")
    op.drop_index("ix_outbox_due", "outbox")
    with op.batch_alter_table("outbox") as batch:
        batch.drop_column("held_id")
    op.drop_index("ix_held_status_created", "held")
    with op.batch_alter_table("held") as batch:
        batch.drop_column("decided_by")
        batch.drop_column("decided_at")
