"""Where the shared test corpus lives, and what to do when it is absent.

The corpus is third-party data kept beside the checkout in ../shared/corpus;
it is never copied into the repo. Without it a test skips with the reason,
except under CI=true, where its absence is a failure.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

SHARED = Path(__file__).resolve().parents[1].parent / "shared"
CORPUS = SHARED / "corpus"


def corpus_dir(name: str) -> Path:
    """../shared/corpus/NAME, or skip (fail under CI=true) when it is not there."""
    path = CORPUS / name
    if not path.is_dir():
        reason = f"{path} is not present: the shared test corpus sits beside the checkout"
        if os.environ.get("CI") == "true":
            pytest.fail(reason + " (required under CI=true)")
        pytest.skip(reason)
    return path
