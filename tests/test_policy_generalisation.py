"""Phrase families, not sentences: wordings of our own that the catalog's examples don't cover.

Each table pairs what must fire with a near miss that must not (hard negatives).
"""

import pytest

from policies import Severity
from tests.policy_helpers import assert_spans, at, check

FIX = "I've reset the sync token, and your workouts from Thursday on are back in the app."


@pytest.mark.parametrize("opening", [
    "Sorry for keeping you waiting on this one.",
    "Appreciate you hanging on while I checked with the warehouse.",
    "Sorry this sat in our queue over the bank holiday.",
    "This took far longer than it should have, and that's on us.",
    "Thank you for sticking with us.",
])
def test_the_wait_acknowledged_in_other_words(opening: str) -> None:
    text = f"Hi Ben,\n\n{opening} {FIX}\n\nDaniel"
    assert check("late-apology", text, "help", customer_wrote_at=at(16, 9), replied_at=at(18, 10)) == []


@pytest.mark.parametrize("opening", ["Sorry about the sync problem.", "Good news!"])
def test_an_apology_for_the_problem_is_not_one_for_the_wait(opening: str) -> None:
    text = f"Hi Ben,\n\n{opening} {FIX}\n\nDaniel"
    [finding] = check("late-apology", text, "help", customer_wrote_at=at(16, 9), replied_at=at(18, 10))
    assert_spans(text, [finding])


@pytest.mark.parametrize("sentence", [
    "Please refrain from calling or emailing us; all updates will come by post.",
    "Please do not reply to this email or open further requests about this claim.",
    "For future questions, please use the help centre instead of emailing support.",
])
def test_closing_the_door_in_other_words(sentence: str) -> None:
    text = f"Hi Ana,\n\nThe claim was declined. {sentence}\n\nClaims"
    [finding] = check("discouraging", text)
    assert finding.severity is Severity.HOLD


@pytest.mark.parametrize("sentence", [
    "If anything else comes up, just reply here and it comes straight to me.",
    "You don't need to do anything else; the refund is on its way.",
    "Calling is quickest if it's urgent, or reply here any time.",
])
def test_ordinary_closes_stay_open(sentence: str) -> None:
    assert check("discouraging", f"Hi Ana,\n\n{FIX} {sentence}\n\nKat") == []


@pytest.mark.parametrize("sentence", [
    "Your case has been escalated and will be reviewed.",
    "An update will be provided once a decision has been made.",
    "Your claim is with our assessors.",
    "Our engineers are aware of the problem and a fix is being worked on.",
])
def test_passive_next_steps_with_nobody_behind_them(sentence: str) -> None:
    text = f"Hi Fatima,\n\nThanks for your email. {sentence}\n\nClaims Support"
    [finding] = check("ownership", text)
    assert finding.severity is Severity.WARN
    assert_spans(text, [finding])


@pytest.mark.parametrize("sentence", [
    "Your refund has been processed and will show on your card within 3 days.",
    "I've escalated your case to Dana in claims, and I'll email you her decision by Thursday.",
    "Your case will be reviewed by me personally tomorrow morning.",
])
def test_done_or_owned_steps_are_not_deflection(sentence: str) -> None:
    assert check("ownership", f"Hi Fatima,\n\n{sentence}\n\nPriya") == []


def test_sent_to_the_courier_with_nothing_else_holds() -> None:
    text = "Hi,\n\nDeliveries are the courier's responsibility. Please contact them.\n\nShopnest"
    [finding] = check("ownership", text)
    assert finding.severity is Severity.HOLD


UPSET = "This is the FIFTH time I'm writing about my refund!!! Nobody answers properly."


def test_shutting_the_door_on_an_upset_customer_is_dismissive() -> None:
    text = "Mr Dunne,\n\nWe have responded to all of your messages. We won't respond to further messages.\n\nCR"
    [finding] = check("tone-match", text, UPSET)
    assert finding.severity is Severity.HOLD


def test_with_the_fix_done_it_is_the_discouraging_policy_alone() -> None:
    text = ("Hi Tanya,\n\nI've merged your tickets and reset your 2FA, so you can sign in now. Please don't "
            "raise new tickets for the same problem.\n\nSam")
    assert check("tone-match", text, UPSET) == []


@pytest.mark.parametrize("quoted", [
    "Our LDAP sync fails with ERROR 49 on https://intranet.example.com/ADMIN/SYNC, see the log. Regards, ACME GMBH",
    "The HDMI port on the TV shows NO SIGNAL. Which cable do I need?",
])
def test_acronyms_paths_and_labels_are_not_shouting(quoted: str) -> None:
    text = "Done! The sync works again now 🙂\n\nSam"
    assert check("tone-match", text, quoted) == []


@pytest.mark.parametrize("quoted, text", [
    ("Hi, just following up on the router swap. Any news?", "Hi Liam,\n\nYour router swap is being scheduled "
     "for Tuesday; I'll text you the engineer's time slot on Monday.\n\nKai"),
    ("Could you take a look? The import fails at row 1.", "Hi Simon,\n\nThe import failed because the file "
     "isn't saved as UTF-8. I've converted it and imported all 4,000 rows.\n\nKai"),
    ("Where should I start? We have payroll on the 15th.", "Hi Olivia,\n\n1. Go to Settings > Company.\n"
     "2. Add your staff.\n3. Run a preview on the 12th.\n\nKai"),
    ("How are you today? Quick one: can I change the delivery day to Friday?", "Hi Mo,\n\nYes, I've moved "
     "your delivery day to Friday from next week.\n\nKai"),
])
def test_questions_answered_without_repeating_their_words(quoted: str, text: str) -> None:
    assert check("specific-questions", text, quoted) == []


@pytest.mark.parametrize("quoted, asked", [
    ("I was charged €480 in roaming for one week!!! Why was I charged this much???", "Why was I charged"),
    ("Called four times about the leak. When is someone actually going to fix it???", "When is someone"),
])
def test_angry_questions_are_still_questions(quoted: str, asked: str) -> None:
    text = "Hi there,\n\nRoaming bundles can be added in the app under Add-ons.\n\nKat"
    [finding] = check("specific-questions", text, quoted)
    assert asked in finding.message


@pytest.mark.parametrize("sentence", [
    "What's going on with the account exactly?",
    "Send over whatever details you have.",
])
def test_vague_asks_in_other_words(sentence: str) -> None:
    text = f"Hi Tanya,\n\n{sentence}\n\nPulse"
    assert [f.policy for f in check("specific-questions", text,
                                    "My team can't see the shared dashboards since yesterday.")] == [
        "specific-questions"]


@pytest.mark.parametrize("text", [
    "Sorry, wrong link! The correct one is https://example.com/guide.",
    "Sorry about that, it works again now.",
])
def test_an_apology_that_comes_with_its_fix_is_not_empty_empathy(text: str) -> None:
    assert check("empathy-without-action", f"Hi Jo,\n\n{text}\n\nSam", "The link is broken.") == []


@pytest.mark.parametrize("sentence", [
    "There's no point emailing us again about this as the decision is final.",
    "Please stop sending repeat emails as they only slow down our processing.",
    "Please refrain from sending multiple messages.",
    "Please note that we will no longer respond to correspondence regarding this flight.",
    "Please don't keep opening new tickets for the same code though!",
    "In future please check the help centre first, as we won't reply to how-to questions.",
])
def test_the_structure_of_closing_the_door(sentence: str) -> None:
    [finding] = check("discouraging", f"Hi Ana,\n\nI've checked your points balance. {sentence}\n\nKat")
    assert finding.severity is Severity.HOLD


@pytest.mark.parametrize("sentence", [
    "You won't need to call again: everything is cancelled and confirmed.",
    "Please avoid contacting the hotel directly; I'll fix the booking and update you by Friday.",
    "To stop these emails, click unsubscribe at the bottom of any of them.",
    "We won't be able to reply until Monday, as the office is closed for the holiday.",
    "Don't hesitate to email me again if the code doesn't work.",
])
def test_near_misses_of_closing_the_door(sentence: str) -> None:
    assert check("discouraging", f"Hi Ana,\n\nI've checked your points balance. {sentence}\n\nKat") == []


@pytest.mark.parametrize("sentence", [
    "As outlined in the setup guide you were sent at enrolment, the certificate step is mandatory.",
    "This happens when students skip step 3.",
    "As stated clearly on the checkout page, the box for Premium was ticked.",
    "It's the customer's responsibility to review their order before paying.",
    "Next time please replace the batteries when you're told to.",
    "Nothing wrong with our system, so fix your data and rerun it.",
])
def test_blame_in_other_words(sentence: str) -> None:
    [finding] = check("blame", f"Hi Jenny,\n\n{sentence}\n\nSimon")
    assert finding.severity is Severity.HOLD


@pytest.mark.parametrize("text", [
    "You're right, and I'm sorry. Your booking clearly says automatic, so I've refunded the upgrade fee.",
    "The box for Premium was ticked, so I've removed it and refunded the charge.",
    "Step 3 is easy to miss, so I've added a screenshot of it below.",
])
def test_neutral_or_on_their_side(text: str) -> None:
    assert check("blame", f"Hi Jenny,\n\n{text}\n\nSimon") == []


@pytest.mark.parametrize("sentence, severity", [
    ("SSO is really one for our integration partners at Keyfold. That would be the place to go with this.",
     Severity.HOLD),
    ("That's handled by our promotions partner so it's one for them I'm afraid.", Severity.HOLD),
    ("I've made a note on your account and the relevant folks will pick it up.", Severity.WARN),
    ("Requests are handled in order.", Severity.WARN),
])
def test_deflection_in_other_words(sentence: str, severity: Severity) -> None:
    findings = check("ownership", f"Hi Noah,\n\n{sentence}\n\nJess")
    assert [f.severity for f in findings][:1] == [severity]


def test_a_named_hand_off_with_a_date_is_owned() -> None:
    text = ("Hi Noah,\n\nPromotions are run by our partner Vouchify, so I've sent them your code and order "
            "number, and I'll email you their answer by Thursday.\n\nJess")
    assert check("ownership", text) == []


@pytest.mark.parametrize("quoted", [
    "Our SSO login fails for all 40 users and we have payroll to run today. Please help urgently.",
    "I missed my train because your ticket machine ate my card. UNACCEPTABLE.",
])
def test_urgent_or_shouting_customers_sent_away_is_dismissive(quoted: str) -> None:
    text = "Hello,\n\nUnfortunately there's nothing we can do about that.\n\nCustomer Services"
    [finding] = check("tone-match", text, quoted)
    assert finding.severity is Severity.HOLD


def test_nothing_we_can_do_is_not_an_action() -> None:
    from policies.signals import reply_signals
    assert reply_signals("Hi,\n\nUnfortunately there's nothing we can do.\n\nKat").actions == ()


@pytest.mark.parametrize("opening", [
    "I know you've been waiting a while for someone to come back to you on this.",
    "You've been left waiting far too long on this, first by the engineer and then by me.",
    "Appreciate your patience while I tracked this down.",
])
def test_more_ways_to_own_the_wait(opening: str) -> None:
    text = f"Hi Ben,\n\n{opening} {FIX}\n\nDaniel"
    assert check("late-apology", text, "help", customer_wrote_at=at(16, 9), replied_at=at(18, 10)) == []


def test_empathy_next_to_thanks_for_patience_is_still_empathy() -> None:
    text = "Hi Ana,\n\nWe understand your frustration and appreciate your patience.\n\nSam"
    assert [f.policy for f in check("empathy-without-action", text, "The booking is wrong.")] == [
        "empathy-without-action"]


def test_an_answer_on_the_greeting_line_is_the_answer() -> None:
    from policies.text import analyse
    doc = analyse("Hi Sven, it's Harbour-2026 (capital H). It changes on the 1st of each month.\n\nMette")
    assert doc.greeting is not None and doc.greeting.text == "Hi Sven,"
    assert doc.content.text.startswith("it's Harbour-2026")


def test_a_greeting_does_not_warm_up_a_cold_hand_off_to_an_urgent_customer() -> None:
    quoted = "URGENT: the exam portal logged me out mid-exam and won't let me back in. Exam ends in 40 minutes!!"
    [finding] = check("tone-match", "Hi Lena,\n\nThis has been forwarded to the relevant department.\n\nIT", quoted)
    assert finding.severity is Severity.HOLD


@pytest.mark.parametrize("sentence", [
    "Please stop emailing the general inbox about this; the matter is now closed.",
    "Going forward we ask that patients limit contact with the department to one email a week.",
    "Repeatedly contacting us will not change the outcome or speed up the transfer.",
])
def test_rationing_or_futile_contact_closes_the_door(sentence: str) -> None:
    [finding] = check("discouraging", f"Hi Ana,\n\nI've checked your points balance. {sentence}\n\nKat")
    assert finding.severity is Severity.HOLD


@pytest.mark.parametrize("sentence, severity", [
    ("I have forwarded it to the mortgage team, who will call you back.", Severity.WARN),
    ("The team is looking into it and we'll be in touch once we know more.", Severity.WARN),
    ("Once a parcel is marked as delivered it is no longer our responsibility. Please take this up with the "
     "retailer you ordered from.", Severity.HOLD),
    ("If you disagree with your banding, that is a matter for the Valuation Office Agency.", Severity.HOLD),
])
def test_more_hand_offs_with_nobody_named(sentence: str, severity: Severity) -> None:
    findings = check("ownership", f"Dear Mr Kemp,\n\n{sentence}\n\nCustomer Care")
    assert [f.severity for f in findings][:1] == [severity]


@pytest.mark.parametrize("quoted, text", [
    ("Hi, I was charged for a permit I cancelled. Can you refund it?", "Hello,\n\nThat's not our department.\n\nCCC"),
    ("I need a VAT invoice with our company name. Can you send one?",
     "Hi Nathan,\n\nThis has been escalated and you'll be contacted in due course.\n\nSupport"),
])
def test_a_request_met_by_a_hand_off_is_ownerships_finding(quoted: str, text: str) -> None:
    assert check("specific-questions", text, quoted) == []
    assert check("ownership", text, quoted) != []


def test_a_question_met_by_a_hand_off_is_still_unanswered() -> None:
    quoted = "My card was declined although my balance was fine. Could you please explain why it was refused?"
    text = "Dear Mr Ashworth,\n\nYour query has been forwarded to the relevant department.\n\nCustomer Services"
    [finding] = check("specific-questions", text, quoted)
    assert "why it was refused" in finding.message


def test_can_you_help_is_answered_by_a_precise_question_and_a_plan() -> None:
    quoted = "The form rejects my daughter's date of birth. Can you help?"
    text = ("Hi Ayesha,\n\nThe form expects the date as DD/MM/YYYY. Could you tell me her date of birth? If she's "
            "eligible I'll register her myself and send you the confirmation.\n\nMr Okonjo")
    assert check("specific-questions", text, quoted) == []


@pytest.mark.parametrize("promise, fires", [
    ("We'll look into this and get back to you.", True),
    ("The team is looking into it and we'll be in touch once we know more.", True),
    ("I'll look into this and get back to you by Thursday.", False),
    ("I've replaced the hob's control board, and I'll call you tomorrow to check it works.", False),
])
def test_a_vague_promise_is_not_the_action_empathy_needs(promise: str, fires: bool) -> None:
    text = f"Hi Neil,\n\nI'm really sorry the hob is still faulty; I know how frustrating that is.\n\n{promise}\n\nAndrea"
    found = check("empathy-without-action", text, "The hob is still broken.")
    assert bool(found) is fires


def test_works_on_our_end_to_a_customer_losing_money_holds() -> None:
    quoted = "Our store has been down for 2 hours on a Saturday. We are losing hundreds of pounds. What is happening??"
    [finding] = check("tone-match", "Works on our end.", quoted)
    assert finding.severity is Severity.HOLD


def test_granted_after_now_is_still_done() -> None:
    from policies.signals import reply_signals
    assert reply_signals("Hi,\n\nAccess to the pack has now been granted to your account.\n\nKat").actions
