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
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from yuqing import vocab
from yuqing.errors import ConfigError
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
CHANNEL_KEYS = frozenset({"name", "kind", "url", "url_env", "url_block", "secret_env", "secret_block"})
ROUTE_KEYS = frozenset(
    {
        "alert_channels",
        "alert_min_severity",
        "alert_lead_hours",
        "alert_on_met",
        "alert_interval_minutes",
        "alert_max_age_hours",
    }
)


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


def parse_channels(raw: Any, fail: Any) -> dict[str, Channel]:
    """``[[channel]]`` tables by name; ``fail(index, key, message)`` builds the ConfigError."""
    if raw is None:
        return {}
    if not isinstance(raw, list):
        raise fail(None, "channel", "must be an array of [[channel]] tables")
    out: dict[str, Channel] = {}
    for n, table in enumerate(raw):
        if not isinstance(table, dict):
            raise fail(n, "channel", "must be a table")
        if "secret" in table:
            raise fail(n, "secret", "a signing secret is never written in the file: use secret_env or secret_block")
        for key in table:
            if key not in CHANNEL_KEYS:
                raise fail(n, key, f"unknown key {key!r} (known: {', '.join(sorted(CHANNEL_KEYS))})")
        name = table.get("name")
        if not isinstance(name, str) or not _NAME.match(name) or name == EMAIL:
            raise fail(
                n,
                "name",
                f"needs a name of lower-case letters, digits, '-' or '_' (not 'email'), got {name!r}",
            )
        if name in out:
            raise fail(n, "name", f"channel name {name!r} is used twice")
        kind = table.get("kind")
        if kind not in CHANNEL_KINDS:
            raise fail(n, "kind", f"must be one of {', '.join(CHANNEL_KINDS)}, got {kind!r}")
        url = _secret(table, "url", n, fail, required=True)
        secret = _secret(table, "secret", n, fail, required=False)
        if secret is not None and kind != "dingtalk":
            raise fail(n, "secret_env" if secret.env else "secret_block", "only a dingtalk channel is signed")
        if url is not None and url.value is not None and not url.value.startswith(("https://", "http://")):
            raise fail(n, "url", "must be an http(s) URL")
        out[name] = Channel(name=name, kind=kind, url=url, secret=secret)
    return out


def _secret(table: Mapping[str, Any], stem: str, n: int, fail: Any, *, required: bool) -> Secret | None:
    given = [k for k in (stem, f"{stem}_env", f"{stem}_block") if k in table]
    if stem == "secret" and "secret" in table:
        raise fail(
            n, "secret", "a signing secret is never written in the file: use secret_env or secret_block"
        )
    if len(given) > 1:
        raise fail(n, given[1], f"give only one of {', '.join(given)}")
    if not given:
        if required:
            raise fail(
                n, "name", f"needs {stem}_env (an environment variable) or {stem}_block (a Prefect Secret)"
            )
        return None
    key = given[0]
    value = table[key]
    if not isinstance(value, str) or not value.strip():
        raise fail(n, key, "must be a non-empty string")
    if key.endswith("_env"):
        if not _ENV.match(value):
            raise fail(n, key, f"not an environment variable name: {value!r}")
        return Secret(env=value)
    if key.endswith("_block"):
        return Secret(block=value)
    return Secret(value=value)


def parse_route_alerts(
    merged: Mapping[str, Any], own: Mapping[str, Any], channels: Mapping[str, Channel], fail: Any
) -> AlertSettings | None:
    """A route's alert settings (None when it names no ``alert_channels``). ``merged``: the route with
    [defaults]; ``own``: the route's table alone; ``fail(key, message)`` builds the ConfigError."""
    names = merged.get("alert_channels")
    if names is None:
        # [defaults] may hold settings for the routes that alert; a route's own settings need channels.
        for key in own:
            if key in ROUTE_KEYS:
                raise fail(key, "alert settings need alert_channels (which channels to alert on)")
        return None
    if not isinstance(names, list) or not names or not all(isinstance(c, str) for c in names):
        raise fail(
            "alert_channels", 'must be a non-empty list of channel names ("email" or a [[channel]] name)'
        )
    if len(set(names)) != len(names):
        raise fail("alert_channels", "names a channel twice")
    resolved: list[Channel] = []
    for c in names:
        if c == EMAIL:
            resolved.append(EMAIL_CHANNEL)
        elif c in channels:
            resolved.append(channels[c])
        else:
            known = ", ".join([EMAIL, *sorted(channels)])
            raise fail("alert_channels", f"no channel named {c!r} (known: {known})")
    severity = merged.get("alert_min_severity", DEFAULT_MIN_SEVERITY)
    if severity not in SEVERITIES:
        raise fail("alert_min_severity", f"must be one of {', '.join(SEVERITIES)}, got {severity!r}")
    lead_raw = merged.get("alert_lead_hours", {})
    if not isinstance(lead_raw, dict):
        raise fail("alert_lead_hours", "must be a table of milestone = hours")
    lead = dict(DEFAULT_LEAD_HOURS)
    for key, hours in lead_raw.items():
        if key not in MILESTONES:
            raise fail("alert_lead_hours", f"unknown milestone {key!r} (known: {', '.join(MILESTONES)})")
        if isinstance(hours, bool) or not isinstance(hours, int | float) or not 0 <= hours <= 48:
            raise fail("alert_lead_hours", f"{key}: hours from 0 (off) to 48, got {hours!r}")
        lead[key] = float(hours)
    on_met = merged.get("alert_on_met", False)
    if not isinstance(on_met, bool):
        raise fail("alert_on_met", "must be true or false")
    interval = merged.get("alert_interval_minutes", DEFAULT_INTERVAL_MINUTES)
    if isinstance(interval, bool) or not isinstance(interval, int) or not 0 <= interval <= 1440:
        raise fail("alert_interval_minutes", "must be an integer from 0 to 1440")
    max_age = merged.get("alert_max_age_hours", DEFAULT_MAX_AGE_HOURS)
    if isinstance(max_age, bool) or not isinstance(max_age, int) or not 1 <= max_age <= 168:
        raise fail("alert_max_age_hours", "must be an integer from 1 to 168")
    return AlertSettings(
        channels=tuple(resolved),
        min_severity=severity,
        lead_hours=lead,
        on_met=on_met,
        interval_minutes=interval,
        max_age_hours=max_age,
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
    "AlertSettings",
    "Channel",
    "ConfigError",
    "Secret",
    "parse_channels",
    "parse_route_alerts",
]
