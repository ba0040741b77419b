"""The `tact` command as a user runs it: check, eval, config check."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from gateway.cli import main
from gateway.samples import sample_reply
from tests.shared_corpus import corpus_dir


@pytest.fixture
def sample_files(tmp_path: Path) -> dict[str, Path]:
    files = {}
    for kind in ("pass", "annotate", "hold"):
        path = tmp_path / f"{kind}.eml"
        path.write_bytes(sample_reply(kind).as_bytes())
        files[kind] = path
    return files


def run_json(capsys: pytest.CaptureFixture[str], *args: str) -> list[dict]:
    assert main(["check", "--format", "json", *args]) == 0
    return [json.loads(line) for line in capsys.readouterr().out.splitlines()]


def test_check_json_has_the_documented_fields(sample_files: dict[str, Path], capsys: pytest.CaptureFixture[str]) -> None:
    [record] = run_json(capsys, str(sample_files["annotate"]))
    assert record["file"] == str(sample_files["annotate"])
    assert record["team"] == "default"
    assert record["action"] in ("pass", "annotate", "hold")
    assert isinstance(record["findings"], list)
    assert {"customer_wrote_at", "replied_at"} <= set(record)
    assert "reply_text" not in record
    for f in record["findings"]:
        assert set(f) == {"policy", "severity", "message", "excerpt", "start", "end", "suggestion"}


def test_check_explain_shows_the_split(sample_files: dict[str, Path], capsys: pytest.CaptureFixture[str]) -> None:
    [record] = run_json(capsys, "--explain", str(sample_files["pass"]))
    assert "I've refunded the second $49" in record["reply_text"]
    assert "charged me twice" not in record["reply_text"]
    assert "charged me twice" in record["quoted_text"]


def test_check_one_line_per_file(sample_files: dict[str, Path], capsys: pytest.CaptureFixture[str]) -> None:
    records = run_json(capsys, *(str(p) for p in sample_files.values()))
    assert [r["file"] for r in records] == [str(p) for p in sample_files.values()]


def test_check_reads_standard_input(sample_files: dict[str, Path]) -> None:
    out = subprocess.run(
        [sys.executable, "-m", "gateway.cli", "check", "--format", "json", "-"],
        input=sample_files["pass"].read_bytes(), capture_output=True, check=True,
    )
    assert json.loads(out.stdout)["file"] == "-"


def test_check_text_format_names_action_and_team(sample_files: dict[str, Path], capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["check", str(sample_files["hold"])]) == 0
    out = capsys.readouterr().out
    assert out.startswith(f"{sample_files['hold']}: ")
    assert "(team default)" in out


def test_check_missing_file_is_an_error_and_others_still_run(sample_files: dict[str, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["check", "--format", "json", str(tmp_path / "nope.eml"), str(sample_files["pass"])]) == 1
    out = capsys.readouterr()
    assert "nope.eml: cannot read" in out.err
    assert json.loads(out.out)["file"] == str(sample_files["pass"])


def test_check_bad_now_and_unknown_team_are_clear_errors(sample_files: dict[str, Path], capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["check", "--now", "yesterday", str(sample_files["pass"])]) == 2
    assert "--now: 'yesterday' is not an ISO-8601 time" in capsys.readouterr().err
    assert main(["check", "--team", "sales", str(sample_files["pass"])]) == 2
    assert "unknown team 'sales'" in capsys.readouterr().err


def test_check_now_sets_the_time_of_receipt(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    msg = sample_reply("pass")
    del msg["Date"]
    path = tmp_path / "undated.eml"
    path.write_bytes(msg.as_bytes())
    [record] = run_json(capsys, "--now", "2026-11-30T09:00:00+00:00", str(path))
    assert record["replied_at"] == "2026-11-30T09:00:00+00:00"


def test_config_check_reports_ok_and_errors(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    good = tmp_path / "good.toml"
    good.write_text("[gateway]\nlisten = '127.0.0.1:2525'\n[teams.billing]\nsenders = ['*@billing.example.com']\n")
    assert main(["--config", str(good), "config", "check"]) == 0
    out = capsys.readouterr().out
    assert "configuration OK" in out and "127.0.0.1:2525" in out and "team billing" in out
    assert main(["config", "check", "--config", str(good)]) == 0  # after the command works too
    assert "127.0.0.1:2525" in capsys.readouterr().out
    bad = tmp_path / "bad.toml"
    bad.write_text("[gateway]\nupstream = 'ftp://nowhere'\n")
    assert main(["--config", str(bad), "config", "check"]) == 2
    err = capsys.readouterr().err
    assert str(bad) in err and "gateway.upstream" in err


def test_example_config_in_deploy_is_valid(capsys: pytest.CaptureFixture[str]) -> None:
    example = Path(__file__).resolve().parents[1] / "deploy" / "tact.example.toml"
    if not example.exists():
        pytest.fail("deploy/tact.example.toml is missing")
    assert main(["--config", str(example), "config", "check"]) == 0


def test_every_mime_corpus_message_goes_through_check(capsys: pytest.CaptureFixture[str]) -> None:
    mime = corpus_dir("mime")
    files = sorted(mime.glob("*.eml"))
    assert len(files) >= 200
    records = run_json(capsys, *(str(p) for p in files))
    assert len(records) == len(files)
    failed = [(r["file"], r["errors"]) for r in records if r.get("errors")]
    assert failed == [], f"checking failed (fail-open) on {len(failed)} files: {failed[:5]}"


def test_eval_runs_on_the_labeled_corpus(capsys: pytest.CaptureFixture[str]) -> None:
    labeled = corpus_dir("labeled")
    assert main(["eval", "--no-progress", "--format", "json", str(labeled)]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["messages"] == sum(1 for line in (labeled / "labels.jsonl").open() if line.strip())
    assert set(report["policies"]) >= {"blame", "ownership", "tone-match"}
    confusion = report["actions"]["confusion"]
    assert sum(sum(row.values()) for row in confusion.values()) == report["messages"]


def test_eval_without_labels_is_a_clear_error(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["eval", str(tmp_path)]) == 2
    assert "no labels.jsonl" in capsys.readouterr().err


def test_serve_refuses_a_broken_config_naming_file_and_key(tmp_path: Path) -> None:
    bad = tmp_path / "tact.toml"
    bad.write_text("[gateway]\nmax_message_size = 'lots'\n")
    out = subprocess.run(
        [sys.executable, "-m", "gateway.cli", "serve", "--config", str(bad)],
        capture_output=True, text=True, timeout=60, env={**os.environ, "TACT_CONFIG": ""},
    )
    assert out.returncode == 2
    assert str(bad) in out.stderr and "gateway.max_message_size" in out.stderr
    assert "listening" not in out.stderr


def test_eval_reads_a_cases_corpus(capsys: pytest.CaptureFixture[str]) -> None:
    """The replies-as-data layout (tests/data/heldout): `tact eval` scores it like a folder of .eml."""
    folder = Path(__file__).parent / "data" / "heldout"
    assert main(["eval", "--no-progress", "--format", "json", str(folder)]) == 0
    report = json.loads(capsys.readouterr().out)
    cases = json.loads((folder / "cases.json").read_text("utf-8"))["cases"]
    assert report["messages"] == len(cases)
    assert sum(sum(row.values()) for row in report["actions"]["confusion"].values()) == len(cases)
    assert report["actions"]["false_holds"]["count"] == 0
