"""Raw bytes → `Reply`: the one place that reads MIME.

mail-parser does the MIME work; the stdlib (`email`, compat32) takes over where
it raises or finds no text, and a last resort decodes the raw body. Nothing
here raises on bad MIME. HTML-only bodies are reduced to text with quote
containers marked for `gateway.quoting`, which splits new from quoted text.
"""

from __future__ import annotations

import logging
import re
from datetime import datetime, timedelta, timezone
from email import message_from_bytes, policy
from email.header import decode_header, make_header
from email.message import Message
from email.utils import getaddresses, parsedate_to_datetime
from html.parser import HTMLParser

from gateway.quoting import (
    QUOTE_MARK,
    RULE_MARK,
    Split,
    attribution_name,
    parse_attribution_date,
    split_reply,
)
from policies.model import Reply

log = logging.getLogger(__name__)
# mail-parser warns on stderr about every part that is neither text nor HTML (a PGP signature,
# a calendar invite): routine for us, and noise in `tact check` and the gateway's log.
logging.getLogger("mailparser").setLevel(logging.ERROR)

MAX_BODY_CHARS = 1_000_000  # only the first ~1 MB of body text is considered
MAX_HTML_CHARS = 2_000_000
MAX_SKEW = timedelta(days=1)

try:  # mail-parser is a declared dependency; the stdlib path still works without it
    import mailparser  # type: ignore
except Exception:  # pragma: no cover
    mailparser = None


def parse_message(
    raw: bytes,
    *,
    sender: str = "",
    recipients: tuple[str, ...] = (),
    team: str = "default",
    received_at: datetime | None = None,
) -> Reply:
    """Parse one message into the Reply the policies read. Never raises on bad MIME."""
    msg, split = _read(raw)

    headers = _Headers(msg)
    replied_at = _replied_at(headers.get("Date"), received_at)
    # An attribution without a zone is read in the reply's own offset (what the agent's
    # client showed); with no usable Date either, UTC keeps every datetime aware.
    tz = replied_at.tzinfo if replied_at is not None and replied_at.tzinfo else timezone.utc

    wrote_at = None
    name = None
    if split.attribution:
        try:
            wrote_at = _attribution_date(split.attribution, tz)
            name = attribution_name(split.attribution)
        except Exception:
            log.exception("reading the attribution failed")
    if name is None:
        to_names = [n for n, _ in headers.addresses("To") if n]
        name = to_names[0] if to_names else None

    if not sender:
        froms = [a for _, a in headers.addresses("From") if a]
        sender = froms[0] if froms else ""
    if not recipients:
        recipients = tuple(a for _, a in headers.addresses("To") + headers.addresses("Cc") if a)

    message_id = (headers.get("Message-ID") or "").strip() or None
    return Reply(
        text=split.agent_text,  # "Sent from my iPhone", list footers: not the agent's words
        quoted=split.quoted,
        sender=sender,
        recipients=tuple(recipients),
        subject=_one_line(headers.get("Subject") or ""),
        team=team,
        customer_name=name,
        customer_wrote_at=wrote_at,
        replied_at=replied_at,
        message_id=message_id,
        signature=split.signature,
    )


def split_message(raw: bytes) -> Split:
    """The split of one message's body, as `parse_message` makes it (`Split.text` still
    carries client taglines; `Reply.text` is `Split.agent_text`)."""
    return _read(raw)[1]


def _read(raw: bytes) -> tuple[Message | None, Split]:
    if isinstance(raw, str):
        raw = raw.encode("utf-8", "surrogateescape")
    msg, plain, html = _extract(raw)
    if plain.strip():
        body = plain
    elif html.strip():
        body = html_to_text(html[:MAX_HTML_CHARS])
    else:
        body = ""
    body = _normalise(body)[:MAX_BODY_CHARS]
    try:
        return msg, split_reply(body)
    except Exception:  # a splitter bug must not lose the message: judge it all as new text
        log.exception("quote splitting failed")
        return msg, Split(body.strip())


# --------------------------------------------------------------------------- MIME


def _extract(raw: bytes) -> tuple[Message | None, str, str]:
    """(header source, text/plain body, text/html body) — best effort, never raises."""
    msg: Message | None = None
    plain = html = ""
    simple = _simple_text(raw)
    if simple is not None:
        return simple
    if mailparser is not None:
        try:
            mail = mailparser.parse_from_bytes(raw)
            msg = mail.message
            plain = "\n".join(t for t in (mail.text_plain or []) if isinstance(t, str))
            html = "\n".join(t for t in (mail.text_html or []) if isinstance(t, str))
            if msg is not None and _has_attached_message(msg):
                # mail-parser also returns the text of attached messages (message/rfc822):
                # that is not the agent's text, so pick the parts ourselves.
                p2, h2 = _stdlib_bodies(msg)
                if p2.strip() or h2.strip():
                    plain, html = p2, h2
        except BaseException as exc:  # RecursionError, MailParserRecursionError, anything
            if isinstance(exc, (KeyboardInterrupt, SystemExit)):
                raise
            log.debug("mail-parser failed: %s", type(exc).__name__)
            msg, plain, html = None, "", ""
    if not plain.strip() and not html.strip():
        try:
            smsg = message_from_bytes(raw, policy=policy.compat32)
            if msg is None:
                msg = smsg
            plain, html = _stdlib_bodies(smsg)
        except BaseException as exc:
            if isinstance(exc, (KeyboardInterrupt, SystemExit)):
                raise
            log.debug("stdlib parse failed: %s", type(exc).__name__)
    if msg is None:
        msg = _headers_only(raw)
    if not plain.strip() and not html.strip():
        plain, html = _raw_body(raw, msg)
    return msg, plain, html


# Charsets that decode ASCII bytes as ASCII: for these, mail-parser's shortcut (an ASCII
# 7bit/8bit body is used as is, undecoded) and a strict decode give the same text.
_ASCII_CHARSETS = frozenset({
    "utf-8", "utf8", "us-ascii", "ascii", "iso-8859-1", "latin1", "latin-1", "iso-8859-15",
    "windows-1252", "cp1252",
})
_SIMPLE_CTE = ("", "7bit", "8bit", "quoted-printable", "base64")


def _simple_text(raw: bytes) -> tuple[Message, str, str] | None:
    """Fast path for the common reply: one text/plain part, not an attachment, no parse
    defects, ASCII MIME headers, an ASCII-compatible charset that decodes the body without
    error. Returns (message, plain, "") or None for anything else (the full path below).

    Why it is safe: mail-parser builds its Message with `email.message_from_bytes`
    (compat32); this builds the same one (same headers, defects, payload: see
    `_head_and_body`), and for such a message mail-parser's text_plain is exactly what this
    computes (`MailParser._decode_body_payload`: the stored ASCII payload as is for
    7bit/8bit, else the decoded payload in the charset); the stdlib fallback would decode
    the same bytes to the same text. What mail-parser adds (attachments, defects, decoding
    every header) is not read here. Skipping it saves ~0.2 ms per 5 KB reply;
    tests/test_message.py checks the two paths agree."""
    try:
        parts = _head_and_body(raw)
        if parts is None:
            return None
        ctype = _CTYPE.search(parts[0])
        if ctype and not ctype.group(1).lower().startswith(b"text/plain"):
            return None  # a quick no for multipart and HTML mail (a yes is checked below)
        # The email parser gives a single-part message's body, undecoded, as its payload:
        # parse the header lines only and set the body as that payload ourselves.
        msg = message_from_bytes(parts[0])
        if msg._payload != "":
            return None
        msg.set_payload(parts[1].decode("ascii", "surrogateescape"))
        if msg.defects or msg.is_multipart() or msg.get_content_type() != "text/plain":
            return None
        for name in ("Content-Type", "Content-Transfer-Encoding", "Content-Disposition"):
            values = msg.get_all(name) or []
            if len(values) > 1 or not all(isinstance(v, str) and v.isascii() for v in values):
                return None
        if msg.get("Content-Disposition") is not None:
            return None
        if "name" in str(msg.get("Content-Type", "")).lower() and msg.get_filename() is not None:
            return None  # (no "name" parameter, no file name: get_filename's answer, sooner)
        charset = msg.get_content_charset("utf-8")
        cte = str(msg.get("Content-Transfer-Encoding", "")).strip().lower()
        if charset not in _ASCII_CHARSETS or cte not in _SIMPLE_CTE:
            return None
        payload = msg._payload
        if not isinstance(payload, str):
            return None
        if cte in ("", "7bit", "8bit") and payload.isascii():
            text = payload
        else:
            data = msg.get_payload(decode=True)
            if not isinstance(data, bytes) or msg.defects:
                return None
            text = data.decode(charset)  # strict: a bad byte takes the full path
        if not text.strip():
            return None  # blank: the full path's fallbacks decide
        return msg, text, ""
    except Exception:  # whatever the reason, the full path handles it
        return None


_CTYPE = re.compile(rb"^content-type:[ \t]*(\S*)", re.I | re.M)


def _head_and_body(raw: bytes) -> tuple[bytes, bytes] | None:
    """(header lines, body) split where the email parser splits them, when that is sure:
    every header line ends in CRLF, or every one in LF, and an empty line ends them.
    (The parser also ends lines at a lone CR; a line that is no header ends the headers
    too, but that is a defect, which `_simple_text` turns down.)"""
    if raw[:1] in (b"\r", b"\n"):
        return None  # no headers at all
    k = raw.find(b"\r\n\r\n")
    if k >= 0:
        head = raw[: k + 2]
        if head.count(b"\r") == head.count(b"\n") == head.count(b"\r\n"):
            return head, raw[k + 4:]
    k = raw.find(b"\n\n")
    if k >= 0 and b"\r" not in raw[:k]:
        return raw[: k + 1], raw[k + 2:]
    return None


def _has_attached_message(msg: Message) -> bool:
    try:
        return any(p.get_content_maintype() == "message" for p in msg.walk())
    except Exception:  # RecursionError on absurd nesting
        return False


def _stdlib_bodies(msg: Message) -> tuple[str, str]:
    plains: list[str] = []
    htmls: list[str] = []
    stack: list[tuple[Message, int]] = [(msg, 0)]
    seen = 0
    while stack and seen < 500:
        part, depth = stack.pop()
        seen += 1
        payload = part.get_payload()
        if depth and part.get_content_maintype() == "message":
            continue  # an attached/forwarded message is not the sender's own text
        if isinstance(payload, list):
            if depth < 50:
                stack.extend((p, depth + 1) for p in reversed(payload) if isinstance(p, Message))
            continue
        ctype = (part.get_content_type() or "text/plain").lower()
        if not ctype.startswith("text/"):
            continue
        disp = str(part.get("Content-Disposition", "")).lower()
        if disp.startswith("attachment"):
            continue
        text = _decode_part(part)
        if ctype == "text/html":
            htmls.append(text)
        elif ctype == "text/plain":
            plains.append(text)
        if sum(map(len, plains)) > MAX_BODY_CHARS:
            break
    return "\n".join(plains), "\n".join(htmls)


def _decode_part(part: Message) -> str:
    try:
        data = part.get_payload(decode=True)
    except Exception:
        data = None
    if data is None:
        p = part.get_payload()
        return p if isinstance(p, str) else ""
    return _decode_bytes(data, part.get_content_charset())


def _decode_bytes(data: bytes, charset: str | None) -> str:
    for cs in (charset, "utf-8"):
        if not cs:
            continue
        try:
            return data.decode(cs)
        except (LookupError, UnicodeDecodeError, TypeError, ValueError):
            continue
    try:
        return data.decode(charset or "utf-8", "replace")
    except (LookupError, TypeError, ValueError):
        return data.decode("latin-1")


def _headers_only(raw: bytes) -> Message:
    head = re.split(rb"\r?\n\r?\n", raw[:300_000], maxsplit=1)[0]
    try:
        return message_from_bytes(head + b"\n\n", policy=policy.compat32)
    except Exception:
        return Message()


def _raw_body(raw: bytes, msg: Message | None) -> tuple[str, str]:
    parts = re.split(rb"\r?\n\r?\n", raw, maxsplit=1)
    body = parts[1] if len(parts) > 1 else b""
    text = _decode_bytes(body[: MAX_BODY_CHARS * 2], None)
    ctype = ""
    try:
        ctype = (msg.get_content_type() if msg is not None else "") or ""
    except Exception:
        pass
    if ctype == "text/html":
        return "", text
    return text, ""


class _Headers:
    """Header access over whichever Message we got, decoding RFC 2047 and never raising."""

    def __init__(self, msg: Message | None) -> None:
        self.msg = msg

    def get(self, name: str) -> str | None:
        if self.msg is None:
            return None
        try:
            v = self.msg.get(name)
        except Exception:
            return None
        if v is None:
            return None
        try:
            return _decode_words(str(v))
        except Exception:
            return str(v)

    def addresses(self, name: str) -> list[tuple[str, str]]:
        if self.msg is None:
            return []
        try:
            values = self.msg.get_all(name) or []
            out = []
            for n, a in getaddresses([str(v) for v in values]):
                if not a and not n:
                    continue
                try:
                    n = _decode_words(n) if n else ""
                except Exception:
                    pass
                if a and "@" not in a and not n:
                    continue
                out.append((n.strip(), a.strip()))
            return out
        except Exception:
            return []


def _decode_words(s: str) -> str:
    """RFC 2047 encoded words decoded; without "=?" decode_header returns s as it is."""
    if "=?" not in s:
        return s
    return str(make_header(decode_header(s)))


def _one_line(s: str) -> str:
    return re.sub(r"\s*\r?\n\s*", " ", s).strip()


def _normalise(s: str) -> str:
    return s.replace("\r\n", "\n").replace("\r", "\n").replace("\u00a0", " ").replace("\ufeff", "")


# --------------------------------------------------------------------------- dates


def _replied_at(value: str | None, received_at: datetime | None) -> datetime | None:
    dt = None
    if value:
        try:
            dt = parsedate_to_datetime(value.strip())
        except Exception:
            dt = None
    if dt is not None and dt.tzinfo is None:
        dt = dt.replace(tzinfo=timezone.utc)  # "-0000": UTC, zone unknown
    if received_at is not None:
        ra = received_at if received_at.tzinfo else received_at.replace(tzinfo=timezone.utc)
        if dt is None or abs(dt - ra) > MAX_SKEW:
            return received_at
    return dt


def _attribution_date(attribution: str, tz) -> datetime | None:
    lines = attribution.split("\n")
    if len(lines) > 1:
        for line in lines:
            m = re.match(
                r"^\s*[*_]{0,2}(?:sent|date|gesendet|datum|envoyé|envoye|enviado(?: el)?|fecha|data"
                r"|verzonden|skickat|sendt|wysłano|wysłane|отправлено|дата|inviato|lähetetty)"
                r"\s*[*_]{0,2}\s*:\s*(.*)$",
                line,
                re.I,
            )
            if m:
                got = parse_attribution_date(m.group(1), tz, day_first=_header_day_first(attribution, tz))
                if got is not None:
                    return got
    return parse_attribution_date(attribution, tz)


def _header_day_first(block: str, tz) -> bool | None:
    """Numeric dates in a header block: day first unless the desk is in the Americas."""
    if re.search(r"\b(?:von|gesendet|de|envoyé|enviado|para|asunto|betreff|objet)\s*:", block, re.I):
        return True
    if tz is not None:
        off = tz.utcoffset(None)
        if off is not None and off <= timedelta(hours=-3):
            return False
    return True


# --------------------------------------------------------------------------- HTML

_BLOCK = {
    "address", "article", "aside", "blockquote", "center", "dd", "div", "dl", "dt", "fieldset",
    "figcaption", "figure", "footer", "form", "header", "li", "main", "nav", "ol", "section",
    "table", "tbody", "thead", "tfoot", "tr", "ul", "pre",
}
_PARA = {"p", "h1", "h2", "h3", "h4", "h5", "h6"}
_SKIP = {"script", "style", "head", "title", "noscript", "template", "xml", "o:p"}
_VOID = {"br", "hr", "img", "meta", "link", "input", "area", "base", "col", "embed", "source", "wbr"}
_QUOTE_CLASSES = ("gmail_quote", "yahoo_quoted", "moz-cite-prefix", "protonmail_quote",
                  "zmail_extra", "ms-outlook-mobile-reference-message", "outlookmessageheader")
_QUOTE_IDS = ("divrplyfwdmsg", "appendonsend", "mail-editor-reference-message-container",
              "yahoo_quoted", "reply-intro", "stopspelling")
_BORDER_TOP = re.compile(r"border-top\s*:\s*solid", re.I)
_INDENT_ONLY = re.compile(r"border\s*:\s*none", re.I)


class _HTMLText(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.lines: list[tuple[int, str]] = []  # (quote depth, text)
        self.cur: list[str] = []
        self.cur_depth = 0
        self.depth = 0
        self.skip = 0
        self.pre = 0
        self.stack: list[tuple[str, bool, bool]] = []  # (tag, blockquote?, paragraph?)
        self.marked = False
        self.mark_depth = -1  # stack depth of the marked quote container
        self.blank_pending = False

    # line handling
    def _flush(self) -> None:
        text = "".join(self.cur)
        if not self.pre:
            text = re.sub(r"[ \t\r\n\f]+", " ", text).strip()
        self.cur = []
        if text:
            if self.blank_pending and self.lines and self.lines[-1][1] != "":
                self.lines.append((self.cur_depth, ""))
            self.blank_pending = False
            self.lines.append((self.cur_depth, text))
        self.cur_depth = self.depth

    def _newline(self, blank: bool = False) -> None:
        if self.cur and "".join(self.cur).strip():
            self._flush()
        else:
            self.cur = []
            self.cur_depth = self.depth
        if blank:
            self.blank_pending = True

    def _br(self) -> None:
        if self.cur and "".join(self.cur).strip():
            self._flush()
        else:
            # an empty line from <br> (Gmail's <div><br></div>)
            self.cur = []
            if self.lines and self.lines[-1][1] != "":
                self.lines.append((self.depth, ""))
            self.cur_depth = self.depth

    def _mark(self, mark: str) -> None:
        self._newline()
        self.lines.append((self.depth, mark))

    # parser callbacks
    def handle_starttag(self, tag: str, attrs) -> None:
        tag = tag.lower()
        if tag in _SKIP:
            if tag not in _VOID:
                self.skip += 1
            return
        if self.skip:
            return
        a = {k.lower(): (v or "") for k, v in attrs}
        if tag == "br":
            self._br()
            return
        if tag == "hr":
            if not self.marked and a.get("id", "").lower() in ("stopspelling", "x_stopspelling"):
                self.marked = True  # Hotmail/Outlook.com: the quoted message follows
                self._mark(QUOTE_MARK)
                return
            self._newline()
            self.lines.append((self.depth, RULE_MARK))
            return
        if tag in _VOID:
            return
        is_quote = False
        if not self.marked and (tag in ("div", "blockquote", "hr", "span", "table")):
            cls = a.get("class", "").lower()
            ident = a.get("id", "").lower()
            if (any(c in cls.split() for c in _QUOTE_CLASSES)
                    or any(ident == i or ident == "x_" + i for i in _QUOTE_IDS)
                    or (tag == "div" and _BORDER_TOP.search(a.get("style", ""))
                        and "padding" in a.get("style", "").lower())):
                self.marked = True
                self._mark(QUOTE_MARK)
                self.mark_depth = len(self.stack)
        orig = tag
        para = tag in _PARA and "msonormal" not in a.get("class", "").lower()
        if tag == "blockquote" and _INDENT_ONLY.search(a.get("style", "")) and not a.get("type"):
            tag = "div"  # Gmail's "indent" button: a borderless blockquote, not a quote
        if tag == "blockquote":
            self._newline()
            self.depth += 1
            is_quote = True
            self.cur_depth = self.depth
        elif para:
            self._newline(blank=True)
        elif tag in _BLOCK:
            self._newline()
        elif tag in _PARA or tag in _BLOCK:  # incl. Outlook's <p class=MsoNormal>: one line each
            self._newline()
        elif tag == "td" or tag == "th":
            self.cur.append(" ")
        if tag == "pre":
            self.pre += 1
        self.stack.append((orig, is_quote, para))

    def handle_endtag(self, tag: str) -> None:
        tag = tag.lower()
        if tag in _SKIP:
            if self.skip:
                self.skip -= 1
            return
        if self.skip or tag in _VOID:
            return
        # pop to the matching tag (tolerate bad nesting)
        for k in range(len(self.stack) - 1, max(-1, len(self.stack) - 30), -1):
            if self.stack[k][0] == tag:
                popped = self.stack[k:]
                del self.stack[k:]
                break
        else:
            return
        if popped[0][2] or k == self.mark_depth:
            self._newline(blank=True)  # paragraph end, or the end of Outlook's header container
            if k == self.mark_depth:
                self.mark_depth = -1
        elif tag in _PARA or tag in _BLOCK:
            self._newline()
        for t, q, _ in reversed(popped):
            if t == "pre":
                self.pre = max(0, self.pre - 1)
            if q:
                self._newline()
                self.depth = max(0, self.depth - 1)
                self.cur_depth = self.depth

    def handle_data(self, data: str) -> None:
        if self.skip:
            return
        if not self.cur:
            self.cur_depth = self.depth
        self.cur.append(data)

    def text(self) -> str:
        self._newline()
        out = []
        for depth, t in self.lines:
            if t in (QUOTE_MARK, RULE_MARK):
                out.append(t)
            elif depth:
                out.append(("> " * depth + t).rstrip())
            else:
                out.append(t)
        return "\n".join(out)


def html_to_text(html: str) -> str:
    """Reduce HTML to text: paragraphs and line breaks kept, scripts/styles dropped,
    blockquotes as `> ` lines, the first quote container marked with QUOTE_MARK and
    `<hr>` with RULE_MARK (both consumed by `gateway.quoting`)."""
    p = _HTMLText()
    try:
        p.feed(html)
        p.close()
    except Exception:  # html.parser is lenient; keep what we have
        pass
    return p.text()
