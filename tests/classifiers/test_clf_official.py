from __future__ import annotations

import pytest

from classifiers import classify


def test_government_account_daily_case_notice_is_official() -> None:
    tags = classify(
        "6月16日，深圳新增3例境外输入确诊病例和1例境外输入无症状感染者", "（微信公众号：深圳发布）"
    )
    assert tags.official_response and not tags.reported_response
    assert "first_information" in tags.response_kinds and "first_response" in tags.response_kinds
    assert any("深圳发布" in e for e in tags.response_evidence)


def test_media_relay_is_reported_not_official() -> None:
    tags = classify("最新通报！广州新增4例本土确诊", "（微信公众号：南方都市报）")
    assert not tags.official_response
    assert tags.reported_response and tags.response_evidence
    tags = classify(
        "山东出现首例死亡病例", "据山东省卫健委网站9日消息，山东省报告死亡病例1例。 （来源：人民日报）"
    )
    assert not tags.official_response and tags.reported_response


def test_a_relay_of_a_foreign_authority_is_no_response() -> None:
    # Relayed the same way as a domestic notice, but no body here answers anything by it: linking it would mark
    # a domestic event's milestone met by Iran's daily figures.
    tags = classify("伊朗新增1289例新冠肺炎，累计确诊11364例", "据伊朗卫生部通报，伊朗新增确诊病例1289例。")
    assert not tags.official_response and not tags.reported_response and tags.response_kinds == ()
    assert "foreign headline: not a response of a body here" in tags.response_evidence
    domestic = classify("湖北新增确诊病例2987例", "据湖北省卫健委通报，湖北新增确诊病例2987例。")
    assert domestic.reported_response


def test_a_citizen_asking_for_a_finding_or_disputing_a_fine_is_no_relay() -> None:
    # The relay rule reads 调查结果, 处理结果 and 罚款 in a headline as a media report of an official action; a citizen
    # asking for one, or complaining about one, is no response to link.
    for title in ("请A3区观沙岭街道公开调查结果", "事实已认定的违章建筑要待何时才有处理结果？", "投诉K1区分局南津渡派出所非法强迫他人交罚款"):
        tags = classify(title, "我们小区的居民多次反映，至今没有答复。")
        assert not tags.reported_response and not tags.official_response, title
    # A relay that says what an official hopes is still a relay.
    relay = classify("外交部回应：希望美方不作过度反应", "外交部发言人华春莹在回应美方表态时表示：中方希望美方客观理性。")
    assert relay.reported_response


@pytest.mark.parametrize(
    ("title", "body", "why"),
    [
        # a letter to a body, greeting it or introducing its writer, quoting what an official said
        ("配套幼儿园无证办学", "尊敬的胡书记：A3区教育局工作人员表示会处理，至今没有下文。", "a citizen's message: 尊敬"),
        ("配套幼儿园无证办学", "胡书记您好，A3区教育局工作人员表示会处理，至今没有下文。", "a citizen's message: 胡书记您好"),
        ("配套幼儿园无证办学", "我是高心麓城小区业主，A3区教育局工作人员表示会处理，至今没有下文。", "a citizen's message: 我是"),
        ("物业锁车罚款是否合法", "本人车辆被物业锁车，后缴纳罚款100元给保安，保安拒开收据。", "a citizen's message: 本人"),
        # a headline that opens as a message's, or says a body gave no answer
        ("反映东七路停车罚款的事情", "东七路停车位划线不清，罚款却一天几次。", "a citizen's message: 反映"),
        ("58车贷立案近半年没有发过一次案情通报", "背景：平台董事长已逃往国外，受害人至今不知案件进展。",
         "the headline says no answer was given: 没有发过一次案情通报"),
    ],
)
def test_a_citizen_message_quoting_an_official_is_no_relay(title: str, body: str, why: str) -> None:
    """Citizen messages are never responses (labelling guide): the relay wording, which reads «教育局工作人员表示» or a
    headline's 罚款 or 通报 as a media relay, is overruled when the text opens as a letter or the headline as a message,
    or says no answer was given. The model's ``response:reported`` signal still reads the relay wording: it learned it so."""
    tags = classify(title, body)
    assert not tags.reported_response and tags.response_kinds == ()
    assert f"no response: {why}" in tags.response_evidence
    # the same quote in a report's own words is a relay
    report = classify("配套幼儿园无证办学", "记者从A3区教育局了解到，该园已被责令停止招生。")
    assert report.reported_response


def test_routine_official_items_are_not_responses() -> None:
    assert not classify("做了核酸没显示？权威答疑来了", "（微信公众号：深圳12345热线）").official_response
    assert not classify("本市新冠疫苗全程接种率突破80%！", "（微信公众号：北京发布）").official_response
    assert not classify("端午假期安全提醒", "（微信公众号：应急管理部）").official_response
    assert not classify("习近平对燃气爆炸事故作出重要指示", "（微信公众号：证监会发布）").official_response


def test_official_incident_handling_and_press_conference() -> None:
    tags = classify("湖北省成立十堰燃气爆炸事故调查组", "（微信公众号：湖北省人民政府网）")
    assert tags.official_response
    conf = classify("市政府召开新闻发布会通报事故调查进展", "", feed_url="https://www.example.gov.cn/rss.xml")
    assert conf.official_response
    assert "press_conference" in conf.response_kinds and "first_information" in conf.response_kinds
    flagged = classify("关于网传某小区停水的情况说明", "", source_official=True, source_name="某区政府")
    assert flagged.official_response


def test_citizen_message_replies() -> None:
    assert classify(
        "答复：投诉某小区噪音扰民", "网友“UU008130” 您好！您的留言已收悉。现将有关情况回复如下："
    ).official_response
    assert classify("", "网友：您好！您的留言已收悉，已转相关单位调查处理。").official_response
    msg = classify("某小区噪音扰民", "尊敬的领导：你好！我们小区每天晚上施工，希望得到答复。")
    assert not msg.official_response


def test_a_message_quoting_the_reply_it_disputes_is_no_reply() -> None:
    # A reply's wording in the body makes a reply of an item whose headline is a reply's own …
    assert classify("关于某小区噪音扰民问题的回复", "网友您好！您的留言已收悉。现将有关情况回复如下：经查").official_response
    assert classify("某区住建局答复意见函", "网友您好，来信已收悉，已转相关单位调查处理。").official_response
    # … not of a citizen's message that quotes the answer it disputes.
    quoted = classify(
        "对某区街道办回复的质疑",
        "来信已收悉，已转相关单位调查处理。这是街道办给我的全部回复，两个月过去了，楼下工地仍然每晚施工到凌晨。",
    )
    assert not quoted.official_response
    assert not any("citizen-message reply" in e for e in quoted.response_evidence)


def test_piyao_and_factcheck() -> None:
    assert classify(
        "徐州丰县封城？", "中国互联网联合辟谣平台 标注：谣言；来源：江苏省违法和不良信息举报中心"
    ).official_response
    assert not classify(
        "考试推迟至下半年", "中国互联网联合辟谣平台 标注：事实；来源：教育部官网"
    ).official_response
    fc = classify(
        "武汉一小区因团购导致30多人感染", "社区辟谣：假的。 （腾讯较真查证，结论：假/谣言；查证者：某报）"
    )
    assert not fc.official_response


def test_dxy_health_commission_notice() -> None:
    tags = classify(
        "内蒙古无新增确诊，新增治愈4例",
        "2020年2月22日，内蒙古自治区报告无新增新冠肺炎确诊病例。 （来源：内蒙古卫健委）",
    )
    assert tags.official_response
    assert tags.region_code == "150000"


def test_a_post_read_as_a_relay_only_by_its_topic_tag_is_no_response() -> None:
    """Personal posts borrow a topic tag for reach («#上海药物所回应#» over a love quote, «#北京昨新增泰国输入病例被立案调查#»
    over an opinion): the relay wording in the tag is the topic's, not the post's. A bracketed headline («【#外交部回应…#：
    …】») or a tag written into a sentence is the post's own words, and a relay."""
    for post in ("#上海药物所回应#趣事像天上的星星数也数不完，回忆过去，连我自己也会情不自禁地嘿嘿傻笑。",
                 "#北京昨新增泰国输入病例被立案调查#全国人民都在隔离的时候 非要出去浪 舒服了吧"):
        tags = classify("", post)
        assert not tags.reported_response and tags.response_kinds == (), post
        assert any(e.startswith("no response: relay wording only in a topic tag: #") for e in tags.response_evidence)
    for post in ("【#外交部回应新型冠状病毒感染疫情处置#：中方与相关国家保持密切沟通】中方一直在采取措施积极处置疫情。",
                 "中国#驻日使馆发言人就捐助检测试剂答记者问#时表示，中方对此高度关注，感同身受。"):
        assert classify("", post).reported_response, post


def test_the_word_official_is_a_relay_only_where_officials_speak() -> None:
    """«官方» in a headline names a relay where officials speak («官方：停工+拆除», «…？官方回应»), not where the word names
    a shop, a video or what people trust."""
    for title in ("天猫精灵官方旗舰店上新品了", "神舟十二号飞行任务官方宣传片来了！", "一起学习官方科普知识！"):
        tags = classify(title, "")
        assert not tags.reported_response and "no response: «官方» names no one speaking" in tags.response_evidence, title
    for title in ("修栈道被指破坏“格聂之眼”，官方：停工+拆除", "确诊病例大幅增加是否意味疫情加剧？官方回应", "天津“注胶虾”监管7年未绝迹官方称系媒体炒作"):
        assert classify(title, "").reported_response, title


def test_a_report_relaying_a_company_alone_is_no_response() -> None:
    """A company's word answers for no body: a report whose only relay is a company's is no reported response, unless
    its headline names a public body acting on the matter."""
    for title, body in (
        ("美赞臣奶粉被曝吃出肉虫总部回应奶粉无问题", "消费者称在奶粉中发现肉虫。"),
        ("福州女子喝“雪碧消毒液”食道被灼伤", "记者从雪碧生产企业厦门太古可口可乐饮料有限公司获悉，该批次产品已送检。"),
    ):
        tags = classify(title, body)
        assert not tags.reported_response and "no response: a company's word, not an official's" in tags.response_evidence
    kept = classify("宁波牛奶再现“早产奶”超3万盒质监部门立案查处", "对此，生产企业回应称系标签打印错误。")
    assert kept.reported_response
    # what else the report relays still counts: a health authority's confirmation
    both = classify("部分本地企业提前放假", "记者从多家在武汉的企业采访获悉，多家企业提前放假。武汉市卫健委消息，新增确诊病例。")
    assert both.reported_response and "an authority's confirmation relayed" in both.response_evidence
