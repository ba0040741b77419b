"""Settings in layers: defaults in code, the operator's `tact.toml`, then
`TACT_*` environment variables (nested keys with `__`, e.g.
`TACT_GATEWAY__UPSTREAM`). Validated at start; errors name the file and key.
"""

from __future__ import annotations

import fnmatch
import ipaddress
import os
import re
import tomllib
from datetime import time, timedelta
from pathlib import Path
from types import MappingProxyType
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator
from pydantic_settings import BaseSettings, PydanticBaseSettingsSource, SettingsConfigDict

from policies.model import BusinessHours, PolicyOptions, Severity, TeamPolicy

DEFAULT_CONFIG_FILE = "tact.toml"

_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(s|m|h|d|w)?\s*$")
_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}
_SIZE = re.compile(r"^\s*(\d+)\s*(b|kb|k|mb|m|gb|g)?\s*$", re.IGNORECASE)
_SIZE_UNITS = {"b": 1, "k": 1024, "kb": 1024, "m": 1024**2, "mb": 1024**2, "g": 1024**3, "gb": 1024**3}


class ConfigError(Exception):
    """A configuration problem, worded for the operator: file, key, what is wrong."""


def parse_duration(value: Any) -> timedelta:
    """Accept "24h", "90m", "2d", "45s", a number of seconds, or a timedelta."""
    if isinstance(value, timedelta):
        return value
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return timedelta(seconds=value)
    if isinstance(value, str):
        m = _DURATION.match(value)
        if m:
            return timedelta(seconds=float(m.group(1)) * _UNITS[m.group(2) or "s"])
    raise ValueError(f"expected a duration such as '24h', '90m' or '2d', got {value!r}")


def format_duration(value: timedelta) -> str:
    """The shortest exact spelling of a duration in the units parse_duration reads."""
    seconds = int(value.total_seconds())
    for unit in ("w", "d", "h", "m"):
        if seconds and seconds % _UNITS[unit] == 0:
            return f"{seconds // _UNITS[unit]}{unit}"
    return f"{seconds}s"


def parse_size(value: Any) -> int:
    """Accept a byte count or "25MB", "512k"."""
    if isinstance(value, int) and not isinstance(value, bool):
        if value <= 0:
            raise ValueError("must be a positive number of bytes")
        return value
    if isinstance(value, str):
        m = _SIZE.match(value)
        if m:
            return int(m.group(1)) * _SIZE_UNITS[(m.group(2) or "b").lower()]
    raise ValueError(f"expected a size such as 26214400 or '25MB', got {value!r}")


def parse_hostport(value: str, default_host: str = "127.0.0.1") -> tuple[str, int]:
    """"host:port", "[::1]:port" or ":port" → (host, port)."""
    m = re.match(r"^\s*(?:\[(?P<v6>[^\]]+)\]|(?P<host>[^:\s]*)):(?P<port>\d{1,5})\s*$", value)
    if not m:
        raise ValueError(f"expected 'host:port', got {value!r}")
    port = int(m.group("port"))
    if not 0 <= port <= 65535:
        raise ValueError(f"port {port} is out of range")
    return (m.group("v6") or m.group("host") or default_host), port


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid")


class GatewaySettings(_Section):
    listen: str = "127.0.0.1:10025"
    upstream: str = "maildir:./var/maildir"
    trusted_networks: list[str] = ["127.0.0.0/8", "::1/128"]
    hostname: str = "tact.localhost"
    max_message_size: int = 25 * 1024 * 1024
    tls_cert: str | None = None
    tls_key: str | None = None
    # username → argon2 hash (`tact hash-password`); AUTH is offered only after STARTTLS.
    users: dict[str, str] = {}
    upstream_pool_size: int = Field(8, ge=1)
    # Processes that parse and check messages off the event loop; 0 checks in a
    # thread of the gateway process. Default: one per core, at most 2.
    check_workers: int | None = Field(None, ge=0)
    upstream_timeout: float = 30.0
    note_from: str = "tact@localhost"

    @field_validator("listen")
    @classmethod
    def _listen(cls, v: str) -> str:
        parse_hostport(v)
        return v

    @field_validator("upstream")
    @classmethod
    def _upstream(cls, v: str) -> str:
        if v.startswith("maildir:"):
            if not v[len("maildir:"):]:
                raise ValueError("maildir: needs a path, e.g. 'maildir:./var/maildir'")
            return v
        scheme = v.split("://", 1)[0] if "://" in v else ""
        if scheme not in ("smtp", "smtp+starttls", "smtps"):
            raise ValueError(
                f"expected smtp://, smtp+starttls://, smtps:// or maildir:PATH, got {v!r}"
            )
        return v

    @field_validator("trusted_networks")
    @classmethod
    def _networks(cls, v: list[str]) -> list[str]:
        for net in v:
            try:
                ipaddress.ip_network(net, strict=False)
            except ValueError:
                raise ValueError(f"{net!r} is not a network such as '127.0.0.0/8'") from None
        return v

    @field_validator("max_message_size", mode="before")
    @classmethod
    def _size(cls, v: Any) -> int:
        return parse_size(v)

    @field_validator("tls_cert", "tls_key")
    @classmethod
    def _exists(cls, v: str | None) -> str | None:
        if v and not Path(v).is_file():
            raise ValueError(f"file {v!r} does not exist")
        return v

    def networks(self) -> list[ipaddress.IPv4Network | ipaddress.IPv6Network]:
        return [ipaddress.ip_network(n, strict=False) for n in self.trusted_networks]


class StoreSettings(_Section):
    url: str = "sqlite:///./var/tact.db"
    # Mail the gateway sent (notes, released messages) is deleted from the outbox this long
    # after it went out; what is pending or failed stays.
    keep_sent: timedelta = timedelta(days=7)

    @field_validator("keep_sent", mode="before")
    @classmethod
    def _duration(cls, v: Any) -> timedelta:
        return parse_duration(v)

    @field_validator("keep_sent")
    @classmethod
    def _positive(cls, v: timedelta) -> timedelta:
        if v <= timedelta(0):
            raise ValueError("must be longer than 0, e.g. '7d'")
        return v


class WebSettings(_Section):
    """The review queue's web UI and JSON API (served by `tact serve`)."""

    enabled: bool = True
    listen: str = "127.0.0.1:8025"
    # Base URL of links in notes (the sender's review page); default "http://" + listen.
    public_url: str | None = None
    # Signs session cookies and review links. Unset: one is generated once and kept in
    # the store, so restarts and several instances on one database agree.
    secret_key: str | None = Field(None, min_length=16)
    # Session cookies are marked Secure when public_url is https; this forces it either way.
    cookie_secure: bool | None = None
    session_max_age: timedelta = timedelta(hours=12)
    # Sign-in failures allowed per user name and client address within login_window.
    login_attempts: int = Field(5, ge=1)
    login_window: timedelta = timedelta(minutes=5)

    @field_validator("listen")
    @classmethod
    def _listen(cls, v: str) -> str:
        parse_hostport(v)
        return v

    @field_validator("public_url")
    @classmethod
    def _public_url(cls, v: str | None) -> str | None:
        if v is None:
            return v
        if not re.match(r"^https?://[^/\s]+", v):
            raise ValueError(f"expected an http:// or https:// URL such as 'https://tact.example.com', got {v!r}")
        return v.rstrip("/")

    @field_validator("session_max_age", "login_window", mode="before")
    @classmethod
    def _duration(cls, v: Any) -> timedelta:
        return parse_duration(v)

    def base_url(self) -> str:
        """The URL the web UI is reached at, without a trailing slash."""
        if self.public_url:
            return self.public_url
        host, port = parse_hostport(self.listen)
        if host in ("", "0.0.0.0", "::"):
            host = "127.0.0.1"
        return f"http://{'[' + host + ']' if ':' in host else host}:{port}"

    def secure_cookies(self) -> bool:
        """Mark cookies Secure: as configured, else when the public URL is https."""
        if self.cookie_secure is not None:
            return self.cookie_secure
        return bool(self.public_url and self.public_url.startswith("https://"))


class BusinessHoursSettings(_Section):
    timezone: str = "UTC"
    days: list[int] = [1, 2, 3, 4, 5]
    start: time = time(9, 0)
    end: time = time(17, 0)

    @field_validator("timezone")
    @classmethod
    def _tz(cls, v: str) -> str:
        from zoneinfo import ZoneInfo

        try:
            ZoneInfo(v)
        except Exception:
            raise ValueError(f"unknown time zone {v!r} (use a name like 'Europe/Berlin')") from None
        return v

    @field_validator("days")
    @classmethod
    def _days(cls, v: list[int]) -> list[int]:
        if not v or any(d < 1 or d > 7 for d in v):
            raise ValueError("days are ISO weekdays 1 (Monday) to 7 (Sunday)")
        return v


class PolicySettings(_Section):
    enabled: bool = True
    severity: Severity | None = None
    add_phrases: list[str] = []
    remove_phrases: list[str] = []
    thresholds: dict[str, float] = {}


OnError = Literal["pass", "hold"]
ExpireAction = Literal["reject", "release"]


class DefaultsSettings(_Section):
    response_target: timedelta = timedelta(hours=24)
    hold_after_warnings: int = Field(3, ge=1)
    on_error: OnError = "pass"
    business_hours: BusinessHoursSettings | None = None
    policies: dict[str, PolicySettings] = {}
    # A held message nobody decided on within hold_expiry is rejected or released.
    hold_expiry: timedelta = timedelta(hours=72)
    expire_action: ExpireAction = "reject"
    sender_can_release: bool = False

    @field_validator("response_target", "hold_expiry", mode="before")
    @classmethod
    def _duration(cls, v: Any) -> timedelta:
        return parse_duration(v)

    @field_validator("hold_expiry")
    @classmethod
    def _positive(cls, v: timedelta) -> timedelta:
        if v <= timedelta(0):
            raise ValueError("must be longer than 0, e.g. '72h'")
        return v


class TeamSettings(_Section):
    senders: list[str] = []
    reviewers: list[str] = []
    response_target: timedelta | None = None
    hold_after_warnings: int | None = Field(None, ge=1)
    on_error: OnError | None = None
    business_hours: BusinessHoursSettings | None = None
    policies: dict[str, PolicySettings] = {}
    hold_expiry: timedelta | None = None
    expire_action: ExpireAction | None = None
    sender_can_release: bool | None = None

    @field_validator("response_target", "hold_expiry", mode="before")
    @classmethod
    def _duration(cls, v: Any) -> timedelta | None:
        return None if v is None else parse_duration(v)

    @field_validator("hold_expiry")
    @classmethod
    def _positive(cls, v: timedelta | None) -> timedelta | None:
        if v is not None and v <= timedelta(0):
            raise ValueError("must be longer than 0, e.g. '72h'")
        return v


class Settings(BaseSettings):
    """The whole configuration. Build it with `load_settings()`."""

    model_config = SettingsConfigDict(
        env_prefix="TACT_", env_nested_delimiter="__", extra="forbid", case_sensitive=False
    )

    gateway: GatewaySettings = GatewaySettings()
    store: StoreSettings = StoreSettings()
    web: WebSettings = WebSettings()
    defaults: DefaultsSettings = DefaultsSettings()
    teams: dict[str, TeamSettings] = {}

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        # The file's content arrives as init kwargs (see load_settings); the
        # environment overrides it.
        return (env_settings, init_settings)

    @field_validator("teams")
    @classmethod
    def _teams(cls, v: dict[str, TeamSettings]) -> dict[str, TeamSettings]:
        if "default" in v:
            raise ValueError("'default' is the built-in team: configure it under [defaults]")
        return v

    # --- what the rest of the gateway asks of the settings -----------------

    def team_for(self, sender: str) -> str:
        """The team whose `senders` patterns match this address, else "default"."""
        address = sender.strip().lower()
        for name, team in self.teams.items():
            if any(fnmatch.fnmatchcase(address, p.lower()) for p in team.senders):
                return name
        return "default"

    def team_policy(self, name: str) -> TeamPolicy:
        """The policies' view of a team: its own values over `[defaults]`."""
        d = self.defaults
        t = self.teams.get(name) if name != "default" else None
        if name != "default" and t is None:
            raise ConfigError(f"unknown team {name!r}; configured: {', '.join(self.team_names())}")
        overrides = {**d.policies, **(t.policies if t else {})}
        hours = (t.business_hours if t and t.business_hours else None) or d.business_hours
        return TeamPolicy(
            name=name,
            response_target=(t.response_target if t and t.response_target else d.response_target),
            hold_after_warnings=(t.hold_after_warnings if t and t.hold_after_warnings else d.hold_after_warnings),
            on_error=(t.on_error if t and t.on_error else d.on_error),
            business_hours=_business_hours(hours),
            policies=MappingProxyType({pid: _options(p) for pid, p in overrides.items()}),
        )

    def team_names(self) -> list[str]:
        return ["default", *self.teams]

    def team_expiry(self, name: str) -> tuple[timedelta, ExpireAction]:
        """How long a held message of this team waits for review, and what then happens
        (`hold_expiry`, `expire_action`: the team's own value over `[defaults]`)."""
        d = self.defaults
        t = self.teams.get(name) if name != "default" else None
        return ((t.hold_expiry if t and t.hold_expiry else d.hold_expiry),
                (t.expire_action if t and t.expire_action else d.expire_action))

    def sender_can_release(self, team: str) -> bool:
        """May the agent release their own held message (`sender_can_release`)?"""
        t = self.teams.get(team) if team != "default" else None
        if t is not None and t.sender_can_release is not None:
            return t.sender_can_release
        return self.defaults.sender_can_release


def _business_hours(h: BusinessHoursSettings | None) -> BusinessHours | None:
    if h is None:
        return None
    return BusinessHours(timezone=h.timezone, days=tuple(h.days), start=h.start, end=h.end)


def _options(p: PolicySettings) -> PolicyOptions:
    return PolicyOptions(
        enabled=p.enabled,
        severity=p.severity,
        add_phrases=tuple(p.add_phrases),
        remove_phrases=tuple(p.remove_phrases),
        thresholds=MappingProxyType(dict(p.thresholds)),
    )


def config_path(explicit: str | os.PathLike[str] | None = None) -> Path | None:
    """The file to read: `--config`, else `$TACT_CONFIG`, else ./tact.toml if present."""
    if explicit:
        return Path(explicit)
    if os.environ.get("TACT_CONFIG"):
        return Path(os.environ["TACT_CONFIG"])
    local = Path(DEFAULT_CONFIG_FILE)
    return local if local.is_file() else None


def load_settings(path: str | os.PathLike[str] | None = None) -> Settings:
    """Read and validate the settings; raise ConfigError naming file and key."""
    file = config_path(path)
    data: dict[str, Any] = {}
    where = "environment/defaults"
    if file is not None:
        where = str(file)
        try:
            data = tomllib.loads(file.read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise ConfigError(f"{file}: no such file") from None
        except (OSError, UnicodeDecodeError) as exc:
            raise ConfigError(f"{file}: cannot read: {exc}") from None
        except tomllib.TOMLDecodeError as exc:
            raise ConfigError(f"{file}: not valid TOML: {exc}") from None
    try:
        settings = Settings(**data)
    except ValidationError as exc:
        raise ConfigError(_explain(where, exc)) from None
    # Policy ids are checked against the registry so that a typo is an error, not a no-op.
    from policies import REGISTRY

    known = set(REGISTRY)
    if known:
        scopes = [("defaults", settings.defaults.policies)] + [
            (f"teams.{n}", t.policies) for n, t in settings.teams.items()
        ]
        for scope, policies in scopes:
            for pid in policies:
                if pid not in known:
                    raise ConfigError(
                        f"{where}: {scope}.policies.{pid}: unknown policy id; "
                        f"known: {', '.join(sorted(known))}"
                    )
    return settings


def _explain(where: str, exc: ValidationError) -> str:
    lines = [f"{where}: {exc.error_count()} problem(s) in the configuration:"]
    for err in exc.errors():
        key = ".".join(str(p) for p in err["loc"])
        msg = err["msg"].removeprefix("Value error, ")
        if err["type"] == "extra_forbidden":
            msg = "unknown key"
        lines.append(f"  {key}: {msg}")
    return "\n".join(lines)
