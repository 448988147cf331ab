"""The speed-ups must not change what the classifiers say.

The one-pass scan is checked against the per-part automata it replaces, and the literal-gated rule
alternations against the joined regular expression they stand for.
"""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path
from typing import Any

import pytest

from classifiers import Classifier
from classifiers._rx import Alternation, anchor, required_literals
from classifiers.lexicon import DATA_DIR
from tests.classifiers.per_part import PerPartClassifier
from yuqing.errors import ConfigError
from yuqing.models import Tags

ITEMS = [
    ("6月16日，深圳新增3例境外输入确诊病例和1例境外输入无症状感染者", "（微信公众号：深圳发布）"),
    ("最新通报！广州新增4例本土确诊", "（微信公众号：南方都市报）"),
    ("山东出现首例死亡病例", "据山东省卫健委网站9日消息，山东省报告死亡病例1例。 （来源：人民日报）"),
    ("答复：K8县三中危房问题7年无处理结果", "“UU0082352”你好！ 你所反映的问题我们已经收悉，局党组高度重视。"),
    ("", "对零食的管理应该纳入学校的常规管理，学校周边小摊多。并非火灾，只是烧烤冒烟。"),
    ("火神山医院将移交军方", ""),
    ("受疫情影响消费回暖，经济复苏势头良好", "疫情后经济复苏，股市大涨"),
    ("北京朝阳区一小区停水三天", "市政府相关负责人表示，已转交有关部门调查处理。"),
    ("山西代县铁矿事故致13名矿工遇难", "湖北十堰市张湾区艳湖社区集贸市场燃气爆炸，造成25人死亡。"),
    ("大批华侨包机从国外回安徽避难", "经查，该信息不实。 （腾讯较真查证，结论：假/谣言；查证者：安徽发布）"),
    ("武汉封城", "中国互联网联合辟谣平台 标注：谣言；来源：武汉发布"),
    ("新闻早班车：今日要闻", "疫情、房价、欠薪"),
    ("美国新增确诊病例超过10万", "美国卫生部门表示。"),
    ("項目拖欠農民工工資半年", "工人討薪無門，勞動監察部門介入"),
    ("国家医疗保障局举办党史学习教育专题读书班", "（微信公众号：国家医保局）"),
]


def _dump(tags: Tags) -> tuple[object, ...]:
    return (
        tags.topics,
        tags.region_code,
        tags.region_name,
        tags.region_evidence,
        tags.severity,
        tags.severity_evidence,
        tags.official_response,
        tags.response_kinds,
        tags.reported_response,
        tags.response_evidence,
        tags.extra,
    )


def _items(shared_dir: Path | None) -> list[tuple[str, str]]:
    items = list(ITEMS)
    if shared_dir is not None:
        path = shared_dir / "eval" / "topics-dev.jsonl"
        if path.exists():
            with path.open(encoding="utf-8") as fh:
                items += [(r["title"], r["text"]) for r in map(json.loads, fh)]
    return items


@pytest.fixture(scope="module")
def per_part() -> Classifier:
    return PerPartClassifier()  # the per-part automata, as before the one-pass scan


def test_data_the_one_pass_scan_cannot_read_is_refused(tmp_path: Path) -> None:
    data = tmp_path / "data"
    shutil.copytree(DATA_DIR, data)
    rules = data / "severity.toml"
    text = rules.read_text(encoding="utf-8")
    assert '\ntriggers = ["' in text
    # a trigger spanning the join of title and body ("。")
    rules.write_text(text.replace('\ntriggers = ["', '\ntriggers = ["事故。死亡", "', 1), encoding="utf-8")
    with pytest.raises(ConfigError, match="one-pass scan cannot read"):
        Classifier(data_dir=data, model=False)


@pytest.mark.parametrize(("title", "text"), ITEMS)
def test_one_pass_matches_per_part_automata(per_part: Classifier, title: str, text: str) -> None:
    fast = Classifier.default()
    kws: list[dict[str, Any]] = [
        {},
        {"source_name": "某区政府", "source_official": True},
        {"source_region": "110000"},
    ]
    for kw in kws:
        assert _dump(fast.classify(title, text, **kw)) == _dump(per_part.classify(title, text, **kw))


def test_one_pass_matches_on_dev_set(per_part: Classifier, shared_dir: Path) -> None:
    fast = Classifier.default()
    for title, text in _items(shared_dir):
        assert _dump(fast.classify(title, text)) == _dump(per_part.classify(title, text)), (title, text)


def test_a_batch_says_of_each_item_what_it_says_alone(shared_dir: Path) -> None:
    """``classify_many`` (ingest, retag and ``yuqing tag`` batch their items) gives each item the tags it gets alone,
    evidence included: a feature with digits folded (年3, 0年) is named by the same occurrence in the item whatever
    else is in the batch."""
    clf = Classifier.default()
    items = _items(shared_dir)
    alone = [clf.classify(title, text) for title, text in items]
    for batch in (items, items[::-1]):
        together = clf.classify_many([{"title": title, "text": text} for title, text in batch])
        expected = alone if batch is items else alone[::-1]
        assert [t for t, e in zip(together, expected, strict=True) if t != e] == []


def test_required_literals() -> None:
    assert required_literals("回应称") == frozenset(["回应称"])
    assert required_literals("据[^，。]{1,20}(通报|消息)") == frozenset(["通报", "消息"])
    assert required_literals("(留言|来信)[^。]{0,12}(已)?收悉") == frozenset(["收悉"])
    assert required_literals("^(答复|回复)[：:]") == frozenset(["答复", "回复"])
    assert required_literals("[ⅠⅡ]级(应急)?响应") == frozenset(["响应"])  # the longest required run
    assert required_literals("(?i)abc") is None
    assert required_literals(r"\d+例") == frozenset(["例"])
    assert required_literals("a b") is None  # literals with whitespace could span a join


def test_anchor_bounds_the_literal_offset() -> None:
    assert anchor("[^，。]{1,12}(卫健委|政府)[^，。]{0,6}(通报|表示)") == (frozenset(["卫健委", "政府"]), 12)
    assert anchor("(留言|来信)[^。]{0,12}(已)?收悉") == (frozenset(["收悉"]), 15)
    assert anchor("记者从[^，。]{1,30}(获悉|了解到)") is None  # a literal head: plain search is quick
    assert anchor(".*(政府)") is None


@pytest.mark.parametrize(
    "text",
    [
        "",
        "据市卫健委通报，新增确诊病例3例",
        "记者从市政府获悉，区政府表示将调查",
        "现将有关情况回复如下：已转交区住建局调查处理",
        "区政府，区政府称。政府回应称：已处理",
        "^政府通报",
        "先生您好，网友您好",
    ],
)
def test_alternation_equals_joined_pattern(text: str) -> None:
    _check_alternation(text)


@pytest.mark.parametrize("text", ["据市卫健委通报，新增确诊病例3例", "现将有关情况回复如下：已转交区住建局调查处理", ""])
def test_without_the_private_parser_every_pattern_is_tried_and_finds_the_same(
    text: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    from classifiers import _rx

    monkeypatch.setattr(_rx, "_parser", None)
    assert required_literals("记者从[^，。]{1,30}(获悉|了解到)") is None
    _check_alternation(text)


@pytest.mark.parametrize("private_parser", [True, False])
def test_a_list_holding_what_is_no_pattern_fails_where_it_is_loaded(
    private_parser: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Alternatives are compiled when an item first has their literals, but a pattern that is none is said when the
    list is built (by its parse, or by compiling every alternative where the private parser is not used)."""
    from classifiers import _rx

    if not private_parser:
        monkeypatch.setattr(_rx, "_parser", None)
    with pytest.raises(re.error):
        Alternation(["回应称", "据[^，。]{1,20}(通报|消息"])


def _check_alternation(text: str) -> None:
    patterns = [
        "回应称",
        "据[^，。]{1,20}(通报|消息|发布|网站)",
        "记者从[^，。]{1,30}(获悉|了解到)",
        "[^，。]{1,12}(卫健委|卫生健康委|政府|公安局)[^，。]{0,6}(通报|表示|回应|称)",
        "^\\s*(先生|女士)",
        "已转(交)?[^。]{0,30}(调查|处理)",
        "现(将有关情况)?(回复|答复|汇报)如下",
    ]
    alt = Alternation(patterns)
    present = {lit for lit in alt.literals if lit in text}
    want = alt.joined.search(text)
    got = alt.search(text, present)
    assert (want and (want.span(), want.group(0))) == (got and (got.span(), got.group(0)))


def test_the_issue_rules_gated_lists_find_what_their_joined_patterns_find(shared_dir: Path) -> None:
    """``IssueRules`` searches its longest lists with literal gates; every headline of the development set and of the
    written probes gets from each list the match its joined pattern gives, and so the same rule's verdict."""
    from classifiers.issue import GATED, IssueRules

    rules = IssueRules.load()
    probes = sorted((Path(__file__).parents[2] / "training" / "probe").glob("*.jsonl"))
    titles = [json.loads(line)["title"] for p in probes for line in p.open(encoding="utf-8")]
    titles += [title for title, _text in _items(shared_dir)]
    assert len(titles) >= 720
    for title in titles:
        for name in GATED:
            want, got = rules.gates.lists[name].joined.search(title), rules.gates.search(name, title)
            assert (want and (want.span(), want.group(0))) == (got and (got.span(), got.group(0))), (name, title)
