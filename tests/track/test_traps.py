"""The traps of "Events are incidents", each a synthetic replay through the real pipeline (feeds on
127.0.0.1, ``ingest --as-of T`` then ``track --as-of T`` every 3 hours, the real classifier).

Each scenario is written from the rules (labelling guide; 国办发〔2016〕61号/80号), not from a run: which
reports are one incident, which item answers which incident, when the clock starts, how severe it is.
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest

from warehouse.db import Warehouse

from .synthetic import Scenario, Source, event_of, events, flags, sh, titles

MEDIA_A = Source("南方都市报")
MEDIA_B = Source("新京报")
MEDIA_C = Source("澎湃新闻")


def test_one_wage_protest_told_by_two_outlets_in_different_words_is_one_event(tmp_path: Path) -> None:
    s = Scenario([MEDIA_A, MEDIA_B])
    a = s.post("南方都市报", "广州白云区一建筑工地数十名农民工讨薪无果", sh(6, 14, 9))
    b = s.post("新京报", "白云区工地农民工讨薪：干了一年拿不到工钱", sh(6, 14, 15))
    s.run(tmp_path / "y.duckdb", sh(6, 14, 6), sh(6, 15, 6))
    assert titles(events(tmp_path / "y.duckdb")) == [[a.title, b.title]]


def test_a_mine_explosion_known_only_by_province_is_one_event_as_counts_rise(tmp_path: Path) -> None:
    s = Scenario([MEDIA_A, MEDIA_B])
    a = s.post("南方都市报", "山西某煤矿发生瓦斯爆炸事故 已造成11人死亡", sh(6, 14, 9))
    b = s.post("新京报", "山西煤矿瓦斯爆炸事故遇难人数为11人", sh(6, 14, 13))
    c = s.post("南方都市报", "山西煤矿瓦斯爆炸遇难人数升至15人", sh(6, 16, 10))  # two days later
    s.run(tmp_path / "y.duckdb", sh(6, 14, 6), sh(6, 16, 12))
    assert titles(events(tmp_path / "y.duckdb")) == [[a.title, b.title, c.title]]


def test_different_incidents_stay_apart(tmp_path: Path) -> None:
    """One topic in one city within two days, and one wording in two provinces: four events."""
    s = Scenario([MEDIA_A, MEDIA_B])
    s.post("南方都市报", "广州天河区一小区发生火灾 多人被困", sh(6, 14, 9))
    s.post("新京报", "广州番禺区一工厂起火 浓烟滚滚", sh(6, 15, 10))
    s.post("南方都市报", "山西一煤矿发生瓦斯爆炸事故 已造成11人死亡", sh(6, 14, 9))
    s.post("新京报", "贵州一煤矿发生瓦斯爆炸事故 已造成11人死亡", sh(6, 14, 11))
    s.run(tmp_path / "y.duckdb", sh(6, 14, 6), sh(6, 15, 12))
    assert sorted(len(m) for m in titles(events(tmp_path / "y.duckdb"))) == [1, 1, 1, 1]


def test_a_notice_without_a_topic_answers_the_incident_it_names(tmp_path: Path) -> None:
    s = Scenario([MEDIA_A, Source("株洲市生态环境局", official=True, region="430200")])
    report = s.post("南方都市报", "湖南株洲渌口区一河段出现大面积死鱼", sh(6, 14, 9))
    notice = s.post("株洲市生态环境局", "关于渌口区河段死鱼情况的通报", sh(6, 15, 10),
                    "6月14日，渌口区一河段出现死鱼。经调查，系上游养殖场排放污水所致，已责令整改。")  # fmt: skip
    s.run(tmp_path / "y.duckdb", sh(6, 14, 6), sh(6, 17, 12))
    ev = event_of(tmp_path / "y.duckdb", report.title)
    assert ev is not None and ev["responses"] == [notice.title]
    assert flags(tmp_path / "y.duckdb", sh(6, 17, 12)) == []  # answered within 48 h: nothing overdue


def test_weakly_worded_answers_a_province_and_the_police_count(tmp_path: Path) -> None:
    s = Scenario([
        MEDIA_A, MEDIA_B,
        Source("长沙市望城区人民政府", official=True, region="430112"),
        Source("湖南省应急管理厅", official=True, region="430000"),
        Source("长沙市公安局", official=True, region="430100"),
    ])  # fmt: skip
    fire = s.post("南方都市报", "长沙望城区一化工厂发生火灾 3人受伤", sh(6, 14, 9))
    wage = s.post("新京报", "长沙芙蓉区一工地数十名工人讨薪 称被拖欠半年工资", sh(6, 14, 10))
    s.post("长沙市望城区人民政府", "情况通报", sh(6, 14, 20),
           "6月14日8时许，望城区一化工厂发生火灾，3人受轻伤，已送医救治，火灾原因正在调查。")  # fmt: skip
    s.post("湖南省应急管理厅", "关于网民反映情况的说明", sh(6, 15, 9),
           "网民反映长沙望城区一化工厂发生火灾。省应急管理厅已派工作组赶赴现场，指导做好善后处置和事故调查。")  # fmt: skip
    s.post("长沙市公安局", "警情通报", sh(6, 15, 8),
           "6月14日10时许，芙蓉区一工地数十名工人聚集讨要工资。警方到场处置，欠薪问题已移交劳动监察部门处理。")  # fmt: skip
    s.run(tmp_path / "y.duckdb", sh(6, 14, 6), sh(6, 16, 12))
    fire_ev = event_of(tmp_path / "y.duckdb", fire.title)
    wage_ev = event_of(tmp_path / "y.duckdb", wage.title)
    assert fire_ev is not None and wage_ev is not None
    assert fire_ev["responses"] == ["情况通报", "关于网民反映情况的说明"]
    assert wage_ev["responses"] == ["警情通报"]


def test_routine_items_and_another_cases_notice_do_not_count(tmp_path: Path) -> None:
    s = Scenario([MEDIA_A, Source("长沙市公安局", official=True, region="430100"),
                  Source("长沙市人民政府", official=True, region="430100")])  # fmt: skip
    fire = s.post("南方都市报", "长沙岳麓区一小区发生火灾 致2人受伤", sh(6, 14, 9))
    s.post("长沙市公安局", "警情通报", sh(6, 14, 15),
           "6月14日，雨花区一仓库发生火灾，无人员伤亡，起火原因正在调查。")  # another case: another district
    s.post("长沙市公安局", "警情通报", sh(6, 14, 16),
           "6月14日，岳麓区一小区发生一起入室盗窃案，犯罪嫌疑人已被抓获。")  # same district, another kind
    s.post("长沙市人民政府", "长沙召开全市安全生产和消防工作会议", sh(6, 14, 16))
    s.post("长沙市人民政府", "长沙开展消防安全宣传月活动", sh(6, 15, 9))
    s.run(tmp_path / "y.duckdb", sh(6, 14, 6), sh(6, 17, 12))
    ev = event_of(tmp_path / "y.duckdb", fire.title)
    assert ev is not None and ev["responses"] == []
    assert [f.title for f in flags(tmp_path / "y.duckdb", sh(6, 17, 12))] == [fire.title]


def test_non_incidents_get_no_clock(tmp_path: Path) -> None:
    s = Scenario([MEDIA_A, MEDIA_B, MEDIA_C])
    s.post("南方都市报", "关于举办2021年食品安全标准研讨会的通知", sh(6, 14, 9))
    s.post("新京报", "社论｜土地财政依赖症亟待系统治理", sh(6, 14, 10))
    s.post("澎湃新闻", "英国推迟解封 Novavax疫苗对变异病毒有效率达93%", sh(6, 14, 11))
    s.post("南方都市报", "北京大学任命新一届医学部主任", sh(6, 14, 12))
    s.run(tmp_path / "y.duckdb", sh(6, 14, 6), sh(6, 17, 12))
    assert events(tmp_path / "y.duckdb") == []
    assert flags(tmp_path / "y.duckdb", sh(6, 17, 12)) == []


def test_the_clock_starts_when_the_incident_happened(tmp_path: Path) -> None:
    ministry = Source("应急管理部", official=True)
    s = Scenario([ministry, MEDIA_A])
    first = s.post("应急管理部", "湖北十堰张湾区艳湖社区集贸市场发生燃气爆炸事故", sh(6, 14, 10, 42),
                   "6月13日6时40分许，湖北省十堰市张湾区艳湖社区集贸市场发生燃气爆炸，造成人员伤亡。")  # fmt: skip
    s.post("南方都市报", "十堰燃气爆炸已致25人死亡，救援仍在进行", sh(6, 14, 12))
    s.run(tmp_path / "y.duckdb", sh(6, 14, 9), sh(6, 15, 12))
    ev = event_of(tmp_path / "y.duckdb", first.title)
    assert ev is not None
    assert ev["started_at"] == sh(6, 13, 6, 40)
    assert "6月13日6时40分许" in ev["clock_basis"]
    due = {f.milestone: f.deadline_at for f in flags(tmp_path / "y.duckdb", sh(6, 15, 12))}
    assert due == {"first_information": sh(6, 13, 11, 40), "press_conference": sh(6, 14, 6, 40)}


def test_the_clock_reads_relative_times_against_the_items_date(tmp_path: Path) -> None:
    s = Scenario([MEDIA_A])
    a = s.post("南方都市报", "东莞一工厂发生火灾 3人受伤", sh(6, 14, 11), "今晨6时40分，东莞一工厂发生火灾。")
    s.run(tmp_path / "y.duckdb", sh(6, 14, 9), sh(6, 14, 12))
    ev = event_of(tmp_path / "y.duckdb", a.title)
    assert ev is not None and ev["started_at"] == sh(6, 14, 6, 40)


def test_onboarding_a_source_does_not_open_its_back_catalogue(tmp_path: Path) -> None:
    s = Scenario([MEDIA_A])
    old = s.post("南方都市报", "广州一建筑工地数十名农民工讨薪无果", sh(6, 14, 9) - timedelta(days=1999))
    new = s.post("南方都市报", "深圳一建筑工地农民工讨薪 称被拖欠半年工资", sh(6, 14, 9))
    s.run(tmp_path / "y.duckdb", sh(6, 14, 12), sh(6, 14, 12))
    assert titles(events(tmp_path / "y.duckdb")) == [[new.title]]
    assert old.title not in {f.title for f in flags(tmp_path / "y.duckdb", sh(6, 20, 12))}


def test_history_is_a_backfill_away(tmp_path: Path) -> None:
    """The back catalogue set aside at onboarding opens its events when ops ask for history."""
    from yuqing import pipeline

    s = Scenario([MEDIA_A])
    old = s.post("南方都市报", "广州一建筑工地数十名农民工讨薪无果", sh(6, 14, 9) - timedelta(days=90))
    db = tmp_path / "y.duckdb"
    s.run(db, sh(6, 14, 12), sh(6, 14, 12))
    assert events(db) == []
    pipeline.track(db, as_of=sh(6, 14, 12), history=True)
    assert titles(events(db)) == [[old.title]]


def test_severity_follows_the_reports(tmp_path: Path) -> None:
    s = Scenario([MEDIA_A, MEDIA_B])
    first = s.post("南方都市报", "湖北襄阳一商场发生火灾 现场浓烟滚滚", sh(6, 14, 9))
    s.post("新京报", "襄阳商场火灾已造成12人死亡", sh(6, 14, 15))
    small = s.post("南方都市报", "佛山一餐馆燃气爆炸致1死3伤", sh(6, 14, 10))
    s.run(tmp_path / "y.duckdb", sh(6, 14, 6), sh(6, 14, 18))
    big = event_of(tmp_path / "y.duckdb", first.title)
    assert big is not None and len(big["members"]) == 2
    assert big["severity"] == "major_emergency" and "deaths=12" in big["severity_basis"]
    minor = event_of(tmp_path / "y.duckdb", small.title)
    assert minor is not None and minor["severity"] == "general"


@pytest.mark.parametrize(
    ("title", "text"),
    [
        ("十堰燃气爆炸事故救援基本结束", "记者从十堰市应急管理局获悉，十堰燃气爆炸事故救援基本结束。"),
        ("十堰市应急管理局回应燃气爆炸事故：救援基本结束", ""),
    ],
)
def test_reported_responses_still_count(tmp_path: Path, title: str, text: str) -> None:
    s = Scenario([MEDIA_A, MEDIA_B])
    first = s.post("南方都市报", "十堰张湾区一集贸市场发生燃气爆炸", sh(6, 14, 9))
    s.post("新京报", title, sh(6, 14, 12), text)
    s.run(tmp_path / "y.duckdb", sh(6, 14, 6), sh(6, 14, 15))
    ev = event_of(tmp_path / "y.duckdb", first.title)
    assert ev is not None and len(ev["responses"]) == 1


def test_a_gov_cn_link_does_not_make_an_unofficial_feed_official(tmp_path: Path) -> None:
    """Whoever writes a feed writes its links: an item of a source marked official = false that links to a .gov.cn
    page is no official response. It can still be a reported response (it says an official body informed), and a
    milestone it meets says so (``reported``), as the design has it for media reports."""
    s = Scenario([MEDIA_A, Source("某自媒体", official=False)])
    s.post("南方都市报", "山西某煤矿发生瓦斯爆炸事故 已造成11人死亡", sh(6, 14, 9))
    s.post("某自媒体", "关于某煤矿瓦斯爆炸事故的情况通报", sh(6, 14, 10), "6月14日，某煤矿发生瓦斯爆炸事故，造成11人死亡。",
           link="https://www.daixian.gov.cn/zwgk/tzgg/202106/t20210614_1.html")  # fmt: skip
    s.post("某自媒体", "召开新闻发布会通报某煤矿瓦斯爆炸事故情况", sh(6, 14, 11),
           link="https://www.daixian.gov.cn/zwgk/tzgg/202106/t20210614_2.html")  # fmt: skip
    db = tmp_path / "y.duckdb"
    s.run(db, sh(6, 14, 6), sh(6, 15, 12))
    with Warehouse.open(db) as wh:
        items = wh.con.execute(
            "SELECT official_response, CAST(evidence AS VARCHAR) FROM items WHERE source = '某自媒体'"
        ).fetchall()
        met = wh.con.execute("SELECT milestone, reported FROM milestones WHERE met_at IS NOT NULL").fetchall()
    assert [official for official, _ in items] == [False, False]
    assert not any("official host" in evidence for _, evidence in items)
    assert all(reported for _, reported in met)


def test_a_boards_reply_greeting_the_author_answers_the_message_though_it_names_nothing(tmp_path: Path) -> None:
    """A message board's feed names each message's author; its reply feed greets that author by handle. The reply's
    headline and opening say nothing of the matter, and the board masks its places: the greeting links it."""
    s = Scenario([Source("问政-留言"), Source("问政-答复", official=True)])
    message = s.post("问政-留言", "A市B区某小区楼下烧烤店油烟扰民", sh(6, 14, 9),
                     "小区楼下烧烤店每晚油烟直排，住户无法开窗，多次反映无果。", author="UU0081535")  # fmt: skip
    s.post("问政-留言", "A市C区某路段路灯不亮", sh(6, 14, 10), "路灯坏了一个月。", author="UU0090001")
    s.post("问政-答复", "网友留言答复", sh(6, 15, 16),
           "网友“UU0081535”您好！您的留言已收悉。现将有关情况回复如下：经核实，已责令整改，感谢您的监督。")  # fmt: skip
    s.run(tmp_path / "y.duckdb", sh(6, 14, 6), sh(6, 16, 12))
    with Warehouse.open(tmp_path / "y.duckdb") as wh:
        authors = dict(wh.con.execute("SELECT title, author FROM v_items").fetchall())
        rules = [r[0] for r in wh.con.execute("SELECT evidence->>'rule' FROM responses").fetchall()]
    assert authors[message.title] == "UU0081535" and authors["网友留言答复"] == ""
    ev = event_of(tmp_path / "y.duckdb", message.title)
    assert ev is not None and ev["responses"] == ["网友留言答复"]
    assert len(rules) == 1 and rules[0].startswith("addressed to the author of a member: uu0081535"), rules
    assert flags(tmp_path / "y.duckdb", sh(6, 16, 12)) == []  # answered within 48 h: nothing overdue
