"""Realistic, deterministic support replies for the load benchmark.

Each sample is what an agent's mail client sends: a greeting, a few
paragraphs, a sign-off, then a Gmail-style quote of the customer's message
("On Mon, Nov 16, 2026 at 9:14 AM Name <addr> wrote:" and "> " lines). Most
replies are good ones that Tact should pass; some carry a phrase a policy
warns about (annotate) and a few carry one it holds (blame, discouraging).
The text comes from a seeded `random.Random`, so a seed gives the same bodies
every run; the quoted customer text is padded so a message is about `size`
bytes. Only the dates depend on `now` (the run's start), so that replies are
neither skewed nor accidentally late.

    samples = make_samples(seed=1, count=200, size=5000, now=datetime.now(timezone.utc))
    raw = render(samples[0], seq=1, sender="agent@support.example.com",
                 recipient="dana@example.org", now=...)
"""

from __future__ import annotations

import random
import textwrap
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from email.utils import format_datetime

INTENTS = ("pass", "annotate", "hold")
DEFAULT_MIX = {"pass": 0.6, "annotate": 0.3, "hold": 0.1}

CUSTOMERS = [
    ("Dana", "Fischer"), ("Luis", "Ortega"), ("Priya", "Raman"), ("Tom", "Becker"),
    ("Aiko", "Tanaka"), ("Grace", "Okafor"), ("Marek", "Nowak"), ("Sofia", "Lindqvist"),
    ("Owen", "Hughes"), ("Nadia", "Haddad"), ("Chen", "Wei"), ("Ruth", "Adler"),
]
AGENTS = ["Sam", "Alex", "Jordan", "Robin", "Kim", "Morgan"]

TOPICS = [
    ("invoice", "my invoice for October shows two charges for the same seat",
     "I checked your account and the second charge was a duplicate created when the card was retried."),
    ("export", "the CSV export stops at 10,000 rows",
     "The export was hitting the old row limit on your plan's workspace."),
    ("login", "I can't sign in with my company account since this morning",
     "Your workspace's single sign-on certificate expired overnight."),
    ("sync", "calendar sync has not updated since Tuesday",
     "The calendar connection lost its authorisation after the password change on your side."),
    ("upload", "uploading PDFs larger than 20 MB fails with a red banner",
     "Large uploads were going through a gateway with a lower size limit than the app."),
    ("webhook", "our webhook receives every event twice",
     "Two webhook endpoints with the same URL are registered on your project."),
    ("report", "the weekly report email arrives empty",
     "The report's saved filter points at a board that was archived last week."),
    ("seats", "we were charged for 12 seats but only have 9 users",
     "Three invited users never accepted, but their invitations still count as seats."),
]

CUSTOMER_OPENERS = [
    "Hi there,", "Hello,", "Hi support team,", "Good morning,", "Hey,",
]
CUSTOMER_DETAILS = [
    "It started after the update last week and nothing I tried has fixed it.",
    "Two of my colleagues see the same thing, so it is not just my machine.",
    "I already cleared the cache and tried another browser.",
    "This is blocking our month-end close, so a quick answer would help a lot.",
    "We are on the Business plan, in case that matters.",
    "I attached a screenshot to my previous message.",
    "Our finance team needs a corrected document for the audit.",
    "Thanks for looking into it.",
]
# Direct questions: only the "annotate" text leaves one unanswered (specific-questions).
CUSTOMER_QUESTIONS = [
    "Also, do you offer a discount for non-profit organisations?",
    "Separately, can I change the billing contact to our finance manager?",
    "Is there a workaround we can use in the meantime?",
]
FILLER = [
    "For context, we have used the product for about three years and have been happy with it so far.",
    "Our team is spread over two time zones, so some of us only notice problems in the afternoon.",
    "We rely on this workflow every day, and most of the people affected are not very technical.",
    "I read the help centre article about this but it describes a different screen than the one I see.",
    "Last time something similar happened it fixed itself after a day, but this time it has not.",
    "If you need access to our workspace to check, let me know and I will arrange it with our admin.",
    "I am also copying my colleague who manages the account, in case you need approval for anything.",
    "Please let me know if any more information from our side would be useful.",
]

GOOD_OPENINGS = [
    "Thanks for the clear description, it made this quick to track down.",
    "Thank you for writing in and for the details you sent.",
    "Thanks for getting in touch about this.",
]
GOOD_ACTIONS = [
    "I have fixed it on our side; you should see the change within the next few minutes.",
    "I corrected it just now and sent you an updated copy by separate email.",
    "I've applied the fix to your workspace and tested it with a sample of your data.",
    "I've reset the connection, and the next scheduled run at 14:00 will pick it up.",
]
GOOD_NEXT = [
    "I'll check again tomorrow morning and write to you by 10:00 either way.",
    "If it happens again, could you send me the time it occurred and the exact text of the message you see?",
    "Which browser and version are you on? That will tell me whether the second part applies to you.",
    "I'll keep this ticket open until you confirm everything looks right.",
]
GOOD_CLOSES = [
    "Reply any time if anything else comes up.",
    "Thanks again for your patience while we sorted this out.",
    "I hope the rest of your week goes smoothly.",
]

# Phrases the policy catalog warns about: ownership, vague questions, over-apology.
WARN_PHRASES = [
    "The team will look into it and someone will get back to you.",
    "It has been forwarded to the relevant department.",
    "Any other issues?",
    "Can you give more info?",
    "Sorry about this. We apologise for the trouble. Sorry again, and apologies for any inconvenience.",
    "Please send more details.",
]
# Phrases the policy catalog holds by default: blame, discouraging.
HOLD_PHRASES = [
    "Sounds like you installed it wrong.",
    "As I already explained, this is user error.",
    "If you had read the docs you would have seen this.",
    "Please stop emailing us about this.",
    "There's no need to contact us again about this issue.",
]


@dataclass(frozen=True)
class Sample:
    """One reply body and what it is meant to provoke."""

    intent: str          # "pass" | "annotate" | "hold": what the text was written to trigger
    subject: str
    customer: str        # display name
    customer_addr: str
    agent: str
    body: str            # CRLF line endings, no trailing headers
    customer_age: timedelta  # how long before the reply the customer wrote


def _wrap(paragraph: str) -> list[str]:
    return textwrap.wrap(paragraph, width=72) or [""]


def _gmail_attribution(when: datetime, name: str, addr: str) -> str:
    hour = when.strftime("%I").lstrip("0") or "12"
    stamp = f"{when:%a}, {when:%b} {when.day}, {when.year} at {hour}:{when:%M} {when:%p}"
    return f"On {stamp} {name} <{addr}> wrote:"


def _customer_text(rng: random.Random, first: str, topic: tuple[str, str, str], size: int,
                   question: str = "") -> list[str]:
    """The customer's message as plain lines, padded towards `size` characters."""
    lines = [rng.choice(CUSTOMER_OPENERS), ""]
    details = " ".join(rng.sample(CUSTOMER_DETAILS, 3))
    # {REF} is filled in per message by render(): no two messages have the same text
    lines += _wrap(f"Since yesterday {topic[1]}. {details} My account number is {{REF}}. {question}".rstrip())
    while sum(len(x) + 4 for x in lines) < size:
        lines.append("")
        lines += _wrap(" ".join(rng.sample(FILLER, 2)))
    lines += ["", "Best regards,", first]
    return lines


def make_sample(rng: random.Random, intent: str, size: int) -> Sample:
    """One reply written to provoke `intent`, about `size` bytes once rendered."""
    first, last = rng.choice(CUSTOMERS)
    topic = rng.choice(TOPICS)
    agent = rng.choice(AGENTS)
    customer = f"{first} {last}"
    addr = f"{first.lower()}.{last.lower()}@example.org"
    paragraphs = [rng.choice(GOOD_OPENINGS) + " " + topic[2], rng.choice(GOOD_ACTIONS)]
    age = timedelta(minutes=rng.randint(20, 300))
    question = ""
    if intent == "annotate":
        kind = rng.random()
        if kind < 0.2:
            # A direct question the reply leaves unanswered (specific-questions).
            question = rng.choice(CUSTOMER_QUESTIONS)
            paragraphs.append(rng.choice(GOOD_NEXT))
            close = rng.choice(GOOD_CLOSES)
        elif kind < 0.4:
            # Late and unacknowledged: late-apology (response target 24 h by default).
            age = timedelta(hours=rng.randint(30, 70))
            closes = [c for c in GOOD_CLOSES if "patience" not in c]
            paragraphs.append(rng.choice(GOOD_NEXT))
            close = rng.choice(closes)
        else:
            paragraphs.append(rng.choice(WARN_PHRASES))
            close = rng.choice(GOOD_CLOSES)
    elif intent == "hold":
        paragraphs.insert(1, rng.choice(HOLD_PHRASES))
        close = rng.choice(GOOD_CLOSES)
    else:
        paragraphs.append(rng.choice(GOOD_NEXT))
        close = rng.choice(GOOD_CLOSES)
    lines = [f"Hi {first},", ""]
    for p in paragraphs + [close]:
        lines += _wrap(p) + [""]
    lines += ["Best,", agent, "Customer Support, Example Inc. (case {REF})"]
    head_len = sum(len(x) + 2 for x in lines) + 600  # + headers and attribution
    quoted = _customer_text(rng, first, topic, max(200, size - head_len), question)
    # The attribution date is filled in by render(); keep a placeholder line.
    lines += ["", "{ATTRIBUTION}"] + [("> " + q).rstrip() for q in quoted]
    return Sample(
        intent=intent,
        subject=f"Re: {topic[0].capitalize()} problem: {topic[1][:40]}",
        customer=customer,
        customer_addr=addr,
        agent=agent,
        body="\r\n".join(lines) + "\r\n",
        customer_age=age,
    )


def make_samples(seed: int, count: int, size: int, mix: dict[str, float] | None = None) -> list[Sample]:
    """`count` distinct samples whose intents follow `mix` (shares of pass/annotate/hold)."""
    mix = mix or DEFAULT_MIX
    rng = random.Random(seed)
    total = sum(mix.values())
    intents: list[str] = []
    for intent in INTENTS:
        intents += [intent] * round(count * mix.get(intent, 0) / total)
    intents = (intents + ["pass"] * count)[:count]
    rng.shuffle(intents)
    return [make_sample(rng, i, size) for i in intents]


def render(sample: Sample, *, seq: int, sender: str, recipient: str, now: datetime, run: str = "bench") -> bytes:
    """The full RFC 5322 message, CRLF, with a unique Message-ID and X-Bench-Id."""
    now = now.astimezone(timezone.utc)
    wrote = now - sample.customer_age
    body = sample.body.replace("{ATTRIBUTION}", _gmail_attribution(wrote, sample.customer, sample.customer_addr))
    # Every message's reply and quote differ (as real mail does): a cache of the policies'
    # analysis of a text never helps, however few distinct samples the text comes from.
    body = body.replace("{REF}", str(104000 + seq))
    headers = (
        f"From: {sample.agent} <{sender}>\r\n"
        f"To: {sample.customer} <{recipient}>\r\n"
        f"Subject: {sample.subject}\r\n"
        f"Date: {format_datetime(now)}\r\n"
        f"Message-ID: <{run}.{seq}@support.example.com>\r\n"
        f"In-Reply-To: <{run}.{seq}.customer@example.org>\r\n"
        f"X-Bench-Id: {run}.{seq}\r\n"
        f"X-Bench-Intent: {sample.intent}\r\n"
        "MIME-Version: 1.0\r\n"
        "Content-Type: text/plain; charset=utf-8\r\n"
        "Content-Transfer-Encoding: 8bit\r\n"
        "\r\n"
    )
    return (headers + body).encode("utf-8")


if __name__ == "__main__":  # print one of each intent, to eyeball
    import sys

    size = int(sys.argv[1]) if len(sys.argv) > 1 else 5000
    rng = random.Random(1)
    for intent in INTENTS:
        raw = render(make_sample(rng, intent, size), seq=1, sender="agent@support.example.com",
                     recipient="customer@example.org", now=datetime.now(timezone.utc))
        sys.stdout.write(raw.decode().replace("\r\n", "\n"))
        print(f"----- {intent}: {len(raw)} bytes -----\n")
