"""Property-based fuzzing of feed bytes and HTTP headers: parse, normalise, plan; never a crash.

Inputs are mutations of the real WeChat/government feed snapshots (truncation, byte flips, invalid
UTF-8 and GBK sequences, entity garbage, script/markup payloads, huge attributes and deep nesting)
paired with hostile Content-Type values. The only exceptions allowed out of ``parse_feed`` are
ParseError; what comes out must be plain text (no markup), keyed, with http(s) links and times not
after the fetch. Header fuzzing goes through the real loopback fetcher too: only RetrieveError may
come back, never an exception out of ``fetch_many``.
"""

from __future__ import annotations

import json
import re
import string
from datetime import UTC, datetime, timedelta
from functools import cache
from urllib.parse import quote

import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from sources.http import LOOPBACK_NETWORKS, FetchSettings, Retrieved, parse_retry_after
from sources.items import normalise
from sources.parse import parse_feed
from sources.policy import plan_fetch, state_after_error, state_after_success
from tests.reliability.conftest import fetch_one, real_feed_names, real_feeds_dir
from tests.reliability.rel_servers import ReliabilityServer
from yuqing.errors import Disposition, ParseError, RetrieveError
from yuqing.models import FetchOutcome, SourceConfig, SourceState

MARKUP = re.compile(r"<[A-Za-z/!?]")
HEX32 = re.compile(r"^[0-9a-f]{32}$")
FETCHED = datetime(2021, 6, 18, tzinfo=UTC)
NAMES = real_feed_names()

FUZZ = settings(
    max_examples=150,
    deadline=None,
    derandomize=True,  # the same examples on every run: a CI failure reproduces locally
    database=None,
    phases=[Phase.explicit, Phase.generate],  # no shrinking: it would blow the time budget
    suppress_health_check=[
        HealthCheck.too_slow,
        HealthCheck.data_too_large,
        HealthCheck.function_scoped_fixture,
    ],
)


@cache
def real_feed(name: str) -> bytes:
    return (real_feeds_dir() / name).read_bytes()


INSERTS = [
    b"\xff",
    b"\x80\x81\xfe",
    b"\xc3\x28",  # invalid UTF-8 continuation
    b"\xed\xa0\x80",  # UTF-8 encoded surrogate
    b"\xf4\x90\x80\x80",  # beyond U+10FFFF
    b"\x81",  # truncated GBK lead byte
    b"\x81\x30",  # truncated GB18030 four-byte sequence
    b"\xd6\xd0\xb9\xfa",  # GBK 中国 inside UTF-8 text
    "中国".encode("big5", "replace"),
    b"\x00",
    b"\xef\xbb\xbf",  # BOM in the middle
    b"\xff\xfe\x00\x00",
    b"&#0;",
    b"&#xD800;",
    b"&#99999999999;",
    b"&#x110000;",
    b"&lol;",
    b"&amp",
    b"&",
    b"&&&;;;",
    b"&lt;script&gt;alert(1)&lt;/script&gt;",
    b"&amp;lt;img src=x onerror=alert(1)&amp;gt;",
    b"<script>alert(1)</script>",
    b"<![CDATA[<b>x</b><script>y()</script>]]>",
    b"]]>",
    b"<!--",
    b"<?php echo 1; ?>",
    b'<a href="javascript:alert(1)">x</a>',
    b"<title>",
    b"</item>",
    b"<item><title>\xe6\xb3\xa8\xe5\x85\xa5</title><link>javascript:alert(1)</link></item>",
    b"<!DOCTYPE rss [<!ENTITY x SYSTEM 'file:///etc/passwd'>]>",
    b"<!ENTITY a 'b'>",
    b"\r\n\r\n",
    b"\x1b[31m",
]


@st.composite
def hostile_body(draw: st.DrawFn) -> bytes:
    body = bytearray(real_feed(draw(st.sampled_from(NAMES))))
    for _ in range(draw(st.integers(1, 6))):
        op = draw(st.sampled_from(["truncate", "flip", "insert", "attr", "nest", "delete", "dup"]))
        pos = draw(st.integers(0, max(0, len(body) - 1)))
        if op == "truncate":
            del body[pos:]
        elif op == "flip":
            for _ in range(draw(st.integers(1, 20))):
                i = draw(st.integers(0, max(0, len(body) - 1)))
                if body:
                    body[i] ^= 1 << draw(st.integers(0, 7))
        elif op == "insert":
            body[pos:pos] = draw(st.sampled_from(INSERTS)) * draw(st.integers(1, 50))
        elif op == "attr":
            size = draw(st.sampled_from([1_000, 100_000, 1_000_000]))
            body[pos:pos] = b'<x a="' + b"A" * size + b"\" b='" + b"&#x41;" * 100 + b"'>"
        elif op == "nest":
            depth = draw(st.sampled_from([100, 5_000, 20_000]))
            body[pos:pos] = b"<d>" * depth + b"t" + b"</d>" * depth
        elif op == "delete":
            del body[pos : pos + draw(st.integers(1, 2000))]
        else:
            end = min(len(body), pos + draw(st.integers(1, 5000)))
            body[pos:pos] = body[pos:end]
    return bytes(body)


CONTENT_TYPES = st.one_of(
    st.sampled_from(
        [
            "application/rss+xml",
            "application/rss+xml; charset=utf-8",
            "application/rss+xml; charset=gbk",
            "text/xml; charset=gb2312",
            "text/html; charset=utf-8",
            "text/plain",
            "application/json",
            "application/octet-stream",
            "application/rss+xml; charset=",
            'application/rss+xml; charset="utf-8',
            "application/rss+xml; charset=x-no-such-codec",
            "application/rss+xml; charset=utf-16",
            "application/rss+xml; charset=utf-32-be",
            "application/rss+xml; charset=rot13",
            "application/rss+xml; charset=uu",  # a bytes-to-bytes codec name
            "application/rss+xml; charset=hex",
            "application/rss+xml; charset=zlib",
            "application/rss+xml; charset=base64",
            "application/rss+xml; charset=idna",
            "application/rss+xml; charset=mbcs",
            ";;;",
            "",
        ]
    ),
    st.text(alphabet=string.printable.replace("\r", "").replace("\n", ""), max_size=80),
)


def check_items(body: bytes, headers: dict[str, str], final_url: str = "http://feeds.example.cn/rss") -> int:
    """parse_feed + normalise; returns the number of items (-1 for a ParseError)."""
    try:
        feed = parse_feed(body, url=final_url, final_url=final_url, headers=headers)
    except ParseError as e:
        assert str(e)
        return -1
    items = normalise(feed.items, source="fuzz", final_url=final_url, fetched_at=FETCHED)
    for item in items:
        for text in (item.title, item.summary, feed.title):
            assert not MARKUP.search(text), f"markup in {text[:200]!r}"
            assert "\x00" not in text
        assert HEX32.match(item.item_id) and HEX32.match(item.content_hash)
        assert item.url is None or item.url.startswith(("http://", "https://"))
        assert item.item_time <= FETCHED
        assert item.item_time.tzinfo is not None
    assert len({i.item_id for i in items}) == len(items)
    return len(items)


@FUZZ
@given(body=hostile_body(), content_type=CONTENT_TYPES)
def test_mutated_real_feeds_parse_or_refuse(body: bytes, content_type: str) -> None:
    check_items(body, {"content-type": content_type} if content_type else {})


@FUZZ
@given(data=st.binary(max_size=4096), content_type=CONTENT_TYPES)
def test_random_bytes_parse_or_refuse(data: bytes, content_type: str) -> None:
    check_items(data, {"content-type": content_type})


def test_unmutated_real_feeds_all_parse() -> None:
    """The control: every snapshot parses with items under its own headers."""
    for name in NAMES:
        assert check_items(real_feed(name), {"content-type": "application/rss+xml"}) > 0, name


# ---------------------------------------------------------------------------- XML entity attacks

BILLION_LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE rss [
 <!ENTITY lol "lol">
 <!ENTITY lol1 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol2 "&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
 <!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
 <!ENTITY lol5 "&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;">
 <!ENTITY lol6 "&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;">
 <!ENTITY lol7 "&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;">
 <!ENTITY lol8 "&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;">
 <!ENTITY lol9 "&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;">
]>
<rss version="2.0"><channel><title>&lol9;</title>
<item><title>laughs &lol9;</title><link>http://x.example.cn/1</link><description>&lol9;</description></item>
</channel></rss>"""

QUADRATIC = (
    b'<?xml version="1.0"?><!DOCTYPE rss [<!ENTITY a "'
    + b"x" * 100_000
    + b'">]><rss version="2.0"><channel><title>t</title><item><title>'
    + b"&a;" * 20_000
    + b"</title><link>http://x.example.cn/1</link></item></channel></rss>"
)


def external(target: str) -> bytes:
    return (
        f'<?xml version="1.0"?><!DOCTYPE rss [<!ENTITY xxe SYSTEM "{target}">]>'
        '<rss version="2.0"><channel><title>t</title><item><title>A &xxe; B</title>'
        "<link>http://x.example.cn/1</link><description>&xxe;</description></item></channel></rss>"
    ).encode()


def parameter_entity(target: str) -> bytes:
    return (
        f'<?xml version="1.0"?><!DOCTYPE rss [<!ENTITY % p SYSTEM "{target}"> %p;]>'
        '<rss version="2.0"><channel><title>t</title><item><title>A</title>'
        "<link>http://x.example.cn/1</link></item></channel></rss>"
    ).encode()


def _timed_parse(body: bytes) -> tuple[float, int, list[str]]:
    import resource
    import time

    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    started = time.monotonic()
    feed = parse_feed(body, url="http://x.example.cn/", headers={"content-type": "application/rss+xml"})
    took = time.monotonic() - started
    grew_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before
    texts = [feed.title] + [i.title for i in feed.items] + [i.summary for i in feed.items]
    return took, grew_kb, texts


@pytest.mark.parametrize("body", [BILLION_LAUGHS, QUADRATIC], ids=["billion-laughs", "quadratic-blowup"])
def test_entity_expansion_is_bounded(body: bytes) -> None:
    took, grew_kb, texts = _timed_parse(body)
    assert took < 5.0
    assert grew_kb < 200 * 1024  # the peak RSS grows by less than 200 MB (expansion would need GBs)
    assert all(len(t) < 1_000_000 for t in texts)
    assert not any("lol" * 1000 in t for t in texts)


def test_external_entities_are_never_fetched_or_read(rel_server: ReliabilityServer) -> None:
    secret = real_feeds_dir().parent / "feeds_index.csv"
    marker = secret.read_text(encoding="utf-8").splitlines()[1][:20]
    before = sum(rel_server.stats.requests.values())
    url = rel_server.url("xxe-target.dtd")
    for body in (
        external(secret.as_uri()),
        external("file:///etc/passwd"),
        external(url),
        parameter_entity(url),
        parameter_entity(secret.as_uri()),
    ):
        _, _, texts = _timed_parse(body)
        joined = " ".join(texts)
        assert marker not in joined and "root:" not in joined
    assert sum(rel_server.stats.requests.values()) == before, "the parser fetched an external entity"


# ---------------------------------------------------------------------------- HTTP headers

HEADER_TEXT = st.text(
    alphabet=st.characters(min_codepoint=0x20, max_codepoint=0x7E), max_size=60
) | st.sampled_from(
    [
        "",
        " ",
        "W/",
        '"',
        '""',
        'W/"x"',
        "-1",
        "0",
        "99999999999999999999",
        "1e9",
        "Wed, 21 Oct 2015 07:28:00 GMT",
        "Wed, 31 Feb 2021 25:61:61 GMT",
        "Mon, 01 Jan 0001 00:00:00 GMT",
        "Fri, 31 Dec 9999 23:59:59 GMT",
        "Sun, 06 Nov 1994 08:49:37 +9999",
        "gzip",
        "deflate",
        "br",
        "identity",
        "gzip, gzip",
        "x-gzip, identity",
        "compress",
        "chunked",
    ]
)
ENCODINGS = st.sampled_from(["", "gzip", "deflate", "br", "identity", "gzip, deflate", "zstd", "GZIP", " , "])


@FUZZ
@given(
    etag=HEADER_TEXT,
    last_modified=HEADER_TEXT,
    retry_after=HEADER_TEXT,
    date=HEADER_TEXT,
)
def test_validator_and_retry_after_values_never_crash_the_policy(
    etag: str, last_modified: str, retry_after: str, date: str
) -> None:
    cap = 6 * 3600.0
    seconds = parse_retry_after(retry_after, now=FETCHED, cap=cap)
    assert seconds is None or 0.0 <= seconds <= cap
    source = SourceConfig(name="s", url="http://127.0.0.1:9/rss.xml")
    state = SourceState(name="s")
    got = Retrieved(
        url=source.url,
        final_url=source.url,
        status=200,
        headers={"etag": etag, "last-modified": last_modified, "retry-after": retry_after, "date": date},
        body=b"",
        elapsed=0.0,
    )
    after = state_after_success(state, got, outcome=FetchOutcome.NEW, as_of=FETCHED)
    plan_fetch(source, after, as_of=FETCHED + timedelta(minutes=15))
    error = RetrieveError(
        "HTTP 429",
        url=source.url,
        outcome=FetchOutcome.RATE_LIMITED,
        disposition=Disposition.TEMPORARY,
        retry_after=seconds,
    )
    backed = state_after_error(after, error, as_of=FETCHED)
    assert backed.backoff_until is not None
    assert FETCHED < backed.backoff_until <= FETCHED + timedelta(hours=6)


LOOPBACK = FetchSettings(allowed_networks=LOOPBACK_NETWORKS, total_deadline=5.0, connect_timeout=2.0, max_body_bytes=2 * 1024 * 1024)


@settings(
    max_examples=40,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(
    name=st.sampled_from(NAMES),
    content_type=CONTENT_TYPES,
    encoding=ENCODINGS,
    etag=HEADER_TEXT,
    last_modified=HEADER_TEXT,
)
def test_header_fuzz_through_the_loopback_fetcher(
    rel_server: ReliabilityServer, name: str, content_type: str, encoding: str, etag: str, last_modified: str
) -> None:
    headers = [["Content-Type", content_type], ["ETag", etag], ["Last-Modified", last_modified]]
    if encoding:
        headers.append(["Content-Encoding", encoding])  # the body is NOT encoded: a lying header
    url = rel_server.url(f"echo/{name}") + "?h=" + quote(json.dumps(headers))
    got = fetch_one(url, LOOPBACK)
    if isinstance(got, RetrieveError):
        assert got.outcome and str(got)
        return
    check_items(got.body, got.headers, got.final_url)
    # The next run's conditional request is built from whatever validators the server sent.
    state = state_after_success(SourceState(name="s"), got, outcome=FetchOutcome.NEW, as_of=FETCHED)
    request = plan_fetch(SourceConfig(name="s", url=url), state, as_of=FETCHED + timedelta(minutes=15))
    assert request is not None
    validators = {"etag": request.etag, "last_modified": request.last_modified}
    again = fetch_one(url, LOOPBACK, **{k: v for k, v in validators.items() if v})
    assert isinstance(again, Retrieved | RetrieveError)
