from __future__ import annotations

import pytest

from classifiers import classify
from classifiers.severity import casualties, parse_cn_number


def assert_general(cases: list[tuple[str, str]]) -> None:
    """Each (title, body) is classified general, not a major emergency."""
    for title, body in cases:
        tags = classify(title, body)
        assert tags.severity == "general", (title, tags.severity_evidence)


def assert_major(title: str, body: str) -> None:
    tags = classify(title, body)
    assert tags.severity == "major_emergency", tags.severity_evidence


def test_city_from_short_name_and_publisher() -> None:
    tags = classify("6月16日，深圳新增3例境外输入确诊病例", "（微信公众号：深圳发布）")
    assert tags.region_code == "440300"
    assert tags.region_name == "广东省深圳市"
    assert tags.region_evidence and "深圳" in tags.region_evidence


def test_county_under_city() -> None:
    tags = classify("湖北十堰市张湾区艳湖社区集贸市场燃气爆炸", "")
    assert tags.region_code == "420303"


def test_ambiguous_district_needs_its_city() -> None:
    assert classify("朝阳区一小区停水三天", "").region_code is None  # Beijing or Changchun?
    assert classify("北京朝阳区一小区停水三天", "").region_code == "110105"
    assert classify("朝阳区一小区停水三天", "", source_region="110000").region_code == "110105"


def test_the_headlines_province_is_not_outvoted_by_the_body() -> None:
    body = "患者，女，56岁，武汉人，1月18日从武汉返沪，曾在武汉居住。（来源：人民日报）"
    tags = classify("今天0-12时，上海新增1例新型冠状病毒肺炎确诊病例", body)
    assert tags.region_code == "310000", tags.region_evidence
    # the body still places the matter inside the headline's province
    assert classify("广西确诊2例新型肺炎病例", "首例确诊病例黄某，北海市发现。北海市").region_code == "450500"
    # a body's lead standing in for the headline is not one: its dateline names where the reporter filed
    lead = "新华网北京2月12日电 湖北武汉一家豆制品黑窝点仍在生产，武汉市场监管部门已介入，武汉"
    assert classify("", lead).region_code == "420100"


def test_a_place_someone_came_from_or_passed_through_is_not_where_the_matter_is() -> None:
    """Travel history names 武汉 in nearly every case report of 2020: a post without a headline whose text names
    it more often than the place of the matter was placed there, and grouped into Wuhan's outbreak."""
    post = ("#确诊老人隐瞒致百余人密切接触#69岁四川雅安市天全人侯某有意隐瞒途经武汉汉口返雅的事实，多次在外活动。"
            "在医生等多次询问是否有武汉、湖北等地居住和旅游史的情况下，其仍然否认。")  # fmt: skip
    assert classify("", post).region_code == "511825"
    returned = "1月14日，男子张某从武汉返回徐州后，出现发热症状，且否认去过武汉。在徐州启动一级响应后仍外出。"
    assert classify("", returned).region_code == "320300"
    assert classify("", "#武汉返京男子感染母亲致28人隔离获刑# 北京一小区").region_code == "110000"
    # where nothing else is named, the place still counts
    assert classify("", "从武汉回来的人请主动申报").region_code == "420100"
    # «从…了解到» names the body a reporter asked, not a journey
    fraud = "记者9日从上海市奉贤区人民法院了解到，造假团伙从内蒙古两家公司购入大包奶粉。"
    assert classify("", fraud).region_code == "310120"


def test_a_native_place_is_not_where_the_matter_is() -> None:
    """A case report gives where the patient is from («毕节人», «湖北孝感人», «籍贯为…») beside where they live and
    fell ill; the matter is where they are."""
    assert classify("", "#贵州1个月女婴确诊新型肺炎#：毕节人，住贵阳").region_code == "520100"
    report = "患者，男，45岁，湖北孝感人，现住北京市朝阳区，1月20日确诊。湖北孝感"
    assert classify("北京新增1例确诊", report).region_code == "110105"
    assert classify("", "一名武汉籍男子在广州确诊").region_code == "440100"
    profile = "患儿籍贯为贵州省毕节市黔西县，现居住地为贵州省贵阳市南明区花果园，就诊于贵州省人民医院。"
    assert classify("", profile).region_code == "520102"
    # the city's people as the subject («武汉人在行动») are the city's matter, and the place still counts alone
    assert classify("", "武汉人在行动").region_code == "420100"
    assert classify("", "湖北孝感人，求助").region_code == "420900"


def test_a_citys_counties_count_for_its_province_once_the_city_is_named() -> None:
    """A case report names its city once and its counties (short names that need support) many times; those count
    for the province once their city is named, not because some province is."""
    report = ("承德市报告新增确诊病例1例。第一例，男，宽城县人，从武昌乘列车到北京，打车回宽城。第二例，男，围场人，"
              "从北京乘大巴到围场。第三例，丰宁人，丰宁隔离。北京西站，北京。")  # fmt: skip
    assert classify("", report).region_code[:4] == "1308"


def test_a_report_listing_its_divisions_is_the_whole_ones_and_a_named_native_county_does_not_win() -> None:
    """From the province down, the place inside that holds most of what is named: a province's daily count by city is
    the province's (the first city listed used to take it, or a county one case names), a city's count by district
    the city's; a county named once as where someone is from does not take a case report from the city reporting it
    (the finest place named used to win whatever its weight)."""
    count = ("1月27日0-24时，江西省报告新增确诊病例24例。新增确诊病例中，南昌市9例、九江市5例、宜春市4例、赣州市3例、"
             "鹰潭市1例、上饶市1例、抚州市1例。")  # fmt: skip
    assert classify("江西确诊病例增至72例", count).region_code == "360000"
    beijing = "截至24日20时，北京累计确诊病例36例，其中西城区4例、朝阳区5例、海淀区6例、丰台区2例、通州区2例。"
    assert classify("北京新增确诊2例", beijing).region_code == "110000"
    case = ("1月21日，国家卫生健康委确认河南省郑州市首例输入性新型冠状病毒感染的肺炎确诊病例。患者为男性，66岁，"
            "周口太康人，在武汉市工作。")  # fmt: skip
    assert classify("", "【#河南确诊1例新型冠状病毒肺炎#】" + case).region_code == "410100"
    # a county the report is about still refines its city, and of two cities the one named first or most is the matter
    assert classify("雅安通报确诊病例", "雅安市天全县确诊1例，天全县已隔离密切接触者。").region_code == "511825"
    assert classify("广西确诊2例", "首例确诊病例在北海市。此外柳州市新增疑似病例1例。").region_code == "450500"


def test_names_that_hold_a_place_name_do_not_name_it() -> None:
    # a person (钟南山), a verb (会同当地…), bodies (公安厅, 新华社): not 南山区, 会同县, 公安县, 新华区
    assert classify("", "钟南山在广州接受采访。").region_code == "440100"
    assert classify("", "湖北省公安厅通报，公安机关会同当地卫健部门排查。").region_code == "420000"
    assert classify("", "新华社北京电 河南郑州执法人员查扣工业盐。").region_code == "410100"
    # a national portal (凤凰网), not 湘西's 凤凰县
    assert classify("美赞臣奶粉被曝添香", "凤凰网首页 长沙市场在售的婴儿奶粉被检出香兰素。").region_code == "430100"


def test_a_place_name_inside_another_word_does_not_name_it() -> None:
    # «顺应城市» is 顺应 + 城市 (no 应城市), «沿海城市» one word (no 海城市), «跟上城区» 跟上 + 城区 (no 上城区)
    assert classify("A市高信向日葵小区请求修路", "小区分三期开发，顺应城市的整体规划布局。").region_code is None
    assert classify("最具投资价值的房子，不在沿海城市", "").region_code is None
    assert classify("A7县城区禁鸣区域需要扩大", "禁鸣范围远远跟不上城区发展速度。").region_code is None
    # a road, an insurance term, a foreign state, a verb: no 河北, 保定, 达州, 定西
    assert classify("关于A4区滨河北路停车问题", "").region_code is None
    assert classify("答复：咨询K8县对特殊病种的补助问题", "在城乡居民医保定点医疗机构就医。").region_code is None
    assert classify("美国新冠肺炎确诊病例破千", "新增的还有佛罗里达州（2例）。").region_code is None
    assert classify("", "三连胜后已经锁定西部第一。").region_code is None
    # the place itself: after a punctuation mark, its province, another place the segmenter reads into it, or a word
    # that introduces a place, which the segmenter's dictionary may hold with it (首都北京, 中国香港)
    assert classify("湖北省应城市发现1例", "").region_code == "420981"
    assert classify("", "确诊病例。河南信阳新县昨天通报了2例。").region_code == "411523"
    assert classify("上海浦东新区合庆路在赶建方舱医院？", "").region_code == "310115"
    assert classify("", "还没去过首都北京！").region_code == "110000"
    assert classify("", "标称产自中国香港颂巢食品有限公司。").region_code == "810000"


def test_a_company_with_a_branch_elsewhere_is_where_the_branch_is() -> None:
    # the company's name names where it was registered; its branch's where it works, and the matter is there
    board = "A1区辉煌国际城二期物业公司（北京东方鸿润物业服务有限公司西地省分公司）和社区提供虚假场地证明。"
    assert classify("A1区居民楼下商铺违法开饭店", board).region_code is None
    assert classify("", "关于对广州市宁骏物业管理有限公司成都分公司的处罚。").region_code == "510100"
    assert classify("", "北京华联综合超市股份有限公司江西第二分公司销售的盐津长提子霉菌超标。").region_code == "360000"
    # a branch named for no place, for one inside the company's, or by a short name that names a place only with
    # support («路桥»: road and bridge), leaves the company's place
    assert classify("", "郑州丹尼斯百货有限公司郑花分公司销售的面包霉变。").region_code == "410100"
    assert classify("", "北京永辉超市有限公司石景山古城分公司销售的蔬菜农药超标。").region_code == "110107"
    assert classify("火神山项目污染水源？", "武汉建工集团路桥分公司项目经理驳斥污水污染谣言。").region_code == "420100"


def test_a_user_quoted_by_a_repost_chain_is_no_place() -> None:
    # «//@山东就是老家:» is whoever passed the post on: the matter is the one the post names
    chain = "//@延安检察:【#确诊老人隐瞒致百余人密切接触# 】1月31日，侯某确诊为新冠肺炎。目前，雅安市、天全县公安已对侯某立案。"
    assert classify("", chain).region_code == "511825"
    assert classify("", "//@山东就是老家: 据国家卫健委官微消息，专家研判认为，当前疫情仍可防可控。").region_code is None
    assert classify("", "回复@武汉小王:我也觉得是这样").region_code is None
    # an account the post addresses or relays stays a place: the body asked is the place's
    assert classify("", "据@青岛交通运输27日消息：地铁恢复运营。").region_code == "370200"
    assert classify("", "@武汉发布 请问我们小区什么时候解封？").region_code == "420100"


def test_the_models_place_signal_reads_every_name_found() -> None:
    """The learned model was trained on ``place:N`` read from every place name, in-word ones too: it still is, so the
    model's inputs are what it learned from while the item's region leaves the in-word name out."""
    from classifiers import Classifier

    ruled = Classifier.default().rules_pass("A市高信向日葵小区请求修路", "小区分三期开发，顺应城市的整体规划布局。")
    assert ruled.region is None and "place:6" in ruled.model_input.signals


def test_a_national_headline_is_not_placed_by_the_provinces_its_body_lists() -> None:
    body = "2月20日0—24时，31个省（自治区、直辖市）和新疆生产建设兵团报告新增确诊病例889例（湖北省775例）。"
    assert classify("全国新增889例，累计75465例", body).region_code is None
    # a place in the headline still counts, and a body naming one province still places the item
    assert classify("全国首例！上海发现新型毒株", body).region_code == "310000"
    assert classify("全国多家超市下架问题蜜饯", "浙江杭州一企业生产的蜜饯甜蜜素超标。").region_code == "330100"


def test_a_foreign_incident_is_never_a_major_emergency_here() -> None:
    # The response clocks are the mainland's: Spain's deaths start none, the same count at home starts both.
    abroad = classify("西班牙新冠肺炎增至33089例，2182人死亡", "")
    assert abroad.severity == "general"
    assert "foreign headline: no response clock here" in abroad.severity_evidence
    assert classify("湖北一化工厂爆炸已致12人死亡", "").severity == "major_emergency"
    # a foreign country's own «全国», «国内» is no domestic marker; the country's name alone is no foreign one
    korea = classify("韩国全国进入同传染病的战争阶段，累计确诊5186例，死亡31人", "")
    assert korea.severity == "general", korea.severity_evidence
    assert classify("日本国内确诊新冠肺炎898例，死亡31例", "据日本广播协会报道。").severity == "general"
    assert classify("中韩航线：韩国入境者在国内发生聚集性感染，已致12人死亡", "").severity == "major_emergency"


def test_a_hazard_reported_is_not_a_major_emergency_that_happened() -> None:
    # A complaint about a risk: the grade or event wording is what might happen.
    lane = classify("请腾开恒达时代花园小区消防生命路", "消防通道长期被占，一旦发生火灾后果不堪设想，存在重大火灾隐患。")
    assert lane.severity == "general", lane.severity_evidence
    assert classify("反映开慧镇的危房改建事宜", "我家房屋破旧快要倒塌，请求改建。").severity == "general"
    # What happened stays major, a guess at its cause beside it or not.
    boom = classify("十堰市张湾区艳湖社区集贸市场发生燃气爆炸", "事故原因可能是燃气管道泄漏，伤亡情况正在核实。")
    assert boom.severity == "major_emergency", boom.severity_evidence


def test_what_might_happen_what_did_not_and_what_happened_years_ago_start_no_clock() -> None:
    """A board message names a major accident to say why its matter is urgent: as a supposition that holds to its
    sentence's end, a fear, one that did not happen, or one of years ago. None is the incident it reports."""
    cases = [
        ("反映B区锦苑小区货车乱停问题", "货车长期停在楼下。如果货车出现自燃，发生爆炸，居民的生命安全谁来保障？"),
        ("反映C县一工厂锅炉超压运行", "锅炉超负荷运行。试想，锅炉一旦失控，甚至发生列车脱轨的重大事故，后果严重。"),
        ("反映D区小区电梯故障频发", "电梯一个月坏了五次，就真不担心出现重大安全事故吗？"),
        ("反映E区某楼盘资质问题", "开发商宣称未发生过重大工程质量事故，但房屋裂缝很多。"),
        ("反映F区老旧小区改造", "小区管网老化，早几年曾发生过某居民家燃气爆炸事件，至今无人维修。"),
        ("G村村民房屋后护坡垮塌", "一场大雨后我家后面的护坡垮塌，严重威胁我的安全。"),
    ]
    assert_general(cases)
    # a condition ends with its sentence: the next sentence's explosion happened
    assert_major("H市化工厂发生爆炸", "如果不是及时疏散，后果更严重。今晨6时许，H市一化工厂发生爆炸，现场浓烟滚滚。")
    assert_major("I市一居民楼倒塌", "今晨，I市一栋六层居民楼突然倒塌。")


def test_a_major_emergency_is_the_items_own_matter_named_in_its_headline() -> None:
    """The body's counts and grade wording make an item major only when its headline names an incident: under a
    headline about another matter (a plea for medical costs, a bus stop's siting, a post remembering SARS) they are
    background, which no reading of a sentence alone can tell."""
    cases = [
        ("F7县龙门镇居民请求医疗费减免", "本人于2013年5月19日遭受重大交通事故伤害，花去医疗费用共14万余元。"),
        ("反映J5县环卫所公交站设置不合理的问题", "此处路段交通事故频发，在县城内重大交通事故就发生几起。"),
        ("", "还记得那年非典，我一直没当回事儿。后来听说那个医院死亡几十人，我再也不敢大意。"),
    ]
    assert_general(cases)
    # a headline that names the incident lets its body tell the toll
    assert_major("山西一铁矿发生透水事故", "目前已有13名矿工被困井下，救援正在进行。")
    assert_major("四川长宁6.0级地震", "地震已造成13人死亡，200余人受伤。")
    assert_major("惊魂学生餐：116名学生吃凉皮凉粉病倒", "学生陆续身体不适，出现食物中毒的116名学生已送医救治。")


def test_source_region_fallback() -> None:
    tags = classify("本市新冠疫苗全程接种率突破80%", "", source_region="110000")
    assert tags.region_code == "110000"
    assert tags.region_evidence == "source_region 110000"


def test_person_and_common_words_are_not_places() -> None:
    assert classify("中山先生诞辰纪念", "").region_code is None
    assert classify("端午节，祝您安康！", "").region_code is None
    assert classify("科比：北京时间4月20日湖人训练", "").region_code is None
    assert classify("广东中山市一工厂起火", "").region_code == "442000"


def test_hotline_publisher_implies_region() -> None:
    assert classify("接诉即办丨小区路灯修好了", "（微信公众号：北京12345市民热线）").region_code == "110000"


@pytest.mark.parametrize(
    ("s", "n"),
    [
        ("11", 11),
        ("十一", 11),
        ("十", 10),
        ("两百零三", 203),
        ("三万五千", 35000),
        ("１２", 12),
        ("1.2万", 12000),
    ],
)
def test_chinese_numerals(s: str, n: int) -> None:
    assert parse_cn_number(s) == n


def test_casualty_counts() -> None:
    assert ("deaths", 11, "11人死亡") in casualties("事故造成11人死亡")
    assert casualties("致十一人遇难")[0][:2] == ("deaths", 11)
    assert casualties("致13名矿工遇难")[0][:2] == ("deaths", 13)
    # a count and its kind are one phrase: a hashtag mark, a bracket or a question between them parts them
    assert casualties("#黄冈处理处分党员干部337人#看非自然死亡") == []
    assert casualties("【3名工人】死亡") == [] and casualties("12人？失踪") == []
    assert casualties("死亡人数！升至25人") == []
    assert casualties("#矿难致12人死亡#")[0][:2] == ("deaths", 12)


def test_severity() -> None:
    major = classify("某化工厂爆炸事故造成11人死亡", "")
    assert major.severity == "major_emergency"
    assert any("deaths=11" in e for e in major.severity_evidence)
    assert classify("一货车侧翻致3人死亡", "").severity == "general"
    assert classify("十一人遇难", "").severity == "major_emergency"
    assert classify("某地发生特别重大火灾事故", "").severity == "major_emergency"
    assert classify("坚决防范遏制重大事故发生", "").severity == "general"
    assert classify("新增死亡病例52例", "").severity == "general"


def test_event_wording_without_counts() -> None:
    tags = classify("某地居民楼发生燃气爆炸", "")
    assert tags.severity == "major_emergency"
    assert any(e.startswith("event:") for e in tags.severity_evidence)
    assert classify("开展燃气爆炸事故应急演练", "").severity == "general"


def test_a_bare_province_short_name_is_the_province() -> None:
    """海南 and 吉林 are also a prefecture's and a city's short names; alone, a reader takes them for the province.
    The other places keep their suffixes."""
    assert classify("海南一酒店发生火灾", "").region_code == "460000"
    assert classify("吉林一化工厂爆炸", "").region_code == "220000"
    assert classify("海南藏族自治州一煤矿透水", "").region_code == "632500"
    assert classify("吉林市一化工厂爆炸", "").region_code == "220200"
    assert classify("吉林大学开学典礼", "").region_code is None


def test_a_bare_city_short_name_is_the_city_not_a_same_named_county() -> None:
    """长沙, 南昌 and 西安 are also the short names of counties (长沙县 inside the city, 辽源's and 牡丹江's 西安区);
    alone, a reader takes them for the city. A county named in full is the county; a short name that is a person or
    a word (朝阳) still needs its suffix."""
    assert classify("长沙一小区发生火灾", "").region_code == "430100"
    assert classify("南昌新增确诊病例1例", "").region_code == "360100"
    assert classify("西安一工地坍塌", "").region_code == "610100"
    assert classify("乌鲁木齐新增3例", "").region_code == "650100"
    assert classify("长沙县一小区发生火灾", "").region_code == "430121"
    assert classify("辽源市西安区一工地坍塌", "").region_code == "220403"
    assert classify("西安新城区一小区停水", "").region_code == "610102"
    assert classify("朝阳一小区停水三天", "").region_code is None
