"""Derive ``data/gazetteer.tsv`` from the ``adcodes.csv`` table shipped in the cpca 0.5.5 wheel (MIT).

Run once by hand when the upstream table changes::

    python -m classifiers.build_gazetteer path/to/cpca/resources/adcodes.csv

The output is committed as data (see ``data/PROVENANCE.md``); nothing imports cpca at run time.
Columns: ``code`` (6-digit GB/T 2260), ``name`` (full official name), ``level`` (1 province, 2 city,
3 county), ``parent`` (6-digit code of the nearest real ancestor, empty for provinces) and ``short``
(the name without its administrative suffix, empty when that would be a single character).
"""

from __future__ import annotations

import csv
import sys
from pathlib import Path

OUT = Path(__file__).with_name("data") / "gazetteer.tsv"

# Placeholder rows of the upstream table: grouping records, not places anyone names.
PLACEHOLDERS = frozenset(
    {"市辖区", "县", "省直辖县级行政区划", "自治区直辖县级行政区划", "郊区", "矿区", "城区"}
)

# Longest first: "维吾尔自治区" must be stripped before "自治区".
PROVINCE_SUFFIXES = ("壮族自治区", "回族自治区", "维吾尔自治区", "特别行政区", "自治区", "省", "市")
CITY_SUFFIXES = ("自治州", "地区", "盟", "市")
COUNTY_SUFFIXES = ("自治县", "自治旗", "林区", "特区", "新区", "区", "县", "市", "旗")
# Ethnic names that prefix autonomous prefectures/counties (黔东南苗族侗族自治州 -> 黔东南).
ETHNIC = (
    "蒙古族",
    "回族",
    "藏族",
    "维吾尔族",
    "苗族",
    "彝族",
    "壮族",
    "布依族",
    "朝鲜族",
    "满族",
    "侗族",
    "瑶族",
    "白族",
    "土家族",
    "哈尼族",
    "哈萨克族",
    "傣族",
    "黎族",
    "傈僳族",
    "佤族",
    "畲族",
    "拉祜族",
    "水族",
    "东乡族",
    "纳西族",
    "景颇族",
    "柯尔克孜族",
    "土族",
    "达斡尔族",
    "仫佬族",
    "羌族",
    "布朗族",
    "撒拉族",
    "毛南族",
    "仡佬族",
    "锡伯族",
    "阿昌族",
    "普米族",
    "塔吉克族",
    "怒族",
    "鄂温克族",
    "德昂族",
    "保安族",
    "裕固族",
    "京族",
    "独龙族",
    "鄂伦春族",
    "赫哲族",
    "门巴族",
    "珞巴族",
    "基诺族",
    "蒙古",
)


def short_name(name: str, level: int) -> str:
    suffixes = PROVINCE_SUFFIXES if level == 1 else CITY_SUFFIXES if level == 2 else COUNTY_SUFFIXES
    base = name
    for suffix in suffixes:
        if base.endswith(suffix) and len(base) > len(suffix):
            base = base[: -len(suffix)]
            break
    changed = True
    while changed:
        changed = False
        for ethnic in ETHNIC:
            if base.endswith(ethnic) and len(base) - len(ethnic) >= 2:
                base = base[: -len(ethnic)]
                changed = True
    return base if len(base) >= 2 and base != name else ""


def build(src: Path) -> list[tuple[str, str, int, str, str]]:
    rows: dict[str, str] = {}
    with src.open(encoding="utf-8") as fh:
        for rec in csv.DictReader(fh):
            rows[rec["adcode"][:6]] = rec["name"]
    out: list[tuple[str, str, int, str, str]] = []
    for code, name in sorted(rows.items()):
        if name in PLACEHOLDERS:
            continue
        if code.endswith("0000"):
            level, parent = 1, ""
        elif code.endswith("00"):
            level, parent = 2, code[:2] + "0000"
        else:
            level = 3
            city = code[:4] + "00"
            parent = city if city in rows and rows[city] not in PLACEHOLDERS else code[:2] + "0000"
        out.append((code, name, level, parent, short_name(name, level)))
    return out


def main(argv: list[str]) -> int:
    if len(argv) != 2:
        print(__doc__, file=sys.stderr)
        return 2
    rows = build(Path(argv[1]))
    with OUT.open("w", encoding="utf-8", newline="") as fh:
        fh.write("code\tname\tlevel\tparent\tshort\n")
        for code, name, level, parent, short in rows:
            fh.write(f"{code}\t{name}\t{level}\t{parent}\t{short}\n")
    print(f"wrote {len(rows)} rows to {OUT}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv))
