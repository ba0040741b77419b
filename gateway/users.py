"""Local user accounts of the review UI and API: argon2 password hashes, roles, API tokens.

An admin reviews every team; a reviewer the teams named in the account (and any team
whose `[teams.NAME] reviewers` names them, see `Moderation.can_review`). API tokens are
random bearer tokens; only their SHA-256 is stored (they carry 256 random bits, so a
fast hash is enough, and a lookup by hash is one indexed query).
"""

from __future__ import annotations

import hashlib
import re
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal, cast

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from sqlalchemy import delete, insert, select
from sqlalchemy.exc import IntegrityError

from gateway.store import Store, api_tokens, users, utcnow

Role = Literal["admin", "reviewer"]
ROLES: tuple[Role, ...] = ("admin", "reviewer")
TOKEN_PREFIX = "tact_"

_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._@+-]{0,199}$")
_hasher = PasswordHasher()
# Verified against when the name is unknown, so that a bad name costs what a bad password does.
_DUMMY_HASH = _hasher.hash("tact: no such user")


@dataclass(frozen=True)
class User:
    """A person who may sign in to review held messages."""

    name: str
    role: Role
    teams: tuple[str, ...]  # teams named in the account (reviewers)

    @property
    def is_admin(self) -> bool:
        return self.role == "admin"


class Users:
    """The accounts in the store."""

    def __init__(self, store: Store) -> None:
        self.store = store

    def add(self, name: str, password: str, role: str = "reviewer", teams: Sequence[str] = ()) -> User:
        """Create an account. ValueError (worded for the operator) on a bad or taken name,
        an unknown role or an empty password."""
        if not _NAME.match(name or ""):
            raise ValueError(f"user name {name!r}: use letters, digits and . _ @ + - (at most 200)")
        if role not in ROLES:
            raise ValueError(f"role {role!r}: expected one of {', '.join(ROLES)}")
        if not password:
            raise ValueError("the password is empty")
        team_list = tuple(dict.fromkeys(t.strip() for t in teams if t.strip()))
        row = {"name": name, "password_hash": _hasher.hash(password), "role": role,
               "teams": list(team_list), "created_at": utcnow()}
        try:
            with self.store.engine.begin() as conn:
                conn.execute(insert(users), row)
        except IntegrityError:
            raise ValueError(f"user {name!r} already exists") from None
        return User(name, cast(Role, role), team_list)

    def remove(self, name: str) -> bool:
        """Delete an account and its tokens; False if there was none."""
        with self.store.engine.begin() as conn:
            conn.execute(delete(api_tokens).where(api_tokens.c.user_name == name))
            return conn.execute(delete(users).where(users.c.name == name)).rowcount > 0

    def list(self) -> list[User]:
        """Every account, by name."""
        with self.store.engine.connect() as conn:
            rows = conn.execute(select(users).order_by(users.c.name)).mappings().all()
        return [_user(r) for r in rows]

    def get(self, name: str) -> User | None:
        """The account called `name`, or None."""
        with self.store.engine.connect() as conn:
            row = conn.execute(select(users).where(users.c.name == name)).mappings().first()
        return _user(row) if row else None

    def authenticate(self, name: str, password: str) -> User | None:
        """The user if the password is right, else None (an unknown name takes as long)."""
        with self.store.engine.connect() as conn:
            row = conn.execute(select(users).where(users.c.name == name)).mappings().first()
        try:
            _hasher.verify(row["password_hash"] if row else _DUMMY_HASH, password)
        except (VerifyMismatchError, VerificationError, InvalidHashError):
            return None
        return _user(row) if row else None

    def create_token(self, name: str, label: str = "") -> str:
        """A new bearer token for `name` (shown once: only its hash is kept). ValueError if
        there is no such user."""
        token = TOKEN_PREFIX + secrets.token_urlsafe(32)
        try:
            with self.store.engine.begin() as conn:
                if conn.execute(select(users.c.name).where(users.c.name == name)).first() is None:
                    raise ValueError(f"no user {name!r}")
                conn.execute(insert(api_tokens), {"user_name": name, "token_hash": _token_hash(token),
                                                  "label": label, "created_at": utcnow()})
        except IntegrityError:  # pragma: no cover - 256 random bits do not collide
            raise ValueError("could not store the token; try again") from None
        return token

    def authenticate_token(self, token: str) -> User | None:
        """The user a bearer token belongs to, or None."""
        if not token or not token.startswith(TOKEN_PREFIX):
            return None
        query = (select(users).join(api_tokens, api_tokens.c.user_name == users.c.name)
                 .where(api_tokens.c.token_hash == _token_hash(token)))
        with self.store.engine.connect() as conn:
            row = conn.execute(query).mappings().first()
        return _user(row) if row else None


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def _user(row: object) -> User:
    r = cast(dict, row)
    return User(r["name"], cast(Role, r["role"]), tuple(r["teams"] or ()))
