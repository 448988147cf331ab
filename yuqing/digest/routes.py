"""Who receives which events: the routes file (TOML), docs/digest.md "Routes".

```toml
[defaults]                     # optional; any route key except name/recipients
due_within_hours = 24

[[route]]
name = "gz-wage"               # [a-z0-9_-]; the ledger key and the preview file name
label = "广州·工资拖欠"          # optional; shown in the subject and the heading
recipients = ["wage-team@example.gov.cn"]
topics = ["wage_arrears"]      # any of these topics ...
regions = ["440100"]           # ... and in one of these divisions (GB/T 2260 code or prefix)

[[route]]
name = "all"
all = true                     # every event; a route without topics/regions must say so
recipients = ["duty@example.gov.cn"]
send_empty = true              # also send "nothing to report" (default false)
```

An unknown key is an error naming the key and its line, like the sources file. The same file configures
urgent alerts: ``[[channel]]`` tables and the ``alert_*`` keys of a route (``yuqing/alerts/config.py``).
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from email.headerregistry import Address
from email.utils import parseaddr
from pathlib import Path
from typing import Any

from yuqing.alerts.config import ROUTE_KEYS as ALERT_KEYS
from yuqing.alerts.config import AlertSettings, Channel, parse_channels, parse_route_alerts
from yuqing.errors import ConfigError
from yuqing.tomllines import TomlLines

DEFAULT_DUE_WITHIN_HOURS = 24  # the longest baseline window short of 48 h: "due by this time tomorrow"
DEFAULT_LOOKBACK_DAYS = 30  # overdue events that started earlier are dropped from the digest as stale

_ROUTE_NAME = re.compile(r"^[a-z0-9][a-z0-9_-]{0,63}$")
_REGION = re.compile(r"^\d{2,6}$")
_KEYS = {
    "name",
    "label",
    "recipients",
    "topics",
    "regions",
    "all",
    "send_empty",
    "due_within_hours",
    "lookback_days",
    *ALERT_KEYS,
}
_DEFAULT_KEYS = _KEYS - {"name", "recipients", "label"}


def region_prefix(code: str) -> str:
    """A GB/T 2260 code covers the codes below it: 440100 (广州市) covers 440103, 440000 covers 44xxxx."""
    prefix = code
    while len(prefix) > 2 and prefix.endswith("00"):
        prefix = prefix[:-2]
    return prefix


@dataclass(frozen=True, slots=True)
class Route:
    name: str
    recipients: tuple[str, ...]
    topics: frozenset[str] = frozenset()  # empty: any topic
    regions: tuple[str, ...] = ()  # region-code prefixes; empty: any region
    all: bool = False
    label: str | None = None
    send_empty: bool = False
    due_within_hours: int = DEFAULT_DUE_WITHIN_HOURS
    lookback_days: int = DEFAULT_LOOKBACK_DAYS
    alerts: AlertSettings | None = None  # urgent alerts (yuqing/alerts); None: digest only

    def matches(self, topics: Iterable[str], region_code: str | None) -> bool:
        """An event belongs to the route when one of its topics and its region are both wanted."""
        if self.all:
            return True
        if self.topics and not self.topics.intersection(topics):
            return False
        if self.regions:
            return region_code is not None and any(region_code.startswith(p) for p in self.regions)
        return True

    @classmethod
    def catch_all(
        cls, recipients: Sequence[str] = (), *, name: str = "all", send_empty: bool = True
    ) -> Route:
        """Every event, e.g. for ``yuqing digest --to ADDR`` and ``--out FILE``."""
        return cls(
            name=name,
            recipients=tuple(check_address(a, where="--to") for a in recipients),
            all=True,
            send_empty=send_empty,
        )


def check_address(value: str, *, where: str) -> str:
    """A bare addr-spec, no display name, no CR/LF: it goes into the SMTP envelope. A domain in another script
    (``ops@例子.中国``) is IDNA-encoded (``ops@xn--fsqu00a.xn--fiqs8s``), which every SMTP server takes; a local
    part in another script needs SMTPUTF8, which yuqing does not use, so it is refused."""
    if not isinstance(value, str) or any(c in value for c in "\r\n\t\0 <>,;\"'"):
        raise ConfigError(f"{where}: not a plain e-mail address: {value!r}")
    name, addr = parseaddr(value)
    if name or addr != value or addr.count("@") != 1:
        raise ConfigError(f"{where}: not a plain e-mail address: {value!r}")
    local, domain = addr.split("@")
    if not local or "." not in domain:
        raise ConfigError(f"{where}: not a plain e-mail address: {value!r}")
    if not local.isascii():
        raise ConfigError(f"{where}: {value!r}: the part before @ must be ASCII (SMTPUTF8 is not used)")
    if not domain.isascii():
        try:
            domain = domain.encode("idna").decode("ascii")
        except UnicodeError as e:
            raise ConfigError(f"{where}: {value!r}: the domain is not a valid internationalised name ({e})") from e
        addr = f"{local}@{domain}"
    try:
        Address(addr_spec=addr)
    except (ValueError, IndexError) as e:
        raise ConfigError(f"{where}: not a plain e-mail address: {value!r}") from e
    return addr


def _route(
    raw: dict[str, Any],
    defaults: dict[str, Any],
    *,
    index: int,
    lines: TomlLines,
    where: str,
    channels: dict[str, Channel] | None = None,
) -> Route:
    def fail(key: str, message: str) -> ConfigError:
        return ConfigError(f"{where}:{lines.key(key, 'route', index)}: route #{index + 1}: {key}: {message}")

    for key in raw:
        if key not in _KEYS:
            raise fail(key, f"unknown key {key!r} (known: {', '.join(sorted(_KEYS))})")
    merged = {**defaults, **raw}
    name = merged.get("name")
    if not isinstance(name, str) or not _ROUTE_NAME.match(name):
        raise fail("name", f"needs a name of lower-case letters, digits, '-' or '_', got {name!r}")
    recipients_raw = merged.get("recipients", [])
    if not isinstance(recipients_raw, list) or not all(isinstance(r, str) for r in recipients_raw):
        raise fail("recipients", "must be a list of addresses")
    recipients = tuple(
        check_address(r, where=f"{where}:{lines.key('recipients', 'route', index)}") for r in recipients_raw
    )
    if not recipients:
        raise fail("recipients", "needs at least one address")
    if len(set(recipients)) != len(recipients):
        raise fail("recipients", "lists an address twice")
    topics_raw = merged.get("topics", [])
    if not isinstance(topics_raw, list) or not all(isinstance(t, str) and t for t in topics_raw):
        raise fail("topics", "must be a list of topic slugs")
    regions_raw = merged.get("regions", [])
    if not isinstance(regions_raw, list) or not all(
        isinstance(r, str) and _REGION.match(r) for r in regions_raw
    ):
        raise fail("regions", "must be a list of GB/T 2260 codes or prefixes (2 to 6 digits, as strings)")
    all_ = merged.get("all", False)
    if not isinstance(all_, bool):
        raise fail("all", "must be true or false")
    if all_ and (topics_raw or regions_raw):
        raise fail("all", "a route with all = true takes no topics or regions")
    if not all_ and not (topics_raw or regions_raw):
        raise fail("name", "needs topics and/or regions, or all = true for every event")
    label = merged.get("label")
    if label is not None and not isinstance(label, str):
        raise fail("label", "must be a string")
    send_empty = merged.get("send_empty", False)
    if not isinstance(send_empty, bool):
        raise fail("send_empty", "must be true or false")
    due = merged.get("due_within_hours", DEFAULT_DUE_WITHIN_HOURS)
    if not isinstance(due, int) or isinstance(due, bool) or not 1 <= due <= 168:
        raise fail("due_within_hours", "must be an integer from 1 to 168")
    lookback = merged.get("lookback_days", DEFAULT_LOOKBACK_DAYS)
    if not isinstance(lookback, int) or isinstance(lookback, bool) or not 1 <= lookback <= 3650:
        raise fail("lookback_days", "must be an integer from 1 to 3650")
    alerts = parse_route_alerts(merged, raw, channels or {}, fail)
    return Route(
        name=name,
        recipients=recipients,
        topics=frozenset(topics_raw),
        regions=tuple(sorted({region_prefix(r) for r in regions_raw})),
        all=all_,
        label=label,
        send_empty=send_empty,
        due_within_hours=due,
        lookback_days=lookback,
        alerts=alerts,
    )


def parse_routes(text: str, *, where: str = "routes.toml") -> tuple[Route, ...]:
    try:
        doc = tomllib.loads(text)
    except tomllib.TOMLDecodeError as e:
        raise ConfigError(f"{where}: {e}") from e
    lines = TomlLines(text)
    for key in doc:
        if key not in ("route", "defaults", "channel"):
            raise ConfigError(f"{where}:{lines.top_level(key)}: unknown top-level key {key!r}")
    defaults = doc.get("defaults", {})
    if not isinstance(defaults, dict):
        raise ConfigError(f"{where}: [defaults] must be a table")
    for key in defaults:
        if key not in _DEFAULT_KEYS:
            raise ConfigError(
                f"{where}:{lines.key(key, 'defaults') or 1}: [defaults]: unknown key {key!r} "
                f"(known: {', '.join(sorted(_DEFAULT_KEYS))})"
            )
    raw_routes = doc.get("route", [])
    if not isinstance(raw_routes, list) or not raw_routes:
        raise ConfigError(f"{where}: needs at least one [[route]] table")

    def channel_fail(index: int | None, key: str, message: str) -> ConfigError:
        line = lines.key(key, "channel", index) if index is not None else 1
        label = f"channel #{index + 1}: " if index is not None else ""
        return ConfigError(f"{where}:{line}: {label}{key}: {message}")

    channels = parse_channels(doc.get("channel"), channel_fail)
    routes = tuple(
        _route(raw, defaults, index=n, lines=lines, where=where, channels=channels)
        for n, raw in enumerate(raw_routes)
    )
    names = [r.name for r in routes]
    for name in names:
        if names.count(name) > 1:
            raise ConfigError(f"{where}: route name {name!r} is used twice")
    return routes


def load_routes(path: Path) -> tuple[Route, ...]:
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as e:
        raise ConfigError(f"cannot read routes file {path}: {e}") from e
    return parse_routes(text, where=str(path))
