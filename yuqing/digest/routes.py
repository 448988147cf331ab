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

The file's schema is ``_RoutesFile`` (``yuqing/tomlschema.py``, as for the sources file): an unknown key or a bad
value is an error naming the route, the key and its line. The same file configures
urgent alerts: ``[[channel]]`` tables and the ``alert_*`` keys of a route (``yuqing/alerts/config.py``).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from email.headerregistry import Address
from email.utils import parseaddr
from pathlib import Path
from typing import Annotated

from pydantic import Field, field_validator

from yuqing.alerts.config import (
    AlertKeys,
    AlertSettings,
    Channel,
    ChannelTable,
    channels_of,
    route_alerts,
)
from yuqing.errors import ConfigError
from yuqing.tomlschema import Document, Fail, Table, matching, numbered

DEFAULT_DUE_WITHIN_HOURS = 24  # the longest baseline window short of 48 h: "due by this time tomorrow"
DEFAULT_LOOKBACK_DAYS = 30  # overdue events that started earlier are dropped from the digest as stale

_ROUTE_NAME = r"[a-z0-9][a-z0-9_-]{0,63}"
_REGION = re.compile(r"^\d{2,6}$")


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


def normalised_address(value: str) -> str:
    """A bare addr-spec, no display name, no CR/LF: it goes into the SMTP envelope. A domain in another script
    (``ops@例子.中国``) is IDNA-encoded (``ops@xn--fsqu00a.xn--fiqs8s``), which every SMTP server takes; a local
    part in another script needs SMTPUTF8, which yuqing does not use, so it is refused (ValueError, saying why)."""
    plain = f"not a plain e-mail address: {value!r}"
    if not isinstance(value, str) or any(c in value for c in "\r\n\t\0 <>,;\"'"):
        raise ValueError(plain)
    name, addr = parseaddr(value)
    if name or addr != value or addr.count("@") != 1:
        raise ValueError(plain)
    local, domain = addr.split("@")
    if not local or "." not in domain:
        raise ValueError(plain)
    if not local.isascii():
        raise ValueError(f"{value!r}: the part before @ must be ASCII (SMTPUTF8 is not used)")
    if not domain.isascii():
        try:
            domain = domain.encode("idna").decode("ascii")
        except UnicodeError as e:
            raise ValueError(f"{value!r}: the domain is not a valid internationalised name ({e})") from e
        addr = f"{local}@{domain}"
    try:
        Address(addr_spec=addr)
    except (ValueError, IndexError) as e:
        raise ValueError(plain) from e
    return addr


def check_address(value: str, *, where: str) -> str:
    """:func:`normalised_address`, or a ConfigError naming ``where`` the address came from."""
    try:
        return normalised_address(value)
    except ValueError as e:
        raise ConfigError(f"{where}: {e}") from e


class _Settings(AlertKeys):
    """The keys of a route that ``[defaults]`` may set too, as written; None: not written."""

    topics: list[str] | None = None
    regions: list[str] | None = None
    all: bool | None = None
    send_empty: bool | None = None
    due_within_hours: Annotated[int, Field(ge=1, le=168)] | None = None
    lookback_days: Annotated[int, Field(ge=1, le=3650)] | None = None

    @field_validator("topics")
    @classmethod
    def _slugs(cls, value: list[str]) -> list[str]:
        if not all(value):
            raise ValueError("must be a list of topic slugs")
        return value

    @field_validator("regions")
    @classmethod
    def _codes(cls, value: list[str]) -> list[str]:
        if not all(_REGION.match(r) for r in value):
            raise ValueError("must be a list of GB/T 2260 codes or prefixes (2 to 6 digits, as strings)")
        return value


class _RouteTable(_Settings):
    """A ``[[route]]``, as written."""

    name: Annotated[str, matching(_ROUTE_NAME, "needs a name of lower-case letters, digits, '-' or '_'")]
    recipients: list[str]
    label: str | None = None

    @field_validator("recipients")
    @classmethod
    def _addresses(cls, value: list[str]) -> list[str]:
        addresses = [normalised_address(r) for r in value]
        if not addresses:
            raise ValueError("needs at least one address")
        if len(set(addresses)) != len(addresses):
            raise ValueError("lists an address twice")
        return addresses


class _RoutesFile(Table):
    defaults: _Settings = Field(default_factory=_Settings)
    route: list[_RouteTable] = Field(default_factory=list)
    channel: list[ChannelTable] = Field(default_factory=list)


def _route(table: _RouteTable, defaults: _Settings, channels: dict[str, Channel], fail: Fail) -> Route:
    """One route: its own keys, else ``[defaults]``, else the defaults of :class:`Route`; checks across keys."""
    own = table.model_fields_set
    merged = {
        key: getattr(table, key) if key in own else getattr(defaults, key) for key in _Settings.model_fields
    }
    topics, regions, all_ = merged["topics"] or [], merged["regions"] or [], bool(merged["all"])
    if all_ and (topics or regions):
        raise fail("all", "a route with all = true takes no topics or regions")
    if not all_ and not (topics or regions):
        raise fail("name", "needs topics and/or regions, or all = true for every event")
    due, lookback = merged["due_within_hours"], merged["lookback_days"]
    return Route(
        name=table.name,
        recipients=tuple(table.recipients),
        topics=frozenset(topics),
        regions=tuple(sorted({region_prefix(r) for r in regions})),
        all=all_,
        label=table.label,
        send_empty=bool(merged["send_empty"]),
        due_within_hours=DEFAULT_DUE_WITHIN_HOURS if due is None else due,
        lookback_days=DEFAULT_LOOKBACK_DAYS if lookback is None else lookback,
        alerts=route_alerts(merged, own, channels, fail),
    )


def parse_routes(text: str, *, where: str = "routes.toml") -> tuple[Route, ...]:
    doc = Document(text, where=where, labels={"route": numbered("route"), "channel": numbered("channel")})
    checked = doc.validate(_RoutesFile)
    if not checked.route:
        raise ConfigError(f"{where}: needs at least one [[route]] table")
    channels = channels_of(checked.channel, doc)
    routes: list[Route] = []
    for n, table in enumerate(checked.route):
        fail = doc.fail_at("route", n)
        if any(r.name == table.name for r in routes):
            raise fail("name", f"route name {table.name!r} is used twice")
        routes.append(_route(table, checked.defaults, channels, fail))
    return tuple(routes)


def load_routes(path: Path) -> tuple[Route, ...]:
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as e:
        raise ConfigError(f"cannot read routes file {path}: {e}") from e
    return parse_routes(text, where=str(path))
