"""The gateway reads DATA in blocks; every reply and every byte must be what aiosmtpd's own
line-by-line DATA gives, however the bytes arrive (all at once, in pieces, byte by byte)."""

from __future__ import annotations

import asyncio
import random
import socket

import pytest
from aiosmtpd.smtp import SMTP, Envelope, Session

from gateway.smtp import TactSMTP, Users

LIMIT = 3000  # data_size_limit of both servers


class Recorder:
    def __init__(self) -> None:
        self.contents: list[bytes] = []

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        assert isinstance(envelope.original_content, bytes)
        self.contents.append(envelope.original_content)
        return "250 2.0.0 OK"


def _line(n: int) -> bytes:
    return b"x" * n + b"\r\n"


CASES: dict[str, bytes] = {
    "plain": b"Subject: hi\r\n\r\nHello,\r\nthanks.\r\n.\r\n",
    "dots": b"Subject: dots\r\n\r\n.leading\r\n..two\r\n...\r\n. \r\nmid.dle\r\n.\r\n",
    "first line is a dot-stuffed dot": b"..\r\nx\r\n.\r\n",
    "empty": b".\r\n",
    "one empty line": b"\r\n.\r\n",
    "bare LF smuggling": b"a\n.\r\nb\r\n.\nc\n.\n\r\nd\r.\r\n\r\n.\r\n",
    "bare LF at the end": b"a\r\nb\n.\r\n",
    "8-bit": "Subject: é\r\n\r\nÅngström ü\r\n".encode() + b"\xff\xfe bad\r\n.\r\n",
    "999": b"h\r\n" + _line(999) + b".\r\n",
    "1000": b"h\r\n" + _line(1000) + b".\r\n",
    "1001": b"h\r\n" + _line(1001) + b"ok\r\n.\r\n",
    "1002": b"h\r\n" + _line(1002) + b".\r\n",
    "1003": b"h\r\n" + _line(1003) + b".\r\n",
    "5000-byte line": b"h\r\n" + _line(5000) + b"after\r\n.\r\n",
    "long line ending in a dot line": b"h\r\n" + b"y" * 3000 + b"\r\n.\r\n",
    "size: at the limit": b"".join([_line(98)] * 30) + b".\r\n",
    "size: one over": b"".join([_line(98)] * 30) + b"z\r\n.\r\n",
    "size then long line": b"".join([_line(98)] * 31) + _line(1500) + b".\r\n",
    "long line then size": _line(1500) + b"".join([_line(98)] * 31) + b".\r\n",
    "a 1000 line crossing the limit": b"".join([_line(98)] * 20) + _line(1000) + b".\r\n",
    "a 1001 line crossing the limit": b"".join([_line(98)] * 20) + _line(1001) + b".\r\n",
    "a 1002 line crossing the limit": b"".join([_line(98)] * 20) + _line(1002) + b".\r\n",
    "a 1500 line crossing the limit": b"".join([_line(98)] * 20) + _line(1500) + b".\r\n",
    "realistic": b"From: a@b\r\nSubject: x\r\n\r\n" + b"".join(
        (b"> " if i % 3 else b".") + b"line %d of the quoted text, with some words\r\n" % i
        for i in range(60)) + b".\r\n",
}


def _chunkings(payload: bytes) -> dict[str, list[bytes]]:
    out = {"whole": [payload]}
    if len(payload) <= 400:
        out["bytes"] = [payload[i:i + 1] for i in range(len(payload))]
    for seed in (1, 2):
        rng = random.Random(seed)
        pieces, i = [], 0
        while i < len(payload):
            n = rng.choice((1, 2, 3, 5, 7, 64, 700, 1500))
            pieces.append(payload[i:i + n])
            i += n
        out[f"random {seed}"] = pieces
    end = payload.rfind(b"\r\n.\r\n")
    if end > 0:
        for cut in range(1, 5):
            out[f"cut at terminator +{cut}"] = [payload[:end + cut], payload[end + cut:]]
    return out


async def _transcript(cls: type[SMTP], chunks: list[bytes], after: bytes) -> tuple[bytes, list[bytes]]:
    loop = asyncio.get_running_loop()
    handler = Recorder()
    kwargs = dict(data_size_limit=LIMIT, enable_SMTPUTF8=True, hostname="tact.test", loop=loop)
    if cls is TactSMTP:
        server = await loop.create_server(lambda: TactSMTP(handler, users=Users({}), **kwargs),
                                          "127.0.0.1", 0)
    else:
        server = await loop.create_server(lambda: SMTP(handler, **kwargs), "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.get_extra_info("socket").setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    try:
        await reader.readline()  # banner (names the class's version: not compared)
        writer.write(b"HELO client.test\r\nMAIL FROM:<a@x.test>\r\nRCPT TO:<b@x.test>\r\nDATA\r\n")
        replies = b""
        while not replies.endswith(b"354 End data with <CR><LF>.<CR><LF>\r\n"):
            replies += await asyncio.wait_for(reader.readline(), 5)
        for chunk in chunks:
            writer.write(chunk)
            await writer.drain()
            if len(chunks) > 1:
                await asyncio.sleep(0.001 if len(chunks) < 50 else 0)
        writer.write(after)  # pipelined after the "." line: must be read as commands
        await writer.drain()
        while not replies.endswith(b"221 Bye\r\n"):
            line = await asyncio.wait_for(reader.readline(), 5)
            if not line:
                break
            replies += line
    finally:
        writer.close()
        server.close()
        await server.wait_closed()
    return replies, handler.contents


@pytest.mark.parametrize("case", sorted(CASES))
async def test_data_is_read_as_aiosmtpd_reads_it(case: str) -> None:
    payload = CASES[case]
    after = b"MAIL FROM:<c@x.test>\r\nRCPT TO:<d@x.test>\r\nDATA\r\n.x\r\n.\r\nQUIT\r\n"
    for how, chunks in _chunkings(payload).items():
        expected = await _transcript(SMTP, chunks, after)
        got = await _transcript(TactSMTP, chunks, after)
        assert got == expected, f"{case}, sent {how}"


ADDRESSES = [
    "", "<>", "<a@b>", "<agent@support.example.com>", "<a.b+c@d-e.f> BODY=8BITMIME SMTPUTF8",
    "<a@b>  \t SIZE=1", "<a@b>(comment) SIZE=1", "<a@b> (comment) X", "<a@b>x", "<a@b>\x0bX",
    "<a..b@c>", "<.a@b>", "<a@b.>", "<a@-b>", " <a@b>", "a@b", "a@b SIZE=1", "<@route:a@b>",
    '<"q s"@b.c>', "<a b@c>", "<é@ü.de>", "<a@[1.2.3.4]>", "<a@b", "junk", "<" + "l" * 70 + "@d>",
]


@pytest.mark.parametrize("arg", ADDRESSES)
async def test_mail_and_rcpt_addresses_parse_as_aiosmtpd_parses_them(arg: str) -> None:
    loop = asyncio.get_running_loop()
    ours, theirs = TactSMTP(Recorder(), users=Users({}), loop=loop), SMTP(Recorder(), loop=loop)

    def parse(server: SMTP) -> object:
        try:
            return server._getaddr(arg)
        except Exception as exc:  # aiosmtpd raises on a few malformed routes
            return type(exc).__name__

    assert parse(ours) == parse(theirs)
