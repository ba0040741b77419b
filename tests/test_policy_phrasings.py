"""Other ways of saying the same thing: each family catches wordings beyond its first example."""

import pytest

from tests.policy_helpers import check

UPSET = "I have emailed FOUR times now and NOBODY has answered!!! This is ridiculous."
CASUAL = "hey! can i get dark mode on the app? thx :)"
FORMAL = ("Dear Sir or Madam,\n\nI would be grateful if you could confirm the cancellation of our contract."
          "\n\nYours faithfully,\nJ. Smith")
PLAIN = "Hi, the booking is wrong, I need it fixed."

CASES = [
    ("blame", PLAIN, "You didn't follow the instructions in the setup email."),
    ("blame", PLAIN, "Had you checked your spam folder, you'd have seen our reply."),
    ("blame", PLAIN, "The error is on your end, not ours."),
    ("blame", PLAIN, "Next time, please read the FAQ first."),
    ("blame", PLAIN, "You're using it wrong."),
    ("blame", PLAIN, "Your router is the problem, not our service."),
    ("blame", PLAIN, "Per my last email, the refund takes 5 days."),
    ("blame", PLAIN, "If you'd bothered to read the confirmation, you'd know the date."),
    ("discouraging", PLAIN, "Please do not reply to this email again."),
    ("discouraging", PLAIN, "We will not be entertaining further requests about this."),
    ("discouraging", PLAIN, "Contacting us again will not change the outcome."),
    ("discouraging", PLAIN, "Further contact on this matter will be ignored."),
    ("discouraging", PLAIN, "Please stop calling our support line."),
    ("discouraging", PLAIN, "This is the last reply you will get from us on this."),
    ("discouraging", PLAIN, "Don't bother writing back."),
    ("ownership", PLAIN, "The billing department will handle it from here."),
    ("ownership", PLAIN, "You'll have to reach out to the manufacturer."),
    ("ownership", PLAIN, "Please contact your ISP."),
    ("ownership", PLAIN, "Someone from our tech team will reach out."),
    ("ownership", PLAIN, "Your ticket has been escalated to tier 2."),
    ("ownership", PLAIN, "It's been passed along to the right people."),
    ("ownership", PLAIN, "This isn't something we handle."),
    ("ownership", PLAIN, "The billing team will refund you within 3 days."),
    ("specific-questions", PLAIN, "Can you tell us more?"),
    ("specific-questions", PLAIN, "Do you have any more info?"),
    ("specific-questions", PLAIN, "What seems to be the problem?"),
    ("specific-questions", PLAIN, "Could you elaborate?"),
    ("specific-questions", PLAIN, "Is there anything else?"),
    ("specific-questions", PLAIN, "Maybe it's your wifi?"),
    ("empathy-without-action", PLAIN, "We understand your frustration and appreciate your patience."),
    ("empathy-without-action", PLAIN, "I hear you, and I'm sorry this has been such a hassle."),
    ("tone-match", UPSET, "No worries! 😊 I've fixed it, have a great day!"),
    ("tone-match", UPSET, "We have no record of a problem. Please try again."),
    ("tone-match", CASUAL, "We regret to inform you that the aforementioned feature is unavailable."),
    ("tone-match", CASUAL, "Please be advised that your request has been duly noted."),
    ("tone-match", FORMAL, "gonna sort this asap!! lol"),
    ("tone-match", FORMAL, "yep no probs, done 👍👍"),
]


@pytest.mark.parametrize("policy_id, quoted, sentence", CASES)
def test_wording_is_caught(policy_id: str, quoted: str, sentence: str) -> None:
    assert check(policy_id, f"Hi Ana,\n\n{sentence}\n\nSam", quoted)
