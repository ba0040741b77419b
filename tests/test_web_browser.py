"""The review queue in a real headless Chromium (Debian's, driven by Playwright) against a
real `tact serve` process, with a real aiosmtpd sink as the upstream and the real policies.

Writes screenshots of the pages to var/screenshots/ (queue.png, message.png, team.png,
review.png) for people to look at.

Without Chromium or Playwright the tests skip with the reason, except under CI=true,
where they fail: the repo's `make install` installs Debian's chromium.
"""

from __future__ import annotations

import os
import re
import shutil
import smtplib
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from gateway.samples import sample_reply
from gateway.store import Store
from gateway.users import Users
from tests.conftest import Sink, free_port, read_until

ROOT = Path(__file__).resolve().parent.parent
SCREENSHOTS = ROOT / "var" / "screenshots"
PASSWORD = "browser test password"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]
SCRIPT = "<script>document.title='pwned'</script>"


def _chromium() -> str:
    """Debian's chromium, or skip (fail under CI=true) with the reason."""
    path = os.environ.get("TACT_CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"
    problem = None
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        problem = "the playwright package is not installed (pip install -e '.[test]')"
    if problem is None and not Path(path).exists():
        problem = "Debian's chromium is not installed (make install, or apt-get install chromium)"
    if problem:
        if os.environ.get("CI") == "true":
            pytest.fail(f"browser test needs it under CI: {problem}")
        pytest.skip(problem)
    return path


@dataclass
class Served:
    web: str
    smtp_port: int
    sink: Sink
    held: dict[str, int]  # name → held id
    raw: dict[str, bytes]


def _send(port: int, sender: str, body: str, subject: str, message_id: str) -> tuple[int, bytes]:
    msg = sample_reply("hold")
    msg.replace_header("From", sender)
    msg.replace_header("Subject", subject)
    msg.replace_header("Message-ID", message_id)
    content = msg.get_content()
    msg.set_content(body + content[content.index("\n\nOn "):])
    raw = msg.as_bytes().replace(b"\r\n", b"\n").replace(b"\n", b"\r\n")
    with smtplib.SMTP("127.0.0.1", port, timeout=30) as client:
        client.ehlo()
        client.mail(sender)
        client.rcpt("maya@customer.example.com")
        code, reply = client.data(raw)
    assert code == 250, reply
    match = re.search(rb"held for review as #(\d+)", reply)
    assert match, f"the real policies did not hold it: {reply!r}"
    return int(match.group(1)), raw


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    _chromium()
    folder = tmp_path_factory.mktemp("serve")
    sink = Sink()
    sink.start()
    smtp_port, web_port = free_port(), free_port()
    config = folder / "tact.toml"
    config.write_text(f"""
[gateway]
listen = "127.0.0.1:{smtp_port}"
upstream = "smtp://127.0.0.1:{sink.port}"
hostname = "tact.test"
note_from = "tact@tact.test"
check_workers = 1

[store]
url = "sqlite:///{folder / 'tact.db'}"

[web]
listen = "127.0.0.1:{web_port}"

[teams.billing]
senders = ["*@billing.test"]

[teams.shipping]
senders = ["*@shipping.test"]
sender_can_release = true
""", encoding="utf-8")
    env = {k: v for k, v in os.environ.items() if not k.startswith("TACT_")}
    tact = [sys.executable, "-m", "gateway.cli"]
    store = Store(f"sqlite:///{folder / 'tact.db'}")  # the accounts, as `tact user add` makes them
    store.create()
    Users(store).add("lead", PASSWORD, "reviewer", ["billing"])
    Users(store).add("boss", PASSWORD, "admin")
    store.close()
    proc = subprocess.Popen([*tact, "serve", "--config", str(config)], cwd=folder, env=env,
                            stderr=subprocess.PIPE, text=True)
    try:
        lines = read_until(proc.stderr, "review queue and API on")
        assert f"http://127.0.0.1:{web_port}" in "".join(lines), "".join(lines)
        held, raw = {}, {}
        base = sample_reply("hold").get_content().split("\n\nOn ")[0]
        for name, sender, body, subject in (
                ("first", "sam@billing.test", base, "Re: Charged twice for November"),
                ("script", "sam@billing.test", base.replace("Sam", f"Sam {SCRIPT}"), "Re: <b>Refund</b> status"),
                ("other", "kim@shipping.test", base, "Re: Where is my parcel?")):
            held[name], raw[name] = _send(smtp_port, sender, body, subject, f"<{name}@billing.test>")
        yield Served(f"http://127.0.0.1:{web_port}", smtp_port, sink, held, raw)
    finally:
        proc.terminate()
        try:
            proc.wait(20)
        except subprocess.TimeoutExpired:
            proc.kill()
        sink.stop()


@pytest.fixture(scope="module")
def browser(served: Served) -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=_chromium(), headless=True, args=CHROMIUM_ARGS)
        yield b
        b.close()


def signed_in(browser: Any, served: Served, name: str) -> Any:
    context = browser.new_context(viewport={"width": 1440, "height": 900})
    page = context.new_page()
    page.goto(f"{served.web}/queue")
    assert page.url.startswith(f"{served.web}/login")
    page.fill("input[name=name]", name)
    page.fill("input[name=password]", PASSWORD)
    page.click("button:has-text('Sign in')")
    page.wait_for_url(f"{served.web}/queue")
    return page


def test_sign_in_open_a_held_reply_see_the_finding_release_it(browser: Any, served: Served) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page = signed_in(browser, served, "lead")
    assert page.locator("h1").inner_text().startswith("Held replies")
    rows = page.locator("table.queue tbody tr")
    assert rows.count() == 2  # billing only: the shipping one is not lead's
    assert "Blames the customer" in rows.first.inner_text()
    page.screenshot(path=str(SCREENSHOTS / "queue.png"), full_page=True)

    page.click("a:has-text('Re: Charged twice for November')")
    page.wait_for_url(f"{served.web}/held/{served.held['first']}")
    marks = page.locator("pre.reply mark.finding")
    assert marks.count() >= 1 and marks.first.is_visible()
    reply_text = page.locator("pre.reply").inner_text()
    first = marks.first.inner_text()
    assert first and first in reply_text and first in sample_reply("hold").get_content()
    # the mark's number points at an explanation beside the text
    number = marks.first.get_attribute("data-findings").split()[0]  # type: ignore[union-attr]
    card = page.locator(f"#finding-{number}")
    assert card.is_visible() and "Try instead:" in card.inner_text()
    assert first.strip() in card.locator(".excerpt").inner_text()
    assert "my invoice for November charged me twice" in page.locator("section.customer").inner_text()
    page.screenshot(path=str(SCREENSHOTS / "message.png"), full_page=True)

    page.fill("form[action$='/release'] input[name=comment]", "checked with the customer")
    page.click("button:has-text('Release: send it as it is')")
    page.wait_for_url(f"{served.web}/queue")
    assert f"Message #{served.held['first']} released" in page.locator(".flash").inner_text()
    delivered = served.sink.wait_for(lambda m: m.rcpt_tos == ["maya@customer.example.com"]
                                     and b"<first@billing.test>" in m.data, timeout=20)
    assert delivered.data == served.raw["first"]
    page.goto(f"{served.web}/held/{served.held['first']}")
    assert "checked with the customer" in page.locator("table.audit-table").inner_text()
    page.goto(f"{served.web}/teams/billing")
    assert page.locator("svg.chart").count() == 2
    page.screenshot(path=str(SCREENSHOTS / "team.png"), full_page=True)
    page.context.close()


def test_a_reviewer_of_one_team_gets_403_on_another_teams_message(browser: Any, served: Served) -> None:
    page = signed_in(browser, served, "lead")
    response = page.goto(f"{served.web}/held/{served.held['other']}")
    assert response is not None and response.status == 403
    assert "You may not review this team's messages" in page.inner_text("main")
    admin = signed_in(browser, served, "boss")
    response = admin.goto(f"{served.web}/held/{served.held['other']}")
    assert response is not None and response.status == 200
    page.context.close()
    admin.context.close()


def test_a_form_without_the_csrf_token_is_refused(browser: Any, served: Served) -> None:
    page = signed_in(browser, served, "lead")
    url = f"{served.web}/held/{served.held['script']}"
    page.goto(url)
    page.locator("form[action$='/delete'] input[name=csrf_token]").evaluate("e => e.remove()")
    with page.expect_response(lambda r: r.url.endswith("/delete")) as caught:
        page.click("button:has-text('Delete')")
    assert caught.value.status == 403
    assert "CSRF" in page.inner_text("main")
    page.goto(url)
    assert page.locator(".status").first.inner_text() == "Waiting for review"  # not deleted
    page.context.close()


def test_a_form_on_another_site_cannot_act_for_a_signed_in_reviewer(browser: Any, served: Served) -> None:
    """Even with the reviewer's own CSRF token, a cross-site POST carries no session cookie
    (SameSite=Lax), so it is refused."""
    page = signed_in(browser, served, "lead")
    url = f"{served.web}/held/{served.held['script']}"
    page.goto(url)
    token = page.locator("form[action$='/release'] input[name=csrf_token]").get_attribute("value")
    attacker = page.context.new_page()
    attacker.set_content(f'<form method="post" action="{url}/release">'
                         f'<input name="csrf_token" value="{token}"><button>win a prize</button></form>')
    with attacker.expect_response(lambda r: r.url.endswith("/release")) as caught:
        attacker.click("button")
    assert caught.value.status == 403
    page.goto(url)
    assert page.locator(".status").first.inner_text() == "Waiting for review"
    page.context.close()


def test_a_script_in_the_body_is_shown_as_text(browser: Any, served: Served) -> None:
    page = signed_in(browser, served, "lead")
    dialogs: list[str] = []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    page.goto(f"{served.web}/held/{served.held['script']}")
    assert SCRIPT in page.locator("pre.reply").inner_text()
    assert "<b>Refund</b> status" in page.locator("h1").inner_text()
    assert page.title() != "pwned" and "pwned" not in page.title() and not dialogs
    assert page.locator("pre.reply script").count() == 0 and page.locator("h1 b").count() == 0
    page.context.close()


def test_the_senders_review_page_from_the_held_note(browser: Any, served: Served) -> None:
    note = served.sink.wait_for(lambda m: b"X-Tact-Note: 1" in m.data and m.rcpt_tos == ["kim@shipping.test"])
    from email import message_from_bytes

    text = next(p.get_payload(decode=True).decode() for p in message_from_bytes(note.data).walk()
                if p.get_content_type() == "text/plain")
    url = re.search(r"(http://\S+/review/\S+)", text).group(1)  # type: ignore[union-attr]
    page = browser.new_context(viewport={"width": 1280, "height": 900}).new_page()
    response = page.goto(url)
    assert response is not None and response.status == 200
    assert page.locator("pre.reply mark.finding").count() >= 1
    page.screenshot(path=str(SCREENSHOTS / "review.png"), full_page=True)
    response = page.goto(url[:-4] + ("AAAA" if not url.endswith("AAAA") else "BBBB"))
    assert response is not None and response.status == 403
    page.context.close()
