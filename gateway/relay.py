"""Relay a message to the next hop: an upstream SMTP server or a Maildir.

`make_relay(settings)` reads `[gateway] upstream`:

- `smtp://[user:pass@]host:port` — plain SMTP
- `smtp+starttls://…` — STARTTLS required
- `smtps://…` — TLS from the first byte
- `maildir:PATH` — write into a Maildir (development, tests)

Every relay has one coroutine, `send(mail_from, rcpt_tos, data)`, that
returns only once the next hop has the message, and raises `RelayError`
otherwise, carrying the SMTP reply our client should get: `451 4.4.1` for
temporary trouble, the upstream's own `5xx` for a permanent refusal.
All-or-nothing: if the upstream refuses any recipient, nobody gets it.
"""

from __future__ import annotations

import asyncio
import logging
import mailbox
import ssl
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Protocol
from urllib.parse import unquote, urlsplit

import aiosmtplib
from aiosmtplib.email import quote_address

from gateway.settings import Settings

log = logging.getLogger(__name__)


class RelayError(Exception):
    """The next hop does not have the message; `reply` is what our client gets."""

    def __init__(self, reply: str, *, permanent: bool = False) -> None:
        super().__init__(reply)
        self.reply = reply
        self.permanent = permanent


def temporary(detail: str) -> RelayError:
    return RelayError(f"451 4.4.1 Upstream temporarily unavailable: {_clean(detail)}")


def _clean(text: str) -> str:
    """One line, no control characters, bounded: safe to put in an SMTP reply."""
    return " ".join(str(text).split())[:200]


class Relay(Protocol):
    async def send(self, mail_from: str, rcpt_tos: list[str], data: bytes,
                   mail_options: list[str] | None = None) -> None: ...

    async def close(self) -> None: ...


def make_relay(settings: Settings) -> Relay:
    """The relay for `[gateway] upstream`."""
    upstream = settings.gateway.upstream
    if upstream.startswith("maildir:"):
        return MaildirRelay(Path(upstream[len("maildir:"):]).expanduser())
    return SMTPRelay(
        Upstream.parse(upstream),
        pool_size=settings.gateway.upstream_pool_size,
        timeout=settings.gateway.upstream_timeout,
        local_hostname=settings.gateway.hostname,
    )


# --- Maildir ----------------------------------------------------------------


class MaildirRelay:
    """Delivers into a Maildir with the stdlib, in a thread. Bytes stay as they are."""

    def __init__(self, path: Path) -> None:
        self.path = path

    async def send(self, mail_from: str, rcpt_tos: list[str], data: bytes,
                   mail_options: list[str] | None = None) -> None:
        try:
            await asyncio.to_thread(self._write, data)
        except OSError as exc:
            log.error("maildir %s: cannot write: %s", self.path, exc)
            raise temporary("local delivery failed") from exc

    def _write(self, data: bytes) -> None:
        mailbox.Maildir(self.path, factory=None, create=True).add(data)

    async def close(self) -> None:
        return None


# --- SMTP -------------------------------------------------------------------


@dataclass(frozen=True)
class Upstream:
    host: str
    port: int
    use_tls: bool = False
    start_tls: bool = False
    username: str | None = None
    password: str | None = None

    @classmethod
    def parse(cls, url: str) -> "Upstream":
        parts = urlsplit(url)
        scheme = parts.scheme.lower()
        if scheme not in ("smtp", "smtp+starttls", "smtps") or not parts.hostname:
            raise ValueError(f"not an SMTP upstream URL: {url!r}")
        default_port = {"smtp": 25, "smtp+starttls": 587, "smtps": 465}[scheme]
        return cls(
            host=parts.hostname,
            port=parts.port or default_port,
            use_tls=scheme == "smtps",
            start_tls=scheme == "smtp+starttls",
            username=unquote(parts.username) if parts.username else None,
            password=unquote(parts.password) if parts.password else None,
        )

    def __str__(self) -> str:  # never shows the password
        return f"{self.host}:{self.port}"


# Extensions we pass on from the inbound MAIL FROM when the upstream has them.
_PASSED_OPTIONS = {"BODY": "8bitmime", "SMTPUTF8": "smtputf8"}


class SMTPRelay:
    """A pool of connected aiosmtplib clients to one upstream.

    Clients are connected lazily, reset (RSET) before each reuse, and
    replaced when anything goes wrong with them.
    """

    def __init__(self, upstream: Upstream, *, pool_size: int = 8, timeout: float = 30.0,
                 local_hostname: str | None = None) -> None:
        self.upstream = upstream
        self.timeout = timeout
        self.local_hostname = local_hostname
        self._idle: asyncio.LifoQueue[aiosmtplib.SMTP] = asyncio.LifoQueue()
        self._slots = asyncio.Semaphore(max(1, pool_size))
        self._closed = False

    async def send(self, mail_from: str, rcpt_tos: list[str], data: bytes,
                   mail_options: list[str] | None = None) -> None:
        if self._closed:
            raise temporary("gateway shutting down")
        async with self._slots:
            # A pooled connection may have gone stale; one fresh retry is safe
            # because nothing of this message reached the upstream before DATA.
            for attempt in (1, 2):
                client = await self._checkout(fresh=attempt == 2)
                try:
                    await self._transaction(client, mail_from, rcpt_tos, data, mail_options or [])
                except _Stale:
                    _discard(client)
                    if attempt == 2:
                        raise temporary("connection lost") from None
                    continue
                except RelayError:
                    await self._checkin_after_error(client)
                    raise
                except BaseException:
                    _discard(client)
                    raise
                self._idle.put_nowait(client)
                return

    async def _checkout(self, *, fresh: bool) -> aiosmtplib.SMTP:
        # A pooled connection is clean (its last transaction completed or was
        # RSET); no RSET round trip here. If the upstream dropped it meanwhile,
        # MAIL fails as _Stale and the message is retried on a fresh one.
        while not fresh and not self._idle.empty():
            client = self._idle.get_nowait()
            if client.is_connected:
                return client
            _discard(client)
        client = aiosmtplib.SMTP(
            hostname=self.upstream.host,
            port=self.upstream.port,
            use_tls=self.upstream.use_tls,
            start_tls=self.upstream.start_tls,
            username=self.upstream.username,
            password=self.upstream.password,
            timeout=self.timeout,
            local_hostname=self.local_hostname,
        )
        try:
            await client.connect()
            if client.is_ehlo_or_helo_needed:  # learn the extensions before MAIL
                try:
                    await client.ehlo()
                except aiosmtplib.SMTPHeloError:
                    await client.helo()
        except aiosmtplib.SMTPAuthenticationError as exc:
            _discard(client)
            log.error("upstream %s refused our login: %s", self.upstream, exc)
            raise temporary("upstream login failed") from exc
        except (aiosmtplib.SMTPException, OSError, asyncio.TimeoutError, ssl.SSLError) as exc:
            _discard(client)
            log.warning("upstream %s unreachable: %s", self.upstream, exc)
            raise temporary("upstream unreachable") from exc
        return client

    async def _transaction(self, client: aiosmtplib.SMTP, mail_from: str, rcpt_tos: list[str],
                           data: bytes, mail_options: list[str]) -> None:
        """MAIL, every RCPT, and DATA only if every recipient was accepted."""
        sender = "" if mail_from in ("", "<>") else mail_from
        options = [o for o in mail_options
                   if o.split("=")[0] in _PASSED_OPTIONS
                   and client.supports_extension(_PASSED_OPTIONS[o.split("=")[0]])]
        if not all(a.isascii() for a in (sender, *rcpt_tos)) and "SMTPUTF8" not in options:
            raise RelayError("550 5.6.7 The next hop does not accept non-ASCII addresses (SMTPUTF8)",
                             permanent=True)
        encoding = _encoding(options)
        try:
            response = await client.execute_command(
                b"MAIL", b"FROM:" + _quoted(sender, encoding), *[o.encode("ascii") for o in options])
            if response.code != 250:
                raise aiosmtplib.SMTPSenderRefused(response.code, response.message, sender)
        except aiosmtplib.SMTPSenderRefused as exc:
            if exc.code == 421:  # the upstream is closing this (idle) connection
                raise _Stale() from exc
            raise _refused(exc.code, exc.message, "sender") from exc
        except aiosmtplib.SMTPServerDisconnected as exc:
            raise _Stale() from exc
        except (aiosmtplib.SMTPException, OSError, asyncio.TimeoutError) as exc:
            raise temporary(str(exc)) from exc
        refused: list[aiosmtplib.SMTPRecipientRefused] = []
        try:
            for rcpt in rcpt_tos:
                response = await client.execute_command(b"RCPT", b"TO:" + _quoted(rcpt, encoding))
                if response.code not in (250, 251):
                    refused.append(aiosmtplib.SMTPRecipientRefused(response.code, response.message, rcpt))
        except (aiosmtplib.SMTPException, OSError, asyncio.TimeoutError) as exc:
            raise temporary(str(exc)) from exc
        if refused:
            # All or nothing: with any recipient refused, no DATA is sent.
            worst = max(refused, key=lambda e: e.code)  # a 5xx wins over a 4xx
            log.info("upstream %s refused %d of %d recipients: %s", self.upstream,
                     len(refused), len(rcpt_tos), "; ".join(f"{e.recipient}: {e.code}" for e in refused))
            raise _refused(worst.code, worst.message, f"recipient <{worst.recipient}>")
        # aiosmtplib rewrites bare LF (and bare CR) to CRLF and adds dot-stuffing.
        # Inbound SMTP data is CRLF already, so the bytes arrive unchanged; only
        # a message smuggling bare LF inside a line would be normalised.
        try:
            await client.data(data)
        except aiosmtplib.SMTPDataError as exc:
            raise _refused(exc.code, exc.message, "message") from exc
        except (aiosmtplib.SMTPException, OSError, asyncio.TimeoutError) as exc:
            # The upstream may or may not have it; our client retries (standard SMTP).
            raise temporary(str(exc)) from exc

    async def _checkin_after_error(self, client: aiosmtplib.SMTP) -> None:
        try:
            await client.rset()
        except (aiosmtplib.SMTPException, OSError, asyncio.TimeoutError):
            _discard(client)
            return
        self._idle.put_nowait(client)

    async def close(self) -> None:
        self._closed = True
        while not self._idle.empty():
            client = self._idle.get_nowait()
            try:
                await asyncio.wait_for(client.quit(), timeout=2)
            except Exception:
                pass
            _discard(client)


class _Stale(Exception):
    """The pooled connection was closed by the other side before MAIL."""


def _refused(code: int, message: str, what: str) -> RelayError:
    text = _clean(message) or "refused"
    if 500 <= code < 600:
        return RelayError(f"{code} {text}", permanent=True)
    return RelayError(f"451 4.4.1 Upstream deferred the {what}: {code} {text}")


@lru_cache(maxsize=1024)
def _quoted(address: str, encoding: str) -> bytes:
    """<address> for MAIL FROM / RCPT TO, checked as aiosmtplib's mail() and rcpt() check it
    (ValueError for characters not allowed on a command line); the same few addresses recur."""
    return quote_address(address).encode(encoding) if address else b"<>"


def _encoding(options: list[str]) -> str:
    return "utf-8" if "SMTPUTF8" in options else "ascii"


def _discard(client: aiosmtplib.SMTP) -> None:
    try:
        client.close()
    except Exception:
        pass
