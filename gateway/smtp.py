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
import re
import ssl
import uuid
from email._header_value_parser import get_addr_spec, get_angle_addr
from email.errors import HeaderParseError
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

_hasher = PasswordHasher()
# Verified when the user is unknown, so that the answer takes as long either way.
_DUMMY_HASH = _hasher.hash("tact: no such user")


_ATOM = r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+"
_SIMPLE_ANGLE_ADDR = re.compile(rf"<({_ATOM}(?:\.{_ATOM})*@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*)>")


class _Data:
    """The DATA body as aiosmtpd's line-by-line loop builds it, fed a block of lines at a time.

    Same outcome, byte for byte and reply for reply: dot-unstuffing, a line of more than
    `line_length_limit` bytes → "500 Line too long", more than `data_size_limit` bytes →
    552 (whichever comes first in the stream wins, both only once the whole DATA is read).
    """

    __slots__ = ("limit", "line_limit", "size", "state", "blocks")

    NOMINAL, TOO_LONG, TOO_MUCH = "nominal", "too long", "too much"

    def __init__(self, limit: int | None, line_limit: int) -> None:
        self.limit = limit
        self.line_limit = line_limit
        self.size = 0
        self.state = self.NOMINAL
        self.blocks: list[bytes] = []  # complete lines, still dot-stuffed

    def fail(self, state: str) -> None:
        if self.state is self.NOMINAL:
            self.state = state
            self.blocks.clear()

    def add_lines(self, block: bytes) -> None:
        """Complete CRLF-terminated lines, none of them the terminating "."."""
        if self.state is not self.NOMINAL:
            self.size += len(block)
            return
        lines = block.split(b"\r\n")
        lines.pop()  # after the last CRLF
        longest = max(map(len, lines)) + 2
        if longest <= self.line_limit and not (self.limit and self.size + len(block) > self.limit):
            self.size += len(block)  # the usual case: nothing to refuse
            self.blocks.append(block)
            return
        for line in lines:
            n = len(line) + 2
            if n - 2 > self.line_limit:
                # aiosmtpd's stream reader overruns on this line: too long, before counting it
                self.fail(self.TOO_LONG)
                self.size += n
                continue
            self.size += n
            if self.limit and self.size > self.limit:
                self.fail(self.TOO_MUCH)
            if n > self.line_limit:
                self.fail(self.TOO_LONG)
            if self.state is self.NOMINAL:
                self.blocks.append(line + b"\r\n")

    def content(self) -> bytes:
        """The message, dot-unstuffed (RFC 5321 4.5.2)."""
        out = []
        for block in self.blocks:
            if block.startswith(b"."):
                block = block[1:]
            out.append(block.replace(b"\r\n.", b"\r\n"))
        return b"".join(out)


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

    def _getaddr(self, arg: str) -> tuple[str | None, str | None]:
        """aiosmtpd's own, without the `typing.Protocol` class it defines on every call (a
        class creation per MAIL and RCPT: a tenth of the event loop's time per message)."""
        if not arg:
            return "", ""
        simple = _SIMPLE_ANGLE_ADDR.match(arg) if arg.isascii() else None
        if simple:
            # "<local@domain>" in dot-atoms, then nothing, blanks or parameters: what
            # get_angle_addr returns for it, without its parser (tens of µs per call)
            addr, rest = simple.group(1), arg[simple.end():]
            if rest[:1] in (" ", "\t"):
                rest = rest.lstrip()
            if not rest.startswith("("):  # a comment: let the parser have it
                localpart = addr.rpartition("@")[0]
                if self.local_part_limit and len(localpart) > self.local_part_limit:
                    return None, None
                return addr, rest
        try:
            if arg.lstrip().startswith("<"):
                address, rest = get_angle_addr(arg)
            else:
                address, rest = get_addr_spec(arg)
        except HeaderParseError:
            return None, None
        addr = address.addr_spec
        localpart, _, _ = addr.rpartition("@")
        if self.local_part_limit and len(localpart) > self.local_part_limit:
            return None, None
        return addr, rest

    async def smtp_DATA(self, arg: str) -> None:
        """aiosmtpd's DATA, reading the body in blocks instead of one `readuntil` per line
        (the largest single cost of a message on the event loop). Replies as aiosmtpd does."""
        if "DATA" not in self._handle_hooks or not isinstance(
                getattr(self._reader, "_buffer", None), bytearray):
            await super().smtp_DATA(arg)
            return
        if await self.check_helo_needed():
            return
        if await self.check_auth_needed("DATA"):
            return
        assert self.envelope is not None
        if not self.envelope.rcpt_tos:
            await self.push("503 Error: need RCPT command")
            return
        if arg:
            await self.push("501 Syntax: DATA")
            return
        await self.push("354 End data with <CR><LF>.<CR><LF>")
        try:
            data = await self._read_data()
        except asyncio.CancelledError:
            log.info("Connection lost during DATA")
            self._writer.close()
            raise
        if data is None:
            return
        if data.state is not data.NOMINAL:
            await self.push("500 Line too long (see RFC5321 4.5.3.1.6)" if data.state is data.TOO_LONG
                            else "552 Error: Too much mail data")
            self._set_post_data_state()
            return
        original_content = data.content()
        content: str | bytes = original_content
        if self._decode_data:
            if self.enable_SMTPUTF8:
                content = original_content.decode("utf-8", errors="surrogateescape")
            else:
                try:
                    content = original_content.decode("ascii", errors="strict")
                except UnicodeDecodeError:
                    await self.push("500 Error: strict ASCII mode")
                    return
        self.envelope.content = content
        self.envelope.original_content = original_content
        status = await self._call_handler_hook("DATA")
        self._set_post_data_state()
        await self.push("250 OK" if status is MISSING else status)

    async def _read_data(self) -> _Data | None:
        """Read up to and including the "." line. What is already buffered is taken in one
        piece (peeking at the reader's buffer; only `readexactly` consumes it, so nothing past
        the "." is read); a line that has not fully arrived is awaited with `readuntil`,
        exactly as aiosmtpd does, including its handling of over-long lines."""
        reader = self._reader
        buffer: bytearray = reader._buffer  # type: ignore[attr-defined]
        data = _Data(self.data_size_limit, self.line_length_limit)
        partial = False  # inside an over-long line that the reader delivers in fragments
        while self.transport is not None:
            if not partial and buffer:
                if buffer.startswith(b".\r\n"):
                    await reader.readexactly(3)
                    return data
                end = buffer.find(b"\r\n.\r\n")
                if end >= 0:
                    block = await reader.readexactly(end + 5)
                    data.add_lines(block[:-3])
                    return data
                last = buffer.rfind(b"\r\n")
                if last >= 0:
                    data.add_lines(await reader.readexactly(last + 2))
                    continue
            try:
                line = await reader.readuntil(b"\r\n")
            except asyncio.LimitOverrunError as exc:
                data.fail(data.TOO_LONG)
                data.size += len(await reader.read(exc.consumed))
                partial = True
                continue
            if partial:
                data.size += len(line)  # the end of the over-long line
                partial = False
            elif line == b".\r\n":
                return data
            else:
                data.add_lines(line)
        # The connection went away before the "." line: there is no message and nobody to
        # answer (aiosmtpd would hand the partial body to the handler).
        return None

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
