"""blame: talking down to the customer holds the reply; neutral descriptions pass."""

import pytest

from policies import Severity
from tests.policy_helpers import assert_spans, check


@pytest.mark.parametrize("text", [
    "You must have deleted the file before the sync finished.",
    "As I already explained, the export runs overnight.",
    "If you had read the setup guide, you would know the port is 8080.",
    "Obviously the cable needs to be plugged in first.",
    "This is user error, not a fault in the app.",
    "You entered the code incorrectly when you signed up.",
    "Please read my previous email more carefully.",
    "You clearly skipped the second step of the wizard.",
    "The problem is the way you configured the router.",
    "It's a very common mistake with new accounts.",
])
def test_blame_fires(text: str) -> None:
    findings = check("blame", f"Hi Ana,\n\n{text}\n\nBest,\nLuis")
    assert findings and all(f.severity is Severity.HOLD for f in findings)
    assert_spans(f"Hi Ana,\n\n{text}\n\nBest,\nLuis", findings)


@pytest.mark.parametrize("text", [
    "The setting was switched off, so I turned it on for you.",
    "We charged you incorrectly, and I've refunded the difference today.",
    "You must have been worried when the parcel didn't arrive.",
    "You're right that the invoice was wrong; I've corrected it.",
    "Could you check whether the light on the router is blinking?",
    "The label had the wrong postcode, so I've fixed it and rebooked the delivery.",
])
def test_neutral_descriptions_do_not_fire(text: str) -> None:
    assert check("blame", f"Hi Ana,\n\n{text}\n\nLuis") == []


def test_blaming_words_in_the_quote_do_not_fire() -> None:
    quoted = "As I already explained, you obviously broke it. Don't call it user error!!!"
    assert check("blame", "Hi Tom,\n\nI've reset the account and it works again.\n\nMia", quoted) == []


def test_suggestion_drops_the_dig_and_keeps_the_content() -> None:
    text = "Hi Ana,\n\nAs I already explained, the export runs overnight at 02:00.\n\nLuis"
    [finding] = check("blame", text)
    assert finding.excerpt == "As I already explained"
    assert "The export runs overnight at 02:00." in finding.suggestion


@pytest.mark.parametrize("sentence, rewrite", [
    ("Obviously the import failed because the file is not UTF-8.", "The import failed because the file is not UTF-8."),
    ("As I already explained, the fee is in section 9 of the terms.", "The fee is in section 9 of the terms."),
    ("If you had read the billing page you would know that.", None),  # no sentence is left to keep
])
def test_the_rewrite_is_their_sentence_without_the_dig(sentence: str, rewrite: str | None) -> None:
    [finding] = check("blame", f"Hi Maya,\n\n{sentence}\n\nSam")
    if rewrite:
        assert finding.suggestion == f'Say it without the dig: "{rewrite}"'
    else:
        assert "without the dig" not in finding.suggestion
