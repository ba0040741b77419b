"""Shared by the web tests: teams, accounts and held messages in a real SQLite store."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from gateway.message import parse_message
from gateway.settings import Settings, StoreSettings, TeamSettings, WebSettings
from gateway.store import Store
from gateway.users import Users
from policies.model import Action, Finding, Severity, Verdict

from tests.conftest import make_message

PASSWORD = "correct horse battery staple"

# billing: bob by account, carol by [teams.billing] reviewers; shipping: dave; senders of
# shipping may release their own held replies.
TEAMS = {
    "billing": TeamSettings(senders=["*@billing.test"], reviewers=["carol"]),
    "shipping": TeamSettings(senders=["*@shipping.test"], sender_can_release=True),
}
ACCOUNTS = [("alice", "admin", ()), ("bob", "reviewer", ("billing",)),
            ("carol", "reviewer", ()), ("dave", "reviewer", ("shipping",))]


def web_settings(tmp_path: Path, **web: Any) -> Settings:
    """Settings with the two teams and a store in tmp_path."""
    return Settings(store=StoreSettings(url=f"sqlite:///{tmp_path / 'web.db'}"),
                    teams=dict(TEAMS), web=WebSettings(**web))


def add_accounts(store: Store) -> Users:
    users = Users(store)
    for name, role, teams in ACCOUNTS:
        users.add(name, PASSWORD, role, teams)
    return users


def make_template_db(folder: Path) -> Path:
    """A migrated store with the accounts in `folder`, to copy per test (argon2 hashing is
    slow on purpose, so the accounts are made once per module)."""
    s = Store(web_settings(folder).store.url)
    s.create()
    add_accounts(s)
    s.close()
    return folder / "web.db"


@dataclass(frozen=True)
class Held:
    id: int
    raw: bytes
    reply_text: str
    finding: Finding


def hold(store: Store, *, team: str, sender: str, body: str, word: str = "MARKHOLD",
         subject: str = "Re: Order 1234", to: str = "customer@example.test",
         policy: str = "blame", raw: bytes | None = None) -> Held:
    """Hold a message with one finding on `word` (its span indexes the parsed reply text,
    as the real pipeline's findings do)."""
    raw = raw if raw is not None else make_message(body, sender=sender, to=to, subject=subject)
    text = parse_message(raw, sender=sender, recipients=(to,), team=team).text
    at = text.find(word)
    assert at >= 0, f"{word!r} not in the parsed reply {text!r}"
    finding = Finding(policy, Severity.HOLD, "This reads as blaming the customer.", word, at,
                      at + len(word), "Say what you will do instead.")
    verdict = Verdict(Action.HOLD, (finding,), ("a finding of severity hold",), ())
    held_id = store.hold(team=team, sender=sender, recipients=[to], raw=raw, verdict=verdict,
                         subject=subject, message_id="<reply-1@support.test>")
    return Held(held_id, raw, text, finding)


CUSTOMER_QUOTE = ("\n\nOn Mon, 30 Nov 2026 at 08:00, Customer <customer@example.test> wrote:\n"
                  "> My order 1234 never arrived and nobody answers.\n")


def csrf_of(html: str) -> str:
    """The CSRF token of the first form on a page."""
    match = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert match, "no CSRF token on the page"
    return match.group(1)
