"""collect() counts sections in SQL and reads the top rows only: the same digest as collect_full().

A generated warehouse with a few thousand events around AS_OF (responses fetched late, events
detected late, ties of deadlines, overrides, routes by topic and region) and more events per section
than the cap, compared at several as_of and since for several routes.
"""

from __future__ import annotations

import importlib
import random
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from tests.digest.reference import collect_full
from warehouse.db import Warehouse
from yuqing.digest import Route, collect

collect_module = importlib.import_module("yuqing.digest.collect")  # yuqing.digest.collect is the function

AS_OF = datetime(2024, 3, 10, tzinfo=UTC)
TOPICS = (
    "epidemic",
    "housing_finance",
    "wage_arrears",
    "environment",
    "food_drug_safety",
    "education_health_eldercare",
    "work_safety",
    "hardship_livelihood",
    "custom_topic",  # added by ops: listed after the priority topics
)
REGIONS = (
    ("440100", "广州市"),
    ("440106", "天河区"),
    ("440300", "深圳市"),
    ("330100", "杭州市"),
    ("110000", "北京市"),
)
RULES = {  # milestone: (rule_id, hours, document)
    "first_information": ("national.major.first_information", 5.0, "国办发〔2016〕80号"),
    "press_conference": ("national.major.press_conference", 24.0, "国办发〔2016〕61号, 80号"),
    "first_response": ("national.general.first_response", 48.0, "国办发〔2016〕61号"),
}
ROUTES = (
    Route.catch_all(),
    Route(name="gd-wage", recipients=("a@example.cn",), topics=frozenset({"wage_arrears"}), regions=("44",)),
    Route(
        name="env-food", recipients=("b@example.cn",), topics=frozenset({"environment", "food_drug_safety"})
    ),
    Route(
        name="gz-hz",
        recipients=("c@example.cn",),
        regions=("4401", "330100"),
        due_within_hours=48,
        lookback_days=10,
    ),
)


def _insert(wh: Warehouse, table: str, columns: dict[str, tuple[str, list[Any]]]) -> None:
    """Insert column lists in one statement: name -> (SQL type, values)."""
    names = ", ".join(f'"{n}"' for n in columns)
    select = ", ".join(f'unnest($p_{n}::{t}[]) AS "{n}"' for n, (t, _v) in columns.items())
    wh.con.execute(
        f"INSERT INTO {table} ({names}) SELECT {names} FROM (SELECT {select})",
        {f"p_{n}": v for n, (_t, v) in columns.items()},
    )


def _build(wh: Warehouse, events: int = 2500, seed: int = 7) -> None:
    rnd = random.Random(seed)
    items: dict[str, list[Any]] = {k: [] for k in ("id", "url", "time", "fetched", "region", "name")}
    topics_of: list[tuple[str, str]] = []
    ev: dict[str, list[Any]] = {
        k: []
        for k in (
            "id",
            "opening",
            "title",
            "topics",
            "region",
            "name",
            "severity",
            "started",
            "detected",
            "last",
            "n",
        )
    }
    members: list[tuple[str, str]] = []
    ms: dict[str, list[Any]] = {
        k: []
        for k in (
            "event",
            "milestone",
            "rule",
            "doc",
            "hours",
            "started",
            "deadline",
            "met",
            "by",
            "reported",
        )
    }
    overrides: list[tuple[str, str, datetime]] = []
    dismissals: list[tuple[str, bool, list[str], datetime]] = []

    def item(item_id: str, at: datetime, fetched: datetime, region: tuple[str, str] | None) -> None:
        items["id"].append(item_id)
        items["url"].append(None if rnd.random() < 0.05 else f"https://news.example.cn/{item_id}")
        items["time"].append(at)
        items["fetched"].append(fetched)
        items["region"].append(region[0] if region else None)
        items["name"].append(region[1] if region else None)

    for n in range(events):
        event_id = f"ev{n:05d}"
        # On the hour often, so that deadlines tie and the order falls back to the event id.
        started = AS_OF - timedelta(hours=rnd.randint(-30, 45 * 24))
        if rnd.random() < 0.5:
            started += timedelta(minutes=rnd.randint(1, 59))
        detected = started + timedelta(minutes=rnd.choice((0, 5, 20, 90, 600)))
        region = rnd.choice(REGIONS) if rnd.random() < 0.9 else None
        topics = rnd.sample(TOPICS, rnd.choice((0, 1, 1, 1, 2, 3)))
        major = rnd.random() < 0.15
        ids = []
        for k in range(rnd.randint(1, 4)):
            at = started + timedelta(hours=3 * k * rnd.random())
            fetched = detected if k == 0 else at + timedelta(minutes=rnd.randint(0, 600))
            ids.append(f"{event_id}-{k}")
            item(ids[-1], at, fetched, region)
            topics_of += [(ids[-1], t) for t in topics]
        members += [(i, event_id) for i in ids]
        for key, value in (
            ("id", event_id),
            ("opening", ids[0]),
            ("title", f"事件{n}"),
            ("topics", topics),
            ("region", region[0] if region else None),
            ("name", region[1] if region else None),
            ("severity", "major_emergency" if major else "general"),
            ("started", started),
            ("detected", detected),
            ("last", started + timedelta(hours=3)),
            ("n", rnd.choice((1, 2, 2, 3, 5, 8))),
        ):
            ev[key].append(value)
        if rnd.random() < 0.06:
            # an analyst's dismissal: of every report (it holds), or of the first only (a later one undoes it)
            at = started + timedelta(hours=rnd.uniform(0, 72))
            dismissals.append((event_id, True, ids if rnd.random() < 0.5 else ids[:1], at))
            if rnd.random() < 0.3:
                dismissals.append((event_id, False, ids, at + timedelta(hours=rnd.uniform(1, 48))))  # taken back
        if rnd.random() < 0.03:
            for k in range(rnd.randint(1, 2)):
                overrides.append(
                    (event_id, rnd.choice(("major_emergency", "general")), started + timedelta(hours=k + 1))
                )
        for milestone in ("first_information", "press_conference") if major else ("first_response",):
            rule_id, hours, document = RULES[milestone]
            met_at = by = reported = None
            if rnd.random() < 0.6:
                met_at = started + timedelta(hours=rnd.uniform(0, 2.5 * hours))
                by = f"{event_id}-resp-{milestone}"
                reported = rnd.random() < 0.3
                # Most responses are fetched soon; some a day later (known only then).
                lag = rnd.choice((0, 10, 20, 60, 300, 1500, 2000))
                item(by, met_at, met_at + timedelta(minutes=lag), None)
            for key, value in (
                ("event", event_id),
                ("milestone", milestone),
                ("rule", rule_id),
                ("doc", document),
                ("hours", hours),
                ("started", started),
                ("deadline", started + timedelta(hours=hours)),
                ("met", met_at),
                ("by", by),
                ("reported", reported),
            ):
                ms[key].append(value)

    wh.con.execute(
        "INSERT INTO sources (name, url, kind, official, updated_at) "
        "VALUES ('媒体', 'https://news.example.cn/rss.xml', 'feed', false, ?)",
        [AS_OF],
    )
    n_items = len(items["id"])
    _insert(wh, "items", {
        "item_id": ("VARCHAR", items["id"]), "source": ("VARCHAR", ["媒体"] * n_items),
        "guid": ("VARCHAR", items["id"]), "url": ("VARCHAR", items["url"]),
        "title": ("VARCHAR", ["标题"] * n_items), "summary": ("VARCHAR", [""] * n_items),
        "published_at": ("TIMESTAMPTZ", items["time"]), "fetched_at": ("TIMESTAMPTZ", items["fetched"]),
        "item_time": ("TIMESTAMPTZ", items["time"]), "content_hash": ("VARCHAR", items["id"]),
        "first_seen_at": ("TIMESTAMPTZ", items["fetched"]), "updated_at": ("TIMESTAMPTZ", items["fetched"]),
        "region_code": ("VARCHAR", items["region"]), "region_name": ("VARCHAR", items["name"]),
        "severity": ("VARCHAR", ["general"] * n_items), "official_response": ("BOOLEAN", [False] * n_items),
        "reported_response": ("BOOLEAN", [False] * n_items), "response_kinds": ("VARCHAR[]", [[]] * n_items),
        "evidence": ("JSON", ["{}"] * n_items), "classifier_version": ("VARCHAR", ["test"] * n_items),
        "issue": ("BOOLEAN", [True] * n_items),
    })  # fmt: skip
    _insert(wh, "item_topics", {
        "item_id": ("VARCHAR", [i for i, _t in topics_of]), "topic": ("VARCHAR", [t for _i, t in topics_of]),
        "score": ("DOUBLE", [1.0] * len(topics_of)), "terms": ("VARCHAR[]", [["t"]] * len(topics_of)),
        "rule": ("VARCHAR", ["title"] * len(topics_of)), "classifier_version": ("VARCHAR", ["test"] * len(topics_of)),
    })  # fmt: skip
    n_ev = len(ev["id"])
    _insert(wh, "events", {
        "event_id": ("VARCHAR", ev["id"]), "opening_item_id": ("VARCHAR", ev["opening"]),
        "title": ("VARCHAR", ev["title"]), "topics": ("VARCHAR[]", ev["topics"]),
        "region_code": ("VARCHAR", ev["region"]), "region_name": ("VARCHAR", ev["name"]),
        "severity_proposed": ("VARCHAR", ev["severity"]), "started_at": ("TIMESTAMPTZ", ev["started"]),
        "first_detected_at": ("TIMESTAMPTZ", ev["detected"]), "last_item_at": ("TIMESTAMPTZ", ev["last"]),
        "item_count": ("INTEGER", ev["n"]), "source_count": ("INTEGER", [1] * n_ev),
        "items_6h": ("INTEGER", [0] * n_ev), "items_24h": ("INTEGER", [0] * n_ev),
        "heat": ("DOUBLE", [1.0] * n_ev), "updated_at": ("TIMESTAMPTZ", [AS_OF] * n_ev),
    })  # fmt: skip
    _insert(wh, "event_items", {
        "item_id": ("VARCHAR", [i for i, _e in members]), "event_id": ("VARCHAR", [e for _i, e in members]),
    })  # fmt: skip
    n_ms = len(ms["event"])
    _insert(wh, "milestones", {
        "event_id": ("VARCHAR", ms["event"]), "milestone": ("VARCHAR", ms["milestone"]),
        "rule_id": ("VARCHAR", ms["rule"]), "rule_version": ("VARCHAR", ["v1"] * n_ms),
        "source_document": ("VARCHAR", ms["doc"]), "clock": ("VARCHAR", ["event_start"] * n_ms),
        "satisfied_by": ("VARCHAR[]", [["*"]] * n_ms), "deadline_hours": ("DOUBLE", ms["hours"]),
        "started_at": ("TIMESTAMPTZ", ms["started"]), "deadline_at": ("TIMESTAMPTZ", ms["deadline"]),
        "status": ("VARCHAR", ["pending"] * n_ms), "met_at": ("TIMESTAMPTZ", ms["met"]),
        "met_by_item_id": ("VARCHAR", ms["by"]), "reported": ("BOOLEAN", ms["reported"]),
        "evidence": ("JSON", ["{}"] * n_ms), "computed_as_of": ("TIMESTAMPTZ", [AS_OF] * n_ms),
    })  # fmt: skip
    _insert(wh, "severity_overrides", {
        "event_id": ("VARCHAR", [o[0] for o in overrides]), "severity": ("VARCHAR", [o[1] for o in overrides]),
        "analyst": ("VARCHAR", ["analyst"] * len(overrides)), "reason": ("VARCHAR", ["test"] * len(overrides)),
        "at": ("TIMESTAMPTZ", [o[2] for o in overrides]),
    })  # fmt: skip
    _insert(wh, "event_dismissals", {
        "event_id": ("VARCHAR", [d[0] for d in dismissals]), "dismissed": ("BOOLEAN", [d[1] for d in dismissals]),
        "covers": ("VARCHAR[]", [d[2] for d in dismissals]), "analyst": ("VARCHAR", ["analyst"] * len(dismissals)),
        "reason": ("VARCHAR", ["test"] * len(dismissals)), "at": ("TIMESTAMPTZ", [d[3] for d in dismissals]),
        "recorded_at": ("TIMESTAMPTZ", [d[3] for d in dismissals]),
    })  # fmt: skip


@pytest.fixture(scope="module")
def generated(tmp_path_factory: pytest.TempPathFactory) -> Any:
    with Warehouse.open(tmp_path_factory.mktemp("generated") / "yuqing.duckdb") as wh:
        _build(wh)
        yield wh


@pytest.mark.parametrize("as_of", [AS_OF, AS_OF - timedelta(days=6, hours=15, minutes=20)])
def test_same_digest_as_the_full_read(generated: Warehouse, as_of: datetime) -> None:
    capped = 0
    listed = []
    for route in ROUTES:
        for since in (None, as_of - timedelta(hours=1), as_of - timedelta(days=3)):
            full = collect_full(generated, as_of, route, since)
            assert collect(generated, as_of, route, since) == full, (route.name, since)
            capped += len(full.omitted)
            listed += _events(full)
    # The sections overflow the cap, so the omitted counts are compared too.
    full = collect_full(generated, as_of, ROUTES[0], as_of - timedelta(days=3))
    assert {section for section, _n in full.omitted} == {"overdue", "due_soon", "new", "responses"}
    assert full.new_listed_above > 0
    assert capped > 4
    # dismissed events are in neither; events a later report brought back say who had dismissed them, in both
    assert any(e.reopened for e in listed)
    assert any(e.raised for e in listed)  # and events known at the last digest count the reports since, in both
    dismissed = {r[0] for r in generated.con.execute("SELECT event_id FROM dismissed_as_of(?)", [as_of]).fetchall()}
    assert dismissed and not dismissed & {e.event_id for e in listed}


def test_same_digest_with_a_small_cap(generated: Warehouse, monkeypatch: pytest.MonkeyPatch) -> None:
    # Routes with few events overflow a small cap too: ties at the cut, the "new" budget across topics.
    monkeypatch.setattr(collect_module, "MAX_EVENTS_PER_SECTION", 3)
    for route in ROUTES:
        for since in (None, AS_OF - timedelta(days=2)):
            full = collect_full(generated, AS_OF, route, since)
            assert collect(generated, AS_OF, route, since) == full, (route.name, since)
            assert full.omitted



def _events(data: Any) -> list[Any]:
    """Every event a digest lists, in any section."""
    listed = [*data.overdue, *data.due_soon, *data.responses]
    return [x.event for x in listed] + [e for group in data.new_events for e in group.events]
