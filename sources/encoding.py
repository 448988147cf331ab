"""Decide a feed body's character encoding before feedparser sees it.

Chinese sites often lie about charsets: GBK bytes served as ``charset=utf-8``, GB18030 (emoji,
rare names) declared as ``gb2312``, Big5 with no declaration at all. Declarations are therefore
evidence, not truth. Every candidate (the declared charset, strict UTF-8, GB18030, Big5) is decoded
strictly and the most plausible text wins, scored over the *whole document*: a two-character title
alone cannot tell GBK from Big5, but the document around it nearly always can.

The result is handed to feedparser as UTF-8 bytes whose XML declaration says ``utf-8``, so feedparser
never re-guesses; what was declared and what was used are both recorded.
"""

from __future__ import annotations

import codecs
import re
import unicodedata
from dataclasses import dataclass

UTF8 = "utf-8"

# Byte-order marks, longest first (the UTF-32-LE mark starts with the UTF-16-LE one).
_BOMS: tuple[tuple[bytes, str], ...] = (
    (codecs.BOM_UTF32_LE, "utf-32-le"),
    (codecs.BOM_UTF32_BE, "utf-32-be"),
    (codecs.BOM_UTF8, UTF8),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)

# XML 1.0 appendix F: "<?" (or "<" then a name) in a BOM-less UTF-16/32 document.
_NULL_PATTERNS: tuple[tuple[bytes, str], ...] = (
    (b"\x3c\x00\x00\x00", "utf-32-le"),
    (b"\x00\x00\x00\x3c", "utf-32-be"),
    (b"\x3c\x00\x3f\x00", "utf-16-le"),
    (b"\x00\x3c\x00\x3f", "utf-16-be"),
)

# Declared names folded to the codec actually used to decode: GB2312 and GBK are subsets of
# GB18030 (GB 18030-2005), and sites that declare the former routinely emit the latter.
_SUPERSETS = {
    "gb2312": "gb18030",
    "gbk": "gb18030",
    "cp936": "gb18030",
    "euc_cn": "gb18030",
    # Windows Big5 (cp950) is what Taiwanese and Hong Kong sites emit; Python's big5hkscs maps some
    # of its symbols (① at C7E9) to other characters.
    "big5": "cp950",
    "big5hkscs": "big5hkscs",
    "ascii": UTF8,
    "latin_1": "cp1252",  # WHATWG: iso-8859-1 labels mean windows-1252
    "iso8859_1": "cp1252",
    "utf_16": "utf-16",
    "utf_32": "utf-32",
}

_XML_DECL = re.compile(rb"""^(\s*<\?xml[^>]*?encoding\s*=\s*["'])([A-Za-z0-9._:\-]+)(["'])""", re.IGNORECASE)
_META_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([A-Za-z0-9._:\-]+)""", re.IGNORECASE)
_HEADER_CHARSET = re.compile(r"""charset\s*=\s*["']?\s*([A-Za-z0-9._:\-]+)""", re.IGNORECASE)

# Plausibility weights per character class (only non-ASCII characters are scored: markup is ASCII
# in every candidate and would only dilute the difference).
_W_FREQUENT_HAN = 1.0
_W_COMMON_HAN = 0.7
_W_RARE_HAN = 0.3  # a real CJK character, but mis-decoded text is made of these
_W_PUNCT = 1.0  # CJK and general punctuation, full-width forms, the middle dot of 6·14 or 习·近
_W_LATIN = 0.3
_W_KANA_HANGUL = 0.5
_W_OTHER = 0.1  # Greek, Cyrillic, symbols: what GBK read as UTF-8 turns into
_W_BAD = -3.0  # U+FFFD, C0/C1 controls, unassigned: what mojibake is made of
# Private use: GB18030 maps the GBK user-defined area there, and Weibo emoji live in it (real text),
# so it counts as neither evidence for nor against.
_W_PRIVATE = 0.0
# A declared charset wins a near tie; so does UTF-8 over the legacy encodings.
_BONUS_DECLARED = 0.05
_BONUS_UTF8 = 0.02


@dataclass(frozen=True, slots=True)
class Decoded:
    """A body decoded to text, with the evidence for the choice."""

    text: str
    declared: str | None  # what the response said (HTTP header first, then XML declaration / meta)
    declared_header: str | None
    declared_document: str | None
    used: str  # the codec that decoded the text ("utf-8", "gb18030", "cp950", ...)
    lossy: bool  # no candidate decoded strictly; undecodable bytes became U+FFFD

    @property
    def mismatch(self) -> bool:
        """True when the declared charset was not the one used (worth recording for ops)."""
        return self.declared is not None and canonical_codec(self.declared) != canonical_codec(self.used)

    def feed_bytes(self) -> bytes:
        """UTF-8 bytes whose XML declaration (if any) says utf-8, for feedparser."""
        return rewrite_xml_declaration(self.text).encode(UTF8)


# Python codecs that a charset label may name but that are no character encodings of a document: a
# server saying charset=zlib or charset=undefined is wrong, and the label is ignored.
_NOT_DOCUMENT_CODECS = frozenset(
    {"undefined", "idna", "punycode", "unicode_escape", "raw_unicode_escape", "utf_7", "palmos"}
)


def canonical_codec(name: str) -> str | None:
    """Python's codec name for a charset label, folded to the superset we decode with; None if unknown
    or not a text encoding (zlib, base64, rot13, ... are Python codecs but never a document's charset)."""
    try:
        info = codecs.lookup(name.strip().strip("\"'"))
    except (LookupError, ValueError):
        return None
    base = info.name
    key = base.replace("-", "_")
    if not getattr(info, "_is_text_encoding", True) or key in _NOT_DOCUMENT_CODECS:
        return None
    return _SUPERSETS.get(key, base)


def header_charset(content_type: str | None) -> str | None:
    if not content_type:
        return None
    match = _HEADER_CHARSET.search(content_type)
    return match.group(1) if match else None


def document_charset(body: bytes) -> str | None:
    """The charset the document declares about itself: XML declaration, else an HTML <meta>."""
    head = body[:2048]
    match = _XML_DECL.match(head)
    if match:
        return match.group(2).decode("ascii")
    meta = _META_CHARSET.search(head)
    return meta.group(1).decode("ascii") if meta else None


def rewrite_xml_declaration(text: str) -> str:
    """Make the XML declaration agree with the UTF-8 bytes feedparser will get.

    Leading whitespace before the declaration (a common CMS bug) is dropped too: XML 1.0 allows
    nothing before ``<?xml``, and a strict parser would reject the whole document for it.
    """
    stripped = text.lstrip("\ufeff")
    if not stripped.lstrip().startswith("<?xml"):
        return stripped
    stripped = stripped.lstrip()
    decl_end = stripped.find("?>")
    if decl_end < 0:
        return stripped
    declaration = stripped[: decl_end + 2]
    new_decl, count = re.subn(r"""encoding\s*=\s*["'][^"']*["']""", 'encoding="utf-8"', declaration)
    if count == 0:
        new_decl = declaration[:-2].rstrip() + ' encoding="utf-8"?>'
    return new_decl + stripped[decl_end + 2 :]


def plausibility(text: str) -> float:
    """Mean per-character weight of the non-ASCII characters (1.0 for pure ASCII)."""
    total = 0.0
    count = 0
    for ch in text:
        if ch < "\x80":
            if ch < " " and ch not in "\t\r\n":
                total += _W_BAD
                count += 1
            continue
        count += 1
        total += _char_weight(ch)
    return 1.0 if count == 0 else total / count


def _char_weight(ch: str) -> float:
    code = ord(ch)
    if ch in _FREQUENT_HAN:
        return _W_FREQUENT_HAN
    if ch in _COMMON_HAN:
        return _W_COMMON_HAN
    if 0x4E00 <= code <= 0x9FFF or 0x3400 <= code <= 0x4DBF or 0x20000 <= code <= 0x2FA1F:
        return _W_RARE_HAN
    if 0xE000 <= code <= 0xF8FF or code >= 0xF0000:
        return _W_PRIVATE
    if code == 0xFFFD or 0x80 <= code <= 0x9F:
        return _W_BAD
    if (
        0x3000 <= code <= 0x303F
        or 0xFF00 <= code <= 0xFFEF
        or 0x2000 <= code <= 0x206F
        or ch in "\u00a0\u00b7\u00d7\u00b0"
    ):
        return _W_PUNCT
    if 0xA0 <= code <= 0x24F:
        return _W_LATIN
    if 0x3040 <= code <= 0x30FF or 0xAC00 <= code <= 0xD7AF:
        return _W_KANA_HANGUL
    if unicodedata.category(ch) in ("Cn", "Cs", "Cc"):
        return _W_BAD
    return _W_OTHER


# Characters that UTF-8 encodes in two bytes (U+0080 to U+07FF): Latin-1 supplement, Latin
# extended, Greek, Cyrillic, Hebrew, Arabic. GBK/Big5 bytes that happen to be valid UTF-8 mostly
# decode to these (lead byte C2-DF, trail 80-BF), so a body with any of them is scored in full;
# except the no-break space, the middle dot (6·14, 习·近), × and °, common in Chinese news text.
_TWO_BYTE_UTF8 = re.compile("[\u0080-\u009f\u00a1-\u00af\u00b1-\u00b6\u00b8-\u00d6\u00d8-\u07ff]")


# Scored in full when the two-byte characters are more than about 1 in 25 of the CJK ones.
_TWO_BYTE_SHARE = 50


def _clean_utf8(body: bytes, declared_header: str | None, declared_document: str | None) -> str | None:
    """The body as UTF-8 when that needs no scoring, else None (score every candidate).

    That is when nothing declares another charset, the body decodes as strict UTF-8, and the text
    has few characters from the two-byte range (what legacy CJK bytes read as UTF-8 turn into)
    compared with its three-byte (CJK) ones. Legacy multi-byte text almost never forms valid UTF-8
    over a whole document, and the rare body that does is caught by the two-byte check and goes
    through the full plausibility comparison.
    """
    for label in (declared_header, declared_document):
        if label and canonical_codec(label) != UTF8:
            return None
    try:
        text = body.decode(UTF8)
    except UnicodeDecodeError:
        return None
    if _TWO_BYTE_UTF8.search(text) is not None:
        # A few accented letters or symbols among many CJK characters are real text; legacy bytes
        # read as UTF-8 are mostly two-byte characters. Each three-byte character adds two bytes.
        two_byte = len(_TWO_BYTE_UTF8.findall(text))
        if two_byte * _TWO_BYTE_SHARE > len(body) - len(text):
            return None
    return text


def decode_body(body: bytes, content_type: str | None = None) -> Decoded:
    """Decode ``body`` to text, choosing the most plausible of the declared and the usual encodings."""
    declared_header = header_charset(content_type)
    declared_document = document_charset(body)
    declared = declared_header or declared_document

    for bom, codec in _BOMS:
        if body.startswith(bom):
            # A byte-order mark outranks every declaration (WHATWG encoding sniffing, XML 1.0 F.1).
            text = body[len(bom) :].decode(codec, errors="replace")
            return Decoded(text, declared, declared_header, declared_document, codec, "\ufffd" in text)
    for pattern, codec in _NULL_PATTERNS:
        if body.startswith(pattern):
            text = body.decode(codec, errors="replace")
            return Decoded(text, declared, declared_header, declared_document, codec, "\ufffd" in text)

    fast = _clean_utf8(body, declared_header, declared_document)
    if fast is not None:
        return Decoded(fast, declared, declared_header, declared_document, UTF8, False)

    candidates: list[str] = []
    for label in (declared_header, declared_document):
        folded = canonical_codec(label) if label else None
        # A declared UTF-16/32 without a BOM or NUL pattern is false (the body is byte-oriented).
        if folded and not folded.startswith(("utf-16", "utf-32")) and folded not in candidates:
            candidates.append(folded)
    declared_codecs = set(candidates)
    for codec in (UTF8, "gb18030", "cp950"):
        if codec not in candidates:
            candidates.append(codec)

    best: tuple[float, str, str] | None = None
    for codec in candidates:
        try:
            text = body.decode(codec)
        except (UnicodeError, LookupError):
            continue
        if text.isascii():
            # Every ASCII-compatible candidate gives the same text; prefer what was declared.
            return Decoded(text, declared, declared_header, declared_document, codec, False)
        score = plausibility(text)
        if codec in declared_codecs:
            score += _BONUS_DECLARED
        if codec == UTF8:
            score += _BONUS_UTF8
        if best is None or score > best[0]:
            best = (score, codec, text)
    if best is not None:
        return Decoded(best[2], declared, declared_header, declared_document, best[1], False)

    # Nothing decodes strictly: keep the declared (or UTF-8) reading and mark the damage.
    codec = candidates[0]
    try:
        text = body.decode(codec, errors="replace")
    except (UnicodeError, LookupError):
        codec, text = UTF8, body.decode(UTF8, errors="replace")
    return Decoded(text, declared, declared_header, declared_document, codec, True)


# Han characters ranked by frequency in contemporary Chinese news text (a THUCNews sample), each
# with its traditional forms (OpenCC s2t). Mis-decoded text lands mostly outside these sets.
# The 600 most frequent.
_FREQUENT_HAN = frozenset(
    "一万三上下不与专且世业东两並个中为主么之乐也习书买了争事二于五亚些亞交产京人亿什仅今介从他代以们件价任份企众优会传但位低住体何作你使來例供便保信修個們候债值做備傳債僅像價億優儿元先光克兒入內全兩公共关"
    "其具内再军决况准几出击分划列则刚创別利别到制券則前剛創劃力办功加务动助势動務勝勢包化北区區十升半华单卖南博卡即却卻历原去参參又及友双反发取受变口另只可台号司各合同名后向告员周和品响員售商問喜單器四回因"
    "团国图國圖團土在地场均型城域基報場境增士处备复外多够夠大天太失头奖套女她好如始委子存季学學它安完定宝实客家容富實寶对导将將專對導小少尔尚就尼局层居展層州工己已市布师希带師帶常幅平年并幾广应底府度廣建开"
    "式引张張強强当形彩影往很後得從復微德心必快态性总息情想意愛感態應戏成我或战戰戲戶户房所手才打找技把投报拉拍择拿持指按据排採接推提搭摄擇擊據攝支收改攻放政效教数整數文料断斯新斷方於施无日时明易星是显時普"
    "景更書最會月有服望期木未本术机李材条来東板极构林果查标校样根格案條業極楼構樂樓標模樣機次款正此步歷段每比民气氣水求決沒没況法注活流测济浪海消涨深清測游源準满滿演漲濟火点热無然照熱營爭爱爲爾片牌牛物特獎"
    "獲率王玩环现現球理環生產用由申电界留當百的益盘盤目直相看真着知短研确確示社神票种科积称移程種稱積究空立第等策签算管節範篮籃籤米类精系約紅級素終組結給統經網線總續红约级线组终经结给统续网罗置羅美習老考者"
    "而联聯股育背胜能自至致臺與色节花英范获華营萬落處號虽融衆行術衣表被装裏裝西要見規視覺觀见观规视觉角解言計訊記設許註評試話該認語說調請論證議變讓计认让议讯记许论设证评试话该语说请调象財買貸費資賣質購賽财"
    "质购贷费资赛走起超越足跟路身軍較轉转较辦达过运近还这进连适选這通速造連進遊運過道達適選還那部都配采里重量金銀銷錢钱银销長长門開間關门问间队防阿际降限院除险隊随際隨險难集雖雙難電需非面響項預領頭題類顯项"
    "预领题風风飾饰首馬驗马验體高髮麼點"
)
# Ranks 600 to 2,500.
_COMMON_HAN = frozenset(
    "丁七丈丑丛丝丟丢严丧丰串临丸丹丽举乃久义乌乎乏乔乖乘九乡乱乳亂予亏云互井亟亡亥亦亨亩享亮亲仁仇仍仓仔仕仗付仙令仪仰仲仿伊伍伏伐休伙伟伤伦伪伯估伴伸似佔余佛佣佩佳佼侈依侠侣侦侧侨侯侵侶促俄俊俏俗俞俠俩俱"
    "倆倉倍倒借倡倩倫倾假偉偏停健側偵偶偷偿傅傑储催傭傲傷傻傾僑僞僱僵儀償儲允兄充兆兇兌免兑兔党八六兰兴兵典兹养兼兽冊册冒冕写农冠冥冬冯冰冲冷冻净凉凌凍减凑凝凡凤凭凯凱凳凶凸凹函刀刃切刊刑刘初删判刪刮刷刺刻"
    "剂削剑剔剖剝剥剧剩剪副割劇劉劍劑劣努劫励劲劳勁勃勇勉勋勒勞募勤勳勵勾勿匆匙匪匯匹医匾千午协卓協卜占卢卦卧卫印危卷卸厂厅厉压厌厘厚厦厨厭厲县叉叔叙叛叠叢古句叫召叭史右叶叹吁吃吉吊吐吓吕吗君否吧吨含听启吳"
    "吴吸吹吻呀呂呆呈呢味呵呼命咋咏咒咖咨咬咱哀哈哥哦哪哭哲唐唤唯唱啊啓啡啥啦啸善喇喊喚喝喪喫喬喷喻嗎嘆嘉嘗嘛嘯嘴嘿噪噴噸嚇嚴囊囤园困围固圆圈圍園圓圣圳圾址坎坏坐块坚坛坞坠坡坤坦垂垃垄垫垮埃埋執培堂堅堆堡堪"
    "塊塑塔塗塞塢填塵墅墊墓墙墜墨壁壇壓壞壟壮壯声壳壽夏夕夜夢夥夫央夸夹夺夾奇奈奉奋奎奏契奔奕奠奢奥奧奪奮奴奶妆妇妈妖妙妝妞妥妨妩妮妹妻姆姐姑姓姚姜姨姻姿威娃娇娘娛娜娟娱婆婚婦婧婴婷媒媚媛媳媽嫁嫌嫩嫵嬌嬰孔"
    "孕字孙孝孟孤孩孫宁宅宇守宋宏宗官宜宠审宣室宪宫宮宰害宴宽宾宿寂寄密寒寓寞察寥寧審寫寬寵寸寻寿封射尊尋尖尘尝尤尬尴尷尸尹尺尽尾屆屈届屋屍屏属屠屡屢履屬山屹岁岌岗岚岛岩岭岳岸峡峯峰島峻峽崇崔崖崗崛嵌嵐嶺嶽"
    "巅巔巖川巡左巧巨巩巫差巴巷巾币帅帆帐帕帖帘帝帥帧席帮帳帽幀幕幣幫干幸幹幻幼幽庄庆床序库店庞废座庫庭康庸廈廉廖廚廠廢廳延廷异弃弄弈弊弗弘弟弥弦弱弹彈彌归录彤彥彦彭彰役彻彼征径待律徐徑徒徕徠御循徵徹忆忌忍"
    "志忘忙忠忧念忽怀怎怒怕怖怜思怡急怨怪恆恋恐恒恢恤恨恩恭恰恶恼悄悅悉悍悔悚悟悠患悦您悬悲悶惊惑惕惜惟惠惡惧惨惩惯惱惹愁愈愉愤愧愿慈慌慎慕慘慢慣慧慨慮慰慶憂憐憑憤憲憶憾懂懈懒懲懶懷懸懼戀戈戒戚截戴扁扇扎扔"
    "托扣执扩扫扬扭扮扯扰扳扶批承抄抑抓抖抗折抛抠抢护披抬抱抵抹押抽担拆拋拐拒拓拔拖拘招拜拟拢拥拦拨括拭拯拳拼拾挂挑挖挚挡挣挤挥挨挪挫振挺挽捂捆捉捐捕损换捧捷掀掃授掉掌掘掙掛探控掩措描插揚換握揭揮援揽損搏搖"
    "搜搞搬搶携摆摇摊摔摘摩摯摳摸撐撑撒撞撤撥播撰撼擁擅擋操擎擔擠擦擬擴擺擾攀攏攒攔攜攢攤攬故敌敏救敗敘敞敢散敦敬敲敵斌斑斗斜斤斥斩斬旁旅旋族旗既旦旧旨早旬旭旱旺昂昆昌昏昕映春昨晉晋晒晓晕晖晚晤晨晰晴晶智暂"
    "暇暈暉暑暖暗暢暨暫暴曉曝曦曬曲曹曼曾替朋朗朝末朱朴朵杀杂权杆杉村杜束杠杨杭杯杰松析枚枝枢枪枫枯架柏某染柔柜柯柱柳栋栏树核桂桃框桌桑档桥桩梁梅梦梯械检棄棉棋棍棒棕棚棟棠森椅植楊楓楚楠概榜榮槍槓槛槽樁樞樟"
    "横樸樹橋橡橫橱檔檢檻櫃櫥欄權欠欢欣欧欲欺欽歇歉歌歐歡止武歧歲歸死殆殊残殘殺殼毀毁毅母毒毕毛毫毯氏氛氧永汇汉汗江池污汤汪汰汶汽沃沈沉沙沟沪沫河油治沿泄泉泛泡波泥泪泰泳泼泽洁洋洒洗洛洞津洪洲洽派浅浏浑浓浙"
    "浦浩浮浴浸涂涅涉涌涛润涩涯液涵涼淀淇淋淑淘淚淡淨混淹淺添渐減渝渠渡温港渴渾湊湖湘湛湧湯湾湿溝溢溪溫溼滅滑滔滕滚滞滤滥滨滩滬滯滴滾漂漆漏漠漢漫漸潇潑潔潘潛潜潤潮澀澤澱澳激濃濤濫濱濾瀏瀟灑灘灣灭灯灰灵災灾"
    "灿炉炎炒炜炫炭炮炯炸炼烂烈烏烟烦烧烫焦煉煒煙煤煩熊熙熟燃燈燒燕燙燦爆爐爛爬爵父爷爸爺爽牀牆版牙牢牧牲牵牺牽犀犧犬犯状犹狀狂狄狗狠独狭狮狱狹狼猎猛猜猩猪猫献猴猶猿獄獅獨獵獸獻玄玉玛玲玻珊珍珠班琐琦琪琳琴"
    "琼瑞瑟瑣瑤瑩瑪瑶瑾璃瓊瓜瓦瓯瓶瓷甄甌甘甚甜甩田甲男甸画畅畏畔畝畢略番畫異疆疊疏疑疗疫疯疲疼疾病症痕痛痴瘋瘦瘾療癡癮登白皆皇皮皱皺盈盐监盒盖盗盛盜盟盡監盧盯盲盼盾省眉眠眩眼睐睛睞睡督睹睿瞧瞩瞬瞻矚矛矢矩"
    "石矶矿码砂砍砖破础硕硫硬碍碎碑碧碩碰碳碼磁磅磊磚磨磯礎礙礦礼祕祖祝祥祸禁禅禍福禪禮禹禺离秀私秉秋秒秘租秦秩稀稅稍税稳稻稿穆穎穗穩穴穷穿突窄窍窗窝窟窩窮竅站竞竟章童竭端競竹笑笔笛符笼筆筋筐筑筒答筹简箭箱"
    "篇築簡簾籌籍籠籲粉粒粗粘粤粮粵粹糊糕糖糟糧糾紀紋納紐純紗紙紛紡索紧紫累細紹絕絡絢絨絮絲綁綜綠維綱綴綸綿緊緋緒緣編緩緯練縣縫縮縱績繁織繞繡繪繳繹繼繽纏纖纠纤纪纬纯纱纲纳纵纶纷纸纹纺纽练细织绍绎绑绒绕绘绚"
    "络绝绣继绩绪绯维绵综绿缀缓编缘缝缠缤缩缴缺罕罚罢罩罪罰署罵罷羁羈羊羡羣群羨義羽翁翔翘翰翹翻翼耀耐耕耗耳耶耿聆聊职聖聘聚聞聪聰聲職聽肃肅肆肉肌肖肚肤肥肩肯肺胀胁胆胎胖胞胡胶胸脅脆脈脉脏脑脚脫脱脸脹腐腕腦"
    "腰腳腻腾腿膚膜膝膠膨膩膽臀臂臉臣臥臨舆興舉舊舍舒舞舟航般舰船艦良艰艱艳艺艾芙芝芬芯芳苍苏苑苗苛若苦苹茂茅茨茲茶草荐荒荡荣药荷莉莊莎莞莫莱莲莹菜菲萄萊萍萎萧萨葉著葛葡董蒂蒙蒼蓄蓋蓝蓬蓮蔓蔚蔡蔽蕩蕭蕴蕾薄"
    "薇薦薩薪藍藏藝藥蘇蘊蘋蘭虎虐虑虚虛虧虹蛇蛋蛙蛮蜂蜜蝴蝶蠢蠻血衔街衛衝衡补衫衬衰衷袁袂袋袖袜袭裁裂裔裕裘裙補裤裸裹褲褶襪襯襲覆親覽览触觸訂討訓訝訟訣訪訴診詐詞詠詢詩詮詳詹誅誇誉誓誕誘誠誤誦誰課誼談諒諧諮"
    "諸諾謀謂謙講謝謠謹識譚譜警譯護譽讀订讨训讲讶讼访诀识诈诉诊词译诗诚诛诞诠询详误诱诵诸诺读课谁谅谈谊谋谐谓谢谣谦谨谭谱谷豐豔豪豫豬豹貌貓貝負貢貧貨販貪貫責貴貶貼貿賀賃賄賈賊賓賞賠賢賦賬賭賴賺贈贊贏贖贝负"
    "贡责贤败账货贩贪贫贬贯贴贵贸贺贼贾贿赁赋赌赎赏赔赖赚赞赠赢赤赫赴赵赶趁趋趕趙趣趨跃跌跑距跡跨跳践踊踏踐踢踩踪蹈蹤躁躍躲車軌軒軟軸載輔輕輛輝輩輪輯輸輻輿轟车轨轩轮软轰轴轻载辅辆辈辉辐辑输辛辜辞辟辣辨辩辭"
    "辯辰農边辽迁迄迅迈迎返远违迟迪迫述迷迹追退送逃逆逊透逐递途逛逝逢逸逻逼逾遇遍違遗遙遛遜遞遠遣遥遭遮遲遵遷遺遼避邀邁邊邏邓邢邦邪邮邵邹邻郁郅郊郎郑郭郵鄉鄒鄧鄭鄰酒酝酬酷酸酿醉醒醛醜醞醫釀释釋野釐釘針鈕鉚"
    "鉛鉤鉴銅銘銜銳鋁鋅鋒鋪鋼錄錦錫錯鍋鍵鍾鎂鎖鎮鏈鏡鏢鏽鐵鑑鑫鑰鑲鑽针钉钟钢钥钦钩钮钻铁铅铆铜铝铭铺链锁锅锈锋锌锐错锡锦键镁镇镖镜镶閃閉閒閘閱闊闖闡闢闪闭闯闲闷闸闹闻阅阐阔阳阴阵阶阻附陆陈陌陣陪陰陳陵陶陷"
    "陸陽隆階隐隔隙障隱雀雄雅雇雕雜雞離雨雪雯雲零雷雾霆震霍霏霜霞霧露霸靈青靓静靚靜靠靡革靴鞋鞍鞏韋韌韓韦韧韩音韵韻頁頂頃順須頑頒頓頗頤頸頻顆額顏願顛顧页顶顷顺须顽顾顿颁颇颈颐频颖颗颜额颠飄飆飘飙飛飞食飯飲"
    "飽養餐餘館饋饒饭饮饱饶馆馈香馨馮馳駁駐駕駛騎騙騰驅驕驚驟驰驱驳驶驻驾骂骄骑骗骤骨髒髦鬥鬧鬱鬼魂魅魔魚魯鮑鮮鯊鱉鱼鲁鲍鲜鲨鳖鳥鳳鳴鴻鵝鵬鷹鸟鸡鸣鸿鹅鹏鹰鹽鹿麒麓麗麟麥麦麻黃黄黎黑默黨鼎鼓鼠齊齐齡龄龍龐龔"
    "龙龚"
)
