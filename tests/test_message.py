"""gateway.message / gateway.quoting: raw bytes → Reply, quote splitting, attribution dates.

The hand-written messages below are our own; the corpus tests read
../shared/corpus (third-party test data, never copied into this repository).
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone

import pytest

from gateway.message import html_to_text, parse_message
from gateway.quoting import parse_attribution_date, split_reply

from tests.shared_corpus import corpus_dir  # ../shared/corpus; skips, or fails under CI=true


def tz(hours: float) -> timezone:
    return timezone(timedelta(hours=hours))


def eml(body: str, *, ctype: str = "text/plain", date: str = "Tue, 03 Nov 2026 10:30:00 +0000",
        to: str = "Ruth Abernathy <ruth@customer.example>", crlf: bool = False) -> bytes:
    head = (
        "From: Sam Agent <sam@help.example>\n"
        f"To: {to}\n"
        "Subject: Re: Invoice question\n"
        f"Date: {date}\n"
        "Message-ID: <abc123@help.example>\n"
        "MIME-Version: 1.0\n"
        f"Content-Type: {ctype}; charset=utf-8\n"
        "Content-Transfer-Encoding: 8bit\n\n"
    )
    raw = head + body
    if crlf:
        raw = raw.replace("\n", "\r\n")
    return raw.encode("utf-8")


NEW = "Hi Ruth,\n\nI've corrected the invoice and sent it again.\n\nBest,\nSam\n\nSam Agent\nSupport, Example Ltd"
CUSTOMER = "Hello,\n\nMy invoice shows the wrong address. This is ridiculous.\n\nRuth"


def quoted(text: str) -> str:
    return "\n".join(("> " + line).rstrip() for line in text.split("\n"))


# --------------------------------------------------------------------------- plain styles

PLAIN_CASES = {
    "gmail": (
        f"{NEW}\n\nOn Tue, Nov 3, 2026 at 9:12 AM Ruth Abernathy <ruth@customer.example> wrote:\n\n"
        f"{quoted(CUSTOMER)}\n",
        datetime(2026, 11, 3, 9, 12, tzinfo=tz(0)),
        "Ruth Abernathy",
    ),
    "gmail-folded": (
        f"{NEW}\n\nOn Tue, Nov 3, 2026 at 9:12 AM Ruth Abernathy <ruth@customer.example>\nwrote:\n\n"
        f"{quoted(CUSTOMER)}\n",
        datetime(2026, 11, 3, 9, 12, tzinfo=tz(0)),
        "Ruth Abernathy",
    ),
    "outlook-desktop": (
        f"{NEW}\n\n________________________________\nFrom: Ruth Abernathy <ruth@customer.example>\n"
        "Sent: Tuesday, November 3, 2026 9:12 AM\nTo: support@help.example\nSubject: Invoice question\n\n"
        f"{CUSTOMER}\n",
        datetime(2026, 11, 3, 9, 12, tzinfo=tz(0)),
        "Ruth Abernathy",
    ),
    "original-message": (
        f"{NEW}\n\n-----Original Message-----\nFrom: Ruth Abernathy <ruth@customer.example>\n"
        "Sent: Tuesday, November 3, 2026 9:12 AM\nTo: support@help.example\nSubject: Invoice question\n\n"
        f"{CUSTOMER}\n",
        datetime(2026, 11, 3, 9, 12, tzinfo=tz(0)),
        "Ruth Abernathy",
    ),
    "outlook-german": (
        f"{NEW}\n\nVon: Ruth Abernathy <ruth@customer.example>\nGesendet: Dienstag, 3. November 2026 09:12\n"
        "An: support@help.example\nBetreff: Rechnung\n\n"
        f"{CUSTOMER}\n",
        datetime(2026, 11, 3, 9, 12, tzinfo=tz(0)),
        "Ruth Abernathy",
    ),
    "outlook-french": (
        f"{NEW}\n\nDe : Ruth Abernathy <ruth@customer.example>\nEnvoyé : mardi 3 novembre 2026 09:12\n"
        "À : support@help.example\nObjet : Facture\n\n"
        f"{CUSTOMER}\n",
        datetime(2026, 11, 3, 9, 12, tzinfo=tz(0)),
        "Ruth Abernathy",
    ),
    "outlook-spanish": (
        f"{NEW}\n\nDe: Ruth Abernathy <ruth@customer.example>\nEnviado: martes, 3 de noviembre de 2026 9:12\n"
        "Para: support@help.example\nAsunto: Factura\n\n"
        f"{CUSTOMER}\n",
        datetime(2026, 11, 3, 9, 12, tzinfo=tz(0)),
        "Ruth Abernathy",
    ),
    "outlook-uk-numeric": (
        f"{NEW}\n\nFrom: Ruth Abernathy <ruth@customer.example>\nSent: 03/11/2026 09:12\n"
        "To: support@help.example\nSubject: Invoice question\n\n"
        f"{CUSTOMER}\n",
        datetime(2026, 11, 3, 9, 12, tzinfo=tz(0)),
        "Ruth Abernathy",
    ),
    "apple-inside-quote": (
        f"{NEW}\n\n> On 3 Nov 2026, at 09:12, Ruth Abernathy <ruth@customer.example> wrote:\n>\n"
        f"{quoted(CUSTOMER)}\n",
        datetime(2026, 11, 3, 9, 12, tzinfo=tz(0)),
        "Ruth Abernathy",
    ),
    "apple-before-quote": (
        f"{NEW}\n\nOn Nov 3, 2026, at 9:12 AM, Ruth Abernathy <ruth@customer.example> wrote:\n\n"
        f"{quoted(CUSTOMER)}\n",
        datetime(2026, 11, 3, 9, 12, tzinfo=tz(0)),
        "Ruth Abernathy",
    ),
    "thunderbird": (
        f"{NEW}\n\nOn 11/3/26 9:12 AM, Ruth Abernathy wrote:\n{quoted(CUSTOMER)}\n",
        datetime(2026, 11, 3, 9, 12, tzinfo=tz(0)),
        "Ruth Abernathy",
    ),
    "yahoo": (
        f"{NEW}\n\nOn Tuesday, November 3, 2026, 09:12:00 AM UTC+01, Ruth Abernathy "
        f"<ruth@customer.example> wrote:\n\n{quoted(CUSTOMER)}\n",
        datetime(2026, 11, 3, 9, 12, tzinfo=tz(1)),
        "Ruth Abernathy",
    ),
    "german-attribution": (
        f"{NEW}\n\nAm 3. Dez. 2025 um 09:12 schrieb Ruth Abernathy <ruth@customer.example>:\n\n"
        f"{quoted(CUSTOMER)}\n",
        datetime(2025, 12, 3, 9, 12, tzinfo=tz(0)),
        "Ruth Abernathy",
    ),
    "french-attribution": (
        f"{NEW}\n\nLe mar. 3 nov. 2026 à 09:12, Ruth Abernathy <ruth@customer.example> a écrit :\n\n"
        f"{quoted(CUSTOMER)}\n",
        datetime(2026, 11, 3, 9, 12, tzinfo=tz(0)),
        "Ruth Abernathy",
    ),
    "spanish-attribution": (
        f"{NEW}\n\nEl mar, 3 nov 2026 a las 9:12, Ruth Abernathy (<ruth@customer.example>) escribió:\n\n"
        f"{quoted(CUSTOMER)}\n",
        datetime(2026, 11, 3, 9, 12, tzinfo=tz(0)),
        "Ruth Abernathy",
    ),
}


@pytest.mark.parametrize("style", sorted(PLAIN_CASES))
def test_plain_styles_split_and_date(style: str) -> None:
    body, when, name = PLAIN_CASES[style]
    r = parse_message(eml(body))
    assert r.text == NEW, style
    assert "This is ridiculous." in r.quoted
    assert ">" not in r.quoted
    assert r.customer_wrote_at == when
    assert r.customer_wrote_at.utcoffset() == when.utcoffset()
    assert r.customer_name == name


def test_attribution_without_zone_takes_the_reply_offset() -> None:
    body = f"{NEW}\n\nOn Tue, Nov 3, 2026 at 9:12 AM Ruth <ruth@customer.example> wrote:\n\n{quoted(CUSTOMER)}"
    r = parse_message(eml(body, date="Tue, 03 Nov 2026 12:30:00 -0500"))
    assert r.customer_wrote_at == datetime(2026, 11, 3, 9, 12, tzinfo=tz(-5))
    assert r.replied_at == datetime(2026, 11, 3, 12, 30, tzinfo=tz(-5))


def test_us_numeric_header_block_is_month_first_in_the_americas() -> None:
    body = (f"{NEW}\n\nFrom: Ruth <ruth@customer.example>\nSent: 11/3/2026 9:12 AM\n"
            f"To: support@help.example\nSubject: x\n\n{CUSTOMER}")
    r = parse_message(eml(body, date="Tue, 03 Nov 2026 12:30:00 -0500"))
    assert r.customer_wrote_at == datetime(2026, 11, 3, 9, 12, tzinfo=tz(-5))


def test_helpdesk_marker_above_line() -> None:
    body = (f"{NEW}\n\n##- Please type your reply above this line -##\n\nRuth Abernathy\n"
            f"Nov 3, 2026, 09:12 UTC\n\n{CUSTOMER}\n")
    r = parse_message(eml(body))
    assert r.text == NEW
    assert "ridiculous" in r.quoted and "Please type" not in r.text
    assert r.customer_wrote_at == datetime(2026, 11, 3, 9, 12, tzinfo=timezone.utc)


def test_helpdesk_notification_html() -> None:
    html = (
        '<html><body><div style="color:#b5b5b5">##- Please type your reply above this line -##</div>'
        "<p>Your request (42) has been updated.</p><hr>"
        "<table><tr><td><strong>Sam Agent</strong> (Example)</td></tr><tr><td>Nov 3, 2026, 10:30 UTC</td></tr>"
        "<tr><td><p>Hi Ruth,</p><p>Fixed and re-sent.</p><p>Sam</p></td></tr></table><hr>"
        "<table><tr><td><strong>Ruth Abernathy</strong></td></tr><tr><td>Nov 3, 2026, 09:12 UTC+01:00</td></tr>"
        "<tr><td><p>This is ridiculous.</p></td></tr></table></body></html>"
    )
    r = parse_message(eml(html, ctype="text/html"))
    assert r.text == "Hi Ruth,\n\nFixed and re-sent.\n\nSam"
    assert r.quoted == "This is ridiculous."
    assert r.customer_name == "Ruth Abernathy"
    assert r.customer_wrote_at == datetime(2026, 11, 3, 9, 12, tzinfo=tz(1))


# --------------------------------------------------------------------------- HTML styles

HTML_NEW = "<div dir=\"ltr\"><p>Hi Ruth,</p><p>I've corrected the invoice.</p><p>Best,<br>Sam</p></div>"
HTML_CUSTOMER = "<p>Hello,</p><p>My invoice is wrong. This is ridiculous.</p><p>Ruth</p>"
HTML_CASES = {
    "gmail": (
        f'{HTML_NEW}<br><div class="gmail_quote"><div dir="ltr" class="gmail_attr">On Tue, Nov 3, 2026 at '
        f"9:12 AM Ruth Abernathy &lt;ruth@customer.example&gt; wrote:<br></div>"
        f'<blockquote class="gmail_quote" style="margin:0 0 0 .8ex">{HTML_CUSTOMER}</blockquote></div>'
    ),
    "outlook-desktop": (
        f'<html><body><div class="WordSection1">{HTML_NEW}<div><div style="border:none;border-top:solid '
        '#E1E1E1 1.0pt;padding:3.0pt 0in 0in 0in"><p class="MsoNormal"><b>From:</b> Ruth Abernathy '
        "&lt;ruth@customer.example&gt;<br><b>Sent:</b> Tuesday, November 3, 2026 9:12 AM<br><b>To:</b> "
        f"support@help.example<br><b>Subject:</b> Invoice</p></div></div>{HTML_CUSTOMER}</div></body></html>"
    ),
    "outlook-web": (
        f'{HTML_NEW}<hr style="display:inline-block;width:98%" tabindex="-1"><div id="divRplyFwdMsg" dir="ltr">'
        '<font face="Calibri, sans-serif"><b>From:</b> Ruth Abernathy &lt;ruth@customer.example&gt;<br>'
        "<b>Sent:</b> Tuesday, November 3, 2026 9:12 AM<br><b>To:</b> support@help.example<br>"
        f"<b>Subject:</b> Invoice</font><div>&nbsp;</div></div><div>{HTML_CUSTOMER}</div>"
    ),
    "yahoo": (
        f'{HTML_NEW}<div id="yahoo_quoted_123" class="yahoo_quoted"><div>On Tuesday, November 3, 2026, '
        "09:12:00 AM UTC, Ruth Abernathy &lt;ruth@customer.example&gt; wrote:</div><div><br></div>"
        f"<div>{HTML_CUSTOMER}</div></div>"
    ),
    "apple": (
        f"{HTML_NEW}<div><br><blockquote type=\"cite\"><div>On Nov 3, 2026, at 09:12, Ruth Abernathy "
        f"&lt;ruth@customer.example&gt; wrote:</div><br>{HTML_CUSTOMER}</blockquote></div>"
    ),
    "thunderbird": (
        f'{HTML_NEW}<div class="moz-cite-prefix">On 11/3/26 9:12 AM, Ruth Abernathy wrote:<br></div>'
        f'<blockquote type="cite">{HTML_CUSTOMER}</blockquote>'
    ),
}


@pytest.mark.parametrize("style", sorted(HTML_CASES))
def test_html_styles(style: str) -> None:
    r = parse_message(eml(HTML_CASES[style], ctype="text/html"))
    assert r.text == "Hi Ruth,\n\nI've corrected the invoice.\n\nBest,\nSam", style
    assert "This is ridiculous." in r.quoted
    assert "wrote:" not in r.quoted and "Sent:" not in r.quoted
    assert r.customer_wrote_at == datetime(2026, 11, 3, 9, 12, tzinfo=timezone.utc), style
    assert r.customer_name == "Ruth Abernathy"


def test_html_to_text_drops_script_and_style_and_keeps_paragraphs() -> None:
    t = html_to_text("<html><head><style>p{}</style></head><body><script>x()</script>"
                     "<p>One &amp; two</p><p>Three<br>Four</p></body></html>")
    assert t == "One & two\n\nThree\nFour"


def test_multipart_prefers_plain() -> None:
    raw = (
        "From: a@help.example\nTo: b@customer.example\nSubject: s\nMIME-Version: 1.0\n"
        'Content-Type: multipart/alternative; boundary="B"\n\n--B\nContent-Type: text/plain\n\n'
        "Plain text wins.\n--B\nContent-Type: text/html\n\n<p>HTML loses.</p>\n--B--\n"
    ).encode()
    assert parse_message(raw).text == "Plain text wins."


# --------------------------------------------------------------------------- details


def test_crlf_is_normalised() -> None:
    body = f"{NEW}\n\nOn Tue, Nov 3, 2026 at 9:12 AM Ruth <ruth@customer.example> wrote:\n\n{quoted(CUSTOMER)}\n"
    r = parse_message(eml(body, crlf=True))
    assert "\r" not in r.text and "\r" not in r.quoted
    assert r.text == NEW


def test_on_lines_in_new_text_do_not_split() -> None:
    new = ("Hi Ruth,\n\nOn Monday I checked your account and the invoice was wrong.\n"
           "On 3 November I sent a corrected copy, which I wrote: by hand.\nOn balance it is fixed now.\n\nSam")
    r = parse_message(eml(new))
    assert r.text == new
    assert r.quoted == "" and r.customer_wrote_at is None


def test_new_outbound_has_no_quote() -> None:
    r = parse_message(eml("Hi Ruth,\n\nYour order shipped today.\n\nSam\n"))
    assert r.text == "Hi Ruth,\n\nYour order shipped today.\n\nSam"
    assert r.quoted == "" and r.customer_wrote_at is None
    assert r.customer_name == "Ruth Abernathy"  # from To:


def test_headers() -> None:
    r = parse_message(eml("Hi\n"), team="billing")
    assert r.subject == "Re: Invoice question"
    assert r.message_id == "<abc123@help.example>"
    assert r.sender == "sam@help.example"
    assert r.recipients == ("ruth@customer.example",)
    assert r.team == "billing"
    r2 = parse_message(eml("Hi\n"), sender="x@y.example", recipients=("z@y.example",))
    assert r2.sender == "x@y.example" and r2.recipients == ("z@y.example",)


def test_replied_at_falls_back_to_received_at() -> None:
    received = datetime(2026, 11, 3, 10, 31, tzinfo=timezone.utc)
    assert parse_message(eml("Hi\n"), received_at=received).replied_at == datetime(
        2026, 11, 3, 10, 30, tzinfo=timezone.utc)
    skewed = eml("Hi\n", date="Tue, 03 Nov 2020 10:30:00 +0000")
    assert parse_message(skewed, received_at=received).replied_at == received
    garbage = eml("Hi\n", date="yesterday-ish")
    assert parse_message(garbage, received_at=received).replied_at == received
    assert parse_message(garbage).replied_at is None


def test_bottom_posted_reply() -> None:
    body = (f"On Tue, Nov 3, 2026 at 9:12 AM Ruth <ruth@customer.example> wrote:\n{quoted(CUSTOMER)}\n\n"
            "Hi Ruth, fixed now.\n\nSam\n")
    s = split_reply(body)
    assert s.text == "Hi Ruth, fixed now.\n\nSam"
    assert "ridiculous" in s.quoted and "ridiculous" not in s.text


@pytest.mark.parametrize(
    "text, expected",
    [
        ("Am 3. Dez. 2025 um 09:12 schrieb X <x@y>:", datetime(2025, 12, 3, 9, 12)),
        ("Le mar. 3 nov. 2026 à 09:12, X a écrit :", datetime(2026, 11, 3, 9, 12)),
        ("El mar, 3 nov 2026 a las 21:05, X escribió:", datetime(2026, 11, 3, 21, 5)),
        ("Sent: Tuesday, November 3, 2026 9:12 PM", datetime(2026, 11, 3, 21, 12)),
        ("Gesendet: Dienstag, 22. September 2026 10:05", datetime(2026, 9, 22, 10, 5)),
        ("Am 03.11.2026 um 09:12 schrieb X:", datetime(2026, 11, 3, 9, 12)),
        ("On 13 May 2026, at 8:12 am, Tom wrote:", datetime(2026, 5, 13, 8, 12)),
        ("On 11/3/26 9:12 AM, Ruth wrote:", datetime(2026, 11, 3, 9, 12)),
        ("Op di 3 nov. 2026 om 09:12 schreef Ruth <r@x.example>:", datetime(2026, 11, 3, 9, 12)),
        ("Il giorno mar 3 nov 2026 alle ore 21:12 Ruth ha scritto:", datetime(2026, 11, 3, 21, 12)),
        ("2026年11月3日(火) 9:12 Ruth <r@x.example>:", datetime(2026, 11, 3, 9, 12)),
        ("Date: Tue, 3 Nov 2026 09:12:00 +0100", datetime(2026, 11, 3, 9, 12, tzinfo=tz(1))),
        ("no date here", None),
    ],
)
def test_parse_attribution_date(text: str, expected: datetime | None) -> None:
    assert parse_attribution_date(text) == expected


@pytest.mark.parametrize(
    "raw",
    [
        b"",
        b"garbage without headers",
        b"Content-Type: multipart/mixed\n\nno boundary at all",
        b'Content-Type: multipart/mixed; boundary="x"\n\n--x\nContent-Type: text/plain; charset=x-unknown\n\n\xff\xfe hi\n',
        b"Content-Type: text/plain; charset=iso-2022-jp\nContent-Transfer-Encoding: base64\n\n!!!not base64",
        b"From: <<<@@@>>>\nDate: Thu, 99 Foo 20260 99:99\nSubject: =?x-bogus?q?abc?=\n\nbody",
        b"Content-Type: text/html\n\n<div><blockquote><blockquote><p>unclosed",
    ],
)
def test_malformed_mime_does_not_raise(raw: bytes) -> None:
    r = parse_message(raw)
    assert isinstance(r.text, str)


def test_deep_multipart_does_not_raise() -> None:
    depth = 2000
    parts = ["MIME-Version: 1.0\n"]
    for k in range(depth):
        parts.append(f'Content-Type: multipart/mixed; boundary="b{k}"\n\n--b{k}\n')
    parts.append("Content-Type: text/plain\n\ndeep text\n")
    for k in reversed(range(depth)):
        parts.append(f"--b{k}--\n")
    r = parse_message("".join(parts).encode())
    assert isinstance(r.text, str)


def test_huge_body_is_bounded() -> None:
    body = ("word " * 20 + "\n") * 60_000  # ~6 MB
    r = parse_message(eml(body))
    assert len(r.text) <= 1_000_000


# --------------------------------------------------------------------------- corpus


@pytest.mark.corpus
def test_every_corpus_mime_message_parses() -> None:
    mime = corpus_dir("mime")
    files = sorted(mime.glob("*.eml"))
    assert len(files) >= 200
    for f in files:
        r = parse_message(f.read_bytes())
        assert isinstance(r.text, str), f.name


@pytest.mark.corpus
def test_labeled_customer_wrote_at() -> None:
    labeled = corpus_dir("labeled")
    total = good = 0
    misses = []
    for line in (labeled / "labels.jsonl").read_text(encoding="utf-8").splitlines():
        if not line.strip():
            continue
        rec = json.loads(line)
        r = parse_message((labeled / rec["file"]).read_bytes())
        total += 1
        want = rec.get("customer_wrote_at")
        if rec.get("style") == "new-outbound" or not want:
            ok = r.customer_wrote_at is None
        else:
            w = datetime.fromisoformat(want)
            got = r.customer_wrote_at
            ok = got is not None and got.tzinfo is not None and abs(got - w) < timedelta(minutes=1)
        good += ok
        if not ok:
            misses.append((rec["id"], want, r.customer_wrote_at))
        # the split itself: new text present, quote separated, no attribution left in the text
        assert r.text.strip(), rec["id"]
        assert bool(r.quoted.strip()) == (rec.get("style") != "new-outbound"), rec["id"]
        for marker in ("wrote:", "Sent:", "Gesendet:", "Please type your reply above"):
            assert marker not in r.text, (rec["id"], marker)
    # 137/140 at the time of writing; the 3 misses (v1-09, v1-14, v2-11) are labeled with the
    # customer's zone rather than the reply's offset that the agent's client shows.
    assert good / total >= 0.95, misses


@pytest.mark.parametrize("new", [
    "Hi Ruth,\n\nOn reflection, here is what I wrote:\nthe invoice is now correct.\n\nSam",
    "Hi Ruth,\n\nOn 3 November we sent you the following:\n- a new invoice\n- a credit note\n\nSam",
    "Hi Ruth,\n\nOn Tuesday at 9:12 our system logged this:\nERROR 42\n\nSam",
    "Hi Ruth,\n\nAt 9:12 today I forwarded it to billing@help.example:\n- invoice 1142\n\nSam",
    "Hi Ruth,\n\nAs I wrote on 3 November 2026:\nthe invoice is correct.\n\nSam",
])
def test_prose_on_lines_do_not_split(new: str) -> None:
    assert split_reply(new).text == new


def test_inline_quotes_go_to_quoted() -> None:
    body = "> Why is my invoice wrong? This is ridiculous.\n\nIt had your old address; fixed now.\n\nSam"
    s = split_reply(body)
    assert s.text == "It had your old address; fixed now.\n\nSam"
    assert s.quoted == "Why is my invoice wrong? This is ridiculous."


def test_helpdesk_marker_inside_the_quote_is_not_the_split() -> None:
    body = (f"{NEW}\n\nOn Tue, Nov 3, 2026 at 9:12 AM Example Support <support@help.example> wrote:\n\n"
            "> ##- Please type your reply above this line -##\n>\n> Ruth Abernathy\n> Nov 3, 2026, 09:00 UTC\n>\n"
            "> This is ridiculous.\n")
    s = split_reply(body)
    assert s.text == NEW
    assert "ridiculous" in s.quoted


def test_mobile_signature_then_unmarked_quote() -> None:
    body = "Fixed, thanks!\n\nSent from my iPhone\n\nHello, my invoice is wrong. This is ridiculous.\n"
    s = split_reply(body)
    assert s.text == "Fixed, thanks!\n\nSent from my iPhone"
    assert "ridiculous" in s.quoted
    assert s.signature == s.trailer == "Sent from my iPhone"
    assert s.agent_text == s.text_without_signature == "Fixed, thanks!"


def test_outlook_web_appendonsend() -> None:
    html = (
        '<div>Hi Ruth, fixed.</div><div id="appendonsend"></div><hr style="display:inline-block">'
        '<div id="divRplyFwdMsg"><b>From:</b> Ruth Abernathy &lt;ruth@customer.example&gt;<br>'
        "<b>Sent:</b> Tuesday, November 3, 2026 9:12 AM<br><b>To:</b> support@help.example<br>"
        "<b>Subject:</b> Invoice</div><div>This is ridiculous.</div>"
    )
    r = parse_message(eml(html, ctype="text/html"))
    assert r.text == "Hi Ruth, fixed."
    assert r.quoted == "This is ridiculous."
    assert r.customer_wrote_at == datetime(2026, 11, 3, 9, 12, tzinfo=timezone.utc)


def test_attached_message_and_text_attachment_are_not_new_text() -> None:
    raw = (
        "From: sam@help.example\nTo: ruth@customer.example\nSubject: s\nMIME-Version: 1.0\n"
        'Content-Type: multipart/mixed; boundary="B"\n\n--B\nContent-Type: text/plain\n\nSee attached.\n'
        '--B\nContent-Type: text/plain; name="log.txt"\nContent-Disposition: attachment; filename="log.txt"\n\n'
        "you people broke it\n--B\nContent-Type: message/rfc822\n\nFrom: x@y.example\nSubject: fwd\n\n"
        "This is ridiculous.\n--B--\n"
    ).encode()
    r = parse_message(raw)
    assert r.text == "See attached."


def test_on_line_with_a_number_before_a_real_attribution() -> None:
    body = ("Hi Derek,\n\nOn your certificate: the quiz in module 9 was never graded. I've fixed it.\n\nLiam\n\n"
            "On Mon, Aug 17, 2026 at 7:55 AM Derek Ashcroft <derek@customer.example>\nwrote:\n\n> Two things.\n")
    s = split_reply(body)
    assert s.text == "Hi Derek,\n\nOn your certificate: the quiz in module 9 was never graded. I've fixed it.\n\nLiam"
    assert s.quoted == "Two things."
    assert s.attribution.startswith("On Mon, Aug 17, 2026")


def test_datetimes_are_aware_without_a_date_header() -> None:
    body = f"{NEW}\n\nOn Tue, Nov 3, 2026 at 9:12 AM Ruth <ruth@customer.example> wrote:\n\n{quoted(CUSTOMER)}"
    raw = eml(body).replace(b"Date: Tue, 03 Nov 2026 10:30:00 +0000\n", b"")
    r = parse_message(raw)
    assert r.replied_at is None
    assert r.customer_wrote_at == datetime(2026, 11, 3, 9, 12, tzinfo=timezone.utc)


def test_gmail_indent_is_not_a_quote() -> None:
    html = ('<div dir="ltr">Steps:<blockquote style="margin:0 0 0 40px;border:none;padding:0px">'
            "<div>1. Open Settings</div></blockquote><div>Sam</div></div>")
    r = parse_message(eml(html, ctype="text/html"))
    assert r.text == "Steps:\n1. Open Settings\nSam"
    assert r.quoted == ""


def test_helpdesk_notification_plain() -> None:
    rule = "-" * 46
    body = (
        "##- Please type your reply above this line -##\n\nYour request (42) has been updated.\n\n"
        f"{rule}\n\nSam Agent (Example)\n\nNov 3, 2026, 10:30 UTC\n\nHi Ruth,\n\nFixed and re-sent.\n\nSam\n\n"
        f"{rule}\n\nRuth Abernathy\n\nNov 3, 2026, 09:12 UTC\n\nThis is ridiculous.\n\n{rule}\n\n"
        "This email is a service from Example.\n"
    )
    r = parse_message(eml(body))
    assert r.text == "Hi Ruth,\n\nFixed and re-sent.\n\nSam"
    assert r.quoted.startswith("This is ridiculous.")
    assert r.customer_name == "Ruth Abernathy"
    assert r.customer_wrote_at == datetime(2026, 11, 3, 9, 12, tzinfo=timezone.utc)


def test_quoted_is_only_the_message_being_answered() -> None:
    body = (
        f"{NEW}\n\nOn Tue, Nov 3, 2026 at 9:12 AM Ruth <ruth@customer.example> wrote:\n\n"
        "> Still wrong. This is ridiculous.\n>\n"
        "> On Mon, Nov 2, 2026 at 4:00 PM Sam Agent <sam@help.example> wrote:\n>\n"
        "> > We are so sorry, our mistake.\n"
    )
    r = parse_message(eml(body))
    assert r.quoted == "Still wrong. This is ridiculous."


# --------------------------------------------------------------------------- signatures


def test_rfc3676_signature_is_kept_in_text_and_exposed() -> None:
    body = f"Hi Ruth,\n\nFixed now.\n\nSam\n\n-- \nSam Agent\nSupport, Example Ltd\n+44 20 7946 0000\n\n{quoted(CUSTOMER)}\n"
    r = parse_message(eml(body))
    assert r.text == "Hi Ruth,\n\nFixed now.\n\nSam\n\n--\nSam Agent\nSupport, Example Ltd\n+44 20 7946 0000"
    assert r.signature == "--\nSam Agent\nSupport, Example Ltd\n+44 20 7946 0000"
    assert r.text.endswith(r.signature)  # a personal signature stays the end of `text`
    assert split_reply(body).text_without_signature == "Hi Ruth,\n\nFixed now.\n\nSam"


@pytest.mark.parametrize("text", [
    "Hi Ruth,\n\nFixed now.\n\nThanks,\nElena",
    "Hi Ruth,\n\nFixed now.\n\n-Elena",
    "Hi Ruth,\n\nFixed now.\n\nBest regards,\nElena Novak\nSupport, Example Ltd",
    "Hi Ruth,\n\nFixed now.\n\nSent from my desk, which is easier than my phone.",
    "Hi Ruth,\n\nThe parcel was sent from the warehouse today.\nSent via courier",
    "Hi Ruth,\n\nRun these two:\n--\nfirst\nsecond\nthird\nfourth\nfifth\nsixth\nseventh\n"
    "eighth\nninth\ntenth\neleventh",
])
def test_sign_offs_and_prose_are_not_signatures(text: str) -> None:
    s = split_reply(text)
    assert (s.text, s.signature, s.trailer) == (text, "", "")


@pytest.mark.parametrize("tagline", [
    "Sent from my iPhone", "Sent from my Verizon Wireless BlackBerry", "Get Outlook for iOS<https://aka.ms/o0ukef>",
    "Von meinem iPhone gesendet", "Gesendet von Outlook für Android<https://aka.ms/AAb9ysg>",
    "Envoyé de mon iPad", "Enviado desde mi iPhone", "Verzonden vanaf mijn iPhone", "Sendt fra min iPad",
    "Sent from Yahoo Mail on Android", "Sent from Mail for Windows 10", "Sent from my cell, please excuse any typos.",
    "從我的 iPhone 傳送",
])
def test_client_taglines_are_left_out_of_reply_text(tagline: str) -> None:
    body = f"Hi Ruth,\n\nFixed now.\n\nSam\n\n{tagline}\n\nOn Tue, Nov 3, 2026 at 9:12 AM Ruth <ruth@customer.example> wrote:\n{quoted(CUSTOMER)}\n"
    r = parse_message(eml(body))
    assert r.text == "Hi Ruth,\n\nFixed now.\n\nSam"
    assert r.signature == tagline
    assert "ridiculous" in r.quoted


def test_several_taglines_then_an_unmarked_quote() -> None:
    body = "Fixed.\n\nEnvoyé depuis mon iPhone\n\nVon meinem Mobilgerät gesendet\n\nHello, my invoice is wrong.\n"
    s = split_reply(body)
    assert s.agent_text == "Fixed."
    assert s.trailer == "Envoyé depuis mon iPhone\n\nVon meinem Mobilgerät gesendet"
    assert s.quoted == "Hello, my invoice is wrong."


def test_mailing_list_footers_are_trailer() -> None:
    mailman = "_" * 47 + "\nhelp mailing list\nhelp@lists.example\nhttps://lists.example/mailman/listinfo/help"
    body = f"Try restarting it.\n\n-Sam\n\n{mailman}\n"
    s = split_reply(body)
    assert s.agent_text == s.text_without_signature == "Try restarting it.\n\n-Sam"
    assert s.signature == s.trailer == mailman
    groups = ("--\nYou received this message because you are subscribed to the Google Groups \"help\" group.\n"
              "To unsubscribe from this group, send an email to help+unsubscribe@googlegroups.com.")
    s = split_reply(f"Please ask on the mailing list next time.\n\nSam\n\n-- \nSam Agent\n\n{groups}")
    assert s.agent_text == "Please ask on the mailing list next time.\n\nSam\n\n--\nSam Agent"
    assert s.trailer == groups
    assert s.signature == "--\nSam Agent\n\n" + groups


def test_reply_text_is_a_prefix_of_the_split_text() -> None:
    body = f"Fixed.\n\nSam\n\nSent from my iPhone\n\n{quoted(CUSTOMER)}\n"
    r = parse_message(eml(body))
    s = split_reply(body)
    assert s.text.startswith(r.text) and r.text == "Fixed.\n\nSam"


def test_tagline_like_lines_split_fast() -> None:
    import time

    lines = ["Sent from outlook" + ".-" * 70 + "!x", "Sent from my " + "a." * 70 + " please excuse",
             "Sent from mail" + " gesendet" * 15 + "x"]
    body = "Hi\n\n" + "\n".join(lines * 50)
    t0 = time.perf_counter()
    split_reply(body)
    split_reply("\n\n".join(["Hi"] + lines))
    assert time.perf_counter() - t0 < 1.0


_SIMPLE_BODY = "Hi Ruth,\n\nThe refund is on its way — 3–5 days.\n\nSam\n\nOn Tue, 3 Nov 2026 at 09:12, Ruth <ruth@customer.example> wrote:\n> Where is my refund?\n"


def _simple_variants() -> list[bytes]:
    import base64
    import quopri

    head = ("From: Sam <sam@help.example>\nTo: Ruth <ruth@customer.example>\nSubject: Re: x\n"
            "Date: Tue, 03 Nov 2026 10:30:00 +0000\n")
    utf8 = _SIMPLE_BODY.encode("utf-8")
    return [
        eml(_SIMPLE_BODY),
        eml(_SIMPLE_BODY, crlf=True),
        eml("Plain ASCII reply.\n", ctype="text/plain"),
        (head + "\n").encode() + b"No MIME headers at all.\n",
        (head + "Content-Type: text/plain; charset=utf-8\nContent-Transfer-Encoding: quoted-printable\n\n").encode()
        + quopri.encodestring(utf8),
        (head + "Content-Type: text/plain; charset=utf-8\nContent-Transfer-Encoding: base64\n\n").encode()
        + base64.encodebytes(utf8),
        (head + "Content-Type: text/plain; charset=iso-8859-1\n\n").encode() + "Café ok.\n".encode("latin-1"),
        # not simple: the full path decides
        (head + "Content-Type: text/plain; charset=utf-8\n\n").encode() + b"bad \xff byte\n",
        (head + "Content-Type: text/plain; charset=utf-7\n\n").encode() + b"A +- sign\n",
        (head + "Content-Type: text/plain; charset=utf-8\nContent-Disposition: attachment\n\n").encode() + utf8,
        (head + "Content-Type: text/plain; name=a.txt\n\n").encode() + utf8,
        (head + "Content-Type: text/html; charset=utf-8\n\n").encode() + b"<p>Hi</p>",
        (head + "Content-Type: text/plain; charset=utf-8\n\n").encode() + b"  \n",
        # where the headers end is not sure: the full path decides
        b"\n\nNo headers, a blank line first.\n",
        b"\r\nNo headers.\r\n\r\nSecond paragraph.\r\n",
        head.replace("\n", "\r\n", 2).encode() + b"\nMixed line ends.\n",
        head.replace("Subject: Re: x\n", "Subject: Re: x\rX-A: b\r\n").encode() + b"\r\n\r\nA lone CR.\r\n",
        (head + "Not a header line\n\n").encode() + b"Body.\n",
        (head + "\n").encode() + b"LF only, then a CRLF\r\n\r\nparagraph.\n",
    ]


@pytest.mark.parametrize("k", range(19))
def test_simple_text_fast_path_matches_the_full_path(k: int, monkeypatch) -> None:
    import gateway.message as m

    raw = _simple_variants()[k]
    fast = parse_message(raw)
    monkeypatch.setattr(m, "_simple_text", lambda raw: None)
    assert parse_message(raw) == fast


def test_simple_text_fast_path_is_taken_for_a_plain_reply() -> None:
    from gateway.message import _simple_text

    assert _simple_text(eml(_SIMPLE_BODY)) is not None
    assert _simple_text(eml("<p>Hi</p>", ctype="text/html")) is None


@pytest.mark.parametrize("line", [
    "On Tue, 3 Nov 2026 at 09:12, Ruth <ruth@customer.example> wrote:",
    "On Tue, 3 Nov 2026 at 09:12, Ruth <ruth@customer.example> wrote:  \n",
    "Le mar. 3 nov. 2026 à 09:12, Ruth a  écrit :",
    "2026年11月3日 09:12 Ruth 写道：",
    "On Tue, 3 Nov 2026 at 09:12 Ruth wrote: see below",
    "As I wrote: we are on it",
    "Ruth wrote:: twice",
    "wrote",
    "",
])
def test_ends_attribution_is_the_attr_end_search(line: str) -> None:
    from gateway.quoting import _ATTR_END, _ends_attribution

    assert _ends_attribution(line) == (_ATTR_END.search(line) is not None)


def test_month_alternation_by_first_letter_matches_like_the_plain_one() -> None:
    import re

    from gateway import quoting

    words = sorted(quoting._MONTHS, key=len, reverse=True)
    plain = re.compile(r"\b(" + "|".join(map(re.escape, words)) + r")\.?\s", re.I)
    fast = re.compile(r"\b(" + quoting._MONTH_RE + r")\.?\s", re.I)
    for text in ["3 Nov. 2026", "MARZO 3", "mär 3", "Sept 3", "sep. 3", "DÉCEMBRE 1", "junio ", "jun ",
                 "Febr 3", "févr. 3", "novembro 2", "dezembro 1", "Mayo 4", "mag 5", "No month here"]:
        a, b = plain.search(text), fast.search(text)
        assert (a and a.group(1)) == (b and b.group(1)), text


def test_attr_end_by_first_letter_matches_like_the_plain_alternation() -> None:
    import re

    from gateway.quoting import _ATTR_END

    plain = re.compile(
        r"(?:\bwrote|\bschrieb|\ba\s+écrit|\ba\s+ecrit|\bescribió|\bescribio|\bschreef|\bha\s+scritto"
        r"|\bescreveu|\bskrev|\bnapisał(?:a|\(a\))?|\bpisze|\bnapsal(?:a)?|написал(?:а)?|пишет"
        r"|\bkirjoitti|\bíró)\b[^:\n]{0,120}\s*:\s*$"
        r"|(?:写道|寫道)\s*[:：]\s*$",
        re.I,
    )
    for text in ["Ruth wrote:", "Ruth WROTE :", "Ruth a  écrit :", "Ruth ha scritto:", "Ruth napisał(a):",
                 "Рут написала:", "Рут пишет:", "Ruth kirjoitti:", "Ruth írót:", "Ruth író:", "露丝写道：",
                 "rewrote:", "Ruth wrote: more", "Ruth skrev 3. nov. 2026 kl. 09:12:", "schreefx:"]:
        a, b = plain.search(text), _ATTR_END.search(text)
        assert (a and a.span()) == (b and b.span()), text


def test_supercite_quoting_and_a_free_form_attribution() -> None:
    """Emacs Supercite: "XY> " prefixes under an attribution in the writer's own words."""
    body = ("Twas brillig at 14:00:54 17.11.2009 UTC-05 when lars@example.edu did gyre and gimble:\n\n"
            " LK> Resulted in 4604 lines of errors along the lines of:\n"
            " LK>   Too many open files\n\n"
            "See the patch just posted here.\n")
    s = split_reply(body)
    assert s.text.strip() == "See the patch just posted here."
    assert "Too many open files" in s.quoted and "LK>" not in s.quoted
