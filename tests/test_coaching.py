"""Coaching notes: what the agent receives."""

from __future__ import annotations

import email
import email.policy
from email.message import EmailMessage

from gateway.coaching import build_note, original_headers
from gateway.pipeline import bypass_reason
from policies.model import Action, Finding, Severity, Verdict

ORIGINAL = (b"From: Agent <agent@support.test>\r\nTo: customer@example.test\r\n"
            b"Subject: =?utf-8?q?Re:_Caf=C3=A9_order?=\r\nMessage-ID: <reply-1@support.test>\r\n"
            b"References: <a@example.test> <b@example.test>\r\n\r\nHello\r\n")
WARN = Finding("ownership", Severity.WARN, "Sounds like nobody owns it <b>today</b>.",
               "The team will look into it", 10, 36, "Say who does what & when.")
HOLD = Finding("blame", Severity.HOLD, "Blames the customer.", "you should have read the FAQ",
               40, 68, "Explain the fix instead.")


def render(kind: str, verdict: Verdict, original: bytes = ORIGINAL, held_id: int | None = None) -> EmailMessage:
    raw = build_note(kind, original=original, to="agent@support.test", verdict=verdict,
                     note_from="Tact <tact@tact.test>", hostname="tact.test", held_id=held_id)
    assert b"\r\n" in raw and b"\n" not in raw.replace(b"\r\n", b"")
    return email.message_from_bytes(raw, policy=email.policy.default)  # type: ignore[return-value]


def bodies(msg: EmailMessage) -> tuple[str, str]:
    return msg.get_body(("plain",)).get_content(), msg.get_body(("html",)).get_content()


def test_a_coaching_note_is_threaded_marked_and_lists_every_finding() -> None:
    msg = render("coaching", Verdict(Action.ANNOTATE, (WARN,), ("ownership warned",)))
    assert msg.get_content_type() == "multipart/alternative"
    assert msg["To"] == "agent@support.test"
    assert msg["From"] == "Tact <tact@tact.test>"
    assert msg["Subject"] == 'Tact: coaching on "Re: Café order"'
    assert msg["Auto-Submitted"] == "auto-generated"
    assert msg["X-Tact-Note"] == "1"
    assert msg["In-Reply-To"] == "<reply-1@support.test>"
    assert msg["References"] == "<a@example.test> <b@example.test> <reply-1@support.test>"
    assert msg["Message-ID"].endswith("@tact.test>")
    text, html = bodies(msg)
    for part in (text, html):
        assert "The team will look into it" in part
    assert "Say who does what & when." in text
    assert "<b>today</b>" in text


def test_the_html_part_escapes_what_policies_and_mail_say() -> None:
    msg = render("coaching", Verdict(Action.ANNOTATE, (WARN,)))
    _, html = bodies(msg)
    assert "&lt;b&gt;today&lt;/b&gt;" in html and "<b>today</b>" not in html
    assert "Say who does what &amp; when." in html


def test_a_held_note_leads_with_what_to_do_and_says_why() -> None:
    verdict = Verdict(Action.HOLD, (WARN, HOLD), ("blame: this must not reach a customer as written",))
    msg = render("held", verdict, held_id=42)
    assert msg["Subject"] == 'Tact: held — "Re: Café order"'
    text, html = bodies(msg)
    first_lines = text.splitlines()[:3]
    assert "NOT been sent" in first_lines[0]
    assert any(line.startswith("What to do:") for line in first_lines)
    assert "blame: this must not reach a customer as written" in text and "#42" in text
    assert text.index("you should have read the FAQ") > text.index("What to do")
    assert "has not been sent" in html


def test_a_note_on_a_message_without_id_or_subject_still_renders() -> None:
    msg = render("coaching", Verdict(Action.ANNOTATE, (WARN,)), original=b"\r\nbody only\r\n")
    assert msg["In-Reply-To"] is None
    assert msg["Subject"] == "Tact: coaching on your reply"


def test_notes_bypass_checking_so_they_never_loop() -> None:
    raw = build_note("coaching", original=ORIGINAL, to="agent@support.test",
                     verdict=Verdict(Action.ANNOTATE, (WARN,)), note_from="tact@tact.test")
    assert bypass_reason("tact@tact.test", original_headers(raw)) is not None


def test_a_note_survives_long_lines_unicode_and_trailing_spaces_in_what_it_quotes() -> None:
    long = Finding("tone-match", Severity.WARN, "Café — “formal” " + "très long " * 30 + "end  ",
                   "=3D literally, with a tab\there ", 0, 10, "From here on, write plainly.\nFrom now on.")
    raw = build_note("coaching", original=ORIGINAL, to="agent@support.test",
                     verdict=Verdict(Action.ANNOTATE, (long,)), note_from="tact@tact.test")
    body_lines = raw.split(b"\r\n\r\n", 1)[1].split(b"\r\n")
    assert max(len(line) for line in body_lines) <= 76  # quoted-printable, soft line breaks
    msg = email.message_from_bytes(raw, policy=email.policy.default)
    assert not any(part.defects for part in msg.walk())
    text, html = bodies(msg)  # type: ignore[arg-type]
    assert ("Café — “formal” " + "très long " * 30 + "end") in text
    assert "=3D literally, with a tab\there" in text and "From now on." in text
    assert "très long " * 30 in html
