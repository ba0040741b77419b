"""tone-match: register far from the customer's warns; breezy or curt replies to upset customers hold."""

import pytest

from policies import Severity
from tests.policy_helpers import assert_spans, check

CASUAL = "hey!! the app keeps logging me out lol. any idea?? thx"
FORMAL = ("Dear Support,\n\nI would be grateful if you could confirm whether our invoices can be issued "
          "in euros.\n\nYours sincerely,\nDr Maria Keller")
UPSET = ("This is the THIRD time I'm writing about this!!! My order still hasn't arrived and nobody "
         "has replied. This is unacceptable.")
NEUTRAL = "Hi, my invoice shows the wrong company name. Can you correct it?"


def test_stiff_reply_to_casual_customer_warns() -> None:
    text = ("Dear Sir or Madam,\n\nPlease be advised that the session length is governed by the security "
            "settings. I've raised it to 30 days for you.\n\nYours faithfully,\nSupport")
    [finding] = check("tone-match", text, CASUAL)
    assert finding.severity is Severity.WARN and finding.excerpt == "Dear Sir or Madam"
    assert_spans(text, [finding])


def test_slangy_reply_to_formal_customer_warns() -> None:
    text = "hey Maria!! yeah no probs, u can switch to euros under Settings > Billing lol 👍👍\n\nJo"
    [finding] = check("tone-match", text, FORMAL)
    assert finding.severity is Severity.WARN


@pytest.mark.parametrize("text", [
    "Hiya! 😊 Great news, it's super easy: your order is on its way! Have an awesome day!! 🎉",
    "Awesome!! :) The parcel should turn up soon, no worries!",
])
def test_breezy_reply_to_upset_customer_holds(text: str) -> None:
    [finding] = check("tone-match", f"{text}\n\nSam", UPSET)
    assert finding.severity is Severity.HOLD


@pytest.mark.parametrize("text", [
    "Sounds like you typed the address wrong.",
    "Delivered yesterday. Tracking is correct.",
])
def test_curt_or_dismissive_reply_to_upset_customer_holds(text: str) -> None:
    [finding] = check("tone-match", f"{text}\n\nSam", UPSET)
    assert finding.severity is Severity.HOLD


@pytest.mark.parametrize("quoted, text", [
    (UPSET, "Hi Kim,\n\nI'm sorry you've had to chase this three times. I've traced the parcel: it was held at "
            "the Leeds depot, and I've booked it onto tomorrow's first delivery. I'll email you the "
            "tracking link by 9am.\n\nSam"),
    (CASUAL, "Hey Kim,\n\nGood catch! I've raised the session length to 30 days, so you'll stay signed in now. 🙂\n\nSam"),
    (FORMAL, "Dear Dr Keller,\n\nYes, invoices can be issued in euros. I have switched your account, and the next "
             "invoice will be in EUR.\n\nKind regards,\nSam"),
    (NEUTRAL, "Hi Kim,\n\nI've corrected the company name and re-sent the invoice.\n\nSam"),
])
def test_matching_registers_do_not_fire(quoted: str, text: str) -> None:
    assert check("tone-match", text, quoted) == []


def test_no_customer_text_means_no_comparison() -> None:
    assert check("tone-match", "Dear Sir or Madam,\n\nWe hereby inform you of a price change.", "") == []


@pytest.mark.parametrize("text", [
    "Hi Kim,\n\nI've refunded both charges just now; you'll see them by Friday.\n\nSam",
    "Hi Kim,\n\nOur records show the parcel was delivered at 10:42. I'm sorry it's been so hard to get an "
    "answer; I've opened a trace with the driver and will email you by 5pm.\n\nSam",
])
def test_short_or_factual_replies_that_act_are_not_dismissive(text: str) -> None:
    assert check("tone-match", text, UPSET) == []


@pytest.mark.parametrize("quoted, text, tones", [
    (UPSET, "Hiya! 😊 Great news, your order is on its way! Have an awesome day!! 🎉\n\nSam",
     "customer: neutral, angry · reply: casual, upbeat"),
    (CASUAL, "Dear Sir or Madam,\n\nPlease be advised that I have extended the session to 30 days.\n\n"
             "Yours faithfully,\nSupport", "customer: casual, confused · reply: formal, neutral"),
    ("I need this fixed today, we are losing orders. This is the second email about it.",
     "Sounds like you typed the VAT number wrong.\n\nSam",
     "customer: neutral, urgent · reply: neutral, blaming"),
])
def test_the_note_says_how_each_side_sounds(quoted: str, text: str, tones: str) -> None:
    [finding] = check("tone-match", text, quoted)
    customer, reply = tones.split(" · ")
    assert f"({customer}" in finding.message and f" · {reply})" in finding.message


@pytest.mark.parametrize("quoted, emotion", [
    (UPSET, "angry"),
    ("Hi, the export has failed again and I still have no answer after two emails.", "frustrated"),
    ("Our shop is down and we are losing orders, please fix this asap.", "urgent"),
    ("I'm a bit lost: where do I find the API key? Not sure what the docs mean.", "confused"),
    ("Hi, could you tell me when the next invoice is due? Thanks.", "calm"),
])
def test_customer_emotion_reads_as_a_person_would_name_it(quoted: str, emotion: str) -> None:
    from policies.signals import customer
    who = customer(quoted)
    assert who is not None and who.emotion == emotion


def test_the_note_quotes_what_shows_the_customer_is_upset() -> None:
    [finding] = check("tone-match", "Awesome!! :) The parcel should turn up soon, no worries!\n\nSam", UPSET)
    assert "“THIRD time”" in finding.message or "“THIRD”" in finding.message


def test_the_breezy_rewrite_keeps_the_agents_news_without_the_cheer() -> None:
    text = "Hiya! 😊 Great news, your order is on its way! Have an awesome day!! 🎉\n\nSam"
    [finding] = check("tone-match", text, UPSET)
    assert finding.suggestion.endswith('"I\'m sorry you\'ve had this trouble. Your order is on its way."')
