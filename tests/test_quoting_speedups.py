"""The quote splitter's fast path for plain prose lines splits exactly as the full tests do.

`_split` skips a line that `_PLAIN_PROSE` matches (plus three substring tests) without
running `_is_prose` and `_may_be_tagline` on it. Here every body is split with the fast
path and with it turned off, and the splits must be the same.
"""

from __future__ import annotations

import random
import re

from gateway import quoting as Q
from tests.shared_corpus import CORPUS

LINES = [
    "On Mon, 2 Nov 2026 at 10:00, Bob <b@x.y> wrote:", "> quoted", ">> deeper", "From: Bob", "Sent: Monday",
    "To: x", "Subject: y", "-----Original Message-----", "____", "--", "-- ", "Sent from my iPhone",
    "Get Outlook for iOS", "hello there", "plain prose line", "Thanks!", "Le lun. 2 nov. 2026 à 10:00, Bob a écrit :",
    "Am Mo., 2. Nov. 2026 um 10:00 schrieb Bob:", "  ", "", "\ue000", "\ue001", "Von: Bob", "Envoyé de mon iPhone",
    "No worries", "Very good", "(sent from phone)", "<http://x.y>", "\u00a0indented", "wé", "Dear Sam:",
    "call me at 10:30", "ends with colon:", "w dniu", "éclair", "##- Please type your reply above this line -##",
    "* bullet", "= rule =", "Bob wrote", "Bob Smith wrote:", "On Monday Bob wrote", "Best regards", "Jane",
    "Sent via the app", "download our app", "Von meinem iPhone gesendet", "Obtenir Outlook pour Android",
    "Holen Sie sich Outlook", "Scanned by", "El lunes escribió", "Il giorno lun ha scritto", "a dash-word",
    "a line -- with double dash", "see http://x", "Op ma schreef Bob", "em 2 de nov escreveu", "W dniu pisze",
    "De : Bob", "Dn Bob napsal", "no one knows", "amazing", "level", "island", "operate", "ever", "denied",
    "\tTabbed line", "Trailing space ", "What's up?", "It costs 10 euros", "x > y",
]


def _bodies() -> list[str]:
    rng = random.Random(5)
    bodies = ["\n".join(rng.choice(LINES) for _ in range(rng.randint(1, 16))) for _ in range(4000)]
    folder = CORPUS / "quoting"  # (where ../shared is absent, the made-up bodies still run)
    for path in sorted(folder.rglob("*")) if folder.is_dir() else []:
        if path.is_file():
            bodies.append(path.read_text("utf-8", "replace").replace("\r\n", "\n"))
    return bodies


def test_the_plain_prose_fast_path_splits_exactly_as_the_full_tests(monkeypatch) -> None:
    bodies = _bodies()
    fast = [(Q.split_reply(b), Q._split(b)) for b in bodies]
    monkeypatch.setattr(Q, "_PLAIN_PROSE", re.compile(r"(?!)"))  # matches nothing: no fast path
    assert [(Q.split_reply(b), Q._split(b)) for b in bodies] == fast


def test_the_fast_path_takes_plain_lines_and_only_those() -> None:
    takes = ["Hello there, how are you?", "  indented prose.", "what's up", "plain - dash", "Best regards"]
    leaves = ["On Mon wrote", "Sent from", "at 10am", "Very good", "email: x", "café", "x>y", "a\tb", "Get it",
              "Le 2 nov", "no one", "Amazing"]
    assert all(Q._PLAIN_PROSE.fullmatch(line) for line in takes)
    assert not any(Q._PLAIN_PROSE.fullmatch(line) for line in leaves)
