"""A small, realistic warehouse for the digest tests, written into the real tables (001 + 002).

As of 2021-06-15 08:00 Asia/Shanghai (AS_OF):

- ev-blast   广州 440100, 安全生产, major: first_information overdue 7 h; press_conference due in 12 h.
- ev-wage-gz 广州天河 440106, 工资拖欠: first_response overdue 2 h (met at 10:00, after as_of).
- ev-wage-sz 深圳 440300, 工资拖欠: new, due in 26 h (outside the 24 h window).
- ev-food    杭州 330100, 食品药品安全: answered on time yesterday 18:00.
- ev-river   苏州 320500, 环境: answered late yesterday 15:00 (a media report of the response).
- ev-hostile 广州 440100, 安全生产: new; a title full of markup, CR/LF and a javascript: link.
- ev-flu     武汉 420100, 疫情防控: new.
- ev-future  detected after as_of: must not appear.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from warehouse.db import Warehouse
from yuqing.timeutil import SHANGHAI

AS_OF = datetime(2021, 6, 15, 8, 0, tzinfo=SHANGHAI).astimezone(UTC)

HOSTILE_TITLE = (
    '某厂<script>alert(1)</script>爆燃 <img src=x onerror=alert(1)> "引号"\r\nBcc: victim@example.com'
)
HOSTILE_URL = "javascript:alert(document.cookie)"

RULES = {
    "first_information": ("national.major.first_information", 5.0, "国办发〔2016〕80号"),
    "press_conference": ("national.major.press_conference", 24.0, "国办发〔2016〕61号, 80号"),
    "first_response": ("national.general.first_response", 48.0, "国办发〔2016〕61号"),
}


def sh(day: int, hour: int, minute: int = 0) -> datetime:
    """A June 2021 Asia/Shanghai wall-clock time, as UTC."""
    return datetime(2021, 6, day, hour, minute, tzinfo=SHANGHAI).astimezone(UTC)


class World:
    def __init__(self, wh: Warehouse) -> None:
        self.wh = wh
        self.con = wh.con
        self.con.execute(
            "INSERT INTO sources (name, url, kind, official, updated_at) VALUES "
            "('媒体', 'https://news.example.cn/rss.xml', 'feed', false, ?), "
            "('政府', 'https://www.example.gov.cn/rss.xml', 'feed', true, ?)",
            [AS_OF, AS_OF],
        )

    def item(
        self,
        item_id: str,
        title: str,
        *,
        at: datetime,
        url: str | None,
        topics: tuple[str, ...] = (),
        region: tuple[str, str] | None = None,
        fetched: datetime | None = None,
        source: str = "媒体",
    ) -> str:
        fetched = fetched or at + timedelta(minutes=20)
        self.con.execute(
            """INSERT INTO items VALUES (?, ?, ?, ?, ?, '', ?, ?, ?, ?, ?, ?, ?, ?, 'general', false, false,
               []::VARCHAR[], '{}', 'test', true, '')""",
            [
                item_id,
                source,
                item_id,
                url,
                title,
                at,
                fetched,
                at,
                "h" + item_id,
                fetched,
                fetched,
                region[0] if region else None,
                region[1] if region else None,
            ],
        )
        for topic in topics:
            self.con.execute(
                "INSERT INTO item_topics VALUES (?, ?, 1.0, ['t'], 'title', 'test')", [item_id, topic]
            )
        return item_id

    def event(
        self,
        event_id: str,
        title: str,
        *,
        topics: tuple[str, ...],
        region: tuple[str, str],
        started: datetime,
        url: str | None,
        severity: str = "general",
        items: int = 3,
        override: str | None = None,
    ) -> None:
        detected = started + timedelta(minutes=20)
        first = self.item(f"{event_id}-1", title, at=started, url=url, topics=topics, region=region)
        ids = [first]
        for n in range(2, items + 1):
            ids.append(
                self.item(
                    f"{event_id}-{n}",
                    f"{title}（续{n}）",
                    at=started + timedelta(hours=n),
                    url=f"https://news.example.cn/{event_id}/{n}",
                    topics=topics,
                    region=region,
                )
            )
        self.con.execute(
            """INSERT INTO events (event_id, opening_item_id, title, topics, region_code, region_name,
               severity_proposed, started_at, first_detected_at, last_item_at, item_count, source_count,
               items_6h, items_24h, heat, updated_at)
               VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 2, 0, 0, 1.0, ?)""",
            [
                event_id,
                first,
                title,
                list(topics),
                region[0],
                region[1],
                severity,
                started,
                detected,
                started + timedelta(hours=items),
                items,
                AS_OF,
            ],
        )
        for item_id in ids:
            self.con.execute("INSERT INTO event_items VALUES (?, ?)", [item_id, event_id])
        if override:
            self.con.execute(
                "INSERT INTO severity_overrides VALUES (?, ?, 'analyst', 'test', ?)",
                [event_id, override, started],
            )

    def milestone(
        self,
        event_id: str,
        milestone: str,
        *,
        started: datetime,
        met_at: datetime | None = None,
        reported: bool = False,
        response_url: str | None = "https://www.example.gov.cn/tongbao/1.html",
    ) -> None:
        rule_id, hours, document = RULES[milestone]
        met_item = None
        if met_at is not None:
            met_item = self.item(
                f"{event_id}-resp-{milestone}",
                "情况通报",
                at=met_at,
                url=response_url,
                source="媒体" if reported else "政府",
            )
        deadline = started + timedelta(hours=hours)
        self.con.execute(
            """INSERT INTO milestones VALUES (?, ?, ?, 'v1', ?, 'event_start', ['*'], ?, ?, ?, 'pending',
               ?, ?, ?, '{}', ?)""",
            [
                event_id,
                milestone,
                rule_id,
                document,
                hours,
                started,
                deadline,
                met_at,
                met_item,
                reported if met_at else None,
                AS_OF,
            ],
        )


def build(wh: Warehouse) -> World:
    w = World(wh)
    gz = ("440100", "广东省广州市")
    blast = sh(14, 20)
    w.event(
        "ev-blast",
        "广州某化工厂发生爆炸 已致3人死亡",
        topics=("work_safety",),
        region=gz,
        started=blast,
        url="https://news.example.cn/blast/1",
        severity="major_emergency",
        items=6,
    )
    w.milestone("ev-blast", "first_information", started=blast)
    w.milestone("ev-blast", "press_conference", started=blast)

    wage = sh(13, 6)
    w.event(
        "ev-wage-gz",
        "天河区某工地拖欠农民工工资 数十人讨薪",
        topics=("wage_arrears",),
        region=("440106", "广东省广州市天河区"),
        started=wage,
        url="https://news.example.cn/wage/1",
    )
    w.milestone("ev-wage-gz", "first_response", started=wage, met_at=sh(15, 10))

    sz = sh(14, 10)
    w.event(
        "ev-wage-sz",
        "深圳某电子厂停工 工人称被欠薪三个月",
        topics=("wage_arrears",),
        region=("440300", "广东省深圳市"),
        started=sz,
        url="https://news.example.cn/sz/1",
    )
    w.milestone("ev-wage-sz", "first_response", started=sz)

    food = sh(13, 12)
    w.event(
        "ev-food",
        "杭州一学校食堂疑似食物中毒 多名学生就医",
        topics=("food_drug_safety", "education_health_eldercare"),
        region=("330100", "浙江省杭州市"),
        started=food,
        url="https://news.example.cn/food/1",
    )
    w.milestone("ev-food", "first_response", started=food, met_at=sh(14, 18))

    river = sh(12, 9)
    w.event(
        "ev-river",
        "苏州某河道出现大面积死鱼 村民质疑企业偷排",
        topics=("environment",),
        region=("320500", "江苏省苏州市"),
        started=river,
        url="https://news.example.cn/river/1",
    )
    w.milestone(
        "ev-river",
        "first_response",
        started=river,
        met_at=sh(14, 15),
        reported=True,
        response_url="https://news.example.cn/river/reply",
    )

    hostile = sh(14, 22)
    w.event("ev-hostile", HOSTILE_TITLE, topics=("work_safety",), region=gz, started=hostile, url=HOSTILE_URL)
    w.milestone("ev-hostile", "first_response", started=hostile)

    flu = sh(14, 23)
    w.event(
        "ev-flu",
        "武汉某小区出现聚集性发热病例 居民被要求居家",
        topics=("epidemic",),
        region=("420100", "湖北省武汉市"),
        started=flu,
        url="https://news.example.cn/flu/1",
    )
    w.milestone("ev-flu", "first_response", started=flu)

    future = sh(15, 9)
    w.event(
        "ev-future",
        "尚未发生的事件",
        topics=("work_safety",),
        region=gz,
        started=future,
        url="https://news.example.cn/future/1",
    )
    w.milestone("ev-future", "first_response", started=future)

    # Background volume for the trend: a week of wage-arrears and work-safety chatter in Guangzhou.
    for day in range(9, 16):
        for n in range(day - 8):
            w.item(
                f"bg-wage-{day}-{n}",
                "欠薪讨薪",
                at=sh(day, 7, n),
                url=None,
                topics=("wage_arrears",),
                region=("440105", "广东省广州市海珠区"),
            )
        for n in range((day * 3) % 5):
            w.item(
                f"bg-safe-{day}-{n}",
                "安全生产检查",
                at=sh(day, 6, n),
                url=None,
                topics=("work_safety",),
                region=("440100", "广东省广州市"),
            )
    w.con.execute(
        "INSERT INTO runs (run_id, kind, as_of, started_at, finished_at, status) VALUES ('track-1', 'track', ?, ?, ?, 'ok')",
        [AS_OF, AS_OF, AS_OF],
    )
    return w
