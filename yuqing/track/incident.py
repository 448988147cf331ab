"""What an item says about its incident, and whether two reports (or a report and a response) are one.

Reports of one incident by different outlets share few words («广州白云区一建筑工地数十名农民工讨薪无果» /
«白云区工地农民工讨薪：干了一年拿不到工钱»), so the decision reads four things, not headline overlap:

* **place**: the item's region code and every place its headline names, ambiguous ones with all their
  candidates (白云区 is in Guangzhou and in Guiyang), the most specific of each line of descent only (a
  headline's «广西» beside the text's 北海市 is 北海市). Two items whose places are all incompatible (neither
  contains the other) are different incidents; otherwise they agree at a level: county (6 digits), city
  (4), province (2) or not at all (0, a place is unknown);
* **kind**: explosion, mine, wage dispute, outbreak … from ``incidents.toml``. Two items whose kinds are
  all different are different incidents;
* **terms**: the character bigrams they share, weighed by rarity (``data/common_bigrams.tsv``, built from
  the training pool), place names cut out and bare digits ignored. ``overlap`` is the weight shared over
  the smaller item's weight;
* **time**: within ``window`` of each other (follow-ups up to 7 days).

The more precisely the places agree, the less wording the items need to share: at county level one
shared kind and a little wording is enough, at province level the incident's own words must match
(«煤矿», «瓦斯»), with no place they must nearly match. So one topic's two incidents in one city (two
fires in different districts, or with nothing in common but the kind) stay apart, and one wording in two
provinces is two incidents.

Everything here is a pure function of text and codes, vectorised over pairs with numpy.
"""

from __future__ import annotations

import itertools
import re
import tomllib
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cache
from pathlib import Path

import ahocorasick_rs as acr
import numpy as np
import numpy.typing as npt

from classifiers._text import HASHTAG
from yuqing.timeutil import SHANGHAI

from .regions import as_int, trimmed
from .text import normalise

KINDS_PATH = Path(__file__).with_name("incidents.toml")
COMMON_BIGRAMS = Path(__file__).with_name("data") / "common_bigrams.tsv"
FOLLOW_UP_HOURS = 7 * 24.0  # reports of one incident come within this of each other (``GroupingParams.window_hours``)
TERMS_PER_ITEM = 16  # the rarest bigrams kept per item (a headline has about 20)
PLACES_PER_ITEM = 4  # region code plus the candidates of the places the headline names
SUMMARY_CHARS = 120
LEAD_CHARS = 40  # a post without a headline shows its first sentence, up to this, as its event's headline

F32 = npt.NDArray[np.float32]
I64 = npt.NDArray[np.int64]


# --------------------------------------------------------------------------------------------- kinds


@dataclass(frozen=True, slots=True)
class Kinds:
    names: tuple[str, ...]
    words: tuple[str, ...]  # every kind word, for one Aho-Corasick pass
    word_bits: tuple[int, ...]  # the kind bit of each word
    version: str
    citywide: int  # mask of the kinds whose incident is the whole city's (an outbreak)
    automaton: acr.AhoCorasick
    once: int = 0  # mask of the kinds whose incident happens once (a fire): never raised again

    def mask(self, text: str) -> int:
        """Bit k set when a word of kind k is in ``text`` (normalised)."""
        out = 0
        bits = self.word_bits
        for idx, _start, _end in self.automaton.find_matches_as_indexes(text, overlapping=True):
            out |= bits[idx]
        return out

    def names_of(self, mask: int) -> tuple[str, ...]:
        return tuple(n for k, n in enumerate(self.names) if mask >> k & 1)


@cache
def kinds(path: Path = KINDS_PATH) -> Kinds:
    raw = tomllib.loads(path.read_text(encoding="utf-8"))
    table = raw["kinds"]
    names = tuple(table)
    if len(names) > 62:
        raise ValueError(f"{path}: at most 62 kinds")
    words: dict[str, int] = {}
    for k, name in enumerate(names):
        for w in table[name]:
            if not re.fullmatch(r"\w+", w):
                raise ValueError(f"{path}: kind words are literal words, not patterns: {w!r}")
            words[w] = words.get(w, 0) | (1 << k)
    return Kinds(
        names,
        tuple(words),
        tuple(words.values()),
        str(raw.get("version", "")),
        sum(1 << names.index(n) for n in raw.get("citywide", [])),
        acr.AhoCorasick(list(words) or ["\x00"]),
        sum(1 << names.index(n) for n in raw.get("once", [])),
    )


# --------------------------------------------------------------------------------------------- terms


@cache
def _idf() -> tuple[dict[int, float], float]:
    """Bigram code -> idf for the common bigrams; any other bigram weighs the largest idf."""
    table: dict[int, float] = {}
    top = 0.0
    for line in COMMON_BIGRAMS.read_text(encoding="utf-8").splitlines():
        if not line or line.startswith("#"):
            continue
        gram, _df, idf = line.split("\t")
        if len(gram) == 2:
            table[_code(gram)] = float(idf)
            top = max(top, float(idf))
    return table, top


def _code(gram: str) -> int:
    return (ord(gram[0]) << 21) | ord(gram[1])


_CUT = "|"


# Wording of responses and news in general: never evidence that two texts speak of one incident.
GENERIC_TERMS = frozenset(
    [
        "通报",
        "情况",
        "说明",
        "回应",
        "答复",
        "发布",
        "布会",
        "记者",
        "获悉",
        "据悉",
        "关于",
        "有关",
        "工作",
        "进行",
        "相关",
        "问题",
        "表示",
        "目前",
        "已经",
        "我们",
        "您好",
        "感谢",
        "网友",
        "反映",
        "留言",
        "调查",
        "核实",
        "处理",
        "结果",
        "最新",
        "官方",
        "部门",
        "政府",
        "人民",
        "全国",
        "中国",
        "今天",
        "昨天",
        "今日",
        "日前",
        "近日",
        "一个",
        "一些",
        "事件",
        "事情",
        "消息",
        "来了",
        "如下",
        "现将",
        "的情",
        "况向",
        "向该",
        "该网",
        "友答",
        "复如",
        "月日",
        "年月",
        "咨询",
        "询问",
        "投诉",
        "举报",
        "希望",
        "请求",
        "要求",
        "建议",
        "解决",
        "恳请",
        "领导",
        "书记",
        "市长",
        "一下",
        "的问",
        "题的",
        "警情",
        "况通",
        "于网",
        "民反",
        "映情",
        "况的",
        "的说",
        "回复",
        "重要",
        "指示",
        "批示",
        "作出",
        "发生",
        "一起",
    ]
)


@cache
def _generic_codes() -> frozenset[int]:
    return frozenset(_code(w) for w in GENERIC_TERMS if len(w) == 2)


def _bigrams(norm: str, table: dict[int, float], top: float, generic: frozenset[int]) -> dict[int, float]:
    out: dict[int, float] = {}
    codes = list(map(ord, norm))
    cut = ord(_CUT)
    for a, b in itertools.pairwise(codes):
        if a == cut or b == cut or (48 <= a <= 57 and 48 <= b <= 57):  # a cut, or two digits
            continue
        c = (a << 21) | b
        if c not in generic:
            out[c] = table.get(c, top)
    return out


def text_codes(text: str) -> I64:
    """Every bigram of ``text`` (normalised) that may be evidence of an incident: what a response whose headline
    says little is read for (``responses.link``), sorted and unique."""
    return np.array(sorted(_bigrams(normalise(text), *_idf(), _generic_codes())), dtype=np.int64)


# A post without a headline (a Weibo post) files itself under hashtags (#话题#). A hashtag that the post's own words
# take up names its matter and is read as its headline: «#哈尔滨所有小区封闭管理#这个时候才开始封闭管理…», or
# «#武汉蔬菜存量3.44万吨#…怎么这个副市长接着就说蔬菜足了». One they do not take up is a trending tag borrowed for reach
# («#韩国政府进入24小时全面戒备状态#----因我母亲普通感冒，被…医院治死»), and names nothing of the post's matter.
POST_CHARS = 400  # how much of a post is read for the words that take a hashtag up
# The weight of a hashtag's wording (place names cut out) that the post's own words must repeat: one rare bigram
# (蔬菜 5.5) or two common ones (封闭 3.5 and 管理 2.7), not an outbreak's everyday words (确诊 1.7 and 病例 2.0).
TAKEN_UP = 5.0


def post_headline(text: str, place_names: Sequence[str] = ()) -> str:
    """The hashtags in the opening of a post without a headline that its own words take up, joined («。»): its
    headline for grouping and linking ('' when there is none). ``place_names``: names to cut out of the hashtags, so
    that a post in the place a hashtag names does not take it up by the place alone."""
    tags = list(dict.fromkeys(m.group(1) for m in HASHTAG.finditer(text[:SUMMARY_CHARS]) if len(m.group(1)) > 1))
    if not tags:
        return ""
    table, top = _idf()
    generic = _generic_codes()
    names = sorted((n for n in place_names if len(n) >= 2), key=len, reverse=True)
    own = _bigrams(normalise(HASHTAG.sub(_CUT, text[:POST_CHARS])), table, top, generic)
    kept = []
    for tag in tags:
        norm = normalise(tag)
        for name in names:
            norm = norm.replace(name, _CUT)
        wording = _bigrams(norm, table, top, generic)
        if sum(w for c, w in wording.items() if c in own) >= TAKEN_UP:
            kept.append(tag)
    return "。".join(kept)


# A named estate or complex in a headline («伊景园滨河苑», «丽发新城», «魅力之城小区»): a place finer than a county,
# which the gazetteer does not know, and what a message board's reports of one matter share when their wording
# differs («…捆绑销售车位», «…坑害购房者»). Chinese does not mark where a name starts, so a name is known by its last
# two characters and the word that makes it a place («伊景园», «丽发新城», «力之城»): ``incidents.toml``,
# ``[localities]``.
LOCALITIES_PER_ITEM = 2


@dataclass(frozen=True, slots=True)
class _LocalityRules:
    pattern: re.Pattern[str]
    not_estates: frozenset[str]  # keys, or their last two characters, that name no estate (公园, 政府)
    generic: frozenset[str]  # the two characters before the ending say what kind of estate, not which (安置小区)


@cache
def _locality_rules(path: Path = KINDS_PATH) -> _LocalityRules:
    raw = tomllib.loads(path.read_text(encoding="utf-8")).get("localities", {})
    endings = "|".join(map(re.escape, raw.get("endings", []))) or "(?!)"
    not_after = "".join(raw.get("not_followed_by", []))
    ahead = f"(?![{re.escape(not_after)}])" if not_after else ""
    return _LocalityRules(
        re.compile(f"([\u4e00-\u9fff]{{2}})({endings}){ahead}"),
        frozenset(raw.get("not_estates", [])),
        frozenset(raw.get("generic", [])),
    )


def localities(title: str) -> tuple[str, ...]:
    """The estates and complexes a headline names, as their keys, at most ``LOCALITIES_PER_ITEM``."""
    rules = _locality_rules()
    found: dict[str, None] = {}
    for m in rules.pattern.finditer(title):
        key = m.group(1) + m.group(2)
        if key not in rules.not_estates and key[-2:] not in rules.not_estates and m.group(1) not in rules.generic:
            found.setdefault(key, None)
    return tuple(found)[:LOCALITIES_PER_ITEM]


def one_estate(la: I64, lb: I64) -> npt.NDArray[np.bool_]:
    """Per pair of rows of estate codes (``localities``, hashed, 0-padded): whether the two name one estate. (Two
    naming different estates are not told apart by it: a name's key is read from where its ending falls, so one
    estate written two ways, «东城名苑» and «星沙东城名苑小区», gives two keys.)"""
    return ((la[:, :, None] == lb[:, None, :]) & (la[:, :, None] != 0)).any(axis=(1, 2))


KEY_TERMS = 4  # the headline's rarest terms that serve as bucket keys
BODY_FILL = 10  # a headline with fewer terms than this is completed from the body


def terms(title: str, body: str = "", place_names: Sequence[str] = ()) -> tuple[I64, F32]:
    """``terms_and_keys`` without the keys."""
    codes, weights, _keys = terms_and_keys(title, body, place_names)
    return codes, weights


def terms_and_keys(
    title: str, body: str = "", place_names: Sequence[str] = ()
) -> tuple[I64, F32, tuple[int, ...]]:
    """The item's terms: up to ``TERMS_PER_ITEM`` bigrams of the headline and their weights (codes sorted
    ascending); a headline of fewer than ``BODY_FILL`` is completed with the body's rarest. Also the
    headline's ``KEY_TERMS`` rarest (``key_terms``).

    Text is normalised first; ``place_names`` are cut out so that no bigram holds or straddles one.
    Bigrams of two digits (years, dates, counts) and the wording of news and responses in general
    (``GENERIC_TERMS``: 通报, 情况, 回应 …) are left out: they are never evidence of one incident.
    """
    table, top = _idf()
    generic = _generic_codes()
    names = sorted((n for n in place_names if len(n) >= 2), key=len, reverse=True)

    def cut(text: str) -> str:
        norm = normalise(text)
        for name in names:
            norm = norm.replace(name, _CUT)
        return norm

    head = _bigrams(cut(title), table, top, generic)
    ranked = rarest(head, TERMS_PER_ITEM)
    weights = {c: head[c] for c in ranked}
    if body and len(weights) < BODY_FILL:
        # A headline that says little («情况通报», «关于网民反映情况的说明») borrows the body's rarest terms;
        # a headline that names its incident is not diluted by the body.
        rest = _bigrams(cut(body), table, top, generic)
        for c in sorted((c for c in rest if c not in weights), key=lambda c: (-rest[c], c)):
            if len(weights) >= BODY_FILL:
                break
            weights[c] = rest[c]
    codes = np.array(sorted(weights), dtype=np.int64)
    return codes, np.array([weights[int(c)] for c in codes], dtype=np.float32), tuple(ranked[:KEY_TERMS])


def rarest(weights: dict[int, float], n: int) -> list[int]:
    """The ``n`` heaviest codes (ties by code, so two texts with the same bigrams pick the same)."""
    return sorted(weights, key=lambda c: (-weights[c], c))[:n]


def key_terms(title: str, place_names: Sequence[str] = ()) -> tuple[int, ...]:
    """The headline's ``KEY_TERMS`` rarest terms: a report and its answer, or two reports, that share
    their headline's wording share one of these (bucket keys of grouping and linking)."""
    return terms_and_keys(title, "", place_names)[2]


def decode(code: int) -> str:
    return chr(code >> 21) + chr(code & 0x1FFFFF)


# --------------------------------------------------------------------------------------------- time

_DAYPART = {
    "凌晨": 0, "清晨": 5, "早晨": 6, "早上": 6, "上午": 8, "中午": 11, "午后": 12, "下午": 12,
    "傍晚": 17, "晚上": 18, "晚间": 18, "夜间": 20, "夜里": 20, "深夜": 22, "晚": 18, "早": 6, "夜": 20,
}  # fmt: skip
_PM = {"下午", "傍晚", "晚上", "晚间", "夜间", "夜里", "深夜", "晚", "夜", "午后"}
_CN_DIGIT = {"零": 0, "〇": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8,
             "九": 9}  # fmt: skip
_NUM = r"[0-9０-９]{1,2}|[零〇一二两三四五六七八九十]{1,3}"
_PART = "凌晨|清晨|早晨|早上|上午|中午|午后|下午|傍晚|晚上|晚间|夜间|夜里|深夜"
_CLOCK = rf"(?P<part>{_PART}|晚|早|夜)?(?:(?P<hour>{_NUM})(?:时|点|:|：)(?:(?P<minute>{_NUM}|半)分?)?(?:许|左右)?)?"
_ABSOLUTE = re.compile(rf"(?:(?P<year>\d{{4}})年)?(?P<month>{_NUM})月(?P<day>{_NUM})(?:日|号)" + _CLOCK)
_DAY_ONLY = re.compile(rf"(?<![月\d０-９])(?P<day>{_NUM})(?:日|号)" + _CLOCK)
_RELATIVE = re.compile(r"(?P<rel>今晨|今早|今天|今日|昨晚|昨夜|昨天|昨日|前天|前晚|今晚)" + _CLOCK)
_REL_DAYS = {"今晨": 0, "今早": 0, "今天": 0, "今日": 0, "今晚": 0, "昨晚": -1, "昨夜": -1, "昨天": -1, "昨日": -1,
             "前天": -2, "前晚": -2}  # fmt: skip
_REL_PART = {"今晨": "凌晨", "今早": "早上", "今晚": "晚上", "昨晚": "晚上", "昨夜": "夜间", "前晚": "晚上"}
MAX_BEFORE = timedelta(days=7)  # a stated time further back is background, not this incident's start
_TIME_HINT = re.compile("[日号今昨前]")  # every wording read below holds one of these


def _num(s: str | None) -> int | None:
    if not s:
        return None
    s = s.translate(str.maketrans("０１２３４５６７８９", "0123456789"))
    if s.isdigit():
        return int(s)
    if s == "半":
        return 30
    total, digit = 0, 0
    for ch in s:
        if ch == "十":
            total += (digit or 1) * 10
            digit = 0
        elif ch in _CN_DIGIT:
            digit = _CN_DIGIT[ch]
        else:
            return None
    return total + digit


@dataclass(frozen=True, slots=True)
class Stated:
    """A time an item states for its incident, resolved against the item's own date."""

    at: datetime  # aware, UTC
    wording: str  # as written: «6月13日6时40分许»
    precise: bool  # an hour was given (not only a day or part of a day)


def stated_time(text: str, item_time: datetime) -> Stated | None:
    """The earliest plausible incident time ``text`` states: at or before ``item_time`` and at most
    ``MAX_BEFORE`` earlier. «6月13日6时40分许», «13日凌晨», «今晨6时40分», «昨天下午» are read in
    Asia/Shanghai against the item's date; a day without an hour starts at the beginning of that day
    (or of the part of the day named), so the clock never starts after the incident."""
    if not _TIME_HINT.search(text):
        return None
    local = item_time.astimezone(SHANGHAI)
    found: list[Stated] = []
    for m in _ABSOLUTE.finditer(text):
        month, day = _num(m.group("month")), _num(m.group("day"))
        year = int(m.group("year")) if m.group("year") else local.year
        if month is None or day is None:
            continue
        for y in (year, year - 1) if not m.group("year") else (year,):
            at = _resolve(y, month, day, m, local)
            if at is not None and at <= local:
                found.append(Stated(at.astimezone(item_time.tzinfo), m.group(0), m.group("hour") is not None))
                break
    for m in _DAY_ONLY.finditer(text):
        day = _num(m.group("day"))
        if day is None or (m.group("hour") is None and m.group("part") is None):
            continue  # «13日» alone is too often something else («13日起施行»)
        month, year = local.month, local.year
        if day > local.day:
            month, year = (12, year - 1) if month == 1 else (month - 1, year)
        at = _resolve(year, month, day, m, local)
        if at is not None and at <= local:
            found.append(Stated(at.astimezone(item_time.tzinfo), m.group(0), m.group("hour") is not None))
    for m in _RELATIVE.finditer(text):
        rel = m.group("rel")
        base = local + timedelta(days=_REL_DAYS[rel])
        part = m.group("part") or _REL_PART.get(rel)
        at = _at_clock(base.year, base.month, base.day, part, m.group("hour"), m.group("minute"), local)
        if at is not None and at <= local:
            found.append(Stated(at.astimezone(item_time.tzinfo), m.group(0), m.group("hour") is not None))
    found = [s for s in found if item_time - s.at <= MAX_BEFORE]
    if not found:
        return None
    return min(found, key=lambda s: (not s.precise, s.at))


def _resolve(year: int, month: int, day: int, m: re.Match[str], local: datetime) -> datetime | None:
    return _at_clock(year, month, day, m.group("part"), m.group("hour"), m.group("minute"), local)


def _at_clock(
    year: int,
    month: int,
    day: int,
    part: str | None,
    hour_s: str | None,
    minute_s: str | None,
    local: datetime,
) -> datetime | None:
    hour = _num(hour_s)
    minute = _num(minute_s) or 0
    if hour is None:
        hour = _DAYPART.get(part or "", 0)
    elif part in _PM and hour < 12 and not (part in {"夜间", "夜里", "深夜", "夜"} and hour <= 5):
        hour += 12
    if not (0 <= hour <= 23 and 0 <= minute <= 59):
        return None
    try:
        return datetime(year, month, day, hour, minute, tzinfo=SHANGHAI)
    except ValueError:
        return None


# --------------------------------------------------------------------------------------------- places


@dataclass(frozen=True, slots=True)
class Places:
    """Up to ``PLACES_PER_ITEM`` candidate codes (as int) with their levels (2/4/6; 0 = unused slot)."""

    codes: tuple[int, ...]
    levels: tuple[int, ...]

    @property
    def known(self) -> bool:
        return any(self.levels)


def places(region_code: str | None, named: Sequence[Sequence[str]] = ()) -> Places:
    """The item's region code, and the candidates of each place its headline names (an ambiguous name
    contributes all of its codes) that agree with it: where the classifier resolved a region, a named
    place that lies elsewhere is another place the item mentions, not where it happened. Most specific
    first, at most ``PLACES_PER_ITEM``."""
    own = trimmed(region_code)
    seen: dict[str, None] = {own: None} if own else {}
    headline_cities: set[str] = set()
    in_headline: set[str] = set()
    for codes in named:
        for c in codes:
            t = trimmed(c)
            if t:
                in_headline.add(t)
            if t and (not own or t.startswith(own) or own.startswith(t)):
                seen.setdefault(t, None)
                if len(t) == 4 and len(codes) == 1:
                    headline_cities.add(t)
    # A place that contains another candidate adds nothing but a looser match: «广西» beside the item's own
    # 北海市 would let it agree, at province level, with a report from 河池市. A city the headline names is kept
    # beside a county its body led to: the headline says the matter is the city's («烟台红富士套药袋长大», whose body
    # names 招远 or 栖霞 as the papers reporting it chose), so the city's other reports of it agree at the city. Not
    # where the headline names a place inside the city itself («长沙岳麓区一小区发生火灾»): the matter is that place's.
    headline_cities = {t for t in headline_cities if not any(u != t and u.startswith(t) for u in in_headline)}
    ranked = sorted(
        (t for t in seen if t in headline_cities or not any(u != t and u.startswith(t) for u in seen)),
        key=lambda t: (-len(t), t),
    )[:PLACES_PER_ITEM]
    pairs = [as_int(MUNICIPALITIES.get(t, t)) for t in ranked]
    return Places(tuple(c for c, _ in pairs), tuple(lv for _, lv in pairs))


# Beijing, Tianjin, Shanghai and Chongqing are cities with the rank of a province: a report that names one
# names a city (as precisely as «广州» does), and their districts are under XX01.
MUNICIPALITIES = {"11": "1101", "12": "1201", "31": "3101", "50": "5001"}


def place_arrays(items: Sequence[Places]) -> tuple[I64, I64]:
    codes = np.zeros((len(items), PLACES_PER_ITEM), dtype=np.int64)
    levels = np.zeros((len(items), PLACES_PER_ITEM), dtype=np.int64)
    for r, p in enumerate(items):
        codes[r, : len(p.codes)] = p.codes
        levels[r, : len(p.levels)] = p.levels
    return codes, levels


def agreement(ca: I64, la: I64, cb: I64, lb: I64) -> I64:
    """Per pair of rows: the level at which the places agree (the deeper of two nested candidates'
    shallower level: 2, 4 or 6), 0 when either row has no place, -1 when both have places and none of
    them nest (different places)."""
    n = ca.shape[0]
    best = np.zeros(n, dtype=np.int64)
    a_known = la[:, 0] > 0  # candidates are packed to the left: the first is set when any is
    b_known = lb[:, 0] > 0
    # Most items have one place: those pairs are settled on the first candidates alone.
    many = (la[:, 1] > 0) | (lb[:, 1] > 0) if ca.shape[1] > 1 else np.zeros(n, dtype=bool)
    lv = np.minimum(la[:, 0], lb[:, 0])
    div = _DIVISORS[np.maximum(lv, 0)]
    nested = (lv > 0) & (ca[:, 0] // div == cb[:, 0] // div)
    best = np.where(nested, lv, 0)
    rows = np.flatnonzero(many)
    if rows.size:
        sa, sla, sb, slb = ca[rows], la[rows], cb[rows], lb[rows]
        sub = best[rows]
        for i in range(ca.shape[1]):
            for j in range(cb.shape[1]):
                lv = np.minimum(sla[:, i], slb[:, j])
                div = _DIVISORS[np.maximum(lv, 0)]
                nested = (lv > 0) & (sa[:, i] // div == sb[:, j] // div)
                sub = np.where(nested, np.maximum(sub, lv), sub)
        best[rows] = sub
    return np.where(a_known & b_known & (best == 0), -1, best)


_DIVISORS = np.array([10**6, 10**5, 10**4, 10**3, 100, 10, 1], dtype=np.int64)  # by level (digits kept)


# --------------------------------------------------------------------------------------------- pairs


@dataclass(frozen=True, slots=True)
class Thresholds:
    """How much weighted wording two items must share (``overlap``), by how precisely their places agree,
    with and without a kind in common."""

    county_kind: float = 0.1
    county: float = 0.25
    city_kind: float = 0.15
    city: float = 0.35
    province_kind: float = 0.3
    province: float = 0.5
    # With no place on one side (a message board that masks its places, A市; a post that names none), half the
    # wording: on the board's matters told by many voices (tests/track/test_replay_board.py) 0.6 (0.45 with a kind)
    # joined 47 % of the pairs of one matter, this 54 %, neither joining two matters; the DXY, Weibo and demo
    # replays did not move.
    unplaced_kind: float = 0.4
    unplaced: float = 0.5
    # Wording shared this nearly whole outweighs kinds read apart: the kinds come from each text's opening, where
    # a complaint names the noise and the reply the waste gas of one factory («答复：» + the message's headline).
    same_wording: float = 0.85


def overlap(ta: I64, wa: F32, tb: I64, wb: F32) -> npt.NDArray[np.float64]:
    """Per pair of rows of (codes, weights) matrices (0-padded): the weight of the shared terms over the
    smaller total weight."""
    if ta.shape[0] == 0:
        return np.zeros(0)
    shared = np.zeros(ta.shape[0], dtype=np.float64)
    for j in range(tb.shape[1]):
        hit = (ta == tb[:, j : j + 1]) & (ta != 0)
        shared += np.where(hit.any(axis=1), wb[:, j], 0.0)
    total = np.minimum(wa.sum(axis=1), wb.sum(axis=1))
    return np.where(total > 0, shared / np.maximum(total, 1e-9), 0.0)


def held(ta: I64, wa: F32, codes: I64) -> npt.NDArray[np.float64]:
    """Per row of a (codes, weights) matrix (0-padded): the share of its weight whose terms are among ``codes``
    (what of an event's wording a response's text holds)."""
    total = wa.sum(axis=1)
    shared = np.where(np.isin(ta, codes) & (ta != 0), wa, 0.0).sum(axis=1)
    return np.where(total > 0, shared / np.maximum(total, 1e-9), 0.0)


def decide(
    level: I64,
    kinds_a: I64,
    kinds_b: I64,
    score: npt.NDArray[np.float64],
    thresholds: Thresholds = Thresholds(),
    citywide_ok: npt.NDArray[np.bool_] | bool = True,
) -> npt.NDArray[np.bool_]:
    """The pair rule: places compatible; kinds not all different (unless nearly all the wording is shared); wording
    shared by place precision. Two items of a kind that is the whole city's (an outbreak) in one city need no shared
    wording, in the pairs where ``citywide_ok`` allows it."""
    both_kinds = (kinds_a != 0) & (kinds_b != 0)
    shared_kind = (kinds_a & kinds_b) != 0
    t = thresholds
    ok = (level >= 0) & (~(both_kinds & ~shared_kind) | (score >= t.same_wording))
    citywide = ((kinds_a & kinds_b & kinds().citywide) != 0) & (level >= 4) & citywide_ok
    need = np.select(
        [level >= 6, level >= 4, level >= 2],
        [
            np.where(shared_kind, t.county_kind, t.county),
            np.where(shared_kind, t.city_kind, t.city),
            np.where(shared_kind, t.province_kind, t.province),
        ],
        default=np.where(shared_kind, t.unplaced_kind, t.unplaced),
    )
    return ok & ((score >= need) | citywide)


def term_matrix(rows: Sequence[tuple[I64, F32]]) -> tuple[I64, F32]:
    codes = np.zeros((len(rows), TERMS_PER_ITEM), dtype=np.int64)
    weights = np.zeros((len(rows), TERMS_PER_ITEM), dtype=np.float32)
    for r, (c, w) in enumerate(rows):
        codes[r, : c.size] = c
        weights[r, : w.size] = w
    return codes, weights
