"""Per-team tuning through policies.evaluate: phrases, severities, disabling, errors, languages."""

from collections.abc import Iterator
from types import MappingProxyType

import pytest

from policies import REGISTRY, Action, PolicyOptions, Reply, Severity, TeamPolicy, evaluate


def team(name: str = "default", **policies: PolicyOptions) -> TeamPolicy:
    return TeamPolicy(name=name, policies=MappingProxyType(dict(policies)))


CLEAN = Reply(text="Hi Ana,\n\nI've refunded the duplicate charge today; it shows in 3-5 days.\n\nSam")
JARGON = Reply(text="Hi Ana,\n\nThat one is a known glitch in the v2 uploader; I've re-run your upload "
                    "and the file is in your library now.\n\nSam")
HANDOFF = Reply(text="Hi Ana,\n\nYour request has been forwarded to the relevant department.\n\nSam")


def test_a_clean_reply_passes() -> None:
    assert evaluate(CLEAN, TeamPolicy()).action is Action.PASS


def test_added_phrase_changes_the_verdict_for_that_team_only() -> None:
    strict = team("strict", blame=PolicyOptions(add_phrases=("known glitch",)))
    assert evaluate(JARGON, strict).action is Action.HOLD
    finding = next(f for f in evaluate(JARGON, strict).findings if f.policy == "blame")
    assert finding.excerpt == "known glitch"
    assert evaluate(JARGON, team("other")).action is Action.PASS


def test_removed_phrase_is_no_longer_flagged() -> None:
    relaxed = team("relaxed", ownership=PolicyOptions(remove_phrases=("forwarded to the relevant department",)))
    assert evaluate(HANDOFF, TeamPolicy()).action is Action.ANNOTATE
    assert evaluate(HANDOFF, relaxed).action is Action.PASS


def test_removing_a_plain_phrase_by_its_wording() -> None:
    reply = Reply(text="Hi Ana,\n\nObviously the export needs a date range first. It's fixed and re-sent now.\n\nSam")
    assert evaluate(reply, TeamPolicy()).action is Action.HOLD
    assert evaluate(reply, team("t", blame=PolicyOptions(remove_phrases=("obviously",)))).action is Action.PASS


def test_severity_override_and_disabling() -> None:
    as_hold = team("holders", ownership=PolicyOptions(severity=Severity.HOLD))
    off = team("off", ownership=PolicyOptions(enabled=False))
    assert evaluate(HANDOFF, as_hold).action is Action.HOLD
    assert evaluate(HANDOFF, off).action is Action.PASS
    assert evaluate(HANDOFF, TeamPolicy()).action is Action.ANNOTATE


def test_tuned_phrase_lists_are_compiled_once_per_tuning() -> None:
    from policies.blame import BOOK

    options = PolicyOptions(add_phrases=("known glitch",))
    assert BOOK.for_options(options) is BOOK.for_options(PolicyOptions(add_phrases=("known glitch",)))
    assert BOOK.for_options(PolicyOptions()) is BOOK.for_options(PolicyOptions())


@pytest.mark.parametrize("text", [
    "Hallo Frau Weber,\n\nwie ich bereits erklärt habe, haben Sie das Gerät falsch installiert. Bitte "
    "schreiben Sie uns nicht mehr. Es tut mir leid, es tut mir leid, es tut mir leid.\n\nGrüße",
    "Bonjour Madame,\n\ncomme je l'ai déjà expliqué, merci de ne plus nous écrire. Désolé, désolé, "
    "vraiment désolé.\n\nCordialement",
    "Hola Marta,\n\ncomo ya le expliqué, usted instaló mal el equipo. Lo siento, lo siento mucho, de verdad lo "
    "siento.\n\nUn saludo,\nLuis",
    "Olá João,\n\npeço desculpa, desculpa mesmo, lamento muito. Como já expliquei, não precisa de nos "
    "contactar outra vez.\n\nCumprimentos",
    "Hoi Sanne,\n\nsorry, sorry, echt sorry voor de late reactie. Zoals ik al heb uitgelegd, is dit een "
    "gebruikersfout.\n\nGroet, Pieter",
    "Hej Erik,\n\nförlåt, förlåt, vi beklagar verkligen. Som jag redan har förklarat har du installerat den "
    "fel.\n\nHälsningar",
])
def test_non_english_reply_is_left_alone(text: str) -> None:
    reply = Reply(text=text, quoted="Das ist schon das dritte Mal!!! Unglaublich.")
    verdict = evaluate(reply, TeamPolicy())
    assert verdict.action is Action.PASS and verdict.findings == ()


class _Crash:
    id = "test-crash"
    description = "A policy that always raises."
    severity = Severity.HOLD

    def check(self, reply: Reply, team: TeamPolicy, options: PolicyOptions) -> list:
        raise RuntimeError("boom")


@pytest.fixture
def crashing_policy() -> Iterator[None]:
    REGISTRY[_Crash.id] = _Crash()
    try:
        yield
    finally:
        del REGISTRY[_Crash.id]


def test_a_crashing_policy_is_recorded_and_the_message_passes(crashing_policy: None) -> None:
    verdict = evaluate(CLEAN, TeamPolicy())
    assert verdict.action is Action.PASS
    assert verdict.errors == ("test-crash: RuntimeError",)


def test_a_team_that_holds_on_error_holds(crashing_policy: None) -> None:
    assert evaluate(CLEAN, TeamPolicy(on_error="hold")).action is Action.HOLD


def test_crash_fixture_cleans_up() -> None:
    assert "test-crash" not in REGISTRY
