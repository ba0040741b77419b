"""Compare the policy evaluation time of two checkouts, interleaved, on the same messages.

    .venv/bin/python bench/policy_ab.py OLD_DIR [NEW_DIR] [--rounds 5] [--messages 300]

This VM's speed drifts by up to 2x from one minute to the next, so two timings taken
minutes apart say little about a change. Here each round runs one fresh process per
checkout, one after the other, and the figure for each is the median over the rounds of
its per-round median (and mean) `policies.evaluate()` time per reply, caches emptied
before each reply as in `policy_eval.py`. Two kinds of ~5 KB message:

- policy_eval: `policy_eval.py`'s messages (a 1.5 KB reply over a 3.4 KB quoted thread);
- load: `load.py`'s messages (a short reply over a 4 KB customer message), parsed by each
  checkout's own `gateway.message` (parsing is not timed).

OLD_DIR is a checkout to compare with, e.g. `git worktree add /tmp/old <commit>`; NEW_DIR
defaults to this one. Both need `../shared/corpus/labeled` beside them.
"""

from __future__ import annotations

import argparse
import json
import pickle
import statistics
import subprocess
import sys
import tempfile
from collections import defaultdict
from datetime import datetime, timezone
from pathlib import Path

HERE = Path(__file__).resolve().parent


def _child(root: str, raws_file: str, n: int) -> None:
    """One timing run with the code in `root`: prints {"<set> median": ms, "<set> mean": ms}."""
    import contextlib
    import io
    import time

    sys.path[:0] = [f"{root}/bench", root]
    import policy_eval as pe  # noqa: PLC0415  (the checkout's own)

    import policies  # noqa: PLC0415
    from gateway.message import parse_message  # noqa: PLC0415
    from policies.model import TeamPolicy  # noqa: PLC0415

    if not policies.__file__.startswith(root):
        raise SystemExit(f"imported policies from {policies.__file__}, not from {root}")
    with contextlib.redirect_stdout(io.StringIO()):
        replies = pe.run_cases(pe.DEFAULT_CORPUS, False)
    with open(raws_file, "rb") as f:
        raws = pickle.load(f)
    sets = {"policy_eval": pe.five_kb_messages(replies, n), "load": [parse_message(r) for r in raws]}
    clears = [obj.cache_clear for name, module in list(sys.modules.items())
              if name == "policies" or name.startswith("policies.")
              for attr, obj in vars(module).items()
              if attr not in pe._WARM_CACHES and callable(getattr(obj, "cache_clear", None))]
    team = TeamPolicy()
    out = {}
    for name, messages in sets.items():
        times = []
        for reply in messages:
            for clear in clears:
                clear()
            t0 = time.perf_counter()
            policies.evaluate(reply, team)
            times.append(time.perf_counter() - t0)
        times.sort()
        out[f"{name} median"] = times[len(times) // 2] * 1000
        out[f"{name} mean"] = sum(times) / len(times) * 1000
    print(json.dumps(out))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("old", type=Path, help="the checkout to compare with")
    ap.add_argument("new", type=Path, nargs="?", default=HERE.parent, help="default: this checkout")
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--messages", type=int, default=300, help="messages of each kind (default 300)")
    args = ap.parse_args()
    roots = [str(p.resolve()) for p in (args.old, args.new)]
    for root in roots:
        if not (Path(root) / "policies").is_dir():
            ap.error(f"{root} is not a Tact checkout (no policies/ in it)")

    sys.path.insert(0, str(HERE))
    from sample_reply import make_samples, render  # noqa: PLC0415

    now = datetime(2026, 11, 30, 12, tzinfo=timezone.utc)
    raws = [render(sample, seq=i, sender="agent@support.example.com", recipient="customer@example.org",
                   now=now) for i, sample in enumerate(make_samples(1, args.messages, 5000))]
    figures: dict[tuple[str, str], list[float]] = defaultdict(list)
    with tempfile.NamedTemporaryFile(suffix=".pickle") as f:
        pickle.dump(raws, f)
        f.flush()
        for k in range(args.rounds):
            for root in roots:
                run = subprocess.run([sys.executable, __file__, "--child", root, f.name, str(args.messages)],
                                     capture_output=True, text=True, check=False)
                if run.returncode:
                    raise SystemExit(f"timing {root} failed:\n{run.stderr}")
                for key, ms in json.loads(run.stdout).items():
                    figures[(key, root)].append(ms)
            print(f"round {k + 1}/{args.rounds} done", file=sys.stderr, flush=True)
    print(f"{'messages':20} {'checkout':40} {'median of rounds':>17} {'fastest round':>14}")
    for (key, root), values in sorted(figures.items()):
        print(f"{key:20} {root[-40:]:40} {statistics.median(values):14.3f} ms {min(values):11.3f} ms")


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "--child":
        _child(sys.argv[2], sys.argv[3], int(sys.argv[4]))
    else:
        main()
