from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from classifiers import CLASSIFIER_VERSION, Classifier, classify
from classifiers.lexicon import TOPICS_DIR, LexiconError

# The lexicon tagger on its own (the rules the model's topics are combined with; tests/classifiers/
# test_clf_model.py tests the combination with hand-set models).
RULES = Classifier(model=False)


def slugs(title: str, text: str = "") -> list[str]:
    return RULES.classify(title, text).topic_slugs


@pytest.mark.parametrize(
    ("title", "expected"),
    [
        ("6月16日，深圳新增3例境外输入确诊病例", "epidemic"),
        ("开发商延期交房，业主维权无果", "housing_finance"),
        ("项目拖欠农民工工资半年，工人讨薪无门", "wage_arrears"),
        ("化工厂偷排废水污染河道", "environment"),
        ("染色小黄鱼现身广州，检出柠檬黄", "food_drug_safety"),
        ("县二中乱收补课费", "education_health_eldercare"),
        ("山西代县铁矿事故致13名矿工遇难", "work_safety"),
        ("残疾人可以把低保提高一点吗？", "hardship_livelihood"),
    ],
)
def test_each_topic(title: str, expected: str) -> None:
    assert expected in slugs(title)


def test_unrelated_headlines_get_no_topic() -> None:
    assert slugs("神舟十二号载人飞船发射成功") == []
    assert slugs("中华人民共和国数据安全法") == []  # 安全 in an unrelated headline
    assert slugs("绝地求生：韦神口中的超强战队到底有多可怕") == []


def test_exclusion_context_epidemic_in_economic_story() -> None:
    assert "epidemic" not in slugs("受疫情影响消费回暖，经济复苏势头良好")
    assert "epidemic" not in slugs("疫情后经济复苏，股市大涨")


def test_negation_prefix() -> None:
    assert "work_safety" not in slugs("并非火灾，只是烧烤冒烟")


def test_strict_terms_need_token_boundaries() -> None:
    # 入学 is not a word in "纳入学校"; 学校 is, and it is found.
    tags = RULES.classify("", "对零食的管理应该纳入学校的常规管理，学校周边小摊多。")
    edu = [t for t in tags.topics if t.slug == "education_health_eldercare"]
    assert not edu or "入学" not in edu[0].terms


def test_blocker_of_one_topic_does_not_hide_another_topics_term() -> None:
    tags = RULES.classify("火神山医院将移交军方", "")
    assert "epidemic" in tags.topic_slugs


def test_title_weighs_more_than_body() -> None:
    assert "environment" in slugs("小区噪音扰民")
    # one weak body mention is not enough
    assert "environment" not in slugs("请问办事流程", "顺便说一句，附近有点噪音。")


def test_traditional_characters_are_normalised() -> None:
    assert "epidemic" in slugs("香港新增3宗新冠確診個案")
    assert "food_drug_safety" in slugs("食品安全抽檢不合格")


def test_evidence_and_version() -> None:
    tags = RULES.classify("化工厂偷排废水污染河道", "")
    env = next(t for t in tags.topics if t.slug == "environment")
    assert env.terms and env.rule == "title" and env.score >= 1.0
    # the packaged classifier (rules and model) says so too, with the model's evidence beside the lexicon's
    tags = classify("化工厂偷排废水污染河道", "")
    env = next(t for t in tags.topics if t.slug == "environment")
    assert env.rule == "title+model" and any(t.startswith("title:") for t in env.terms)
    assert tags.classifier_version == CLASSIFIER_VERSION
    assert Classifier().version == CLASSIFIER_VERSION  # stable across loads
    assert CLASSIFIER_VERSION.startswith("32+")
    assert RULES.version == CLASSIFIER_VERSION + "+rules"


def test_publisher_rule_from_data() -> None:
    # A terse reminder from an emergency-management account is work_safety; a weather warning is not.
    assert "work_safety" in slugs("端午假期安全提醒", "（微信公众号：应急管理部）")
    assert "work_safety" not in slugs("暴雨预警！注意安全", "（微信公众号：应急管理部）")


def test_digest_gets_no_topic() -> None:
    assert slugs("早啊！新闻来了〔2021.06.17〕", "") == []


def test_housing_policy_and_land_finance_are_housing() -> None:
    """The guide tags price-control and purchase policy and land-finance editorials as housing_finance."""
    assert slugs("政府卖地收入暴涨") == ["housing_finance"]
    assert slugs("四部委联合发文，楼市新政迎来变化") == ["housing_finance"]
    assert slugs("土地出让金收入创新高") == ["housing_finance"]


def test_party_work_gets_no_topic() -> None:
    """A headline about a body's own Party work is about that, not about the topic its name suggests; a service
    done under the campaign, or work a Party body leads, is the topic's."""
    assert slugs("国家医疗保障局举办党史学习教育专题读书班", "（微信公众号：国家医保局）") == []
    assert slugs("启航地学党史——生态环境部华东督察局开展主题党日活动", "（微信公众号：生态环境部）") == []
    assert slugs("国家医疗保障局召开全国医疗保障系统党风廉政建设工作会议", "（微信公众号：国家医保局）") == []
    assert slugs("党史学习教育丨我为群众办实事：为农民工追回拖欠工资", "") == ["wage_arrears"]
    assert slugs("党建引领治理欠薪：为农民工追回拖欠工资", "") == ["wage_arrears"]
    assert slugs("国家医疗保障局：异地就医直接结算再扩围", "（微信公众号：国家医保局）") == ["education_health_eldercare"]


def test_ninth_topic_from_data(tmp_path: Path) -> None:
    topics = tmp_path / "topics"
    shutil.copytree(TOPICS_DIR, topics)
    (topics / "telecom_fraud.toml").write_text(
        'slug = "telecom_fraud"\nname = "电信诈骗"\nthreshold = 1.0\n\n[terms]\n"电信诈骗" = 1.0\n"冒充客服" = 0.6\n',
        encoding="utf-8",
    )
    clf = Classifier(topics_dir=topics, model=False)
    assert "telecom_fraud" in clf.topic_slugs
    tags = clf.classify("警惕电信诈骗：冒充客服骗走老人积蓄", "")
    assert "telecom_fraud" in tags.topic_slugs
    assert clf.version != CLASSIFIER_VERSION  # data changed, version changed


def test_bad_topic_file_is_rejected(tmp_path: Path) -> None:
    (tmp_path / "bad.toml").write_text('slug = "x"\n[terms]\n"词" = "heavy"\n', encoding="utf-8")
    with pytest.raises(LexiconError):
        Classifier(topics_dir=tmp_path)


def one_frame(tmp_path: Path, term: str, frame: str) -> Classifier:
    """The rules of one topic, «t», whose one term has one ``[[frames]]`` table (``frame``: its lines)."""
    (tmp_path / "t.toml").write_text(
        f'slug = "t"\nthreshold = 1.0\n\n[terms]\n"{term}" = 1.0\n\n[[frames]]\nterms = ["{term}"]\n{frame}\n',
        encoding="utf-8",
    )
    return Classifier(topics_dir=tmp_path, model=False)


def test_a_topic_says_whether_its_headline_can_be_a_passing_mention(tmp_path: Path) -> None:
    from classifiers.lexicon import load_topic

    path = tmp_path / "t.toml"
    path.write_text('slug = "t"\nheadline_subject = false\n\n[terms]\n"小学" = 1.0\n', encoding="utf-8")
    assert not load_topic(path).headline_subject
    path.write_text('slug = "t"\n\n[terms]\n"小学" = 1.0\n', encoding="utf-8")
    assert load_topic(path).headline_subject
    path.write_text('slug = "t"\nheadline_subject = "no"\n\n[terms]\n"小学" = 1.0\n', encoding="utf-8")
    with pytest.raises(LexiconError, match="headline_subject must be true or false"):
        load_topic(path)


def test_everyday_words_name_the_matter() -> None:
    assert classify("楼里有人阳了，社区为什么不通知", "").topic_slugs == ["epidemic"]
    assert classify("冬天多晒太阳了吗", "").topic_slugs == []  # 太阳了 is the sun
    assert classify("“晚上开窗一股臭鸡蛋味”，居民苦不堪言", "").topic_slugs == ["environment"]
    # a morning digest of several headlines has no topic (the guide)
    assert classify("早读｜多地出台楼市新政；根治欠薪专项检查启动；今冬首场寒潮来袭", "").topic_slugs == []


def test_a_frame_with_a_window_is_rejected(tmp_path: Path) -> None:
    # A frame looks at the whole item; a window there would be silently ignored, so it is an error.
    with pytest.raises(LexiconError, match="frames"):
        one_frame(tmp_path, "锅炉", 'near = ["泄漏"]\nwindow = 6')


def test_head_terms_count_when_they_end_a_longer_word() -> None:
    # jieba keeps 发生爆炸 as one word; the explosion is still the subject.
    assert classify("江苏盐城响水县化工厂发生爆炸事故 已致10人死亡", "").topic_slugs == ["work_safety"]
    assert classify("某矿发生透水事故 5人被困", "").topic_slugs == ["work_safety"]
    # ... but a strict term inside or at the start of another word still does not count.
    assert classify("信息爆炸时代如何读书", "").topic_slugs == []
    assert classify("这家火锅店生意火爆", "").topic_slugs == []


def test_recalls_of_cars_are_not_food_or_drug_safety() -> None:
    assert classify("又一批汽车要召回！涉及奥迪、保时捷、猎豹等品牌", "").topic_slugs == []
    assert classify("某品牌婴儿奶粉召回", "").topic_slugs == ["food_drug_safety"]


def test_a_frame_word_counts_only_in_an_item_that_names_the_matter(tmp_path: Path) -> None:
    clf = one_frame(tmp_path, "锅炉", 'near = ["爆裂", "泄漏"]\nfactor = 0.0')
    assert clf.classify("小区锅炉何时供暖", "").topic_slugs == []
    assert clf.classify("小区锅炉何时供暖", "去年冬天一直供暖不足。").topic_slugs == []
    # The matter may be named anywhere in the item, title or body.
    for title, text in (("小区锅炉管道泄漏", ""), ("小区锅炉何时维修", "上周管道泄漏，至今未修。")):
        tags = clf.classify(title, text)
        assert tags.topic_slugs == ["t"]
        assert tags.topics[0].terms == ("锅炉",)


def test_a_headline_frame_wants_the_matter_named_in_the_headline(tmp_path: Path) -> None:
    clf = one_frame(tmp_path, "工资", 'headline = true\nnear = ["拖欠"]\nfactor = 0.4')
    assert clf.classify("老板拖欠工资三个月", "").topic_slugs == ["t"]
    assert clf.classify("咨询工资", "公司拖欠了社保。").topic_slugs == []  # the body's debt is not the headline's
    with pytest.raises(LexiconError, match="headline must be true or false"):
        one_frame(tmp_path, "工资", 'headline = "yes"\nnear = ["拖欠"]')


@pytest.mark.parametrize(
    ("topic", "title", "text", "tagged"),
    [
        # The guide: gas hazards and construction-site hazards are work safety; a gas bill, a filling
        # station's siting or building-site noise is not.
        ("work_safety", "投诉某燃气公司乱收开户费", "开通燃气要交两千元开户费，物价部门是否允许？", False),
        ("work_safety", "某小区燃气管道老化漏气", "楼道里燃气管道锈蚀，多次闻到气味，存在安全隐患。", True),
        ("work_safety", "建议在高速出口附近增设加油站", "沿线几十公里没有加油站，加油很不方便。", False),
        ("work_safety", "某工地夜间施工噪音扰民", "每天施工到凌晨，吵得无法入睡。", False),
        ("work_safety", "某工地脚手架无安全网", "工地脚手架没有挂安全网，行人经过有坠物危险。", True),
        # A road accident counts with its casualties; its towing fee does not.
        (
            "work_safety",
            "交通事故拖车费是否合理",
            "朋友的车出了交通事故，车损不大，交警叫拖车收费三百元。",
            False,
        ),
        ("work_safety", "省道发生交通事故致两人死亡", "", True),
        # Fire hazards and obstructed escapes, as board messages word them.
        ("work_safety", "某小区消防设施瘫痪多年", "楼道灭火器过期，消防栓没有水，物业不管。", True),
        ("work_safety", "商场安全通道被杂物堵死", "一旦起火人员无法逃生。", True),
        ("work_safety", "夜市摊贩的气罐堆在楼道口", "一旦发生泄漏后果不堪设想。", True),
        # Building safety, falling objects and wiring, as board messages word them.
        ("work_safety", "某小区住户装修拆除承重墙", "私自拆除承重墙，整栋楼存在安全隐患。", True),
        ("work_safety", "某小区外墙脱落无人管", "外墙瓷砖不断脱落，随时可能砸到人。", True),
        ("work_safety", "建议城区禁止燃放孔明灯", "孔明灯落下容易引发火灾。", True),
        ("work_safety", "某楼道电线老化", "晚上经常跳闸，担心起火。", True),
        # The guide: financial fraud affecting the public and lending platforms are housing_finance; a fraud
        # counts when the item names the money taken, and telecom fraud is not financial.
        (
            "housing_finance",
            "某投资公司涉嫌诈骗",
            "该公司以投资为名诈骗上千名群众的血汗钱，涉案金额三亿元。",
            True,
        ),
        ("housing_finance", "某投资咨询公司停息不还本", "", True),
        ("housing_finance", "请依法查处特大电信诈骗案", "很多学生的钱被骗。", False),
        ("housing_finance", "网红主播诈骗粉丝感情", "主播在直播中编造身世。", False),
        # The guide: wage arrears is an employer owing staff their pay; owed rent or a refund is not, even when it
        # is called 血汗钱.
        ("wage_arrears", "举报某酒店拖欠租金", "合同许诺每月给予租金，拖欠的租金都是血汗钱。", False),
        ("wage_arrears", "某培训机构的退费被克扣", "考试不过全额退费的承诺没有兑现。", False),
        ("wage_arrears", "某项目拖欠农民工血汗钱", "", True),
        # The guide: severe illness with no income is hardship; a disease in a health story is not. Residents
        # without water, however they say it, are hardship by the supply rule.
        ("hardship_livelihood", "某县尿毒症患者请求援助", "尿毒症透析七年，家里已经没钱治病，恳请政府救助。", True),
        ("hardship_livelihood", "白血病患者迎来新疗法", "新疗法让治愈率明显提高，白血病不再是绝症。", False),
        ("hardship_livelihood", "某小区几百户居民无水用", "物业欠交水费，自来水公司停止供水。", True),
        # Lifting a lockdown is epidemic control; a game's «等级解封» is not.
        ("epidemic", "本土，零新增！", "", True),
        ("epidemic", "某市又有两个区域解封", "疫情防控形势平稳，管控区域解封。", True),
        ("epidemic", "某手游等级解封", "玩家等级上限提升到80级。", False),
        # The guide: gaokao cheating and training schools are education.
        ("education_health_eldercare", "151人作弊，多名教师被刑拘", "", True),
        ("education_health_eldercare", "3家教培被罚共700万元", "", True),
        # Pay owed in everyday words: the pay named with its being withheld, cut or not paid, in the headline.
        ("wage_arrears", "年底工钱还没拿到，工人们急坏了", "", True),
        ("wage_arrears", "某厂辞职就扣光当月薪水", "", True),
        ("wage_arrears", "两个月没领到辛苦钱", "", True),
        ("wage_arrears", "工钱怎么算才合理", "", False),
        ("wage_arrears", "百余名工人工资没着落", "", True),  # 工人工资 is one word to the segmenter: 工资 is its head
        # (a debt the body names, not the headline, does not make a pension question one of pay owed)
        ("wage_arrears", "咨询退休工资", "单位拖欠了社保，以后能补吗？", False),
        # The guide's scope in the words notices and reports use.
        ("hardship_livelihood", "入冬以来家里暖气不热", "", True),
        ("housing_finance", "保交楼专项借款首批到位", "", True),
        ("food_drug_safety", "网售降压茶被查出含西药成分", "", True),
        ("food_drug_safety", "婚宴上喝到假酒", "", True),
        ("food_drug_safety", "国庆度假酒店预订火爆", "", False),  # 度假|酒店: no 假酒
        ("environment", "村民举报有人深夜非法开采山石", "", True),
        ("education_health_eldercare", "异地就医备案可以线上办了", "", True),
        ("epidemic", "全域静默管理三天", "", True),
        ("work_safety", "严禁电动车楼道充电", "", True),
        ("housing_finance", "烂尾楼业主集体停贷", "", True),
        ("food_drug_safety", "网购减肥药含西布曲明", "", True),
        ("food_drug_safety", "火锅店用回收油", "", True),
        ("food_drug_safety", "菜市场有人卖注水牛肉", "", True),
        ("food_drug_safety", "水库开闸注水", "", False),  # water let in, no meat
        ("environment", "全面禁止焚烧秸秆", "", True),
        ("education_health_eldercare", "高考成绩被人冒名顶替", "", True),
        ("hardship_livelihood", "父母双亡的兄妹俩靠奶奶拉扯大", "", True),
        # The guide's housing agents, illegal fees on a purchase and delivery disputes; the same words elsewhere are not.
        ("housing_finance", "住建部门集中整治房地产中介乱象", "", True),
        ("housing_finance", "二手房中介吃差价，买家多付十万", "", True),
        ("housing_finance", "黄牛倒卖火车票吃差价", "", False),
        ("housing_finance", "买房时开发商强制收取高额茶水费", "", True),
        ("housing_finance", "办证窗口工作人员私收茶水费", "", False),
        ("housing_finance", "新房交付后面积缩水近十平米", "", True),
        # The guide's overloaded quarry trucks, cracked walls endangering passers-by and LPG hazards.
        ("work_safety", "采石场货车严重超载，村道被压坏", "", True),
        ("work_safety", "双十一购物节服务器超载", "", False),
        ("work_safety", "学校围墙开裂，学生上下学很危险", "", True),
        ("work_safety", "小区多家餐馆违规使用液化气罐", "", True),
        ("work_safety", "液化气又涨价了", "", False),
        # The guide's job training for deaf-mute people.
        ("hardship_livelihood", "聋哑人职业技能培训班开班", "", True),
        # Black and stinking water as residents word it.
        ("environment", "河水发黑发臭，鱼都死光了", "", True),
        ("environment", "村边小河变成了臭水沟", "", True),
    ],
)
def test_a_topic_as_the_guide_draws_it(topic: str, title: str, text: str, tagged: bool) -> None:
    assert (topic in slugs(title, text)) is tagged


def test_a_headline_that_names_the_topic_in_full_is_not_undone_by_its_body() -> None:
    # The body's negative phrases tell a passing mention or another matter from the topic («经济补偿»: a severance
    # claim is no wage arrears); under a headline of the item's own that names the topic in full they undo nothing.
    body = "在店里打工五年后被开除，不给经济补偿，连两个月的工资都不支付。"
    assert "wage_arrears" in slugs("某餐饮店拖欠工资，员工维权难", body)
    assert "wage_arrears" not in slugs("某餐饮店员工维权难", body)
    # a negative phrase in the headline itself still counts
    assert "wage_arrears" not in slugs("请问拖欠工资的经济补偿怎么算", "")


def test_china_and_abroad_is_no_foreign_headline() -> None:
    # 中外媒体 holds 外媒, a foreign marker; with China named, the matter is domestic and keeps its topics.
    assert "food_drug_safety" in slugs("中外媒体聚焦某地学校食堂食物中毒事件", "")
    assert slugs("外媒聚焦日本一学校食堂食物中毒事件", "") == []


def test_frontline_epidemic_medical_work_is_epidemic_alone() -> None:
    # The guide: frontline epidemic-work stories are epidemic; a hospital dispute is still a health matter.
    assert slugs("又一批医护人员驰援湖北", "百余名医护人员今晨出发支援抗疫一线。") == ["epidemic"]
    assert "education_health_eldercare" in slugs("患者家属投诉医院拒收急诊病人", "")


def test_water_supply_and_withheld_pay_as_residents_word_them() -> None:
    # The guide's supply rule: residents without water are hardship; a fire main's pressure is not a household's.
    assert "hardship_livelihood" in slugs("村里饮水问题多年未解决", "村民至今无水可用，只能挑水。")
    assert "hardship_livelihood" not in slugs("小区消防水压不足", "消防水压不足，物业一直不整改。")
    assert "wage_arrears" in slugs("某公司欠员工工资半年", "")


def test_noise_as_residents_word_it_and_a_house_delivery() -> None:
    assert "environment" in slugs("楼下搅拌站通宵作业", "附近居民无法入睡。")
    assert "housing_finance" in slugs("业主收房时发现多处渗水", "")


def test_a_headline_alone_that_reports_a_matter_is_about_the_topic_it_names() -> None:
    """A headline that reports a specific incident, complaint or allegation (the issue rule) has that matter for its
    subject: one word of a topic there names it. Not in a headline that reports nothing, nor where a body says
    more, and only the topic the headline names most."""

    def rules(title: str, text: str = "") -> dict[str, str]:
        return {t.slug: t.rule for t in RULES.classify(title, text).topics}

    assert rules("京昆高速一货车与客车相撞，致4死2伤") == {"work_safety": "report"}
    assert rules("烟囱冒黄烟，唐山一村村民：窗台天天落一层粉尘") == {"environment": "report"}
    assert rules("两车相撞怎么划分责任") == {}  # no report: advice
    assert rules("京昆高速一货车与客车相撞，致4死2伤", "具体原因正在调查。") == {}  # a body says what it is about
    # a 讨薪 is a wage matter, wherever the workers were beaten
    assert rules("讨薪工人在沧州一工地被打伤") == {"wage_arrears": "title"}

