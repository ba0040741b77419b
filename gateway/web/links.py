"""Signed, expiring links to the sender's review page of one held message.

The held note carries `{public_url}/review/{token}`; the token is the held id signed
with the web secret (itsdangerous, timestamped). The link expires with the hold: a
team's `hold_expiry` after it was made. Nothing is stored per link.

The secret is `[web] secret_key`, or else one generated once and kept in the store's
key/value table, so that restarts and several gateways on one database agree.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

from itsdangerous import BadSignature, URLSafeTimedSerializer
from gateway.settings import Settings
from gateway.store import Store

SECRET_KEY_NAME = "web.secret_key"
SALT = "tact.review-link"


class LinkInvalid(Exception):
    """The link was not made by this gateway, or was altered."""


class LinkExpired(Exception):
    """The link was genuine but is older than the team's hold expiry."""


def shared_secret(store: Store) -> str:
    """The generated web secret from the store, created on first use (the first instance
    to store one wins; the others read it)."""
    return store.get_value(SECRET_KEY_NAME) or store.set_default_value(
        SECRET_KEY_NAME, secrets.token_urlsafe(48))


def secret_key(settings: Settings, store: Store) -> str:
    """`[web] secret_key` if set, else the generated one shared through the store."""
    return settings.web.secret_key or shared_secret(store)


def hold_expiry(settings: Settings, team: str) -> timedelta:
    """How long a link to a held message of `team` stays valid: the team's `hold_expiry`."""
    return settings.team_expiry(team)[0]


@dataclass(frozen=True)
class SignedLink:
    """What a valid token says: the held id and when the link was made."""

    held_id: int
    signed_at: datetime


class ReviewLinks:
    """Makes and checks review links with one secret and one base URL."""

    def __init__(self, secret: str, base_url: str) -> None:
        self._serializer = URLSafeTimedSerializer(secret, salt=SALT)
        self.base_url = base_url.rstrip("/")

    def token(self, held_id: int) -> str:
        """A signed, timestamped token for `held_id`."""
        return self._serializer.dumps({"held": int(held_id)})

    def url(self, held_id: int) -> str:
        """The full review URL for the held note."""
        return f"{self.base_url}/review/{self.token(held_id)}"

    def read(self, token: str) -> SignedLink:
        """The held id and signing time; LinkInvalid if the token is forged or altered."""
        try:
            data, signed_at = self._serializer.loads(token, return_timestamp=True)
        except BadSignature:
            raise LinkInvalid("this review link is not valid (it was altered or not made by Tact)") from None
        held_id = data.get("held") if isinstance(data, dict) else None
        if not isinstance(held_id, int):
            raise LinkInvalid("this review link is not valid")
        if signed_at.tzinfo is None:
            signed_at = signed_at.replace(tzinfo=timezone.utc)
        return SignedLink(held_id, signed_at)

    @staticmethod
    def check_age(link: SignedLink, max_age: timedelta, now: datetime | None = None) -> None:
        """LinkExpired if the link is older than `max_age`."""
        now = now or datetime.now(timezone.utc)
        if now - link.signed_at > max_age:
            raise LinkExpired("this review link has expired")
