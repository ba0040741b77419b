"""Databases for the store tests: a SQLite file, or a fresh schema in the PostgreSQL at
127.0.0.1:5432 (database `test`, user postgres, trust auth; $TACT_TEST_POSTGRES overrides).

A test that needs PostgreSQL skips with the reason when it is unreachable, except under
CI=true, where it fails: CI must run the whole suite on both databases.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from functools import lru_cache

import pytest

POSTGRES = os.environ.get("TACT_TEST_POSTGRES", "postgresql://postgres@127.0.0.1:5432/test")


@lru_cache(maxsize=1)
def postgres_problem() -> str | None:
    """Why PostgreSQL cannot be used (None: it can)."""
    try:
        import psycopg
    except ImportError as exc:
        return f"psycopg is not installed ({exc})"
    try:
        with psycopg.connect(POSTGRES, connect_timeout=3) as conn:
            conn.execute("SELECT 1")
    except Exception as exc:
        return f"PostgreSQL at {POSTGRES} is unreachable: {str(exc).strip().splitlines()[0]}"
    return None


def require_postgres() -> None:
    """Skip (or, under CI=true, fail) when PostgreSQL is unreachable."""
    problem = postgres_problem()
    if problem is None:
        return
    if os.environ.get("CI") == "true":
        pytest.fail(f"{problem} (CI=true: PostgreSQL must be up; .ci/run starts it)")
    pytest.skip(problem)


@contextmanager
def postgres_schema() -> Iterator[str]:
    """A `[store] url` whose tables live in a new, empty schema (dropped afterwards)."""
    import psycopg

    require_postgres()
    schema = f"tact_test_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(POSTGRES, autocommit=True) as conn:
        conn.execute(f'CREATE SCHEMA "{schema}"')
    try:
        yield f"{POSTGRES}?options=-csearch_path%3D{schema}"
    finally:
        with psycopg.connect(POSTGRES, autocommit=True) as conn:
            conn.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')
