"""Region: the GB/T 2260 code of the place an item is about, from a gazetteer shipped as data.

Full names (深圳市, 海沧区) are trusted; province and city short names (湖北, 深圳) too, except
those that are also ordinary words or people (中山, 安康, 大同 …: see ``AMBIGUOUS_SHORT``), which
count only with the suffix. County short names, and county names shared by several places
(朝阳区, 南山区), count only when their city or province is also named (or is the source's
region). Among the places named, the province with most support wins (title counts double) and
the most specific place under it is returned.
"""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import ahocorasick_rs as acr

from classifiers._text import REPOST_LINK
from yuqing.vocab import RegionLevel

GAZETTEER = Path(__file__).with_name("data") / "gazetteer.tsv"

# City short names that are common words, people or other things (中山 the man, 端午安康, 大同小异,
# 三明治, 白银 the metal, 北海道, 开封 the verb ...): they need the 市/州 suffix.
AMBIGUOUS_SHORT = frozenset(
    [
        "中山",
        "安康",
        "三明",
        "大同",
        "白银",
        "黑河",
        "朝阳",
        "阿里",
        "来宾",
        "北海",
        "中卫",
        "红河",
        "文山",
        "长治",
        "和田",
        "海东",
        "海西",
        "海北",
        "黄南",
        "白山",
        "四平",
        "大理",
        "普洱",
        "怒江",
        "兴安",
        "玉树",
        "果洛",
        "东方",
        "白沙",
        "昌江",
        "吉林",
        "海南",
        "哈密",
        "黄山",
        "开封",
        "河源",
        "山南",
        "通化",
        "铜川",
        "临高",
        "定安",
        "乐东",
        "保亭",
        "琼中",
        "万宁",
        "文昌",
        "五指山",
        "陵水",
        "屯昌",
        "澄迈",
        "济源",
        "潜江",
        "天门",
        "仙桃",
        "神农架",
        "石河子",
        "阿拉尔",
        "图木舒克",
        "五家渠",
        "北屯",
        "铁门关",
        "双河",
        "可克达拉",
        "昆玉",
        "胡杨河",
        "新星",
        "白杨",
        "林芝",
        "那曲",
        "江门",
        "本溪",
    ]
)
# Phrases that contain a place name without naming the place.
BLOCKERS = (
    "北京时间",
    "中山大学",
    "中山路",
    "中山公园",
    "中山装",
    "中山陵",
    "北海道",
    "东方市场",
    "上海合作组织",
    "南京条约",
    "吉林大学",
    "海南岛",
    "西藏高原",
    "青海湖",
    "云南白药",
    "贵州茅台",
    "东方明珠",
    "北京烤鸭",
    "南昌起义",
    "遵义会议",
    "延安精神",
    "井冈山精神",
    "香港特区政府",
    "台湾地区",
    "新疆棉",
    "兰州拉面",
    "沙县小吃",
    "重庆火锅",
    "天津港",
    "温州商人",
    "中华人民共和国",
    "全国",
    "内蒙古大学",
    # A person, a verb and bodies whose names hold a county's short name (南山, 会同, 公安, 新华, 三元, 江南).
    "钟南山",
    "会同当地",
    "会同有关",
    "会同相关",
    "会同各",
    "公安局",
    "公安厅",
    "公安部",
    "公安机关",
    "公安分局",
    "公安民警",
    "公安干警",
    "新华社",
    "新华网",
    # a national portal and its channels, not 湘西's 凤凰县
    "凤凰网",
    "凤凰卫视",
    "凤凰新闻",
    "凤凰视频",
    "凤凰周刊",
    "新华视点",
    "三元桥",
    "江南大学",
)

# A headline of the whole country's figures or affairs («全国新增…», «31省区市…», «我国首次…») that names no place,
# over a body that names places in several provinces: those are the country's parts (each province's count), not
# where the item is. (One province in the body is kept: «全国销量第一面粉企业…被查» is about a mill in 河北.)
NATIONAL_SCOPE = ("全国", "我国", "31省", "31个省", "各省", "多省", "各地", "多地")

TITLE_WEIGHT = 2.0
BODY_WEIGHT = 1.0
SOURCE_WEIGHT = 0.5
# A place named as where someone came from or passed through («途经武汉», «从汉川乘坐大客车到汉口», «有武汉、湖北等地
# 旅居史», «武汉返雅») is travel history, not where the matter is: in the 2020 outbreak nearly every case report names
# 武汉 so. It still counts when nothing else is named.
TRAVEL_WEIGHT = 0.25
_TRAVEL_BEFORE = re.compile(r"(?:途经|途径|路过|去过|到过)$")
_FROM_BEFORE = re.compile(r"[从由]$")
_FROM_AFTER = re.compile(r"^[^。，；！？,;!?\s]{0,12}?(?:返|回|来|到|出发|乘|坐|离开|驾车|飞)")
_HISTORY_AFTER = re.compile(r"^[^。，；！？,;!?\s]{0,12}?(?:旅居|居住|旅行|旅游|接触|活动|停留|逗留)史")
_RETURN_AFTER = re.compile(r"^(?:返|回来|归来|来的|回到)")
_LEARNED_AFTER = re.compile(r"^[^。，；！？,;!?\s]{0,12}?(?:了解|获悉|得知|获知)")  # «记者从武汉市卫健委了解到»
_LIST_JOIN = re.compile(r"[、和及与或]?")  # «来自江西都昌、湖口、彭泽»: each of the list came from there
# A native place («湖北孝感人，现住…», «武汉籍男子»): where someone is from, as a case report or a profile gives it,
# not where the matter is. Only 籍, or 人 closing a clause: «武汉人在行动» is about the city's people.
_NATIVE_AFTER = re.compile(r"(?:籍|人(?=[，,。；;、）)\s]))")
_NATIVE_BEFORE = re.compile(r"(?:籍贯[为是：:]?|祖籍|老家[在是]?)$")  # «籍贯为贵州省毕节市黔西县»


def _travel(text: str, start: int, end: int, after_travel: bool) -> bool:
    """Whether the place named at ``text[start:end]`` is where someone came from, passed through or is a native of
    (``after_travel``: the place named just before it, ending where it starts or joined to it as a list, was:
    «途经湖北武汉», «籍贯为贵州省毕节市»)."""
    before, after = text[max(0, start - 2) : start], text[end : end + 16]
    if after_travel or _TRAVEL_BEFORE.search(before) or _HISTORY_AFTER.match(after) or _RETURN_AFTER.match(after):
        return True
    if _NATIVE_BEFORE.search(text, max(0, start - 4), start):
        return True
    return bool(_FROM_BEFORE.search(before) and _FROM_AFTER.match(after) and not _LEARNED_AFTER.match(after))


def _weighted(text: str, found: list[tuple[str, _Name, int]], weight: float) -> list[tuple[str, _Name, float]]:
    out: list[tuple[str, _Name, float]] = []
    travel_end = -1
    for surface, entry, pos in found:
        end = pos + len(surface)
        joined = travel_end >= 0 and _LIST_JOIN.fullmatch(text[travel_end:pos]) is not None
        travel = _travel(text, pos, end, joined)
        travel_end = end if travel else -1
        out.append((surface, entry, TRAVEL_WEIGHT if travel else weight))
    # A native place, with the places that lead up to it («湖北孝感人»: 湖北 too), weighs as travel history does.
    native_start = -1
    for k in range(len(found) - 1, -1, -1):
        surface, entry, pos = found[k]
        end = pos + len(surface)
        if end == native_start or _NATIVE_AFTER.match(text, end):
            out[k] = (surface, entry, TRAVEL_WEIGHT)
            native_start = pos
        else:
            native_start = -1
    return out


@dataclass(frozen=True, slots=True)
class Place:
    code: str
    name: str
    level: int  # RegionLevel: 1 province, 2 city, 3 county
    parent: str | None


@dataclass(frozen=True, slots=True)
class _Name:
    codes: tuple[str, ...]
    needs_support: bool


@dataclass(frozen=True, slots=True)
class Region:
    code: str
    name: str  # full path, e.g. 广东省深圳市南山区
    evidence: str
    # The finest division the item names in that province (a county one case of a province's count names); how
    # specific a place the item names, a signal of the learned model (``engine``: ``place:N``), not where it is.
    specific: str = ""


class Gazetteer:
    def __init__(self, path: Path = GAZETTEER) -> None:
        self.places: dict[str, Place] = {}
        by_name: dict[str, list[tuple[str, bool]]] = {}
        lines = path.read_text(encoding="utf-8").splitlines()
        column = {name: k for k, name in enumerate(lines[0].split("\t"))}  # a plain TSV: no quoting, no tabs in a field
        c_code, c_name, c_level, c_parent, c_short = (column[n] for n in ("code", "name", "level", "parent", "short"))
        for line in filter(None, lines[1:]):
            row = line.split("\t")
            level = int(row[c_level])
            place = Place(row[c_code], row[c_name], level, row[c_parent] or None)
            self.places[place.code] = place
            by_name.setdefault(place.name, []).append((place.code, level == RegionLevel.COUNTY and len(place.name) <= 2))
            short = row[c_short]
            if short:
                # A province's short name stands alone (海南, 吉林: the province, as a reader takes it); the
                # same name as a city or prefecture's short name (海南藏族自治州, 吉林市) needs the suffix.
                needs = level == RegionLevel.COUNTY or (short in AMBIGUOUS_SHORT and level != RegionLevel.PROVINCE)
                by_name.setdefault(short, []).append((place.code, needs))
        province_shorts = {n for n, lst in by_name.items() if any(self.places[c].level == RegionLevel.PROVINCE for c, _ in lst)}
        self.names: dict[str, _Name] = {}
        for name, lst in by_name.items():
            codes = tuple(dict.fromkeys(c for c, _ in lst))
            cities = [c for c, n in lst if not n and self.places[c].level == RegionLevel.CITY]
            if name in province_shorts:
                # 吉林/海南: the province wins over a same-named city or prefecture.
                codes = tuple(c for c in codes if self.places[c].level == RegionLevel.PROVINCE)
            elif len(cities) == 1:
                # 长沙, 南昌, 西安: the city wins over a same-named county, its own (长沙县) or another's (辽源's 西安区),
                # as a reader takes the name; the county is named in full. The city's short name stands alone.
                self.names[name] = _Name((cities[0],), False)
                continue
            needs = all(n for _, n in lst) or len(codes) > 1
            self.names[name] = _Name(codes, needs)
        patterns = list(self.names) + [b for b in BLOCKERS if b not in self.names]
        self._patterns = patterns
        self._entries = [self.names.get(p) for p in patterns]
        self._chains: dict[str, tuple[Place, ...]] = {}
        self._ac = acr.AhoCorasick(patterns, matchkind=acr.MatchKind.LeftmostLongest)
        # Per code, for ``resolve``: the codes of its lineage (itself included), of its ancestors
        # (in lineage order, and as a set) and its full name.
        self.above: dict[str, frozenset[str]] = {}
        self.ancestors: dict[str, tuple[str, ...]] = {}
        self.parents: dict[str, frozenset[str]] = {}
        self.full_names: dict[str, str] = {}
        for code in self.places:
            chain = self.lineage(code)
            self.above[code] = frozenset(p.code for p in chain)
            self.ancestors[code] = tuple(p.code for p in chain[:-1])
            self.parents[code] = frozenset(self.ancestors[code])
            self.full_names[code] = "".join(p.name for p in chain)

    def chain(self, code: str) -> list[Place]:
        return list(self.lineage(code))

    def lineage(self, code: str) -> tuple[Place, ...]:
        """``chain(code)`` as a tuple, computed once per code."""
        known = self._chains.get(code)
        if known is not None:
            return known
        out: list[Place] = []
        cur: str | None = code
        while cur is not None and cur in self.places:
            place = self.places[cur]
            out.append(place)
            cur = place.parent
        self._chains[code] = chain = tuple(out[::-1])
        return chain

    @property
    def patterns(self) -> list[str]:
        """Place names and blockers, as indexed by ``mentions``."""
        return self._patterns

    def find(self, text: str) -> list[tuple[str, _Name, int]]:
        return self.mentions(self._ac.find_matches_as_indexes(text))

    def mentions(self, matches: list[tuple[int, int, int]]) -> list[tuple[str, _Name, int]]:
        """Place names among leftmost-longest ``(pattern, start, end)`` matches (blockers dropped)."""
        out: list[tuple[str, _Name, int]] = []
        for idx, start, _end in matches:
            entry = self._entries[idx]
            if entry is not None:
                out.append((self._patterns[idx], entry, start))
        return out


def _national(title: str, title_provinces: set[str], mentions: list[tuple[str, _Name, float]]) -> bool:
    """The headline is the whole country's (``NATIONAL_SCOPE``), names no place, and the rest names places in
    several provinces."""
    if title_provinces or not any(m in title for m in NATIONAL_SCOPE):
        return False
    return len({e.codes[0][:2] for _s, e, _w in mentions if not e.needs_support}) >= 2


def resolve(
    gaz: Gazetteer,
    title: str,
    body: str,
    publisher: str | None,
    source_region: str | None,
    found: tuple[list[tuple[str, _Name, int]], list[tuple[str, _Name, int]]] | None = None,
    headline: bool = True,
) -> Region | None:
    """The region of an item; ``found``: ``gaz.find`` of title and body, if the caller has them; ``headline``:
    the title is a headline, not the body's lead standing in for one (whose dateline, «新华网北京2月12日电», names
    where a reporter filed)."""
    # (surface, entry, weight), in the order found; a mention's index is its order.
    mentions: list[tuple[str, _Name, float]] = []
    title_found, body_found = found if found is not None else (None, None)
    if title:
        mentions += _weighted(title, gaz.find(title) if title_found is None else title_found, TITLE_WEIGHT)
    # The provinces a headline names (a body's lead standing in for one names none: its dateline is the reporter's).
    title_provinces = (
        {e.codes[0][:2] for _s, e, w in mentions if not e.needs_support and w > TRAVEL_WEIGHT} if headline else set()
    )
    if body:
        mentions += _weighted(body, gaz.find(body) if body_found is None else body_found, BODY_WEIGHT)
    if publisher:
        for surface, entry, _pos in gaz.find(publisher):
            mentions.append((surface, entry, BODY_WEIGHT))
    source_code = source_region if source_region in gaz.places else None
    if headline and _national(title, title_provinces, mentions):
        mentions = []  # the body's places are the country's parts, the publisher's its own
    if not mentions and not source_code:
        return None
    above = gaz.above
    supported: set[str] = set()
    province_score: dict[str, float] = {}
    first_seen: dict[str, int] = {}
    for idx, (_surface, entry, weight) in enumerate(mentions):
        if entry.needs_support:
            continue
        code = entry.codes[0]
        supported.update(above[code])
        prov = code[:2]
        province_score[prov] = province_score.get(prov, 0.0) + weight
        if prov not in first_seen:
            first_seen[prov] = idx
    if source_code:
        supported.update(above[source_code])
        prov = source_code[:2]
        province_score[prov] = province_score.get(prov, 0.0) + SOURCE_WEIGHT
        first_seen.setdefault(prov, len(mentions))
    # A county's short name that needs support counts for the province once its own city is named (宽城, 围场 and
    # 丰宁 after 承德市): a case report names its city once and its counties many times. A province named somewhere
    # is no such support: 新华 (新华社), 公安 (公安厅) and 三元 (三元桥) are counties of a province a text may list.
    places = gaz.places
    named_cities = {
        e.codes[0] for _s, e, _w in mentions if not e.needs_support and places[e.codes[0]].level == RegionLevel.CITY
    }
    for idx, (_surface, entry, weight) in enumerate(mentions):
        if not entry.needs_support:
            continue
        for code in entry.codes:
            if places[code].parent in named_cities:
                prov = code[:2]
                province_score[prov] = province_score.get(prov, 0.0) + weight
                first_seen.setdefault(prov, idx)
                break
    if not province_score:
        return None
    # A province the headline names is where the matter is: the body's places may refine it («广西» then 北海市) but
    # not outvote it (a patient from 武汉 reported in 上海's count, someone «福建人» in a complaint about a clinic).
    contenders = [p for p in province_score if p in title_provinces] or list(province_score)
    if len(contenders) == 1:
        best_prov = contenders[0]
    else:
        best_prov = max(contenders, key=lambda p: (province_score[p], -first_seen[p]))
    # Candidate places inside the winning province.
    parents_of = gaz.parents
    cand: dict[str, tuple[float, int, str]] = {}
    for idx, (surface, entry, weight) in enumerate(mentions):
        for code in entry.codes:
            if code[:2] == best_prov:
                break
        else:
            continue
        if entry.needs_support and parents_of[code].isdisjoint(supported):
            continue
        known = cand.get(code)
        if known is None:
            cand[code] = (0.0 + weight, idx, surface)
        else:
            w, first, surf = known
            cand[code] = (w + weight, min(first, idx), surf)
    if not cand:
        if source_code and source_code[:2] == best_prov:
            return Region(source_code, gaz.full_names[source_code], f"source_region {source_code}", source_code)
        return None

    ancestors = gaz.ancestors

    def specificity(code: str) -> tuple[int, float, int]:
        w, first, _s = cand[code]
        # A place whose ancestors are also named is better supported.
        bonus = sum(cand[p][0] for p in ancestors[code] if p in cand)
        return (places[code].level, w + bonus, -first)

    specific = max(cand, key=specificity)
    best = _descend(gaz, best_prov + "0000", cand) if len(cand) > 1 else specific
    best_above = above[best]
    surfaces = sorted({v[2] for c, v in cand.items() if c in best_above})
    return Region(best, gaz.full_names[best], "text: " + "、".join(surfaces), specific)


# A province's or city's report that lists this many divisions inside it, none named most, is the province's or the
# city's (a daily count by city): with two, the one named first or most is the matter («北海市…此外柳州市新增疑似病例1例»).
LIST_DIVISIONS = 3


def _descend(gaz: Gazetteer, province: str, cand: dict[str, tuple[float, int, str]]) -> str:
    """The place an item is about among the places it names in its province (``cand``: weight, first mention,
    surface): from the province down, a level at a time, into the division inside that holds the most weight named
    below the current one, the first named on a tie, unless the item lists ``LIST_DIVISIONS`` or more there with none
    holding more than half of it (a province's daily count by city is the province's). A place named as travel history
    or a native place weighs a quarter (``TRAVEL_WEIGHT``), so a native county does not take a case report from the
    city that reports it («周口太康人» in 郑州's first case), where ranking the finest place first did."""
    ancestors = gaz.ancestors
    node = province
    while True:
        below: dict[str, float] = {}
        first: dict[str, int] = {}
        for code, (weight, idx, _surface) in cand.items():
            lineage = (*ancestors[code], code)
            if code == node or node not in lineage:
                continue
            child = lineage[lineage.index(node) + 1]
            below[child] = below.get(child, 0.0) + weight
            first[child] = min(first.get(child, idx), idx)
        if not below:
            return node
        best = max(below, key=lambda c: (below[c], -first[c]))
        if len(below) >= LIST_DIVISIONS and below[best] * 2 <= sum(below.values()):
            return node  # a list of divisions inside, none holding most of what is named below this one
        node = best


@cache  # read once per process: every track run compares dim_regions with it
def dimension_rows(
    path: Path = GAZETTEER,
) -> list[tuple[str, str, int, str | None, str, str, str | None, str | None, str]]:
    """The gazetteer as ``dim_regions`` rows: code, name, level, parent, province code and name, city code and
    name (a municipality's districts roll up to the municipality), full name."""
    places: dict[str, tuple[str, int, str | None]] = {}
    with path.open(encoding="utf-8", newline="") as fh:
        for row in csv.DictReader(fh, delimiter="\t"):
            places[row["code"]] = (row["name"], int(row["level"]), row["parent"] or None)
    out = []
    for code, (name, level, parent) in places.items():
        chain = [code]
        while (up := places[chain[-1]][2]) is not None and up in places:
            chain.append(up)
        chain.reverse()
        province = chain[0]
        city = next((c for c in chain if places[c][1] == 2), None)
        if city is None and level == RegionLevel.COUNTY:
            city = province  # 北京市东城区: the municipality is the city
        full = "".join(places[c][0] for c in chain)
        out.append((code, name, level, parent, province, places[province][0], city,
                    places[city][0] if city else None, full))  # fmt: skip
    return out


def trimmed_code(code: str) -> str:
    """'420300' -> '4203', '420000' -> '42': the digits that name the division."""
    while code.endswith("00") and len(code) > 2:
        code = code[:-2]
    return code


# A company's name followed by its branch's («北京东方鸿润物业服务有限公司西地省分公司», «北京华联综合超市股份有限公司江西第二分公司»):
# group 1 is what names the branch.
_BRANCH = re.compile(
    r"[^，。！？、；：:（）()\s]{0,24}?(?:有限责任公司|股份有限公司|有限公司|集团|公司)([^，。！？、；：:（）()\s]{1,10}?)"
    r"(?:分公司|分店|分行|支行|营业部)"
)
# What names a place in a branch's name that the gazetteer does not hold: a board's masked or made-up one («A市分公司»,
# «西地省分公司»).
_PLACE_WORD = re.compile(r"[\u4e00-\u9fffA-Z0-9]{1,4}[省市县区州]")


def branch_parents(text: str, places: list[tuple[str, _Name, int]]) -> list[tuple[str, _Name, int]]:
    """``places`` without the place a company was registered in when the text names its branch in another place: the
    branch is where the company works, and the matter is there («北京…物业服务有限公司西地省分公司» on a board is not a
    matter in 北京; «广州市宁骏物业管理有限公司成都分公司» is one in 成都). A branch named for no place («郑州丹尼斯百货有限公司
    郑花分公司») or for one inside the company's («北京永辉超市有限公司石景山古城分公司») leaves it."""
    dropped: set[int] = set()
    for surface, entry, pos in places:
        m = _BRANCH.match(text, pos + len(surface))
        if m is None:
            continue
        start, end = m.span(1)
        # a short name that needs support names no branch by itself («武汉建工集团路桥分公司» is a road-and-bridge branch)
        inside = [e for _s, e, p in places if start <= p < end and not e.needs_support]
        parent = tuple(trimmed_code(c) for c in entry.codes)
        elsewhere = any(
            not any(c.startswith(t) for c in e.codes for t in parent) for e in inside
        ) or (not inside and _PLACE_WORD.search(m.group(1)) is not None)
        if elsewhere:
            dropped.add(pos)
    return [place for place in places if place[2] not in dropped] if dropped else places


def outside_handles(text: str, places: list[tuple[str, _Name, int]]) -> list[tuple[str, _Name, int]]:
    """``places`` without a name inside a user's name that a repost chain or a reply quotes («//@山东就是老家:» is
    someone who passed the post on). A name someone is addressed by («@武汉发布 请问…», «据@青岛交通运输消息») stays: the
    body asked, or the account relayed, is the place's."""
    if "@" not in text:
        return places
    spans = [m.span() for m in REPOST_LINK.finditer(text)]
    if not spans:
        return places
    return [p for p in places if not any(s <= p[2] < e for s, e in spans)]
