"""Settings: layers, validation messages that name the file and key, teams."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest

from gateway.settings import ConfigError, load_settings, parse_duration, parse_size
from policies.model import Severity


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "tact.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_embedded_defaults_need_no_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("TACT_CONFIG", raising=False)
    s = load_settings()
    assert s.gateway.listen == "127.0.0.1:10025"
    assert s.gateway.upstream == "maildir:./var/maildir"
    assert s.store.url == "sqlite:///./var/tact.db"
    assert s.gateway.max_message_size == 25 * 1024 * 1024
    assert s.team_policy("default").response_target == timedelta(hours=24)
    assert s.team_policy("default").hold_after_warnings == 3


def test_toml_syntax_error_names_the_file_and_line(tmp_path: Path) -> None:
    path = write(tmp_path, "[gateway]\nlisten = \n")
    with pytest.raises(ConfigError, match=r"tact\.toml: not valid TOML.*line 2"):
        load_settings(path)


@pytest.mark.parametrize(
    ("toml", "key", "what"),
    [
        ("[gateway]\nlisten = 'nonsense'\n", "gateway.listen", "host:port"),
        ("[gateway]\nupstream = 'http://x'\n", "gateway.upstream", "smtp://"),
        ("[gateway]\ntrusted_networks = ['10.0.0.0/33']\n", "gateway.trusted_networks", "not a network"),
        ("[gateway]\nmax_message_size = 'huge'\n", "gateway.max_message_size", "expected a size"),
        ("[gateway]\nlisten_on = ':25'\n", "gateway.listen_on", "unknown key"),
        ("[defaults]\nresponse_target = 'soon'\n", "defaults.response_target", "duration"),
        ("[defaults]\non_error = 'explode'\n", "defaults.on_error", "'pass' or 'hold'"),
        ("[teams.billing]\nhold_after_warnings = 0\n", "teams.billing.hold_after_warnings", "greater than or equal to 1"),
        ("[teams.billing.policies.blame]\nseverity = 'fatal'\n", "teams.billing.policies.blame.severity", "'info', 'warn' or 'hold'"),
        ("[teams.billing.business_hours]\ntimezone = 'Mars/Base'\n", "teams.billing.business_hours.timezone", "unknown time zone"),
        ("[store]\nkeep_sent = '0s'\n", "store.keep_sent", "longer than 0"),
        ("[store]\nkeep_sent = 'forever'\n", "store.keep_sent", "duration"),
    ],
)
def test_bad_values_name_the_key_and_the_problem(tmp_path: Path, toml: str, key: str, what: str) -> None:
    path = write(tmp_path, toml)
    with pytest.raises(ConfigError) as err:
        load_settings(path)
    text = str(err.value)
    assert str(path) in text
    assert f"  {key}: " in text
    assert what in text


def test_unknown_policy_id_is_an_error_not_a_silent_no_op(tmp_path: Path) -> None:
    import policies

    if not policies.REGISTRY:
        pytest.skip("no policies registered")
    path = write(tmp_path, "[teams.billing.policies.ownershp]\nenabled = false\n")
    with pytest.raises(ConfigError, match="teams.billing.policies.ownershp: unknown policy id"):
        load_settings(path)


def test_missing_file_is_named(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="no such file"):
        load_settings(tmp_path / "absent.toml")


def test_environment_overrides_the_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = write(tmp_path, "[gateway]\nupstream = 'smtp://mail.example.com:25'\nhostname = 'from-file'\n")
    monkeypatch.setenv("TACT_GATEWAY__UPSTREAM", "smtps://relay.example.com:465")
    s = load_settings(path)
    assert s.gateway.upstream == "smtps://relay.example.com:465"
    assert s.gateway.hostname == "from-file"


def test_config_path_from_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = write(tmp_path, "[gateway]\nhostname = 'via-env-path'\n")
    monkeypatch.setenv("TACT_CONFIG", str(path))
    assert load_settings().gateway.hostname == "via-env-path"


def test_teams_match_senders_and_inherit_defaults(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        """
[defaults]
response_target = "24h"
hold_after_warnings = 3

[defaults.policies.over-apology]
severity = "info"

[teams.billing]
senders = ["*@billing.example.com", "lead@example.com"]
response_target = "4h"

[teams.billing.business_hours]
timezone = "Europe/Berlin"
days = [1, 2, 3, 4, 5]
start = "08:00:00"
end = "18:00:00"

[teams.billing.policies.ownership]
severity = "hold"
add_phrases = ["ask accounts"]

[teams.billing.policies.late-apology]
enabled = false
""",
    )
    s = load_settings(path)
    assert s.team_for("Ana@Billing.Example.com") == "billing"
    assert s.team_for("lead@example.com") == "billing"
    assert s.team_for("someone@else.example.com") == "default"
    billing = s.team_policy("billing")
    assert billing.response_target == timedelta(hours=4)
    assert billing.hold_after_warnings == 3
    assert billing.business_hours is not None and billing.business_hours.timezone == "Europe/Berlin"
    assert billing.options("ownership").severity is Severity.HOLD
    assert billing.options("ownership").add_phrases == ("ask accounts",)
    assert billing.options("late-apology").enabled is False
    assert billing.options("over-apology").severity is Severity.INFO  # inherited from [defaults]
    default = s.team_policy("default")
    assert default.options("ownership").severity is None
    assert default.business_hours is None
    with pytest.raises(ConfigError, match="unknown team 'sales'"):
        s.team_policy("sales")


@pytest.mark.parametrize(
    ("text", "seconds"), [("24h", 86400), ("90m", 5400), ("2d", 172800), ("45s", 45), (3600, 3600), ("1.5h", 5400)]
)
def test_durations(text: object, seconds: int) -> None:
    assert parse_duration(text).total_seconds() == seconds


@pytest.mark.parametrize(("text", "size"), [("25MB", 25 * 1024**2), ("512k", 512 * 1024), (1000, 1000)])
def test_sizes(text: object, size: int) -> None:
    assert parse_size(text) == size
