"""Sample support replies for `tact send-sample` and the quick start."""

from __future__ import annotations

from email.message import EmailMessage
from email.utils import format_datetime, make_msgid
from datetime import datetime, timedelta, timezone

_CUSTOMER = (
    "Hi, my invoice for November charged me twice ($49 x2). I need this refunded "
    "before my card statement closes on Friday. What happened?\n\nMaya"
)

_REPLIES = {
    "pass": (
        "Hi Maya,\n\nThanks for flagging this, and sorry about the double charge.\n\n"
        "I checked your account: the November invoice was charged twice because the "
        "first payment timed out and was retried. I've refunded the second $49 just now; "
        "your bank should show it within 3 business days, before Friday's statement.\n\n"
        "I'll check on Thursday that the refund has landed and write to you either way.\n\n"
        "Sam\nSupport, Example Co."
    ),
    "annotate": (
        "Hi Maya,\n\nThe team will look into it and someone will get back to you.\n\n"
        "Any other issues?\n\nSam\nSupport, Example Co."
    ),
    "hold": (
        "Hi Maya,\n\nYou must have clicked Pay twice. If you had read the billing page "
        "you would know that. Please stop emailing us about this.\n\nSam"
    ),
}


def sample_reply(kind: str = "annotate") -> EmailMessage:
    """A support reply quoting a customer's message, written to pass, annotate or hold."""
    now = datetime.now(timezone.utc)
    wrote = now - timedelta(hours=2)
    msg = EmailMessage()
    msg["From"] = "Sam Agent <sam@support.example.com>"
    msg["To"] = "Maya Customer <maya@customer.example.com>"
    msg["Subject"] = "Re: Charged twice for November"
    msg["Date"] = format_datetime(now)
    msg["Message-ID"] = make_msgid(domain="support.example.com")
    quoted = "\n".join("> " + line if line else ">" for line in _CUSTOMER.splitlines())
    attribution = f"On {wrote.strftime('%a, %b %-d, %Y at %-I:%M %p')} Maya Customer <maya@customer.example.com> wrote:"
    msg.set_content(f"{_REPLIES[kind]}\n\n{attribution}\n\n{quoted}\n")
    return msg
