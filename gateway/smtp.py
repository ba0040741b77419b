"""The SMTP edge: accept, authorize, hand the bytes on, answer when safe.

Built on aiosmtpd's `SMTP` protocol, served by `asyncio.start_server`-style
`loop.create_server` in the gateway's own event loop (not aiosmtpd's threaded
Controller), so the handler, the relay pool and the outbox share one loop.

Who may send: clients in `trusted_networks`, or clients that authenticated
(AUTH PLAIN/LOGIN, offered only after STARTTLS). Anyone else is refused at
MAIL and RCPT: not an open relay.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import functools
import ipaddress
import logging
import ssl
import uuid
from typing import Any

from aiosmtpd.smtp import MISSING, SMTP, AuthResult, Envelope, LoginPassword, Session
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from gateway.pipeline import Pipeline
from gateway.relay import RelayError
from gateway.settings import Settings

log = logging.getLogger(__name__)

AUTH_REQUIRED = "530 5.7.0 Authentication required to send through this gateway"
INTERNAL_ERROR = "451 4.3.0 Internal error, please try again later (ref {ref})"
AUTH_INVALID = "535 5.7.8 Authentication credentials invalid"

_hasher = PasswordHasher()
# Verified when the user is unknown, so that the answer takes as long either way.
_DUMMY_HASH = _hasher.hash("tact: no such user")


class Users:
    """The `[gateway] users` table: username → argon2 hash."""

    def __init__(self, users: dict[str, str]) -> None:
        self._users = dict(users)

    def __bool__(self) -> bool:
        return bool(self._users)

    def verify(self, login: bytes, password: bytes) -> bool:
        """Slow on purpose (argon2): call it in a thread."""
        try:
            name = login.decode("utf-8")
        except UnicodeDecodeError:
            return False
        known = self._users.get(name)
        try:
            _hasher.verify(known or _DUMMY_HASH, password)
        except (VerifyMismatchError, VerificationError, InvalidHashError):
            return False
        return known is not None


class TactSMTP(SMTP):
    """aiosmtpd's SMTP with AUTH whose password check runs off the event loop.

    aiosmtpd calls its `authenticator` synchronously; argon2 takes tens of
    milliseconds, so PLAIN and LOGIN are re-implemented here around an
    awaited check.
    """

    def __init__(self, handler: Any, *, users: Users, **kwargs: Any) -> None:
        self.users = users
        super().__init__(handler, **kwargs)

    async def _check(self, mechanism: str, login: bytes, password: bytes) -> AuthResult:
        ok = await asyncio.to_thread(self.users.verify, login, password)
        assert self.session is not None
        if not ok:
            log.warning("%s: AUTH %s failed for %r", _peer(self.session), mechanism,
                        login.decode("utf-8", "replace"))
            # handled=False makes aiosmtpd answer 535 (success=False alone leaves the client hanging)
            return AuthResult(success=False, handled=False)
        return AuthResult(success=True, handled=True, auth_data=LoginPassword(login, password))

    async def auth_PLAIN(self, _: Any, args: list[str]) -> AuthResult:
        if len(args) == 1:
            blob = await self.challenge_auth("")
            if blob is MISSING:
                return AuthResult(success=False, handled=True)
        else:
            try:
                blob = base64.b64decode(args[1].encode(), validate=True)
            except (binascii.Error, ValueError):
                await self.push("501 5.5.2 Can't decode base64")
                return AuthResult(success=False, handled=True)
        assert isinstance(blob, bytes)
        parts = blob.split(b"\x00")
        if len(parts) != 3:
            await self.push("501 5.5.2 Can't split auth value")
            return AuthResult(success=False, handled=True)
        return await self._check("PLAIN", parts[1], parts[2])

    async def auth_LOGIN(self, _: Any, args: list[str]) -> AuthResult:
        if len(args) == 1:
            login = await self.challenge_auth(self.AuthLoginUsernameChallenge)
            if login is MISSING:
                return AuthResult(success=False, handled=True)
        else:
            try:
                login = base64.b64decode(args[1].encode(), validate=True)
            except (binascii.Error, ValueError):
                await self.push("501 5.5.2 Can't decode base64")
                return AuthResult(success=False, handled=True)
        password = await self.challenge_auth(self.AuthLoginPasswordChallenge)
        if password is MISSING:
            return AuthResult(success=False, handled=True)
        assert isinstance(login, bytes) and isinstance(password, bytes)
        return await self._check("LOGIN", login, password)


class Handler:
    """aiosmtpd handler: authorization at MAIL/RCPT, delivery at DATA."""

    def __init__(self, settings: Settings, pipeline: Pipeline) -> None:
        self.pipeline = pipeline
        self.networks = settings.gateway.networks()
        self.in_flight = 0  # deliveries under way, so that a stop can let them finish
        # asked at MAIL, RCPT and DATA of every message: remember the answer per peer address
        self._trusted_host = functools.lru_cache(maxsize=4096)(self._host_is_trusted)

    def may_relay(self, session: Session) -> bool:
        if session.authenticated:
            return True
        try:
            host = session.peer[0] if isinstance(session.peer, tuple) else str(session.peer)
        except (IndexError, TypeError):
            return False
        return self._trusted_host(host) if isinstance(host, str) else False

    def _host_is_trusted(self, host: str) -> bool:
        try:
            address = ipaddress.ip_address(host.split("%")[0])
        except ValueError:
            return False
        if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped:
            address = address.ipv4_mapped
        return any(address in net for net in self.networks)

    async def handle_EHLO(self, server: SMTP, session: Session, envelope: Envelope,
                          hostname: str, responses: list[str]) -> list[str]:
        session.host_name = hostname
        # aiosmtpd would advertise an empty "AUTH" when no mechanism is left.
        return [r for r in responses if r.strip() != "250-AUTH"]

    async def handle_MAIL(self, server: SMTP, session: Session, envelope: Envelope,
                          address: str, mail_options: list[str]) -> str:
        if not self.may_relay(session):
            log.warning("%s: refused MAIL FROM <%s>: not trusted, not authenticated",
                        _peer(session), address)
            return AUTH_REQUIRED
        envelope.mail_from = address
        envelope.mail_options.extend(mail_options)
        return "250 2.1.0 OK"

    async def handle_RCPT(self, server: SMTP, session: Session, envelope: Envelope,
                          address: str, rcpt_options: list[str]) -> str:
        if not self.may_relay(session):
            return AUTH_REQUIRED
        envelope.rcpt_tos.append(address)
        envelope.rcpt_options.extend(rcpt_options)
        return "250 2.1.5 OK"

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        if not self.may_relay(session):
            return AUTH_REQUIRED
        raw = envelope.original_content
        assert isinstance(raw, bytes)
        self.in_flight += 1
        try:
            return await self.pipeline.deliver(envelope.mail_from or "", list(envelope.rcpt_tos),
                                               raw, list(envelope.mail_options))
        except RelayError as exc:
            return exc.reply
        finally:
            self.in_flight -= 1

    async def handle_exception(self, error: Exception) -> str:
        # Awaited by aiosmtpd (despite its docs). Never leak exception text.
        ref = uuid.uuid4().hex[:12]
        log.error("internal error [%s]: %s", ref, type(error).__name__, exc_info=error)
        return INTERNAL_ERROR.format(ref=ref)


def _peer(session: Session) -> str:
    peer = session.peer
    return f"{peer[0]}:{peer[1]}" if isinstance(peer, tuple) else str(peer)


def tls_context(settings: Settings) -> ssl.SSLContext | None:
    """The server TLS context for STARTTLS, or None when no cert is configured.

    Raises OSError/ssl.SSLError when the cert or key cannot be read.
    """
    g = settings.gateway
    if not g.tls_cert:
        return None
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(g.tls_cert, g.tls_key or None)
    return context


def protocol_factory(settings: Settings, handler: Handler,
                     context: ssl.SSLContext | None) -> Any:
    """A factory of SMTP protocol instances for `loop.create_server`."""
    g = settings.gateway
    users = Users(g.users)

    def make() -> TactSMTP:
        return TactSMTP(
            handler,
            users=users,
            data_size_limit=g.max_message_size,
            enable_SMTPUTF8=True,
            hostname=g.hostname,
            tls_context=context,
            auth_require_tls=True,
            # Without users, offer no AUTH at all.
            auth_exclude_mechanism=None if users else ["PLAIN", "LOGIN"],
            loop=asyncio.get_running_loop(),
        )

    return make
