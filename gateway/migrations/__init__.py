"""The store's schema, managed by Alembic: `upgrade(engine)` brings any database to the
newest revision (the gateway calls it at start; a new database gets every table).

The scripts live in `versions/`; `env.py` runs them on the connection given here, so no
alembic.ini is needed. A database made before migrations existed (by `create_all`, with
the first revision's tables but no `alembic_version`) is stamped at that revision first.
On PostgreSQL an advisory lock lets several gateways start at once: one migrates, the
others wait and then find nothing to do.
"""

from __future__ import annotations

import logging
from pathlib import Path

# Alembic (≥ 1.16) logs each of its plugins at INFO when it is first imported, and its
# migration context two lines per start ("Context impl SQLiteImpl."): noise in the
# gateway's log. Set before the import below; `upgrade` logs what it changed, in one line.
logging.getLogger("alembic.runtime.plugins").setLevel(logging.WARNING)
logging.getLogger("alembic.runtime.migration").setLevel(logging.WARNING)

from alembic import command  # noqa: E402
from alembic.config import Config  # noqa: E402
from alembic.runtime.migration import MigrationContext  # noqa: E402
from alembic.script import ScriptDirectory  # noqa: E402
from sqlalchemy import Connection, Engine, inspect, text  # noqa: E402

log = logging.getLogger(__name__)
HERE = Path(__file__).resolve().parent
FIRST = "0001"
_LOCK_ID = 0x7AC7_0004  # any constant: the advisory lock of Tact's migrations


def config(connection: Connection | None = None) -> Config:
    """An Alembic configuration for the packaged scripts (and, given, a connection)."""
    cfg = Config()
    cfg.set_main_option("script_location", str(HERE))
    if connection is not None:
        cfg.attributes["connection"] = connection
    return cfg


def head() -> str:
    """The newest revision."""
    revision = ScriptDirectory.from_config(config()).get_current_head()
    assert revision is not None
    return revision


def current(engine: Engine) -> str | None:
    """The database's revision (None: not migrated yet)."""
    with engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


def upgrade(engine: Engine, revision: str = "head") -> None:
    """Migrate the database to `revision` (default: the newest), in one transaction that
    holds off other processes migrating it at the same moment (PostgreSQL: an advisory
    lock; SQLite: BEGIN IMMEDIATE, the database's write lock)."""
    before = current(engine)
    if engine.dialect.name == "sqlite":
        _upgrade_sqlite(engine, revision)
    else:
        with engine.begin() as conn:
            if conn.dialect.name == "postgresql":
                conn.execute(text("SELECT pg_advisory_xact_lock(:id)"), {"id": _LOCK_ID})
            _run(conn, revision)
    after = current(engine)
    if after != before:
        log.info("store: schema %s → %s", before or "(new database)", after)


def _upgrade_sqlite(engine: Engine, revision: str) -> None:
    # The sqlite3 module would run each DDL statement in its own implicit transaction;
    # in autocommit mode the transaction is ours, and DDL in it is atomic.
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.exec_driver_sql("BEGIN IMMEDIATE")
        dbapi = conn.connection.dbapi_connection
        try:
            _run(conn, revision)
        except BaseException:
            if dbapi is not None and dbapi.in_transaction:
                conn.exec_driver_sql("ROLLBACK")
            raise
        if dbapi is not None and dbapi.in_transaction:
            conn.exec_driver_sql("COMMIT")


def _run(conn: Connection, revision: str) -> None:
    tables = set(inspect(conn).get_table_names())
    cfg = config(conn)
    if "held" in tables and "alembic_version" not in tables:
        command.stamp(cfg, FIRST)
    command.upgrade(cfg, revision)
