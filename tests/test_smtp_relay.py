"""Mail through the gateway over real sockets: smtplib → gateway → aiosmtpd sink."""

from __future__ import annotations

import email
import email.policy
import mailbox
import smtplib
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from sqlalchemy import create_engine

from tests.conftest import RunningGateway, Sink, make_message

AGENT = "agent@support.test"
CUSTOMER = "customer@example.test"


def send(port: int, data: bytes, *, sender: str = AGENT, rcpts: list[str] | None = None) -> dict:
    with smtplib.SMTP("127.0.0.1", port, timeout=20) as client:
        return client.sendmail(sender, rcpts or [CUSTOMER], data)


def send_expecting_error(port: int, data: bytes, **kw) -> tuple[int, bytes]:
    with pytest.raises(smtplib.SMTPResponseException) as info:
        send(port, data, **kw)
    return info.value.smtp_code, info.value.smtp_error


def test_pass_arrives_byte_identical(gateway: RunningGateway, sink: Sink, marker_policy) -> None:
    data = make_message("Hello,\n\nYour refund is on its way.\n.leading dot line\n\u00e9t\u00e9\n\nSam")
    send(gateway.port, data, rcpts=[CUSTOMER, "cc@example.test"])
    got = sink.wait_for(lambda m: True)
    assert got.data == data
    assert got.mail_from == AGENT
    assert got.rcpt_tos == [CUSTOMER, "cc@example.test"]
    assert sink.notes() == []
    assert gateway.store.list_held() == []


def test_annotate_relays_and_coaches_the_sender(gateway: RunningGateway, sink: Sink,
                                                marker_policy) -> None:
    data = make_message("Hi,\n\nMARKWARN here.\n\nSam")
    send(gateway.port, data)
    original = sink.wait_for(lambda m: m.rcpt_tos == [CUSTOMER])
    assert original.data == data
    note = sink.wait_for(lambda m: m.rcpt_tos == [AGENT])
    assert note.mail_from == "<>"  # the null reverse path
    msg = email.message_from_bytes(note.data, policy=email.policy.default)
    assert msg["X-Tact-Note"] == "1"
    assert msg["Auto-Submitted"] == "auto-generated"
    assert msg["In-Reply-To"] == "<reply-1@support.test>"
    assert msg["Subject"] == 'Tact: coaching on "Re: Order 1234"'
    assert "MARKWARN" in msg.get_body(("plain",)).get_content()


def test_hold_is_stored_not_relayed_and_the_sender_told(gateway: RunningGateway, sink: Sink,
                                                       marker_policy) -> None:
    data = make_message("Hi,\n\nMARKHOLD here.\n\nSam")
    send(gateway.port, data)
    note = sink.wait_for(lambda m: m.rcpt_tos == [AGENT])
    assert sink.originals() == []
    msg = email.message_from_bytes(note.data, policy=email.policy.default)
    assert msg["Subject"].startswith("Tact: held")
    text = msg.get_body(("plain",)).get_content()
    assert text.startswith("Your reply") and "NOT been sent" in text
    [held] = gateway.store.list_held()
    assert held["raw"] == data
    assert held["sender"] == AGENT and held["recipients"] == [CUSTOMER]
    assert held["team"] == "default" and held["action"] == "hold"
    assert held["verdict"]["findings"][0]["policy"] == "test_marker"
    assert f"#{held['id']}" in text


def test_hold_needs_no_upstream_and_its_note_follows_later(gateway: RunningGateway, sink: Sink,
                                                          marker_policy) -> None:
    sink.stop()
    send(gateway.port, make_message("MARKHOLD"))
    assert len(gateway.store.list_held()) == 1
    sink.start()
    sink.wait_for(lambda m: m.rcpt_tos == [AGENT])


@pytest.mark.parametrize("mail_from,headers", [
    ("", {}),
    (AGENT, {"Auto-Submitted": "auto-replied"}),
    (AGENT, {"X-Tact-Note": "1"}),
])
def test_bounces_auto_replies_and_our_own_notes_pass_unchecked(
        gateway: RunningGateway, sink: Sink, marker_policy, mail_from: str,
        headers: dict[str, str]) -> None:
    data = make_message("MARKHOLD would hold this if it were checked", headers=headers)
    send(gateway.port, data, sender=mail_from)
    assert sink.wait_for(lambda m: True).data == data
    assert gateway.store.list_held() == []


def test_auto_submitted_no_is_checked(gateway: RunningGateway, sink: Sink, marker_policy) -> None:
    send(gateway.port, make_message("MARKHOLD", headers={"Auto-Submitted": "no"}))
    assert len(gateway.store.list_held()) == 1


def test_a_crashing_policy_fails_open(gateway: RunningGateway, sink: Sink, marker_policy) -> None:
    data = make_message("MARKCRASH MARKHOLD")
    send(gateway.port, data)
    assert sink.wait_for(lambda m: True).data == data
    assert gateway.gateway.pipeline.stats["check_errors"] == 1


def test_upstream_down_answers_451_and_the_retry_goes_through(gateway: RunningGateway,
                                                              sink: Sink, marker_policy) -> None:
    data = make_message()
    send(gateway.port, data)  # fills the pool with a live connection
    sink.wait_for(lambda m: True)
    sink.stop()
    code, text = send_expecting_error(gateway.port, data)
    assert code == 451 and text.startswith(b"4.4.1")
    sink.start()
    send(gateway.port, data)
    assert len(sink.originals()) == 2


def test_a_pooled_connection_the_upstream_dropped_is_replaced(gateway: RunningGateway,
                                                              sink: Sink, marker_policy) -> None:
    send(gateway.port, make_message())  # leaves a live connection in the pool
    sink.wait_for(lambda m: True)
    sink.stop()  # the upstream restarts: the pooled connection is now dead
    sink.start()
    send(gateway.port, make_message("second"))
    assert len(sink.originals()) == 2


def test_a_refused_recipient_means_nobody_gets_it(gateway: RunningGateway, sink: Sink,
                                                  marker_policy) -> None:
    code, text = send_expecting_error(gateway.port, make_message(),
                                      rcpts=[CUSTOMER, "refuse-me@example.test"])
    assert code == 550 and b"No such user" in text
    code, _ = send_expecting_error(gateway.port, make_message(),
                                   rcpts=["defer-me@example.test", CUSTOMER])
    assert code == 451
    send(gateway.port, make_message())  # the pooled connection is still usable
    assert len(sink.messages) == 1


def test_upstream_5xx_is_passed_back(gateway: RunningGateway, sink: Sink, marker_policy) -> None:
    code, text = send_expecting_error(gateway.port, make_message("SINK-REJECT"))
    assert code == 554 and text == b"5.7.1 Message rejected by policy"
    assert sink.messages == []


def test_an_internal_error_answers_451_not_500(gateway: RunningGateway, sink: Sink,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    async def broken(*args, **kwargs):
        raise ZeroDivisionError("secret detail")

    monkeypatch.setattr(gateway.gateway.pipeline, "deliver", broken)
    code, text = send_expecting_error(gateway.port, make_message())
    assert code == 451 and text.startswith(b"4.3.0")
    assert b"secret" not in text and b"ZeroDivision" not in text


def test_a_dead_database_on_hold_answers_451(gateway: RunningGateway, sink: Sink, marker_policy,
                                             tmp_path: Path) -> None:
    gateway.store.engine = create_engine(f"sqlite:///{tmp_path}/missing-dir/x.db")
    code, text = send_expecting_error(gateway.port, make_message("MARKHOLD"))
    assert code == 451
    assert sink.messages == []


def test_a_dead_database_loses_the_note_not_the_annotated_message(gateway: RunningGateway, sink: Sink,
                                                                 marker_policy, tmp_path: Path) -> None:
    gateway.store.engine = create_engine(f"sqlite:///{tmp_path}/missing-dir/x.db")
    data = make_message("Hi,\n\nMARKWARN here.\n\nSam")
    send(gateway.port, data)  # 250: the message itself went out
    assert sink.wait_for(lambda m: m.rcpt_tos == [CUSTOMER]).data == data
    assert gateway.gateway.pipeline.stats["note_errors"] == 1  # (counted and logged)
    assert sink.notes() == []


def test_maildir_upstream_writes_the_message(start_gateway: Callable[..., RunningGateway],
                                             tmp_path: Path, marker_policy) -> None:
    box = tmp_path / "maildir"
    g = start_gateway(f"maildir:{box}")
    data = make_message("Hello from the maildir test")
    send(g.port, data)
    keys = list(mailbox.Maildir(box, factory=None).keys())
    assert len(keys) == 1
    with mailbox.Maildir(box, factory=None).get_file(keys[0]) as f:
        assert f.read() == data


def test_internationalised_addresses_pass_with_smtputf8(gateway: RunningGateway, sink: Sink,
                                                        marker_policy) -> None:
    data = make_message()
    with smtplib.SMTP("127.0.0.1", gateway.port, timeout=20) as client:
        client.sendmail("agent@support.test", ["kundé@example.test"], data,
                        mail_options=["SMTPUTF8"])
    got = sink.wait_for(lambda m: True)
    assert got.rcpt_tos == ["kundé@example.test"] and got.data == data


def test_concurrent_clients_share_the_upstream_pool(gateway: RunningGateway, sink: Sink,
                                                    marker_policy) -> None:
    from concurrent.futures import ThreadPoolExecutor

    def client(n: int) -> None:
        with smtplib.SMTP("127.0.0.1", gateway.port, timeout=20) as c:
            for i in range(5):
                c.sendmail(AGENT, [CUSTOMER], make_message(f"message {n}-{i}"))

    with ThreadPoolExecutor(10) as pool:
        list(pool.map(client, range(10)))
    assert len(sink.originals()) == 50
    assert len({m.data for m in sink.originals()}) == 50


def test_notes_of_concurrent_messages_each_reach_their_sender_once(gateway: RunningGateway, sink: Sink,
                                                                  marker_policy) -> None:
    # (notes of messages checked together are committed to the outbox together)
    from concurrent.futures import ThreadPoolExecutor

    def client(n: int) -> None:
        with smtplib.SMTP("127.0.0.1", gateway.port, timeout=20) as c:
            for i in range(4):
                c.sendmail(f"agent{n}-{i}@support.test", [CUSTOMER], make_message(f"MARKWARN {n}-{i}"))

    with ThreadPoolExecutor(10) as pool:
        list(pool.map(client, range(10)))
    assert len(sink.originals()) == 40
    sink.wait_for(lambda m: len(sink.notes()) >= 40 or None, timeout=20)
    assert sorted(rcpt for m in sink.notes() for rcpt in m.rcpt_tos) == sorted(
        f"agent{n}-{i}@support.test" for n in range(10) for i in range(4))
    deadline = time.monotonic() + 10  # (each is marked sent just after it went out)
    while {row["status"] for row in gateway.store.list_outbox()} != {"sent"} and time.monotonic() < deadline:
        time.sleep(0.05)
    rows = gateway.store.list_outbox()
    assert len(rows) == 40 and {row["status"] for row in rows} == {"sent"}


@pytest.mark.parametrize("url,expected", [
    ("smtp://mx.example.test:2525", ("mx.example.test", 2525, False, False, None, None)),
    ("smtp://mx.example.test", ("mx.example.test", 25, False, False, None, None)),
    ("smtp+starttls://u%40x:p%3Aw@mx.example.test", ("mx.example.test", 587, False, True, "u@x", "p:w")),
    ("smtps://mx.example.test", ("mx.example.test", 465, True, False, None, None)),
])
def test_upstream_urls(url: str, expected: tuple) -> None:
    from gateway.relay import Upstream

    u = Upstream.parse(url)
    assert (u.host, u.port, u.use_tls, u.start_tls, u.username, u.password) == expected
    assert "p:w" not in str(u)
