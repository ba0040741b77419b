"""Coaching notes: the mail that tells an agent what Tact found and what to do.

A note is multipart/alternative (text and HTML, both from jinja2 templates in
`templates/`), addressed to the sender of the original, threaded under it
(`In-Reply-To`/`References`), and marked as machine-made (`Auto-Submitted`,
`X-Tact-Note`) so that no gateway ever checks it again.
"""

from __future__ import annotations

import binascii
import email.policy
import re
import uuid
from email.header import decode_header, make_header
from email.charset import QP, Charset
from email.header import Header
from email.message import Message
from email.mime.text import MIMEText
from email.parser import BytesHeaderParser
from datetime import datetime, timezone
from email.utils import format_datetime, make_msgid
from functools import lru_cache
from pathlib import Path

import jinja2

import gateway
from policies.model import Action, Verdict

TEMPLATES = Path(gateway.__file__).resolve().parent.parent / "templates"

NOTE_HEADER = "X-Tact-Note"

COACHING, HELD = "coaching", "held"


@lru_cache(maxsize=1)
def _environments() -> tuple[jinja2.Environment, jinja2.Environment]:
    loader = jinja2.FileSystemLoader(TEMPLATES)
    text = jinja2.Environment(loader=loader, autoescape=False, keep_trailing_newline=True,
                              undefined=jinja2.StrictUndefined)
    html = jinja2.Environment(loader=loader, autoescape=True, undefined=jinja2.StrictUndefined)
    return text, html


_UTF8_QP = Charset("utf-8")
_UTF8_QP.body_encoding = QP  # readable in any mail client's source view

class _NotePolicy(email.policy.Compat32):
    """compat32 with CRLF, writing a short plain header line as it is: compat32 otherwise
    runs every header through `email.header.Header` to fold it, the larger part of the
    cost of a note. Anything else (long, non-ASCII, odd whitespace) is folded as before."""

    def fold_binary(self, name: str, value: object) -> bytes:
        if isinstance(value, str) and value.isascii() and value.isprintable() \
                and len(name) + 2 + len(value) <= (self.max_line_length or 0) \
                and "  " not in value and value == value.strip():
            return f"{name}: {value}{self.linesep}".encode("ascii")
        return super().fold_binary(name, value)


_CRLF = _NotePolicy(linesep="\r\n")

_HEADER_END = re.compile(rb"\r?\n\r?\n")


def original_headers(raw: bytes) -> Message:
    """The headers of `raw`, parsed cheaply (the body is not read) and leniently."""
    end = _HEADER_END.search(raw)
    head = raw[: end.end()] if end else raw
    return BytesHeaderParser(policy=email.policy.compat32).parsebytes(head)


def decoded(value: object) -> str:
    """A header value as readable text (RFC 2047 decoded, unfolded)."""
    if value is None:
        return ""
    try:
        text = str(make_header(decode_header(str(value))))
    except Exception:
        text = str(value)
    return " ".join(text.split())


def note_subject(kind: str, subject: str) -> str:
    quoted = f'"{subject}"' if subject else "your reply"
    return f"Tact: held — {quoted}" if kind == HELD else f"Tact: coaching on {quoted}"


def build_note(
    kind: str,
    *,
    original: bytes,
    to: str,
    verdict: Verdict,
    note_from: str,
    hostname: str = "localhost",
    held_id: int | None = None,
    review_url: str | None = None,
) -> bytes:
    """Render a coaching (`kind="coaching"`) or held (`kind="held"`) note as bytes.

    `review_url` (held notes) links to the sender's review page of the held message.
    The bytes use CRLF line endings, ready for SMTP.
    """
    original_head = original_headers(original)
    subject = decoded(original_head.get("Subject"))
    message_id = (str(original_head.get("Message-ID") or "")).strip() or None
    context = {
        "held": kind == HELD,
        "subject": subject,
        "title": note_subject(kind, subject),
        "findings": list(verdict.findings),
        "reasons": list(verdict.reasons) or (["checking found a problem"] if kind == HELD else []),
        "held_id": held_id,
        "review_url": review_url,
        "action": str(verdict.action),
    }
    text_env, html_env = _environments()
    text = text_env.get_template("note.txt.j2").render(context)
    html = html_env.get_template("note.html.j2").render(context)

    title = note_subject(kind, subject)
    headers: list[tuple[str, object]] = [
        ("From", note_from),
        ("To", to),
        ("Subject", title if title.isascii() else Header(title, "utf-8")),
        ("Date", format_datetime(datetime.now(timezone.utc))),
        ("Message-ID", make_msgid("tact", domain=hostname)),
    ]
    if message_id:
        headers.append(("In-Reply-To", message_id))
        references = decoded(original_head.get("References")).split()
        headers.append(("References", " ".join(references + [message_id])))
    headers += [("Auto-Submitted", "auto-generated"), (NOTE_HEADER, "1"),
                ("X-Tact-Action", str(Action(verdict.action)))]
    return _alternative(headers, text, html)


def _alternative(headers: list[tuple[str, object]], text: str, html: str) -> bytes:
    """A multipart/alternative message of `text` and `html` (UTF-8, quoted-printable) under
    `headers`, CRLF. Written out directly rather than with the compat32 MIME classes (the
    same structure, half the cost: checking workers render a note for a third of the
    mail); the headers are folded by the same policy as before."""
    boundary = f"===============tact{uuid.uuid4().hex}=="  # 122 random bits: never in the text
    out = [_CRLF.fold_binary(name, value) for name, value in headers]
    out.append(b'Content-Type: multipart/alternative;\r\n boundary="%s"\r\nMIME-Version: 1.0\r\n\r\n'
               % boundary.encode("ascii"))
    for subtype, body in ((b"plain", text), (b"html", html)):
        out.append(b'--%s\r\nContent-Type: text/%s; charset="utf-8"\r\nMIME-Version: 1.0\r\n'
                   b"Content-Transfer-Encoding: quoted-printable\r\n\r\n" % (boundary.encode("ascii"), subtype))
        out.append(_quoted_printable(body))
        out.append(b"\r\n")
    out.append(b"--%s--\r\n" % boundary.encode("ascii"))
    return b"".join(out)


def _quoted_printable(body: str) -> bytes:
    """`body` as UTF-8 quoted-printable text with CRLF line breaks (soft breaks included)."""
    lines = body.replace("\r\n", "\n").replace("\r", "\n")
    encoded = binascii.b2a_qp(lines.encode("utf-8"), quotetabs=False, istext=True, header=False)
    return encoded.replace(b"\n", b"\r\n")


REJECTED, UNDELIVERABLE = "rejected", "undeliverable"


def build_decision_note(kind: str, *, original: bytes, to: str, comment: str, actor: str,
                        held_id: int, note_from: str, hostname: str = "localhost") -> bytes:
    """The note telling an agent what became of a held reply: `kind="rejected"` (with the
    reviewer's comment) or `kind="undeliverable"` (released, then refused for good:
    `comment` is the last error). Plain text, threaded under the original, CRLF."""
    headers = original_headers(original)
    subject = decoded(headers.get("Subject"))
    message_id = (str(headers.get("Message-ID") or "")).strip() or None
    text_env, _ = _environments()
    text = text_env.get_template("decision.txt.j2").render(
        kind=kind, subject=subject, comment=comment, actor=actor, held_id=held_id)
    quoted = f'"{subject}"' if subject else "your reply"
    title = f"Tact: rejected — {quoted}" if kind == REJECTED else f"Tact: not delivered — {quoted}"
    note = MIMEText(text, "plain", _UTF8_QP)
    note["From"] = note_from
    note["To"] = to
    note["Subject"] = title if title.isascii() else Header(title, "utf-8")  # type: ignore[assignment]
    note["Date"] = format_datetime(datetime.now(timezone.utc))
    note["Message-ID"] = make_msgid("tact", domain=hostname)
    if message_id:
        note["In-Reply-To"] = message_id
        note["References"] = " ".join(decoded(headers.get("References")).split() + [message_id])
    note["Auto-Submitted"] = "auto-generated"
    note[NOTE_HEADER] = "1"
    note["X-Tact-Action"] = kind
    return note.as_bytes(policy=_CRLF)
