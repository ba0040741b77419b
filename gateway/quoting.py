"""Split a reply's body into the agent's new text and the quoted customer text.

Pure functions, no I/O. `split_reply` takes LF-normalised text (HTML already
reduced by `gateway.message`, which marks HTML quote containers with
`QUOTE_MARK` lines and `<hr>` with `RULE_MARK` lines) and returns a `Split`:
the new text (signature kept; inline `>` quotes moved out), the quoted text
(the answered message's own words, `>` markers removed, older history cut),
the attribution line or header block it found, and the trailing signature of
the new text ("-- " block, client taglines such as "Sent from my iPhone",
mailing-list footers; `Split.agent_text` leaves the machine-added lines out). `parse_attribution_date` reads the
date out of an attribution in English, German, French, Spanish (and a few
other languages' month names), without dateutil/dateparser.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from datetime import datetime, timedelta, timezone, tzinfo

QUOTE_MARK = "\ue000"  # a line of its own: an HTML quote container starts here
RULE_MARK = "\ue001"  # a line of its own: an HTML <hr>

MAX_LINES = 20_000  # longer bodies are cut here
SCAN_LINES = 5_000  # split points (attributions, header blocks) are looked for in these


@dataclass(frozen=True)
class Split:
    text: str
    quoted: str = ""
    attribution: str = ""  # attribution line(s) or quoted header block, unquoted
    # which rule split: attribution, header, marker (helpdesk line), helpdesk (notification
    # layout), html (quote container), interleaved, mobile, quote (bare `>` lines), "" (none)
    kind: str = ""
    # The trailing signature block of `text`, as written (a suffix of `text`, "" if none): an
    # RFC 3676 "-- " block, a block under a rule of underscores, client taglines ("Sent from my
    # iPhone", "Get Outlook for iOS") and mailing-list footers. A plain sign-off ("Thanks,\nSam",
    # "-Sam", "Regards,\nSam") is the agent's voice, not a signature.
    signature: str = ""
    # The machine-added end of `signature` (client taglines, list footers): not the agent's words.
    trailer: str = ""

    @property
    def text_without_signature(self) -> str:
        """`text` without its signature: what splitters that strip signatures call the reply."""
        if not self.signature:
            return self.text
        return self.text[: len(self.text) - len(self.signature)].rstrip()

    @property
    def agent_text(self) -> str:
        """`text` without the machine-added trailer: the agent's own words, signature kept
        (`Reply.text`; a prefix of `text`, so offsets into it are offsets into `text`)."""
        if not self.trailer:
            return self.text
        return self.text[: len(self.text) - len(self.trailer)].rstrip()


# --------------------------------------------------------------------------- rules

_QPFX = re.compile(r"^[ \t]*((?:(?:[A-Z]{1,3})?>[ \t]?)+)")  # "> ", ">> ", Supercite "LK> "

# Attribution lines: "<start> … <verb>:" (may be folded over up to 3 lines).
_ATTR_START = re.compile(
    r"^\s*(?:On|Am|Le|El|Op|Il|Em|No dia|Den|På|W dniu|Dnia|Dne|V|В|El día)\b", re.I
)
# The verbs grouped by first letter, as in _by_first_letter: wrote, schrieb, a écrit, a ecrit,
# escribió, escribio, schreef, ha scritto, escreveu, skrev, napisał(a), pisze, napsal(a),
# написал(а), пишет, kirjoitti, író (the Cyrillic ones without \b)
_ATTR_END = re.compile(
    r"(?:\b(?:w(?:rote)|s(?:chrieb|chreef|krev)|a(?:\s+écrit|\s+ecrit)|e(?:scribió|scribio|screveu)"
    r"|h(?:a\s+scritto)|n(?:apisał(?:a|\(a\))?|apsal(?:a)?)|p(?:isze)|k(?:irjoitti)|í(?:ró))"
    r"|написал(?:а)?|пишет)\b[^:\n]{0,120}\s*:\s*$"
    r"|(?:写道|寫道)\s*[:：]\s*$",
    re.I,
)
# A name-first attribution: "Jane Doe <jane@x> wrote:", "Max <m@x> schrieb am 3.11.2026:"
_ATTR_VERB_ONLY = re.compile(
    r"(?:\bwrote|\bschrieb|\ba\s+écrit|\bescribió|\bschreef|\bha\s+scritto|\bescreveu|\bskrev"
    r"|\bnapisał(?:a)?|написал(?:а)?|пишет|\bkirjoitti)\b[^\n]{0,80}:\s*$",
    re.I,
)

_FROM_KEYS = (
    "from|von|de|van|da|od|från|fra|от кого|от|lähettäjä|afzender|mittente|remetente|expéditeur"
    "|feladó|od kogo"
)
_OTHER_KEYS = (
    "sent|date|gesendet|datum|dato|envoyé|envoye|enviado|enviado el|fecha|data|verzonden|skickat|message du"
    "|sendt|wysłano|wysłane|отправлено|дата|inviato|lähetetty|date d'envoi|sent on"
    "|to|an|à|a|para|aan|till|til|do|кому|per|cc|kopie|cci|bcc"
    "|subject|betreff|objet|sujet|asunto|onderwerp|oggetto|assunto|ämne|emne|temat|тема|aihe|tárgy|copie à"
    "|reply-to|antwort an|répondre à|importance|wichtigkeit|priority"
)
_HDR_FROM = re.compile(rf"^\s*[*_]{{0,2}}(?:{_FROM_KEYS})\s*[*_]{{0,2}}\s*:", re.I)
_HDR_ANY = re.compile(rf"^\s*[*_]{{0,2}}(?:{_FROM_KEYS}|{_OTHER_KEYS})\s*[*_]{{0,2}}\s*:", re.I)
_HDR_SENT = re.compile(
    r"^\s*[*_]{0,2}(?:sent|date|gesendet|datum|dato|message du|envoyé|envoye|enviado(?: el)?|fecha|data|verzonden"
    r"|skickat|sendt|wysłano|wysłane|отправлено|дата|inviato|lähetetty|date d'envoi|sent on)"
    r"\s*[*_]{0,2}\s*:\s*[*_]{0,2}\s*(.*)$",
    re.I,
)
_HDR_TO_SUBJ = re.compile(
    r"^\s*[*_]{0,2}(?:to|an|à|a|para|aan|till|til|do|кому|per|cc|subject|betreff|objet|sujet|asunto"
    r"|onderwerp|oggetto|assunto|ämne|emne|temat|тема|aihe)\s*[*_]{0,2}\s*:",
    re.I,
)

_SEPARATOR = re.compile(
    r"^\s*(?:"
    r"-{2,}\s*(?:original(?:e|ly)?\s+(?:message|nachricht)|ursprüngliche\s+nachricht|message\s+d'origine"
    r"|mensaje\s+original|messaggio\s+originale|oorspronkelijk\s+bericht|ursprungligt\s+meddelande"
    r"|opprinnelig\s+melding|oprindelig\s+meddelelse|wiadomość\s+oryginalna|исходное\s+сообщение"
    r"|forwarded\s+message|weitergeleitete\s+nachricht|message\s+transféré|mensaje\s+reenviado"
    r"|reply\s+message)\s*-{2,}"
    r"|begin\s+forwarded\s+message\s*:"
    r"|anfang\s+der\s+weitergeleiteten\s+nachricht\s*:"
    r"|début\s+du\s+message\s+réexpédié\s*:"
    r")\s*$",
    re.I,
)
_TITLED_RULE = re.compile(r"^\s*[-=*_]{3,}[^-=*_]{2,50}[-=*_]{3,}\s*$")  # "-------- Oprindelig besked --------"
_UNDERSCORES = re.compile(r"^\s*_{10,}\s*$")

_HELPDESK = re.compile(
    r"(?:(?:reply|respond|write|type)\w*\s+(?:\w+\s+){0,3}above\s+this\s+line"
    r"|above\s+this\s+line\s+to\s+reply"
    r"|über\s+dieser\s+zeile|oberhalb\s+dieser\s+zeile"
    r"|au-dessus\s+de\s+cette\s+ligne"
    r"|(?:por\s+)?encima\s+de\s+esta\s+l[ií]nea)",
    re.I,
)


def _is_helpdesk(line: str) -> bool:
    """A helpdesk "reply above this line" marker (cheap word test first: this runs on every line)."""
    low = line.lower()
    return ("above" in low or "zeile" in low or "ligne" in low or "encima" in low) \
        and _HELPDESK.search(line) is not None


_RULE_LINE = re.compile(r"^\s*(?:[-_=─━]\s*){8,}$")


def _unquote_line(line: str) -> tuple[int, str]:
    if ">" not in line:
        return 0, line
    m = _QPFX.match(line)
    if not m:
        return 0, line
    return m.group(1).count(">"), line[m.end():]


_VERB_ANY = re.compile(r"\b(?:wrote|schrieb|a\s+écrit|escribió|schreef|ha\s+scritto|escreveu|skrev)\b", re.I)
_GMAIL_ISO = re.compile(r"^\d{4}-\d{2}-\d{2} \d{1,2}:\d{2} GMT[+-]\d{1,2}:\d{2} \S")
_ENDS_ADDR = re.compile(r"@[\w.-]*\w(?:>|\])\s*>?\s*:\s*$")
# "9:12", "17.50", "9h30" or a year; written digit-first, which re scans several times faster
_HAS_TIME = re.compile(r"\d(?:\d?[:.h]\d\d|\d\d\d)")
_DASHES = re.compile(r"^[-=*_\s]{2,}|[-=*_\s]{2,}$")


def _is_attribution(lines: list[str], i: int) -> int:
    """If an attribution starts at line i (after unquoting), return how many lines it spans."""
    depth, first = _unquote_line(lines[i])
    s = first.strip()
    if not s or len(s) > 400:
        return 0
    if s[0] in "-=*" and s[-1] in "-=*":
        s = _DASHES.sub("", s)  # Zoho: "---- On … wrote ----"
        if not s:
            return 0
        if _ATTR_START.match(s) and re.search(r"\b(?:wrote|schrieb|a écrit|escribió)\s*:?$", s, re.I):
            return 1
    if _GMAIL_ISO.match(s):
        return 2 if i + 1 < len(lines) and s.endswith("<") else 1
    # "<date/time …> Name <addr>:" in any language (Gmail/Yandex/Mail.ru/crisp layouts)
    has_time = len(s) < 250 and _HAS_TIME.search(s) is not None
    if has_time:
        has_at = "@" in s
        if has_at and s.endswith(":") and _ENDS_ADDR.search(s):
            return 1
        if has_at and re.search(r"@[\w.-]*\w>?\s*$", s) and parse_attribution_date(s) is not None:
            k = _next_content(lines, i + 1)
            if k < len(lines) and re.match(r"^\s*[>|]", lines[k]):
                return 1
        if i + 1 < len(lines) and (s.endswith("<") or "@" in s):
            nxt = lines[i + 1].strip()
            if len(nxt) < 120 and _ENDS_ADDR.search(s + nxt) and (
                nxt.startswith(">") or nxt.endswith(":")
            ):
                return 2
    if has_time and s.endswith(":") and len(s) < 200:
        # any wording with a time that ends in ":" right above a quote: "Twas brillig at 14:00
        # … when <addr> did gyre and gimble:" (Supercite), "Le 3 mars à 10:02, Anne :"
        k = _next_content(lines, i + 1)
        if k < len(lines) and _QPFX.match(lines[k]):
            return 1
    if has_time and i + 1 < len(lines) and len(s) < 200:
        nxt = _unquote_line(lines[i + 1])[1].strip()
        if "@" in nxt and len(nxt) < 120 and _ATTR_VERB_ONLY.search(nxt) and re.match(r"^<?[\w.+-]+@", nxt):
            return 2  # "pe 20. lokakuuta 2017 klo 17.50 John Coe\n<addr> kirjoitti:"
    starts = bool(_ATTR_START.match(s))
    ends = starts and _ends_attribution(s)  # the line alone; asked twice below
    if starts and len(s) < 200 and not ends and parse_attribution_date(s) is not None:
        # folded over several lines, possibly with blank lines (Outlook mobile "mailto:")
        joined = s
        for k in range(1, 6):
            if i + k >= len(lines):
                break
            raw = lines[i + k].strip()
            if len(raw) > 120 or _ATTR_START.match(_unquote_line(raw)[1]):
                break
            joined += " " + raw
            if _ends_attribution(joined) or re.search(r"\bwrote\s*$", joined):
                if k >= 2:
                    return k + 1
                break
    if starts and re.search(r"\bwrote\s*$", s) and "@" in s and parse_attribution_date(s):
        return 1  # "On <date> Name <addr> wrote" without the colon
    if not starts and not s.endswith(":") and (
        i + 1 >= len(lines) or not lines[i + 1].rstrip().endswith(":")
    ):
        return 0  # what is left are name-first attributions: they end in ":" here or on the next line
    joined = s
    for span in (1, 2, 3):
        if span > 1:
            if i + span - 1 >= len(lines):
                break
            d2, nxt = _unquote_line(lines[i + span - 1])
            nxt = nxt.strip()
            if not nxt or d2 != depth:
                break
            joined = joined + " " + nxt
            if len(joined) > 400:
                break
        if starts and (ends if span == 1 else _ends_attribution(joined)):  # span 1: joined is s
            if _looks_like_attribution(joined):
                return span
            k = _next_content(lines, i + span)  # no date/address: only before a `>` quote
            return span if k < len(lines) and _QPFX.match(lines[k]) and not depth else 0
        name_first = not starts and joined.endswith(":") and _ATTR_VERB_ONLY.search(joined)
        if span == 1 and name_first:
            if _address_or_timestamp(joined):
                return 1
            k = _next_content(lines, i + 1)  # "… пользователь lidel написал:" right above a `>` quote
            if k < len(lines) and _QPFX.match(lines[k]) and not depth:
                return 1
        if not starts:
            # name-first attributions folded over 2 lines: "Jane Doe <jane@x>\nwrote:",
            # "Max <m@x> schrieb am Fr., 28.\nApr. 2017 um 11:53 Uhr:"
            second = _unquote_line(lines[i + 1])[1].strip() if span == 2 else ""
            if span == 2 and name_first and _address_or_timestamp(joined) and (
                re.match(r"^(?:wrote|schrieb|a écrit|escribió)\b", second, re.I)
                or (_VERB_ANY.search(s) and len(second) < 80)
            ):
                return 2
            if span >= 2:
                break
    return 0


def _ends_attribution(s: str) -> bool:
    """`_ATTR_END.search(s)`, sooner. A match ends in a colon followed by nothing but
    whitespace, and holds no other ':' (between verb and colon: [^:\n] and whitespace), so a
    line not ending in a colon has none, and the search can start after the ':' before it
    (`\b` still sees the character before the start)."""
    t = s.rstrip()
    if not t.endswith((":", "：")):
        return False
    return _ATTR_END.search(s, t.rfind(":", 0, len(t) - 1) + 1) is not None


def _address_or_timestamp(s: str) -> bool:
    """An e-mail address, or a date with a time of day ("As I wrote on 3 November:" has neither)."""
    return "@" in s or bool(re.search(r"\d{1,2}[:.h]\d{2}", s) and parse_attribution_date(s) is not None)


def _looks_like_attribution(s: str) -> bool:
    # "On reflection, here is what I wrote:" is prose; attributions carry a date or an address.
    return bool(re.search(r"\d|@|<", s))


def _header_block(lines: list[str], i: int) -> int:
    """If a quoted header block (From:/Sent:/To:/Subject:) starts at i, return its length."""
    depth, first = _unquote_line(lines[i])
    if ":" not in first:
        return 0  # every header key ends in ":"
    from_first = bool(_HDR_FROM.match(first))
    if not from_first and not _HDR_ANY.match(first):
        return 0
    keys = 1
    has_from = from_first
    last_key = first.split(":", 1)[0].strip(" *_").lower()
    has_other = False
    j = i + 1
    end = i + 1
    n = len(lines)
    while j < n and j < i + 12:
        d, t = _unquote_line(lines[j])
        ts = t.strip()
        if not ts:
            if keys >= 2:
                break
            j += 1
            continue
        if _HDR_ANY.match(t):
            keys += 1
            has_from = has_from or bool(_HDR_FROM.match(t))
            if _HDR_SENT.match(t) or _HDR_TO_SUBJ.match(t):
                has_other = True
            last_key = t.split(":", 1)[0].strip(" *_").lower()
            end = j + 1
        elif keys >= 2 and not _HDR_ANY.match(t) and j > end:
            break
        elif j == end and len(ts) < 120 and keys < 2:
            # a wrapped From: value (crisp's split "From:" lines)
            end = j + 1
        elif j == end and keys >= 2 and _wrapped_value(last_key, ts, lines, j):
            end = j + 1  # wrapped value (long To:/Subject:)
        else:
            break
        j += 1
    if from_first and keys >= 2 and has_other:
        return end - i
    if not from_first and has_from and keys >= 3:
        return end - i  # "Date:/Subject:/From:/To:" (Hotmail), "Message du :/De :/A :" (French webmail)
    return 0


def _wrapped_value(key: str, ts: str, lines: list[str], j: int) -> bool:
    """Is line j the continuation of the header value of `key` (a wrapped To:/Subject:)?"""
    if len(ts) > 200 or _looks_like_prose_start(ts):
        return False
    if key in ("to", "cc", "an", "à", "a", "para", "aan", "kopie", "cci", "bcc") and ("@" in ts or ";" in ts):
        return True
    end_of_block = j + 1 >= len(lines) or not lines[j + 1].strip()
    return (key in ("subject", "betreff", "objet", "sujet", "asunto", "onderwerp", "oggetto", "assunto")
            and len(ts) < 80 and not ts.endswith((".", "!", "?", ":")) and end_of_block
            and j + 1 < len(lines))


def _looks_like_prose_start(s: str) -> bool:
    return bool(re.match(r"^(?:hi|hello|dear|hey|hallo|bonjour|hola|guten)\b", s, re.I))


def _is_marker_line(s: str) -> bool:
    return bool(_SEPARATOR.match(s))


def _strip_quotes(block: list[str]) -> str:
    """The quoted message with `>` markers removed, cut before the older history it quotes."""
    out = []
    for line in block[:MAX_LINES]:
        if line.strip() in (QUOTE_MARK, RULE_MARK):
            continue
        _, t = _unquote_line(line)
        out.append(t.rstrip())
    seen_text = False
    for k in range(min(len(out), SCAN_LINES)):
        s = out[k].strip()
        if not s:
            continue
        if seen_text and (
            _is_attribution(out, k) or _header_block(out, k)
            or _is_marker_line(s.strip("*_ ")) or _is_helpdesk(s)
            or ((_UNDERSCORES.match(s) or _TITLED_RULE.match(s)) and _next_is_header(out, k + 1))
        ):
            out = out[:k]
            break
        seen_text = True
    while out and _NO_ALNUM.match(out[-1]):
        out.pop()
    return "\n".join(out).strip("\n")


_NO_ALNUM = re.compile(r"^[\W_]*$")


def _has_marks(lines: list[str]) -> bool:
    """Could a line be a QUOTE_MARK/RULE_MARK line? (one scan instead of a strip per line)"""
    joined = "".join(lines)
    return QUOTE_MARK in joined or RULE_MARK in joined


def _finish(new: list[str], quoted: list[str], attribution: str, kind: str) -> Split:
    if _has_marks(new):
        keep = [line.rstrip() for line in new if line.strip() not in (QUOTE_MARK, RULE_MARK)]
    else:
        keep = [line.rstrip() for line in new]
    if any(">" in line for line in keep) and any(_QPFX.match(line) for line in keep):
        # Inline quotes (a quoted question answered below it) are the customer's words:
        # they go to `quoted`, and only the agent's own lines stay in `text`.
        inline: list[str] = []
        own: list[str] = []
        for line in keep:
            if _QPFX.match(line):
                inline.append(line)
                if own and own[-1] != "":
                    own.append("")
            elif line.strip() or (own and own[-1] != ""):
                own.append(line)
        keep = own
        quoted = inline + ([""] if inline and quoted else []) + list(quoted)
        if kind == "":
            kind = "quote"
    while keep and _NO_ALNUM.match(keep[-1].replace("\u1427", "")):
        keep.pop()  # trailing rules and decoration ("--", "____", "ᐧ") carry no text
    text = "\n".join(keep)
    if _has_marks(quoted):
        raw_quoted = "\n".join(x for x in quoted if x.strip() not in (QUOTE_MARK, RULE_MARK))
    else:
        raw_quoted = "\n".join(quoted)
    sig, trailer = _signature(keep, rules="--" in text or "__" in text)
    return Split(text.strip("\n").rstrip(), raw_quoted, attribution.strip(), kind,
                 signature=_tail(keep, sig), trailer=_tail(keep, trailer))


def _tail(lines: list[str], k: int) -> str:
    return "\n".join(lines[k:]).strip("\n").rstrip() if k < len(lines) else ""


def split_reply(body: str) -> Split:
    """Split LF-normalised reply text into new text, quoted text and attribution."""
    s = _split(body)
    if not s.quoted:
        return s
    return replace(s, quoted=_answered(s.quoted))


def _answered(raw: str) -> str:
    """The customer's own words in the quoted message: one level of `>` removed, then the
    same split applied, so that older history (and what the customer quoted) is left out."""
    lines = []
    for line in raw.split("\n")[:MAX_LINES]:
        if line[:1] == ">":  # the usual "> text": what the regex below does, without it
            lines.append(line[2:] if line[1:2] in (" ", "\t") else line[1:])
            continue
        m = _QPFX.match(line) if ">" in line else None
        if m:
            marks = m.group(1)  # starts with ">": drop it and the blank after it, if any
            marks = marks[2:] if marks[1:2] in (" ", "\t") else marks[1:]
            line = line[: m.start(1)] + marks + line[m.end():]
        lines.append(line)
    inner = _split("\n".join(lines))
    if inner.text.strip():
        return inner.text
    return _strip_quotes(lines)


def _split(body: str) -> Split:
    if not body:
        return Split("")
    lines = body.split("\n")
    if len(lines) > MAX_LINES:
        lines = lines[:MAX_LINES]
    n = len(lines)
    low = body.lower()  # a helpdesk marker's words in no line if not in the body
    helpdesk = "above" in low or "zeile" in low or "ligne" in low or "encima" in low

    for i in range(min(n, SCAN_LINES)):
        raw = lines[i]
        if not helpdesk and _PLAIN_PROSE.fullmatch(raw) and "--" not in raw and "http" not in raw \
                and (i + 1 >= n or not lines[i + 1].rstrip().endswith(":")):
            continue  # plain prose (most lines): what the tests below would find, at C speed
        s = raw.strip()
        if not s:
            continue
        if s == QUOTE_MARK:
            return _split_after_mark(lines, i)
        if ">" in raw:
            depth, t = _unquote_line(raw)
            ts = t.strip()
        else:  # _unquote_line(raw) is (0, raw)
            depth, ts = 0, s
        if helpdesk and not depth and len(s) < 160 and _is_helpdesk(s):
            return _split_helpdesk(lines, i)  # "##- Please type your reply above this line -##"
        # Most lines are prose: skip the marker, rule, attribution and header-block tests
        # (only the tagline test is left) when none of them can match (see _is_prose).
        prose = _is_prose(ts) and (i + 1 >= n or not lines[i + 1].rstrip().endswith(":"))
        if prose and (depth or not _may_be_tagline(ts)):
            continue  # none of the tests below can match
        if not prose and (_is_marker_line(ts.strip("*_ ")) or (
            ts[:1] in ("-", "=", "*", "_")  # what both rules start with
            and (_UNDERSCORES.match(ts) or _TITLED_RULE.match(ts)) and _next_is_header(lines, i + 1)
        )):
            k = _next_content(lines, i + 1)
            hb = _header_block(lines, k) if k < n else 0
            attr = "\n".join(_unquote_line(x)[1].strip() for x in lines[k:k + hb]) if hb else ""
            start = _quote_block_start(lines, i) if depth else i
            return _finish(lines[:start], lines[k + hb if hb else i + 1:], attr or ts, "header")
        span = 0 if prose else _is_attribution(lines, i)
        if span:
            start = _quote_block_start(lines, i) if depth else i
            attr = " ".join(_unquote_line(x)[1].strip() for x in lines[i:i + span])
            if not depth:
                inter = _interleaved(lines, start, i + span, attr)
                if inter is not None:
                    return inter
            return _finish(lines[:start], lines[i + span:], attr, "attribution")
        if not depth and _may_be_tagline(ts) and _is_tagline(ts):
            last, k = i, _next_content(lines, i + 1)
            while k < n and _is_tagline(lines[k]):  # taglines of several clients, one under another
                last, k = k, _next_content(lines, k + 1)
            if k < n and not _is_attribution(lines, k) and not _header_block(lines, k) and not (
                _UNDERSCORES.match(lines[k]) or _is_marker_line(lines[k].strip("*_ "))
            ):
                # mobile clients put the quoted message, unmarked, below their signature
                return _finish(lines[:last + 1], lines[k:], "", "mobile")
        hb = 0 if prose else _header_block(lines, i)
        if hb:
            start = _quote_block_start(lines, i) if depth else i
            # a "____" or "----" rule right above belongs to the quote
            p = _prev_content(lines, start - 1)
            if p >= 0 and (_UNDERSCORES.match(lines[p]) or lines[p].strip() == RULE_MARK
                           or _RULE_LINE.match(lines[p]) or _TITLED_RULE.match(lines[p])
                           or re.search(r"\S --- .+ ---\s*$", lines[p])):  # Lotus Notes
                start = p
            attr = "\n".join(_unquote_line(x)[1].strip() for x in lines[i:i + hb])
            return _finish(lines[:start], lines[i + hb:], attr, "header")

    # No attribution: a trailing block of ">" lines is the quote.
    last = n - 1
    while last >= 0 and not lines[last].strip():
        last -= 1
    if last >= 0 and _QPFX.match(lines[last]):
        j = last
        while j > 0 and (_QPFX.match(lines[j - 1]) or not lines[j - 1].strip()):
            j -= 1
        while j <= last and not lines[j].strip():
            j += 1
        if j > 0:
            # a line just above ending in ":" with a date or address is an attribution
            p = _prev_content(lines, j - 1)
            attr = ""
            if p >= 0 and lines[p].rstrip().endswith(":") and (
                "@" in lines[p] or parse_attribution_date(lines[p]) is not None
            ):
                attr = lines[p].strip()
                return _finish(lines[:p], lines[j:], attr, "attribution")
            return _finish(lines[:j], lines[j:], "", "quote")
    return _finish(lines, [], "", "")


def _interleaved(lines: list[str], start: int, body: int, attr: str) -> Split | None:
    """Bottom-posted or interleaved reply: the attribution is followed by a `>` block and
    then the agent's own unquoted text. New text is the unquoted lines; quoted the rest."""
    n = len(lines)
    k = _next_content(lines, body)
    if k >= n or not _QPFX.match(lines[k]):
        return None
    new: list[str] = list(lines[:start])
    quoted: list[str] = []
    found = False
    j = k
    while j < n:
        line = lines[j]
        if line[:1] == ">" or _QPFX.match(line):  # the usual "> …" line: a match, sooner
            quoted.append(line)
        elif not line.strip():
            (quoted if quoted and j + 1 < n and _QPFX.match(lines[j + 1]) else new).append(line)
        else:
            if _is_attribution(lines, j) or _header_block(lines, j) or _is_marker_line(line.strip("*_ ")):
                break  # older history below our text
            if not found and re.match(r"^\s*(?:--|__+)\s*$", line):
                break  # a signature under the quote is not new text
            if j > 0 and _QPFX.match(lines[j - 1]) and len(lines[j - 1]) >= 60 and len(line) < 60 and (
                j + 1 >= n or _QPFX.match(lines[j + 1]) or not lines[j + 1].strip()
            ):
                quoted.append(line)  # a quoted line broken by a hard wrap, not new text
                j += 1
                continue
            found = True
            new.append(line)
        j += 1
    if not found:
        return None
    quoted.extend(lines[j:])
    return _finish(new, quoted, attr, "interleaved")


def _is_prose(ts: str) -> bool:
    """Can no separator, rule, attribution or header block start at this line (unquoted,
    stripped)? Each of them needs one of what is tested here: a separator "--" or a ":"
    (`_SEPARATOR`), a rule's first character, a ":" (header keys, name-first attributions;
    the caller also tests the next line's end, as `_is_attribution` does), a time or year
    (`_HAS_TIME`, which every date/time branch of `_is_attribution` tests first) or an
    attribution's first word (`_ATTR_START`)."""
    return not ts or (
        ":" not in ts
        and ts[0] not in "-=*_"
        and "--" not in ts
        and (ts[:2].lower() not in _ATTR_PREFIXES and ts[0] not in "Vv" and ts[:2].isascii()
             or _ATTR_START.match(ts) is None)  # the regex only where a word could start
        and _no_time(ts)
    )


def _no_time(ts: str) -> bool:
    """`_HAS_TIME.search(ts) is None`, sooner for an ASCII line without a digit (in ASCII
    text `\\d` is 0-9; the regex scans a line at several times the cost of this test)."""
    if ts.isascii():
        b = ts.encode("ascii")
        if len(b.translate(None, b"0123456789")) == len(b):
            return True
    return _HAS_TIME.search(ts) is None


# How the `_ATTR_START` words start, lowercased (but "V", and the non-ASCII "På", "В")
_ATTR_PREFIXES = frozenset(("on", "am", "le", "el", "op", "il", "em", "no", "de", "dn", "w "))


def _next_content(lines: list[str], i: int) -> int:
    while i < len(lines) and not _unquote_line(lines[i])[1].strip():
        i += 1
    return i


def _prev_content(lines: list[str], i: int) -> int:
    while i >= 0 and not lines[i].strip():
        i -= 1
    return i


def _next_is_header(lines: list[str], i: int) -> bool:
    k = _next_content(lines, i)
    return k < len(lines) and _header_block(lines, k) > 0


def _quote_block_start(lines: list[str], i: int) -> int:
    """The first line of the `>` block containing line i."""
    j = i
    while j > 0 and _QPFX.match(lines[j - 1]):
        j -= 1
    return j


def _split_after_mark(lines: list[str], i: int) -> Split:
    """Everything from an HTML quote container on is quoted; find its attribution."""
    k = _next_content(lines, i + 1)
    attr = ""
    body_start = i + 1
    if k < len(lines):
        # Outlook puts a rule then the header block; skip rule marks
        while k < len(lines) and lines[k].strip() in (RULE_MARK, QUOTE_MARK):
            k = _next_content(lines, k + 1)
    if k < len(lines):
        hb = _header_block(lines, k)
        span = 0 if hb else _is_attribution(lines, k)
        if hb or span:
            m = hb or span
            sep = "\n" if hb else " "
            attr = sep.join(_unquote_line(x)[1].strip() for x in lines[k:k + m])
            body_start = k + m
        else:
            # Yahoo/others may put the attribution a few lines in; look ahead a little
            for j in range(k, min(len(lines), k + 4)):
                span = _is_attribution(lines, j)
                if span:
                    attr = " ".join(_unquote_line(x)[1].strip() for x in lines[j:j + span])
                    body_start = j + span
                    break
    return _finish(lines[:i], lines[body_start:], attr, "html")


def _split_helpdesk(lines: list[str], i: int) -> Split:
    above = [x for x in lines[:i] if x.strip() not in (QUOTE_MARK, RULE_MARK)]
    below = lines[i + 1:]
    if any(x.strip() for x in above):
        # the agent typed above the marker; everything below is the thread
        blocks = _blocks(below)
        attr, quoted = "", below
        for b in blocks:
            head, body = _comment_header(b)
            if head:
                attr, quoted = head, body
                break
        return _finish(above, quoted, attr, "marker")
    # Notification layout: the newest comment (the agent's) comes first, then older ones.
    blocks = _blocks(below)
    comments = []
    for b in blocks:
        head, body = _comment_header(b)
        if head:
            comments.append((head, body))
    if not comments:
        return _finish(below, [], "", "marker")
    _, new_body = comments[0]
    if len(comments) == 1:
        return _finish(new_body, [], "", "helpdesk")
    head, body = comments[1]  # the comment being answered; older ones are history
    return _finish(new_body, list(body), head, "helpdesk")


def _blocks(lines: list[str]) -> list[list[str]]:
    blocks: list[list[str]] = [[]]
    for line in lines:
        s = line.strip()
        if s == RULE_MARK or _RULE_LINE.match(s):
            blocks.append([])
        elif s != QUOTE_MARK:
            blocks[-1].append(line)
    return [b for b in blocks if any(x.strip() for x in b)]


def _comment_header(block: list[str]) -> tuple[str, list[str]]:
    """A helpdesk comment starts with 'Name (Org)' then a date line (or both on one line)."""
    idx = [k for k, x in enumerate(block) if x.strip()][:3]
    if not idx:
        return "", block
    first = block[idx[0]].strip()
    if len(first) < 120 and parse_attribution_date(first) is not None and re.search(r"[A-Za-z]{2}", first):
        if re.search(r"\d{1,2}:\d{2}", first):
            return first, block[idx[0] + 1:]
    if len(idx) >= 2:
        second = block[idx[1]].strip()
        if len(first) < 120 and len(second) < 80 and parse_attribution_date(second) is not None:
            return first + "\n" + second, block[idx[1] + 1:]
    return "", block


# --------------------------------------------------------------------------- signatures

# Client taglines, the whole line: "Sent from my iPhone", "Get Outlook for iOS<https://aka.ms/…>",
# "Von meinem iPhone gesendet", "Envoyé à partir de Outlook pour iOS", "Sendt fra min iPad".
# After a possessive ("my", "meinem", "mon", …) any device name; otherwise a known client.
_DEVICE = r"\w[\w .'’®&+-]{0,60}?"  # a noun phrase: no comma, no clause after it
_CLIENT = (
    r"(?:outlook|iphone|ipad|ipod|android|blackberry|samsung|galaxy|huawei|xiaomi|pixel|nokia|htc"
    r"|windows|mail|mailbox|courrier|correo|posta|poczta|yahoo|aol|gmail|gmx|web\.de|t-online"
    r"|proton\s?mail|blue\s?mail|spark|sparrow|typeapp|edison|mymail|mail\.ru|yandex|zoho|airmail"
    r"|superhuman|mobile|mobilgerät|smartphone|phone|tablet|cell)[^\s,;]*(?:\s+[^\s,;]+){0,8}"
)
_MY = (  # a possessive: any device name may follow
    r"sent from my|von meinem|gesendet von meinem|diese nachricht wurde von meinem"
    r"|envoyé (?:de|depuis) (?:mon|ma)|enviado desde mi|enviado (?:do|de) (?:o )?meu"
    r"|verzonden (?:vanaf|met) mijn|verstuurd (?:vanaf|met) mijn|inviato dal mio|sendt fra min"
    r"|skickat från min|wysłane z mojego|отправлено с моего"
)
_VIA = (  # a known client must follow
    r"sent (?:from|with|via|using|by)|from my|von|gesendet (?:von|mit|vom)(?: der| dem)?"
    r"|envoyé (?:de|depuis|à partir de|avec)|enviado (?:desde|do|de|con|com)"
    r"|verzonden (?:vanaf|met|van)|verstuurd (?:vanaf|met)|inviato da|sendt fra|skickat från"
    r"|wysłane z|lähetetty|отправлено из|отправлено с"
)
_TAGLINE_RE = re.compile(
    rf"^[(<]{{0,2}}(?:(?:{_MY})\s+{_DEVICE}|(?:{_VIA})\s+(?:l'|la |le |el |o |the |a |an )?{_CLIENT}"
    r"|(?:get|download|obtenir|obtener|hol dir|scarica|baixe) outlook (?:for|für|pour|para|per|voor) (?:ios|android)"
    r"|(?:從|从)我的\s*\S{1,20}\s*(?:傳送|发送))"
    r"(?:\s+(?:gesendet|verzonden))?[.!]?"
    r"(?:[,.]?\s+please excuse\b.{0,40})?[)>]{0,2}$",  # "Sent from my cell, please excuse any typos."
    re.I,
)
_LINK = re.compile(r"\[([^\]\n]{1,80})\]\(https?://[^)\s]*\)")  # markdown "[Outlook for Android](url)"
_END_URL = re.compile(r"\s*(?:<https?://[^>\s]*>|\(https?://[^)\s]*\)|\[https?://[^\]\s]*\]|https?://\S*)$")


# The first three letters of every way _TAGLINE_RE can start (after "(" or "<")
_TAGLINE_STARTS = frozenset(
    "sen von ges die env ver inv ski wys fro get dow obt hol sca bai".split()
)
# A line `_split` skips without a look: ASCII letters and punctuation only, with no ":", ">" or
# digit (`_is_prose`), starting with a letter but "V" and with none of the first letters of an
# attribution (`_ATTR_PREFIXES`) or a tagline (`_TAGLINE_STARTS`). The caller also tests for
# "--", "http" and a next line ending with ":".
_PLAIN_PROSE = re.compile(
    r"[^\S\n]*(?!(?i:" + "|".join(sorted(_ATTR_PREFIXES | _TAGLINE_STARTS)) + r"))"
    r"[A-UW-Za-uw-z][\x20-\x2f\x3b-\x3d\x3f-\x7e]*"
)


def _may_be_tagline(s: str) -> bool:
    """A cheap test `_is_tagline` needs to pass: a line starting with an ASCII word that no
    tagline starts with is prose. A link ("http") or anything non-ASCII is left to it."""
    start = s.lstrip("(<")[:3]
    return "http" in s or start.lower() in _TAGLINE_STARTS or not start.isascii()


def _is_tagline(line: str) -> bool:
    """A mail client's line under the text: "Sent from my iPhone", "Get Outlook for iOS<url>"."""
    s = line.strip()
    if not s or len(s) > 160:
        return False
    if "http" in s:
        s = _END_URL.sub("", _LINK.sub(r"\1", s))  # links glued on by HTML-to-text conversion
    return bool(_TAGLINE_RE.match(s))


_SIG_DELIM = re.compile(r"^--\s*$")  # RFC 3676 "-- " (clients often drop the space)
_SIG_RULE = re.compile(r"^_{2,}\s*$")  # "________" above an Outlook/Hotmail signature
_LIST_FOOTER = re.compile(
    r"^(?:\S.{0,80}\bmailing list\b.{0,80}"  # Mailman: "riak-users mailing list"
    r"|you received this (?:message|email) because you are subscribed to .{0,200})$",  # Google Groups
    re.I,
)


def _signature(lines: list[str], rules: bool = True) -> tuple[int, int]:
    """Where the trailing signature and its machine-added trailer start in `lines` (the new
    text, rstripped); len(lines) when there is none. At least one line of text stays above."""
    n = len(lines)
    idx = [k for k, x in enumerate(lines) if x.strip()]
    trailer = n
    while len(idx) >= 2:
        last = idx[-1]
        if _is_tagline(lines[last]):
            trailer = last
            idx.pop()
            continue
        foot = _list_footer(lines, idx)
        if foot is None:
            break
        trailer = idx[foot]
        del idx[foot:]
    sig = trailer
    for pos in range(1, len(idx) if rules else 0):  # rules: some line holds "--" or "__"
        s = lines[idx[pos]].strip()
        after = len(idx) - pos - 1
        if s[:2] not in ("--", "__"):  # what both patterns start with
            continue
        if (_SIG_DELIM.match(s) and 1 <= after <= 10) or (_SIG_RULE.match(s) and 1 <= after <= 6):
            sig = idx[pos]
            break
    return sig, trailer


def _list_footer(lines: list[str], idx: list[int]) -> int | None:
    """A mailing-list footer among the last content lines: its position in `idx`."""
    for pos in range(max(1, len(idx) - 6), len(idx)):
        s = lines[idx[pos]].strip()
        if not _LIST_FOOTER.match(s):
            continue
        if pos >= 2 and re.match(r"^(?:_{2,}|-{2,3})\s*$", lines[idx[pos - 1]].strip()):
            return pos - 1  # Mailman's rule of underscores, "--" above Google Groups' footer
        if "mailing list" not in s.lower():
            return pos  # "… mailing list" without its rule may be prose
    return None


# --------------------------------------------------------------------------- names

_NAME_PATTERNS = [
    re.compile(r"^\s*(?:On|Am|Le|El|Op|Il|Em|Den)\b.*?(?:\d{1,2}[:h.]\d{2}(?:\s*[AaPp]\.?\s?[Mm]\.?)?"
               r"(?:\s*(?:UTC|GMT)?\s*[+-]\d{1,2}(?::?\d{2})?)?|\d{4})\s*,?\s*(?:\bhat\b\s*)?"
               r"(?P<name>[^<>,:]*?)\s*(?:<[^>]*>|\[[^\]]*\]|\([^)]*@[^)]*\))?\s*"
               r"(?:wrote|schrieb|a\s+écrit|escribió|schreef|ha\s+scritto|escreveu|skrev)\b", re.I),
    re.compile(r"^\s*(?P<name>[^<>:]*?)\s*(?:<[^>]*>|\[[^\]]*\])?\s*"
               r"(?:wrote|schrieb|a\s+écrit|escribió|schreef|ha\s+scritto|escreveu|skrev)\b", re.I),
]


def attribution_name(attribution: str) -> str | None:
    """The customer's display name from an attribution line or quoted header block."""
    if not attribution:
        return None
    for line in attribution.split("\n"):
        m = _HDR_FROM.match(line)
        if m:
            value = line[m.end():].strip().strip("*_").strip()
            name = re.sub(r"\s*(?:<[^>]*>|\[mailto:[^\]]*\])\s*", " ", value).strip().strip('"\' ')
            if "@" in name and " " not in name:
                return None
            return name or None
    one = " ".join(attribution.split("\n"))
    for pat in _NAME_PATTERNS:
        m = pat.search(one)
        if m:
            name = m.group("name").strip().strip('"\' ,')
            name = re.sub(r"^(?:um|at|à|a las|às|om|alle)\s+\S+\s*", "", name, flags=re.I).strip()
            if name and len(name) < 80 and not re.search(r"\d{2}", name) and "@" not in name:
                return name
    lines = [x for x in attribution.split("\n") if x.strip()]
    if len(lines) == 2 and parse_attribution_date(lines[1]) is not None:  # helpdesk comment header
        name = re.sub(r"\s*\([^)]*\)\s*$", "", lines[0]).strip()
        return name or None
    return None


# --------------------------------------------------------------------------- dates

_MONTHS: dict[str, int] = {}
for _num, _names in enumerate(
    [
        "jan january januar jänner jaen janvier janv enero ene januari gennaio gen janeiro",
        "feb february februar février fevrier févr fevr fév febrero februari febbraio fevereiro fev",
        "mar march märz maerz mär mrz mars marzo maart mrt março marco",
        "apr april avril avr abril aprile",
        "may mai mayo mei maggio mag maio",
        "jun june juni juin junio giugno giu junho",
        "jul july juli juillet juil julio luglio lug julho",
        "aug august août aout agosto ago augustus",
        "sep sept september septembre septiembre setiembre settembre set setembro",
        "oct october oktober okt octobre octubre ottobre ott outubro",
        "nov november novembre noviembre novembro",
        "dec december dezember dez décembre decembre déc diciembre dic dicembre dezembro",
    ],
    start=1,
):
    for _n in _names.split():
        _MONTHS[_n] = _num


def _by_first_letter(words: list[str]) -> str:
    """The alternation "w1|w2|…" as "j(?:an|…)|f(?:eb|…)|…": the same matches (only the
    words with the text's first letter can match there, tried in the same order), but the
    regex engine tries a dozen first letters instead of every word."""
    groups: dict[str, list[str]] = {}
    for w in words:
        groups.setdefault(w[0], []).append(w[1:])
    return "|".join(re.escape(c) + "(?:" + "|".join(map(re.escape, rest)) + ")" for c, rest in groups.items())


# longest first; the first letters are distinct even ignoring case
_MONTH_RE = _by_first_letter(sorted(_MONTHS, key=len, reverse=True))
_DMY = re.compile(
    rf"\b(\d{{1,2}})(?:\.|er|st|nd|rd|th)?\s*(?:de\s+|-)?({_MONTH_RE})\.?,?\s*(?:de\s+|-)?(\d{{4}})\b", re.I
)
_MDY = re.compile(rf"\b({_MONTH_RE})\.?\s+(\d{{1,2}})(?:st|nd|rd|th)?\.?,?\s+(\d{{4}})\b", re.I)
_ISO = re.compile(r"\b(\d{4})-(\d{1,2})-(\d{1,2})\b|(\d{4})\s*年\s*(\d{1,2})\s*月\s*(\d{1,2})\s*日")
_NUM = re.compile(r"(?<![\d:.])(\d{1,4})([./-])(\d{1,2})\2(\d{2,4})(?![\d:])")
_TIME = re.compile(
    r"(?<![\d:])(\d{1,2})(?::|h|\.(?=\d{2}\s*(?:uhr|h\b)))(\d{2})(?::(\d{2}))?(?!\d)\s*"
    r"(?:(a\.?\s?m\.?|p\.?\s?m\.?|am|pm|vorm\.|nachm\.)(?![a-z]))?",
    re.I,
)
_ZONE = re.compile(
    r"^\s*,?\s*(?:\(?\s*(?:UTC|GMT)\s*(?:([+-])\s*(\d{1,2})(?::?(\d{2}))?)?\s*\)?"
    r"|([+-])(\d{2}):?(\d{2})\b"
    r"|\(?\b(EST|EDT|CST|CDT|MST|MDT|PST|PDT|CET|CEST|BST|IST|AEST|AEDT|JST|Z)\b\)?)",
    re.I,
)
_NAMED = {"EST": -5, "EDT": -4, "CST": -6, "CDT": -5, "MST": -7, "MDT": -6, "PST": -8,
          "PDT": -7, "CET": 1, "CEST": 2, "BST": 1, "IST": 5.5, "AEST": 10, "AEDT": 11,
          "JST": 9, "Z": 0}


def parse_attribution_date(
    text: str, default_tz: tzinfo | None = None, *, day_first: bool | None = None
) -> datetime | None:
    """The date and time in an attribution line / header value, or None.

    Without a zone in the text, `default_tz` is used (the reply's own offset:
    what the agent's client showed); with neither, the result is naive.
    `day_first` decides ambiguous numeric dates (3/11/26); None guesses from the
    text (dots, non-English words, 24-hour time) and the default zone.
    """
    if not text:
        return None
    s = text if len(text) < 500 else text[:500]
    y = mo = d = None
    end = 0
    m = _ISO.search(s) if "-" in s or "年" in s else None  # what each of its forms needs
    if m:
        g = m.groups()
        y, mo, d = (int(g[0]), int(g[1]), int(g[2])) if g[0] else (int(g[3]), int(g[4]), int(g[5]))
        end = m.end()
    else:
        m = _DMY.search(s)
        m2 = _MDY.search(s)
        if m2 and (not m or m2.start() < m.start()):
            mo, d, y = _MONTHS[m2.group(1).lower()], int(m2.group(2)), int(m2.group(3))
            end = m2.end()
            m = m2
        elif m:
            d, mo, y = int(m.group(1)), _MONTHS[m.group(2).lower()], int(m.group(3))
            end = m.end()
        else:
            m = _NUM.search(s)
            if not m:
                return None
            a, sep, b, c = m.group(1), m.group(2), m.group(3), m.group(4)
            end = m.end()
            if len(a) == 4:
                y, mo, d = int(a), int(b), int(c)
            else:
                ai, bi = int(a), int(b)
                y = int(c) + (2000 if len(c) == 2 else 0)
                if ai > 12:
                    d, mo = ai, bi
                elif bi > 12:
                    mo, d = ai, bi
                else:
                    df = day_first
                    if df is None:
                        df = _guess_day_first(s, sep, default_tz)
                    d, mo = (ai, bi) if df else (bi, ai)
    hh = mm = 0
    rest = s[end:end + 60]
    t = _TIME.search(rest)
    zone_from = None
    if t:
        zone_from = end + t.end()
    else:
        t = _TIME.search(s[max(0, m.start() - 40):m.start()])
        if t:
            zone_from = end
    if t:
        hh, mm = int(t.group(1)), int(t.group(2))
        ap = (t.group(4) or "").lower().replace(".", "").replace(" ", "")
        if ap in ("pm", "nachm") and hh < 12:
            hh += 12
        elif ap in ("am", "vorm") and hh == 12:
            hh = 0
    tz = default_tz
    if zone_from is not None:
        z = _ZONE.match(s[zone_from:zone_from + 20])
        if z and z.group(0).strip():
            tz = _zone(z) or tz
    try:
        dt = datetime(y, mo, d, hh, mm)
    except (ValueError, TypeError):
        return None
    if not 1970 <= y <= 2200:
        return None
    return dt.replace(tzinfo=tz) if tz is not None else dt


def _zone(z: re.Match) -> tzinfo | None:
    if z.group(7):
        return timezone(timedelta(hours=_NAMED[z.group(7).upper()]))
    if z.group(4):
        sign, h, mi = z.group(4), int(z.group(5)), int(z.group(6))
    elif z.group(1):
        sign, h, mi = z.group(1), int(z.group(2)), int(z.group(3) or 0)
    else:
        return timezone.utc  # bare "UTC"/"GMT"
    if h > 14 or mi > 59:
        return None
    off = timedelta(hours=h, minutes=mi)
    return timezone(-off if sign == "-" else off)


_NON_EN = re.compile(
    r"\b(?:schrieb|gesendet|von|le|à|a écrit|envoyé|de|el|escribió|enviado|fecha|op|schreef"
    r"|il|ha scritto|em|escreveu|den|skrev|datum)\b",
    re.I,
)


def _guess_day_first(s: str, sep: str, default_tz: tzinfo | None) -> bool:
    if sep in ".-":
        return True
    if re.search(r"\d\s*[ap]\.?m\b", s, re.I):
        return False  # 12-hour clock: US Thunderbird/Outlook, "11/3/26 9:12 AM"
    if _NON_EN.search(s):
        return True
    if default_tz is not None:
        off = default_tz.utcoffset(None)
        if off is not None and off <= timedelta(hours=-3):
            return False  # the Americas write month first
        return True
    return False
