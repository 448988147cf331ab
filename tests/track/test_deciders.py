from __future__ import annotations

import math
from dataclasses import replace
from datetime import timedelta

from yuqing.track.deadlines import RULES_PATH, load_rules, milestones, parse_rules
from yuqing.track.grouping import NEAR_DUPLICATE, TEXTS_ALIKE, WORDING, GroupingParams, group, why_joined
from yuqing.track.model import MET, MET_LATE, OVERDUE, PENDING, Event, Response, TrackItem
from yuqing.track.responses import Authored, addressed, link

from .helpers import T0, item

BOOM = "十堰市张湾区艳湖社区集贸市场发生燃气爆炸事故"
ITEMS = [
    item("a1", BOOM, 0, source="m1", severity="major_emergency"),
    item("a2", "突发！" + BOOM, 1, source="m2"),
    item("a3", BOOM + "，已致多人死亡", 2, source="m3", region="420000"),
    item("b1", "广州荔湾区新增本土确诊病例，多区域封控", 3, source="m1", topics=("epidemic",), region="440100"),
    item("b2", "广州荔湾区新增本土确诊病例 多区域封控", 4, source="m2", topics=("epidemic",), region="440100"),
    item("c1", BOOM, 200, source="m1"),  # same text, outside the 7-day window of the first event
    item("d1", BOOM, 5, source="m4", topics=("environment",)),  # tagged another topic: still this incident
    item("e1", BOOM, 6, source="m5", region="440300"),  # incompatible place
]


def test_grouping_groups_reports_of_one_incident_by_place_and_time_whatever_their_topic_tags() -> None:
    result = group(ITEMS, T0 + timedelta(hours=300))
    by_items = sorted(tuple(sorted(ev.item_ids)) for ev in result.events)
    assert by_items == [("a1", "a2", "a3", "d1"), ("b1", "b2"), ("c1",), ("e1",)]
    boom = next(ev for ev in result.events if "a1" in ev.item_ids)
    assert boom.started_at == T0 and boom.item_count == 4 and boom.source_count == 4
    assert boom.severity_proposed == "major_emergency" and boom.region_code == "420300"


def test_grouping_is_deterministic_and_incremental_equals_batch() -> None:
    as_of = T0 + timedelta(hours=300)
    batch = group(ITEMS, as_of)
    assert group(list(reversed(ITEMS)), as_of) == batch
    # incremental: first half, then the rest joined with the stored memberships
    first = group(ITEMS[:2], as_of)
    prior = {iid: ev.event_id for ev in first.events for iid in ev.item_ids}
    second = group(ITEMS, as_of, prior=prior)
    assert {(ev.event_id, ev.item_ids) for ev in second.events} == {(ev.event_id, ev.item_ids) for ev in batch.events}


def test_official_response_never_opens_an_event() -> None:
    response = item("o2", BOOM + "情况通报", 1, source="gov", official=True, official_response=True)
    reported = item("r1", "记者从十堰市获悉：" + BOOM, 2, reported_response=True)
    # even from a non-official source (a .gov.cn page in a media feed) a response does not open one
    stray = item("o3", BOOM + "情况说明", 1, source="m9", official_response=True)
    assert group([response, reported, stray], T0 + timedelta(hours=3)).events == ()
    # but a media item does, and the responses stay out of it
    result = group([response, stray, item("m1", BOOM, 3)], T0 + timedelta(hours=4))
    assert [ev.item_ids for ev in result.events] == [("m1",)]


def test_official_source_opens_only_as_an_outside_reporter() -> None:
    as_of = T0 + timedelta(hours=10)
    relay = "习近平对湖北十堰市张湾区艳湖社区集贸市场燃气爆炸事故作出重要指示"
    major = "major_emergency"
    # a national ministry (no source region) relaying a major emergency in a named place: opens
    ministry = item("n1", relay, 0, source="应急管理部", official=True, source_region=None, severity=major)
    assert [ev.opening_item_id for ev in group([ministry], as_of).events] == ["n1"]
    # a provincial government on an incident in its own province: never opens
    own = item("p1", relay, 0, source="湖北省人民政府网", official=True, source_region="420000", severity=major)
    assert group([own], as_of).events == ()
    # the same province's account reporting another province's incident: opens
    other = item("p2", relay, 0, source="湖北省人民政府网", official=True, source_region="420000", region="440300",
                 severity=major)
    assert len(group([other], as_of).events) == 1
    # a ministry's national campaign (no place): never opens
    campaign = item("n2", "应急科普丨图说：预防燃气爆炸，这些要牢记！", 0, source="应急管理部", official=True,
                    region=None)
    assert group([campaign], as_of).events == ()
    # a ministry's routine work in a named place (not a major emergency): never opens
    routine = item("n3", "生态环境部华东督察局、浙江省厅联合开展主题党日活动", 0, source="生态环境部", official=True,
                   topics=("environment",), region="330000")
    assert group([routine], as_of).events == ()
    # a media item opens the event and the provincial post, though it cannot open one, does not join it
    result = group([own, item("m1", relay, 1)], as_of)
    assert [(ev.opening_item_id, ev.item_ids) for ev in result.events] == [("m1", ("m1",))]
    # an outside reporter opens even when a media item follows it
    result = group([ministry, item("m1", relay, 1)], as_of)
    assert [(ev.opening_item_id, ev.item_ids) for ev in result.events] == [("n1", ("n1", "m1"))]


def test_linking_accepts_the_answer_and_rejects_routine_items() -> None:
    events = group(ITEMS, T0 + timedelta(hours=10)).events
    answer = item(
        "g1", "关于十堰市张湾区艳湖社区集贸市场燃气爆炸事故的情况通报", 4, source="gov", official=True,
        official_response=True, region="420300", kinds=("first_information",),
    )
    routine = item(
        "g2", "十堰市召开安全生产工作会议部署安全生产大检查", 5, source="gov", official=True,
        official_response=True, region="420300",
    )
    too_early = item("g3", "艳湖社区集贸市场燃气爆炸事故情况说明", -1, source="gov", official=True, official_response=True)
    other_city = item(
        "g4", "关于艳湖社区集贸市场燃气爆炸事故的通报", 4, source="gov", official=True, official_response=True, region="440300"
    )
    links = link(events, [answer, routine, too_early, other_city])
    boom = next(ev for ev in events if "a1" in ev.item_ids)
    assert [(r.event_id, r.item_id) for r in links] == [(boom.event_id, "g1")]
    assert "燃气" in links[0].matched_terms and not links[0].reported
    assert "places agree" in links[0].rule and "explosion" in links[0].rule


def _response(event_id: str, hours: float, kinds: tuple[str, ...], *, seen_after: float = 0.0) -> Response:
    t = T0 + timedelta(hours=hours)
    return Response(event_id, f"r{hours}", t, t + timedelta(hours=seen_after), 0.9, ("燃气",), False, kinds)


def test_deadline_statuses_at_checkpoints() -> None:
    rules = load_rules()
    ev = group([ITEMS[0]], T0).events[0]
    assert ev.severity == "major_emergency"
    responses = [_response(ev.event_id, 3, ("first_information",)), _response(ev.event_id, 30, ("press_conference",))]

    def statuses(hours: float) -> dict[str, str]:
        return {m.milestone: m.status for m in milestones(ev, responses, rules, T0 + timedelta(hours=hours))}

    assert statuses(1) == {"first_information": PENDING, "press_conference": PENDING}
    assert statuses(4) == {"first_information": MET, "press_conference": PENDING}
    assert statuses(25) == {"first_information": MET, "press_conference": OVERDUE}
    assert statuses(31) == {"first_information": MET, "press_conference": MET_LATE}
    ms = milestones(ev, responses, rules, T0 + timedelta(hours=31))
    fi = next(m for m in ms if m.milestone == "first_information")
    assert fi.deadline_at == T0 + timedelta(hours=5) and fi.source_document == "国办发〔2016〕80号"
    assert fi.rule_version == rules.version and fi.met_by_item_id == "r3"


def test_general_event_first_response_48h_and_regional_override() -> None:
    ev = group([ITEMS[3]], T0).events[0]
    late = [_response(ev.event_id, 3 + 50, ())]
    ms = milestones(ev, late, load_rules(), T0 + timedelta(hours=60))
    assert [(m.milestone, m.status, m.deadline_hours) for m in ms] == [("first_response", MET_LATE, 48.0)]
    text = RULES_PATH.read_text(encoding="utf-8")
    text += '\n[[override]]\nid = "44.general"\nregion_prefix = "44"\nseverity = "general"\nmilestone = "first_response"\nhours = 24\n'
    ms = milestones(ev, [], parse_rules(text), T0 + timedelta(hours=28))
    assert [(m.rule_id, m.status) for m in ms] == [("44.general", OVERDUE)]
    first_detected = parse_rules(text, clock="first_detected")
    assert milestones(ev, [], first_detected, T0)[0].clock == "first_detected"


def test_reports_in_one_county_are_one_incident_however_worded() -> None:
    as_of = T0 + timedelta(hours=40)
    major = "major_emergency"
    a = item("d1", "揪心！山西代县铁矿透水事故，11人遇难", 0, region="140923", severity=major)
    b = item("d2", "山西代县铁矿事故致13名矿工遇难，13名嫌疑人被刑拘", 9, region="140923", severity=major)
    assert [ev.item_ids for ev in group([a, b], as_of).events] == [("d1", "d2")]
    # whatever severity each report was proposed: the incident is one
    general = item("d4", "山西代县铁矿事故致13名矿工遇难，13名嫌疑人被刑拘", 9, region="140923")
    assert [ev.item_ids for ev in group([a, general], as_of).events] == [("d1", "d4")]
    # another county, or past the 7-day window: separate events
    elsewhere = item("d3", "山西代县铁矿事故致13名矿工遇难，13名嫌疑人被刑拘", 9, region="140924", severity=major)
    assert len(group([a, elsewhere], as_of).events) == 2
    late = item("d5", "山西代县铁矿事故致13名矿工遇难，13名嫌疑人被刑拘", 200, region="140923", severity=major)
    assert len(group([a, late], T0 + timedelta(hours=210)).events) == 2


def test_a_province_named_beside_two_cities_does_not_join_their_cases() -> None:
    # Two reports of new cases whose headlines name only the province, whose texts place them in two of its
    # cities (北海, 河池): two incidents. The province the headlines name adds no place the cities lack.
    as_of = T0 + timedelta(hours=80)
    beihai = item("g1", "广西确诊2例新型肺炎病例", 0, topics=("epidemic",), region="450500")
    hechi = item("g2", "广西出现2岁新型肺炎确诊病例", 63, topics=("epidemic",), region="451202")
    assert len(group([beihai, hechi], as_of).events) == 2
    # One city's two reports of its cases are one incident, whatever the headlines name.
    found = item("h1", "河南信阳出现两例超常规病例", 0, topics=("epidemic",), region="411500")
    confirmed = item("h2", "河南信阳出现两例超常规病例：密切接触30多天才确诊", 0.1, topics=("epidemic",), region="411500")
    assert [ev.item_ids for ev in group([found, confirmed], as_of).events] == [("h1", "h2")]
    # A report placed only in the province still meets a city's report of the same wording there.
    province = item("g3", "广西确诊2例新型肺炎病例", 2, source="m2", topics=("epidemic",), region="450000")
    assert [ev.item_ids for ev in group([beihai, province], as_of).events] == [("g1", "g3")]


def test_a_citys_outbreak_release_answers_by_place_and_kind_only_while_the_event_is_live() -> None:
    cluster = item("k1", "北京复兴医院现9人感染聚集性病例", 0, topics=("epidemic",), region="110102")
    events = group([cluster], T0 + timedelta(hours=1)).events

    def notice(item_id: str, hours: float) -> TrackItem:
        # the city's daily count: the same city and the outbreak, none of the cluster's wording
        return item(item_id, "北京市新增1例确诊病例，6例治愈出院", hours, source="北京卫健委", official=True,
                    official_response=True, topics=("epidemic",), region="110000", kinds=("first_information",))

    links = link(events, [notice("n1", 30), notice("n2", 24 * 26)])
    assert [r.item_id for r in links] == ["n1"]
    assert "the city's outbreak, while the event is live" in links[0].rule, links[0].rule
    # a release that names the cluster still answers it later
    named = item("n3", "关于复兴医院聚集性病例的情况通报", 24 * 26, source="北京卫健委", official=True,
                 official_response=True, topics=("epidemic",), region="110000", kinds=("first_information",))
    links = link(events, [named])
    assert [r.item_id for r in links] == ["n3"] and "the city's outbreak" not in links[0].rule


def test_a_relay_of_a_citys_release_must_name_the_incident() -> None:
    """The citywide rule is for the city's own release: a media report or a post relaying the city's count (whose
    release it relays is not known) answers the cluster only by its wording; one that names no place answers no event
    that has one."""
    cluster = item("k1", "北京复兴医院现9人感染聚集性病例", 0, topics=("epidemic",), region="110102")
    events = group([cluster], T0 + timedelta(hours=1)).events
    count = item("m1", "北京市新增1例确诊病例，6例治愈出院", 30, source="人民日报", reported_response=True,
                 topics=("epidemic",), region="110000", kinds=("first_information",))
    assert link(events, [count]) == []
    official = item("n1", "北京市新增1例确诊病例，6例治愈出院", 30, source="北京卫健委", official=True,
                    official_response=True, topics=("epidemic",), region="110000", kinds=("first_information",))
    assert [r.item_id for r in link(events, [official])] == ["n1"]
    named = item("m2", "北京复兴医院聚集性病例：9人感染，已全部隔离治疗", 30, source="人民日报", reported_response=True,
                 topics=("epidemic",), region="110102", kinds=("first_information",))
    assert [r.item_id for r in link(events, [named])] == ["m2"]
    # a relay that names no place answers no event that has one: whose release it relays is not known
    case = item("k2", "河南确诊1例新型冠状病毒肺炎", 0, topics=("epidemic",), region="410100")
    events = group([case], T0 + timedelta(hours=1)).events
    unplaced = item("m3", "辟谣！这些关于新型冠状病毒肺炎的说法，别信", 10, source="微博", reported_response=True,
                    topics=("epidemic",), region=None, kinds=("first_information",))
    assert link(events, [unplaced]) == []
    placed = item("m4", "河南确诊1例新型冠状病毒肺炎：患者曾在武汉工作", 10, source="人民日报", reported_response=True,
                  topics=("epidemic",), region="410100", kinds=("first_information",))
    assert [r.item_id for r in link(events, [placed])] == ["m4"]


def test_a_report_carrying_the_authoritys_release_answers_the_event_it_opens() -> None:
    """«吉林卫健委：昨天，长春市一名…确认为我省首例确诊病例»: the report of a first case is an issue and carries the health
    commission's confirmation, the authority's first information on it (the guide: the quote may satisfy a
    milestone). Any other relay answers only an event that started before it."""
    first = item("c1", "吉林确诊首例新型肺炎病例", 0, topics=("epidemic",), region="220100", reported_response=True,
                 issue=True, kinds=("first_information", "first_response"), relays_release=True)
    events = group([first], T0 + timedelta(hours=1)).events
    assert [r.item_id for r in link(events, [first])] == ["c1"]
    quoting = replace(first, relays_release=False)
    events = group([quoting], T0 + timedelta(hours=1)).events
    assert link(events, [quoting]) == []


def test_a_reply_repeating_the_messages_headline_answers_it_whatever_kinds_their_texts_name() -> None:
    # The complaint's opening names the noise, the reply's the waste gas: two kinds, one factory.
    title = "举报B9市阳三街道办辖区塑料厂和猪厂环境污染问题"
    message = item("t1", title, 0, topics=("environment",), region=None, summary="塑料厂日夜生产，噪音扰民，猪厂臭不可闻。")
    events = group([message], T0 + timedelta(hours=1)).events
    assert incident_kinds(events[0]) == {"noise"}
    reply = item("t2", "答复：" + title, 24 * 5, source="问政-答复", official=True, official_response=True,
                 topics=("environment",), region=None, summary="经查，该塑料加工厂已有完善的废水、废气处理设施。")
    links = link(events, [reply])
    assert [r.item_id for r in links] == ["t2"]
    # The same reply to a complaint that shares only part of its wording still needs a kind in common.
    other = item("t3", "反映B9市阳三街道办辖区噪音扰民问题", 0, topics=("environment",), region=None,
                 summary="夜里噪音扰民。")
    assert link(group([other], T0 + timedelta(hours=1)).events, [reply]) == []


def test_a_reply_whose_headline_says_little_answers_what_its_body_restates() -> None:
    """«网友留言答复» names nothing: the reply is read in full, and answers the complaint whose wording its body
    holds. Read by its body's rarest bigrams alone, such replies answered 0.4 % of their messages in the 泰迪杯
    replay (``tests/track/test_replay_teddycup.py``)."""
    as_of = T0 + timedelta(hours=48)
    housing = dict(topics=("housing_finance",), region=None)
    delivered = item("c1", "投诉K7县万佳名城未经消防验收就交房", 0, **housing)
    noise = item("c2", "反映K7县城区夜间渣土车噪音扰民", 1, topics=("environment",), region=None)
    events = group([delivered, noise], as_of).events
    reply = item("r1", "网友留言答复", 40, source="问政-答复", official=True, official_response=True, region=None,
                 summary="网友您好！您反映的万佳名城3栋5栋未经消防验收就交房的问题，经县住建局调查核实，"
                 "开发商已停止交房，待验收合格后再行交付。")  # fmt: skip
    links = link(events, [reply])
    assert [(r.event_id, r.item_id) for r in links] == [(events[0].event_id, "r1")]
    assert {"万佳", "验收", "交房"} <= set(links[0].matched_terms), links[0].matched_terms
    assert "its headline says little: read with its body" in links[0].rule
    # a reply that says nothing of the matter answers nothing
    bare = item("r2", "网友留言答复", 40, source="问政-答复", official=True, official_response=True, region=None,
                summary="您好！您的留言已收悉，已转相关部门调查处理。")
    assert link(events, [bare]) == []
    # the body must also name the event's kind of incident: a theft in the same district does not answer a fire
    fire = group([item("f1", "长沙岳麓区一小区发生火灾 致2人受伤", 0, region="430104")], as_of).events
    theft = item("p1", "警情通报", 6, source="长沙市公安局", official=True, official_response=True, region="430100",
                 source_region="430100", summary="6月14日，岳麓区一小区发生一起入室盗窃案，犯罪嫌疑人已被抓获。")
    assert link(fire, [theft]) == []
    blaze = replace(theft, item_id="p2", summary="6月14日，岳麓区一小区发生火灾，2人受伤，起火原因正在调查。")
    assert [r.item_id for r in link(fire, [blaze])] == ["p2"]


def incident_kinds(ev: Event) -> set[str]:
    from yuqing.track.incident import kinds

    return set(kinds().names_of(ev.profile.kinds))


def test_posts_without_a_headline_are_grouped_by_their_own_wording() -> None:
    """A Weibo post has no headline: its wording and kinds are its text's. Read from the empty headline alone, two
    posts on one county's case shared nothing, and the replay of the pool's posts split such cases into events
    of one post each."""
    as_of = T0 + timedelta(hours=30)
    case = dict(topics=("epidemic",), region="511825", source="微博")
    a = item("w1", "", 0, summary="#确诊老人隐瞒致百余人密切接触#【雅安69岁老人确诊新冠肺炎，多次隐瞒致30多名医护人员密切接触】"
             "69岁的四川雅安市天全人侯某有意隐瞒途经武汉的事实，多次在外活动", **case)  # fmt: skip
    b = item("w2", "", 5, summary="【多次询问，有意隐瞒！四川#确诊老人隐瞒致百余人密切接触#，30多名医护密切接触】四川雅安通报："
             "69岁雅安天全人侯某，1月27日因咳嗽到县人民医院就诊，多次隐瞒武汉旅居史", **case)  # fmt: skip
    assert [ev.item_ids for ev in group([a, b], as_of).events] == [("w1", "w2")]
    # a post on another matter in the same county stays apart
    c = item("w3", "", 6, summary="天全县今天下了一场大雪，路上的车都开得很慢，孩子们在院子里堆雪人", **case)  # fmt: skip
    assert sorted(ev.item_ids for ev in group([a, c], as_of).events) == [("w1",), ("w3",)]


def test_a_hashtag_a_post_takes_up_is_its_headline_and_a_borrowed_one_is_not() -> None:
    """A post without a headline files itself under hashtags. One its own words take up names its matter: two posts
    under «#哈尔滨所有小区封闭管理#» that both speak of the closure are one controversy over one city's decision, though
    they share little else. A trending hashtag a post borrows for reach names nothing of its matter: a complaint
    about a hospital under it joins neither the closure's event nor another borrower's."""
    from yuqing.track.incident import post_headline

    as_of = T0 + timedelta(hours=30)
    texts = [
        "这个决策漏洞百出！体察过基层吗，老小区四通八达没有铁门到处出入口如何封闭！！不能全市停工限号如何工作！！！",
        "这个时候才开始封闭管理，早干什么去了，防疫工作做的肯定是不到位的，不然为什么会爆发这么严重！",
        "----因我母亲普通感冒，被市里一家医院治死，为此我申请了医疗鉴定，卫健委拖了1年7个月",  # borrowed
        "我家楼下的烧烤店天天半夜营业，油烟和噪音让全楼住户无法休息，投诉多次无人处理",  # borrowed
    ]
    a, b, c, d = (
        item(f"w{k}", "", k, summary="#哈尔滨所有小区封闭管理#" + t, topics=("epidemic",), region="230100", source="微博")
        for k, t in enumerate(texts, 1)
    )
    assert post_headline(a.summary, ["哈尔滨"]) == "哈尔滨所有小区封闭管理"
    assert post_headline(c.summary, ["哈尔滨"]) == ""  # borrowed: its words take up nothing of it
    # the city's name alone does not take a hashtag up
    assert post_headline("#哈尔滨所有小区封闭管理#哈尔滨今天下雪了，哈尔滨的冰灯很好看", ["哈尔滨"]) == ""
    events = sorted(ev.item_ids for ev in group([a, b, c, d], as_of).events)
    assert events == [("w1", "w2"), ("w3",), ("w4",)]


def test_an_event_of_posts_without_a_headline_is_shown_by_what_its_opener_says() -> None:
    """The digest and ``yuqing overdue`` show an event by its headline. A post has none: its event shows the hashtag
    the post takes up, else the first sentence of what it says (a repost chain's original post, without the trending
    hashtags it borrows), after the hashtag the post takes up; never an empty title."""
    from yuqing.track.grouping import untitled_headline

    taken_up = "#哈尔滨所有小区封闭管理#这个时候才开始封闭管理，早干什么去了"
    assert untitled_headline(taken_up) == "【哈尔滨所有小区封闭管理】这个时候才开始封闭管理，早干什么去了"
    borrowed = "#韩国政府进入24小时全面戒备状态#----因我母亲普通感冒，被医院治死。我申请了医疗鉴定"
    assert untitled_headline(borrowed) == "因我母亲普通感冒，被医院治死。"
    assert untitled_headline("//@甲:心酸//@乙: 县医院的防护和消毒物资紧缺。请支援") == "县医院的防护和消毒物资紧缺。"
    post = item("w1", "", 0, summary=borrowed, topics=("education_health_eldercare",), source="微博")
    (event,) = group([post], T0 + timedelta(hours=1)).events
    assert event.title == "因我母亲普通感冒，被医院治死。"


def test_reports_naming_one_estate_agree_on_its_place_when_they_speak_of_one_matter() -> None:
    """An estate is a place finer than a county that the gazetteer does not know. Two board messages naming it and
    sharing the matter's wording (its bundled parking spaces) are one incident, though neither names a place the
    gazetteer places; a message on another matter at the same estate (its school places) stays apart. A message
    whose headline names no estate takes the one its opening names."""
    from yuqing.track.incident import localities

    assert localities("投诉A市伊景园滨河苑捆绑销售车位") == ("伊景园", "滨河苑")
    assert localities("A5区劳动东路魅力之城小区油烟扰民") == ("力之城",)
    # a government, a park, an estate's kind: no estate
    assert localities("请有关政府部门为民做主，公园里的安置小区") == ()
    board = dict(topics=("housing_finance",), region=None, source="问政")
    a = item("b1", "A市伊景园滨河苑开发商强制捆绑销售车位，购房者苦不堪言", 0, **board)
    b = item("b2", "坚决反对伊景园滨河苑强制捆绑销售车位的霸王条款", 20, **board)
    c = item("b3", "伊景园滨河苑业主的孩子不能就近入学读小学", 30, **board)
    d = item("b4", "开发商强制捆绑销售车位，霸王条款何时休", 40, summary="我们是伊景园滨河苑的购房者，开发商要求每套房必须另买车位", **board)
    events = sorted(ev.item_ids for ev in group([a, b, c, d], T0 + timedelta(days=3)).events)
    assert events == [("b1", "b2", "b4"), ("b3",)]


def test_outlets_retelling_one_exposé_in_a_city_are_one_event() -> None:
    """Papers word one exposé's headlines apart, and a food scandal has no kind: a report of no kind meets the city's
    other reports on its topic. Each report's region comes from its body (招远 in one paper, 栖霞 in another), but
    both headlines name 烟台: the city the headline names stands beside the county, so they agree at the city. Another
    city's report on the topic, or another matter in the city, stays apart."""
    from yuqing.track.incident import places

    assert places("370686", [["370600"]]).codes == (370686, 370600)  # the headline's city beside the body's county
    assert places("450500", [["450000"]]).codes == (450500,)  # a headline's province adds nothing
    food = dict(topics=("food_drug_safety",))
    a = item("f1", "烟台红富士套药袋长大", 0, region="370685", **food)
    b = item("f2", "山东烟台红富士苹果被曝套农药袋长大", 5, region="370686", **food)
    c = item("f3", "烟台红富士主产区部分果农用违禁药袋套苹果", 10, region="370686", **food)
    d = item("f4", "烟台一超市出售过期牛奶被罚", 20, region="370602", **food)
    e = item("f5", "潍坊红富士套药袋长大", 30, region="370700", **food)
    events = sorted(ev.item_ids for ev in group([a, b, c, d, e], T0 + timedelta(days=3)).events)
    assert events == [("f1", "f2", "f3"), ("f4",), ("f5",)]


def test_another_outlets_relay_of_the_authoritys_confirmation_answers_the_event_a_report_of_it_opened() -> None:
    """A report of a new case that relays the health authority's confirmation is an issue and a reported response: it
    opens the event, and the same confirmation relayed by another outlet later answers it. A report never answers the
    event it opens: a citizen's complaint quoting an official («教育局工作人员表示…») reads as a relay too."""
    relay = dict(topics=("epidemic",), region="220100", reported_response=True, issue=True,
                 kinds=("first_information", "first_response"))  # fmt: skip
    first = item("c1", "吉林确诊首例新型肺炎病例", 0, source="央视新闻", **relay)
    again = item("c2", "吉林确诊首例新型肺炎病例", 2, source="人民日报", **relay)
    as_of = T0 + timedelta(hours=60)
    events = group([first, again], as_of).events
    assert [ev.item_ids for ev in events] == [("c1", "c2")]
    links = link(events, [first, again])
    assert [(r.item_id, r.responded_at) for r in links] == [("c2", again.item_time)]
    states = milestones(events[0], links, load_rules(RULES_PATH), as_of)
    assert [(m.milestone, m.status) for m in states] == [("first_response", MET)]
    alone = group([first], as_of).events
    assert link(alone, [first]) == []


def test_a_reply_addressing_a_messages_author_answers_that_message_whatever_it_says() -> None:
    """Boards greet the message's author by handle («网友“UU008913”您好»): the reply answers the event holding what that
    author wrote, though its headline and opening name nothing of the matter. An author who also wrote what opened no
    event, or wrote two matters the reply does not tell apart, is not guessed at."""
    as_of = T0 + timedelta(hours=48)
    water = item("m1", "反映K7县城南小区停水半个月无人管", 0, topics=("hardship_livelihood",), region=None)
    noise = item("m2", "反映K7县城区夜间渣土车噪音扰民", 1, topics=("environment",), region=None)
    events = group([water, noise], as_of).events
    by_id = {ev.item_ids[0]: ev.event_id for ev in events}
    reply = item("r1", "网友留言答复", 40, source="问政-答复", official=True, official_response=True, region=None,
                 summary="网友“UU008913”您好！您的留言已收悉，现将有关情况回复如下：经核实，已安排专人处理。")  # fmt: skip
    assert addressed(reply) == ("uu008913",)
    assert link(events, [reply]) == []  # its words alone say nothing of either matter
    wrote = {"uu008913": [Authored(water.item_time.timestamp(), by_id["m1"])]}
    links = link(events, [reply], authored=wrote)
    assert [(r.event_id, r.item_id) for r in links] == [(by_id["m1"], "r1")]
    assert links[0].rule.startswith("addressed to the author of a member: uu008913")
    # what the author wrote after the reply, or long before its window, does not count
    late = {"uu008913": [Authored((T0 + timedelta(hours=41)).timestamp(), by_id["m1"])]}
    assert link(events, [reply], authored=late) == []
    # the author also wrote something that opened no event: the reply may answer that
    unopened = {"uu008913": [*wrote["uu008913"], Authored(noise.item_time.timestamp(), None)]}
    assert link(events, [reply], authored=unopened) == []
    # two of the author's matters: the one the reply names, or none if it names neither
    both = {"uu008913": [*wrote["uu008913"], Authored(noise.item_time.timestamp(), by_id["m2"])]}
    assert link(events, [reply], authored=both) == []
    named = replace(reply, summary="网友“UU008913”您好！您反映的夜间渣土车噪音问题，经查，已责令整改。")
    assert [r.event_id for r in link(events, [named], authored=both)] == [by_id["m2"]]
    # a media item greeting someone answers nothing, nor does a greeting without a handle
    media = replace(reply, source_official=False, official_response=False, reported_response=True)
    assert addressed(media) == () and link(events, [media], authored=wrote) == []
    plain = replace(reply, summary="网友：您好！您的留言已收悉。")
    assert addressed(plain) == () and link(events, [plain], authored=wrote) == []
    for greeting in ("“A000112959”网友： 你好！", "“UU008580”您好！您通过平台", "网友「UU008」：你好"):
        assert len(addressed(replace(reply, summary=greeting))) == 1, greeting


def test_reprints_worded_apart_with_texts_alike_are_one_incident() -> None:
    """Papers retelling one exposé word their headlines apart and their texts alike: two reports placed alike, each of
    whose texts holds enough of the other's wording, are one incident; another matter in the same city is not."""
    as_of = T0 + timedelta(hours=80)
    food = ("food_drug_safety",)
    exposed = item("f1", "烟台红富士套药袋长大", 0, topics=food, region="370600",
                   summary="烟台栖霞一带果农给红富士苹果幼果套上含福美胂等农药的药袋，套袋后药物直接接触幼果，苹果在药袋里长大直至成熟。")  # fmt: skip
    retold = item("f2", "苹果套袋内藏农药", 20, source="m2", topics=food, region="370600",
                  summary="烟台果农给红富士套上药袋，幼果在含福美胂的药袋里长大，药物直接接触果实，记者发现袋内藏农药。")  # fmt: skip
    other = item("f3", "烟台一超市销售过期奶粉", 30, source="m3", topics=food, region="370600",
                 summary="烟台市民在一家超市买到的婴儿奶粉已过保质期三个月，超市称系店员疏忽。")  # fmt: skip
    assert sorted(ev.item_ids for ev in group([exposed, retold, other], as_of).events) == [("f1", "f2"), ("f3",)]
    # by their headlines alone they are two: they share «药袋» and little else
    headlines = [replace(exposed, summary=""), replace(retold, summary="")]
    assert len(group(headlines, as_of).events) == 2


def test_messages_with_no_place_known_and_texts_alike_are_one_incident_at_a_higher_bar() -> None:
    """A message board masks its places («A市»), so no place confirms that two messages are one matter: where each one's
    text holds enough of the other's wording they are still one incident, at a higher bar than reports placed alike;
    another matter on the same topic is not."""
    as_of = T0 + timedelta(days=3)
    wage = ("wage_arrears",)
    text = ("我是一名青园街道社区的聘用人员，经过正规招聘考试，与我同类的工作人员有二三十人。我们参加街道文明创建和综合治理的"
            "加班工作，加班费至今没有发放，请领导关注。")  # fmt: skip
    first = item("b1", "反映A市青园街道临聘人员加班费用的问题", 0, source="board", topics=wage, region=None, summary=text)
    again = item("b2", "请求解决A市青园街道聘用人员待遇问题", 40, source="board", topics=wage, region=None,
                 summary=text.replace("请领导关注", "希望早日解决"))  # fmt: skip
    other = item("b3", "A市某小区物业拖欠保洁员三个月工资", 50, source="board", topics=wage, region=None,
                 summary="小区物业公司拖欠保洁员三个月工资，保洁员多次讨要无果，希望劳动监察部门介入。")  # fmt: skip
    messages = [first, again, other]
    assert sorted(ev.item_ids for ev in group(messages, as_of).events) == [("b1", "b2"), ("b3",)]
    # their headlines alone do not join them, nor their texts below the bar for reports no place confirms
    assert len(group([replace(m, summary="") for m in messages], as_of).events) == 3
    assert len(group(messages, as_of, params=GroupingParams(texts_held_unplaced=math.inf)).events) == 3
    # two sites' night building work, whose texts hold 0.30 of each other's wording: apart, though at the bar of
    # reports placed alike they would be joined
    noise = ("environment",)
    school = item("b4", "A4区金鹰小学附近一工地夜间施工扰民", 0, source="board", topics=noise, region=None,
                  summary="金鹰小学对面的工地每天施工到深夜，打桩机噪音严重，学生无法正常上课休息，希望有关部门管一管。")  # fmt: skip
    estate = item("b5", "A3区杏林小区旁一工地半夜施工扰民", 30, source="board", topics=noise, region=None,
                  summary="杏林小区旁有一处工地半夜施工，打桩机噪音严重，到凌晨三点还没停止，居民无法正常休息，希望有关部门介入整改。")  # fmt: skip
    assert len(group([school, estate], as_of).events) == 2
    assert len(group([school, estate], as_of, params=GroupingParams(texts_held_unplaced=0.3)).events) == 1


def test_why_each_report_is_in_its_event_names_the_earlier_one_and_the_rule() -> None:
    """``why_joined`` tells an analyst, per report, the nearest earlier one the rules make it one incident with and by
    which test; a report no earlier one joins (another place's accident here) has none."""
    first = item("a", "湖北十堰张湾区艳湖社区集贸市场发生燃气爆炸", 0, region="420303")
    again = item("b", "湖北十堰张湾区艳湖社区集贸市场发生燃气爆炸事故", 1, source="m2", region="420303")
    later = item("c", "十堰燃气爆炸已致25人遇难 仍有伤员在救治", 20, source="m3", region="420300")
    other = item("d", "武汉一小区门口发生车祸", 3, source="m4", region="420100")
    assert why_joined([later, other, again, first]) == {"b": ("a", NEAR_DUPLICATE), "c": ("b", WORDING)}
    # and texts alike where no place confirms them (the board's messages above)
    wage = ("wage_arrears",)
    text = "我是一名青园街道社区的聘用人员，我们参加街道文明创建和综合治理的加班工作，加班费至今没有发放，请领导关注。"
    one = item("m1", "反映A市青园街道临聘人员加班费用的问题", 0, source="board", topics=wage, region=None, summary=text)
    two = item("m2", "请求解决A市青园街道聘用人员待遇问题", 40, source="board", topics=wage, region=None, summary=text)
    assert why_joined([one, two]) == {"m2": ("m1", TEXTS_ALIKE)}
