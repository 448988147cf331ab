from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from sources.config import load_sources, parse_sources
from sources.http import Retrieved
from sources.policy import (
    PolicySettings,
    backoff_delay,
    conditional_headers,
    plan_fetch,
    should_fetch,
    state_after_error,
    state_after_success,
)
from yuqing.errors import ConfigError, Disposition, ParseError, RetrieveError
from yuqing.models import FetchOutcome, SourceConfig, SourceState

GOOD = """\
# 政务要闻
[[source]]
name = "某市人民政府-政务要闻"
url = "https://www.example.gov.cn/rss.xml"
kind = "feed"
region = "330100"

[[source]]
name = "澎湃新闻"
url = "https://www.thepaper.cn/rss.xml"

[[source]]
name = "某区融媒体"
url = "http://news.example.cn/rss"
official = true
"""


def test_load_sources_infers_official(tmp_path: Path) -> None:
    path = tmp_path / "sources.toml"
    path.write_text(
        GOOD + '\n[[source]]\nname = "政务"\nurl = "https://www.hangzhou.政务/rss"\n', encoding="utf-8"
    )
    sources = load_sources(path)
    assert sources[0] == SourceConfig(
        "某市人民政府-政务要闻", "https://www.example.gov.cn/rss.xml", "feed", True, "330100"
    )
    assert [s.official for s in sources] == [True, False, True, True]
    assert sources[1].region is None


@pytest.mark.parametrize(
    ("text", "line", "words"),
    [
        (GOOD.replace('region = "330100"', 'regoin = "330100"'), 6, ["regoin"]),
        (
            GOOD + '\n[[source]]\nname = "澎湃新闻"\nurl = "https://x.cn/"\n',
            18,
            ["duplicate", "澎湃新闻", "line 9"],
        ),
        (GOOD + '\n[[source]]\nname = "无链接"\n', 17, ["no url"]),
        (GOOD + '\n[[source]]\nname = "ftp"\nurl = "ftp://x.cn/rss"\n', 19, ["http"]),
        (GOOD + '\n[[source]]\nname = "k"\nurl = "https://x.cn/"\nkind = "html"\n', 20, ["kind"]),
        (GOOD + '\n[[source]]\nname = "r"\nurl = "https://x.cn/"\nregion = "浙江"\n', 20, ["region"]),
        ("interval = 5\n" + GOOD, 1, ["interval"]),
    ],
)
def test_config_errors_name_key_and_line(tmp_path: Path, text: str, line: int, words: list[str]) -> None:
    path = tmp_path / "sources.toml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError) as info:
        load_sources(path)
    message = str(info.value)
    assert f"{path}:{line}:" in message
    for word in words:
        assert word in message


def test_invalid_toml_reports_its_line() -> None:
    with pytest.raises(ConfigError, match="line 2"):
        parse_sources('[[source]]\nname = "x\n')


AS_OF = datetime(2021, 6, 17, 8, 0, tzinfo=UTC)
SOURCE = SourceConfig("某市政府", "https://www.example.gov.cn/rss.xml", official=True)
POLICY = PolicySettings()


def test_fetch_plan_respects_backoff_and_forced_full_fetch() -> None:
    assert plan_fetch(SOURCE, None, as_of=AS_OF) is not None
    backing_off = SourceState("某市政府", backoff_until=AS_OF + timedelta(seconds=1))
    assert not should_fetch(backing_off, as_of=AS_OF)
    assert plan_fetch(SOURCE, backing_off, as_of=AS_OF) is None
    assert should_fetch(backing_off, as_of=AS_OF + timedelta(seconds=1))

    recent = SourceState(
        "某市政府",
        etag='"e1"',
        last_modified="Thu, 17 Jun 2021 06:00:00 GMT",
        last_full_fetch_at=AS_OF - timedelta(hours=23),
    )
    assert conditional_headers(recent, as_of=AS_OF) == {
        "If-None-Match": '"e1"',
        "If-Modified-Since": "Thu, 17 Jun 2021 06:00:00 GMT",
    }
    request = plan_fetch(SOURCE, recent, as_of=AS_OF)
    assert (
        request is not None and request.etag == '"e1"' and request.conditional and request.key == "某市政府"
    )
    # Every 24 h a full fetch, whatever the validators say (catches servers with a stuck ETag).
    stale = plan_fetch(SOURCE, recent, as_of=AS_OF + timedelta(hours=1))
    assert stale is not None and not stale.conditional
    never_full = SourceState("某市政府", etag='"e1"')
    assert conditional_headers(never_full, as_of=AS_OF) == {}


@pytest.mark.parametrize(
    ("disposition", "failures", "expected"),
    [
        (Disposition.TEMPORARY, 1, timedelta(minutes=5)),
        (Disposition.TEMPORARY, 3, timedelta(minutes=20)),
        (Disposition.TEMPORARY, 20, timedelta(hours=6)),  # capped
        (Disposition.SOFT, 1, timedelta(hours=1)),
        (Disposition.SOFT, 4, timedelta(hours=8)),
        (Disposition.SOFT, 10, timedelta(days=1)),
        (Disposition.HARD, 1, timedelta(hours=6)),
        (Disposition.HARD, 2, timedelta(hours=12)),
        (Disposition.HARD, 1000, timedelta(days=7)),
    ],
)
def test_backoff_math(disposition: Disposition, failures: int, expected: timedelta) -> None:
    assert backoff_delay(disposition, failures) == expected


def test_retry_after_is_a_floor_and_capped() -> None:
    assert backoff_delay(Disposition.TEMPORARY, 1, retry_after=3600) == timedelta(hours=1)
    assert backoff_delay(Disposition.TEMPORARY, 1, retry_after=60) == timedelta(minutes=5)
    assert backoff_delay(Disposition.TEMPORARY, 1, retry_after=10**9) == timedelta(hours=6)


def test_state_transitions() -> None:
    state = SourceState("某市政府")
    limited = RetrieveError(
        "HTTP 429",
        url=SOURCE.url,
        outcome=FetchOutcome.RATE_LIMITED,
        disposition=Disposition.TEMPORARY,
        status=429,
        retry_after=1800,
    )
    s1 = state_after_error(state, limited, as_of=AS_OF)
    assert s1.consecutive_failures == 1 and s1.backoff_until == AS_OF + timedelta(minutes=30)
    assert s1.last_status == "rate_limited" and s1.last_error == "HTTP 429"
    s2 = state_after_error(
        s1, ParseError("not a feed: got an HTML page", url=SOURCE.url), as_of=AS_OF + timedelta(hours=1)
    )
    assert s2.consecutive_failures == 2 and s2.last_status == "parse_error"
    assert s2.backoff_until == AS_OF + timedelta(hours=1) + timedelta(hours=2)  # SOFT, second failure

    ok = Retrieved(
        SOURCE.url,
        SOURCE.url,
        200,
        {"etag": '"e2"', "last-modified": "Thu, 17 Jun 2021 07:00:00 GMT"},
        b"<rss/>",
        0.1,
    )
    s3 = state_after_success(s2, ok, outcome=FetchOutcome.NEW, as_of=AS_OF + timedelta(hours=4))
    assert s3.consecutive_failures == 0 and s3.backoff_until is None and s3.last_error is None
    assert (
        s3.etag == '"e2"' and s3.last_full_fetch_at == AS_OF + timedelta(hours=4) and s3.last_status == "new"
    )
    not_modified = Retrieved(SOURCE.url, SOURCE.url, 304, {}, b"", 0.1, conditional=True)
    s4 = state_after_success(
        s3, not_modified, outcome=FetchOutcome.NOT_MODIFIED, as_of=AS_OF + timedelta(hours=5)
    )
    assert (
        s4.etag == '"e2"'
        and s4.last_full_fetch_at == s3.last_full_fetch_at
        and s4.last_status == "not_modified"
    )
