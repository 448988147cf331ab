"""Urgent-alert settings in the routes file (docs/alerts.md): ``[[channel]]`` tables and ``alert_*`` route keys.

```toml
[[channel]]
name = "safety-wecom"                     # [a-z0-9_-]; "email" is built in (the route's recipients)
kind = "wecom"                            # wecom | dingtalk | webhook
url_env = "YUQING_WECOM_SAFETY_URL"       # the robot's URL holds its key: from the environment ...
# url_block = "wecom-safety-url"          # ... or a Prefect Secret block
# secret_env / secret_block               # dingtalk's signing secret (加签), when the robot uses one

[[route]]
name = "work-safety"
recipients = ["safety-duty@example.gov.cn"]
topics = ["work_safety"]
alert_channels = ["email", "safety-wecom"]   # no alerts without this key
alert_min_severity = "major_emergency"       # or "general" (then 48 h first_response milestones alert too)
alert_lead_hours = { first_information = 2, press_conference = 6, first_response = 0 }   # 0: off
alert_on_met = false                         # also alert when a milestone is met
alert_interval_minutes = 10                  # at most one message per channel in this window; more are combined
alert_max_age_hours = 12                     # older conditions (an outage, a late first run) are left to the digest
```

Parsing checks everything it can without the secrets: a secret is read when an alert is sent, so a missing
variable fails that channel's delivery (recorded, retried) and never the track run.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Annotated, Any, Literal

from pydantic import Field, ValidationInfo, field_validator

from yuqing import vocab
from yuqing.errors import ConfigError
from yuqing.tomlschema import Document, Fail, Table
from yuqing.vocab import Milestone, Severity

EMAIL = "email"
CHANNEL_KINDS = ("wecom", "dingtalk", "webhook")
SEVERITIES = vocab.SEVERITIES  # in increasing order
MILESTONES = vocab.MILESTONES
DEFAULT_LEAD_HOURS: Mapping[str, float] = {
    Milestone.FIRST_INFORMATION: 2.0,
    Milestone.PRESS_CONFERENCE: 6.0,
    Milestone.FIRST_RESPONSE: 0.0,
}
DEFAULT_MIN_SEVERITY = Severity.MAJOR.value
DEFAULT_INTERVAL_MINUTES = 10
DEFAULT_MAX_AGE_HOURS = 12

_NAME = re.compile(r"^[a-z0-9][a-z0-9_-]{0,63}$")
_ENV = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


@dataclass(frozen=True, slots=True)
class Secret:
    """Where a secret comes from: an environment variable, a Prefect Secret block, or the file itself."""

    env: str | None = None
    block: str | None = None
    value: str | None = field(default=None, repr=False)

    def describe(self) -> str:
        if self.env:
            return f"${self.env}"
        if self.block:
            return f"Prefect Secret block {self.block!r}"
        return "the routes file"


@dataclass(frozen=True, slots=True)
class Channel:
    name: str
    kind: str  # email | wecom | dingtalk | webhook
    url: Secret | None = None
    secret: Secret | None = None  # dingtalk signing secret


EMAIL_CHANNEL = Channel(name=EMAIL, kind=EMAIL)


@dataclass(frozen=True, slots=True)
class AlertSettings:
    channels: tuple[Channel, ...]
    min_severity: str = DEFAULT_MIN_SEVERITY
    lead_hours: Mapping[str, float] = field(default_factory=lambda: dict(DEFAULT_LEAD_HOURS))
    on_met: bool = False
    interval_minutes: int = DEFAULT_INTERVAL_MINUTES
    max_age_hours: int = DEFAULT_MAX_AGE_HOURS

    def wants_severity(self, severity: str) -> bool:
        rank = SEVERITIES.index(severity) if severity in SEVERITIES else 0
        return rank >= SEVERITIES.index(self.min_severity)


class ChannelTable(Table):
    """A ``[[channel]]`` of the routes file, as written."""

    name: str
    kind: Literal["wecom", "dingtalk", "webhook"]
    url: str | None = None
    url_env: str | None = None
    url_block: str | None = None
    secret: str | None = None  # refused: named so that the message can say why
    secret_env: str | None = None
    secret_block: str | None = None

    @field_validator("name")
    @classmethod
    def _name(cls, value: str) -> str:
        if not _NAME.match(value) or value == EMAIL:
            raise ValueError(
                f"needs a name of lower-case letters, digits, '-' or '_' (not 'email'), got {value!r}"
            )
        return value

    @field_validator("secret")
    @classmethod
    def _never_written(cls, value: str | None) -> str | None:
        raise ValueError("a signing secret is never written in the file: use secret_env or secret_block")

    @field_validator("url", "url_env", "url_block", "secret_env", "secret_block")
    @classmethod
    def _given(cls, value: str, info: ValidationInfo) -> str:
        if not value.strip():
            raise ValueError("must be a non-empty string")
        if info.field_name and info.field_name.endswith("_env") and not _ENV.match(value):
            raise ValueError(f"not an environment variable name: {value!r}")
        if info.field_name == "url" and not value.startswith(("https://", "http://")):
            raise ValueError("must be an http(s) URL")
        return value


def channels_of(tables: Sequence[ChannelTable], doc: Document) -> dict[str, Channel]:
    """The checked ``[[channel]]`` tables of ``doc`` by name, after the checks across their keys."""
    out: dict[str, Channel] = {}
    for n, table in enumerate(tables):
        at = doc.fail_at("channel", n)
        if table.name in out:
            raise at("name", f"channel name {table.name!r} is used twice")
        url = _secret(table, "url", at)
        if url is None:
            raise at("name", "needs url_env (an environment variable) or url_block (a Prefect Secret)")
        secret = _secret(table, "secret", at)
        if secret is not None and table.kind != "dingtalk":
            raise at("secret_env" if secret.env else "secret_block", "only a dingtalk channel is signed")
        out[table.name] = Channel(name=table.name, kind=table.kind, url=url, secret=secret)
    return out


def _secret(table: ChannelTable, stem: str, fail: Fail) -> Secret | None:
    given = [k for k in (stem, f"{stem}_env", f"{stem}_block") if getattr(table, k) is not None]
    if len(given) > 1:
        raise fail(given[1], f"give only one of {', '.join(given)}")
    if not given:
        return None
    key = given[0]
    value = getattr(table, key)
    if key.endswith("_env"):
        return Secret(env=value)
    if key.endswith("_block"):
        return Secret(block=value)
    return Secret(value=value)


class AlertKeys(Table):
    """The ``alert_*`` keys of a route (and of ``[defaults]``), as written; None: not written."""

    alert_channels: list[str] | None = None
    alert_min_severity: Annotated[Severity, Field(strict=False)] | None = None
    alert_lead_hours: dict[str, float] | None = None
    alert_on_met: bool | None = None
    alert_interval_minutes: Annotated[int, Field(ge=0, le=1440)] | None = None
    alert_max_age_hours: Annotated[int, Field(ge=1, le=168)] | None = None

    @field_validator("alert_channels")
    @classmethod
    def _channels(cls, value: list[str]) -> list[str]:
        if not value:
            raise ValueError('must be a non-empty list of channel names ("email" or a [[channel]] name)')
        if len(set(value)) != len(value):
            raise ValueError("names a channel twice")
        return value

    @field_validator("alert_lead_hours")
    @classmethod
    def _lead(cls, value: dict[str, float]) -> dict[str, float]:
        for key, hours in value.items():
            if key not in MILESTONES:
                raise ValueError(f"unknown milestone {key!r} (known: {', '.join(MILESTONES)})")
            if not 0 <= hours <= 48:
                raise ValueError(f"{key}: hours from 0 (off) to 48, got {hours!r}")
        return value


ROUTE_KEYS = frozenset(AlertKeys.model_fields)


def route_alerts(
    merged: Mapping[str, Any], own: Iterable[str], channels: Mapping[str, Channel], fail: Fail
) -> AlertSettings | None:
    """A route's alert settings (None when it names no ``alert_channels``). ``merged``: the route's checked
    ``alert_*`` values with [defaults] (None: not written); ``own``: the keys the route's table itself writes;
    ``fail(key, message)`` builds the ConfigError."""
    names = merged.get("alert_channels")
    if names is None:
        # [defaults] may hold settings for the routes that alert; a route's own settings need channels.
        for key in own:
            if key in ROUTE_KEYS:
                raise fail(key, "alert settings need alert_channels (which channels to alert on)")
        return None
    resolved: list[Channel] = []
    for c in names:
        if c == EMAIL:
            resolved.append(EMAIL_CHANNEL)
        elif c in channels:
            resolved.append(channels[c])
        else:
            known = ", ".join([EMAIL, *sorted(channels)])
            raise fail("alert_channels", f"no channel named {c!r} (known: {known})")

    def given(key: str, default: Any) -> Any:
        value = merged.get(key)
        return default if value is None else value

    return AlertSettings(
        channels=tuple(resolved),
        min_severity=str(given("alert_min_severity", DEFAULT_MIN_SEVERITY)),
        lead_hours={**DEFAULT_LEAD_HOURS, **given("alert_lead_hours", {})},
        on_met=given("alert_on_met", False),
        interval_minutes=given("alert_interval_minutes", DEFAULT_INTERVAL_MINUTES),
        max_age_hours=given("alert_max_age_hours", DEFAULT_MAX_AGE_HOURS),
    )


def resolve_secret(secret: Secret, resolve_block: Any | None, env: Mapping[str, str]) -> str:
    """The secret's value; ConfigError naming where it was looked for."""
    if secret.value is not None:
        return secret.value
    if secret.env:
        value = env.get(secret.env, "").strip()
        if not value:
            raise ConfigError(f"${secret.env} is not set")
        return value
    assert secret.block
    if resolve_block is None:
        raise ConfigError(f"Prefect Secret block {secret.block!r} is resolved only in a flow run")
    return str(resolve_block(secret.block))


__all__ = [
    "EMAIL",
    "AlertKeys",
    "AlertSettings",
    "Channel",
    "ChannelTable",
    "ConfigError",
    "Secret",
    "channels_of",
    "route_alerts",
]
