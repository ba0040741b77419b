"""Evaluate N distinct 5 KB messages (the `policy_eval.py` kind), for counting instructions.

Wall time on a shared VM varies by ±30 % from minute to minute; valgrind's instruction
count does not. The difference between two runs is the cost of N2 - N1 evaluations:

    export PYTHONHASHSEED=0
    valgrind --tool=callgrind --callgrind-out-file=/dev/null .venv/bin/python bench/policy_cost.py 20
    valgrind --tool=callgrind --callgrind-out-file=/dev/null .venv/bin/python bench/policy_cost.py 120
    # (Collected₁₂₀ − Collected₂₀) / 100 = instructions per evaluate()
"""

from __future__ import annotations

import contextlib
import io
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent))

import policy_eval as pe  # noqa: E402

import policies  # noqa: E402
from policies.model import TeamPolicy  # noqa: E402


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 100
    with contextlib.redirect_stdout(io.StringIO()):
        replies = pe.run_cases(pe.DEFAULT_CORPUS, False)
    team = TeamPolicy()
    for reply in pe.five_kb_messages(replies, n):
        pe._forget_texts()
        policies.evaluate(reply, team)


if __name__ == "__main__":
    main()
