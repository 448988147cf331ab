"""Retrieval: every network policy of yuqing lives here or beside it.

Total deadline per fetch, a body cap applied after decompression (``sources/body.py``), redirects followed by
hand (at most five, loops detected), conditional GET, Retry-After, bounded concurrency overall and per host, the
address policy (``sources/addresses.py``), and a classification of every failure into a :class:`FetchOutcome` and
a :class:`Disposition` (via :class:`RetrieveError`). Parsing and storage know nothing of HTTP.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import ssl
import time
import weakref
from collections.abc import AsyncIterator, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any
from urllib.parse import urljoin, urlsplit

import httpx

from sources.addresses import check_host, check_peer
from sources.body import BadContentEncoding, BodyDecoder, BodyTooLarge
from sources.urls import redact, url_problem
from yuqing.errors import Disposition, RetrieveError
from yuqing.models import FetchOutcome

log = logging.getLogger("yuqing.sources")

USER_AGENT = "yuqing/0.1 (public-sentiment feed monitor; +https://github.com/yuqing-project/yuqing)"
# Brotli is not in the standard library; we only ask for what we can decode with a bounded buffer.
ACCEPT_ENCODING = "gzip, deflate"
ACCEPT = "application/rss+xml, application/atom+xml, application/rdf+xml, application/xml;q=0.9, text/xml;q=0.9, */*;q=0.5"

DEFAULT_TOTAL_DEADLINE = 30.0  # seconds for the whole exchange: connect, redirects and body
DEFAULT_CONNECT_TIMEOUT = 10.0
DEFAULT_MAX_BODY = 10 * 1024 * 1024  # after decompression
DEFAULT_MAX_REDIRECTS = 5
DEFAULT_RETRY_AFTER_CAP = 6 * 3600.0  # a server asking for more than 6 h is treated as asking for 6 h
_REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})
_CHUNK = 64 * 1024

# Loopback is allowed by default: ``yuqing demo`` and the tests serve feeds on 127.0.0.1.
LOOPBACK_NETWORKS: tuple[str, ...] = (
    "127.0.0.0/8",
    "::1/128",
)  # the demo, tests and benchmarks opt in to these
DEFAULT_ALLOWED_NETWORKS: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class FetchSettings:
    """Network policy for one ingest run (one settings object, passed down explicitly)."""

    max_concurrency: int = 16
    per_host_concurrency: int = 2
    total_deadline: float = DEFAULT_TOTAL_DEADLINE
    connect_timeout: float = DEFAULT_CONNECT_TIMEOUT
    max_body_bytes: int = DEFAULT_MAX_BODY
    max_redirects: int = DEFAULT_MAX_REDIRECTS
    retry_after_cap: float = DEFAULT_RETRY_AFTER_CAP
    user_agent: str = USER_AGENT
    # Address policy: public addresses are allowed; private, loopback, link-local, site-local, multicast and
    # other special-purpose addresses (also when embedded in an IPv6 address: IPv4-mapped, IPv4-compatible,
    # NAT64, 6to4) only when ``allow_private`` or listed in ``allowed_networks``. Nothing is listed by default.
    allow_private: bool = False
    allowed_networks: tuple[str, ...] = DEFAULT_ALLOWED_NETWORKS
    verify_tls: bool = True


@dataclass(frozen=True, slots=True)
class FetchRequest:
    """One URL to fetch, with the conditional-GET validators decided by :mod:`sources.policy`."""

    url: str
    etag: str | None = None
    last_modified: str | None = None
    key: str | None = None  # the caller's name for it (the source name), echoed for bookkeeping

    @property
    def conditional(self) -> bool:
        return bool(self.etag or self.last_modified)


@dataclass(frozen=True, slots=True)
class Retrieved:
    """A successful exchange: 200 with a body, or 304 (not modified) with none."""

    url: str
    final_url: str
    status: int
    headers: dict[str, str]  # lower-cased names; repeated headers joined with ", "
    body: bytes
    elapsed: float  # seconds, whole exchange
    conditional: bool = False  # validators were sent
    redirects: tuple[str, ...] = field(default=())  # URLs redirected through, in order

    @property
    def not_modified(self) -> bool:
        return self.status == 304


def _headers(response: httpx.Response) -> dict[str, str]:
    merged: dict[str, str] = {}
    for name, value in response.headers.multi_items():
        key = name.lower()
        merged[key] = f"{merged[key]}, {value}" if key in merged else value
    return merged


def parse_retry_after(value: str | None, *, now: datetime, cap: float) -> float | None:
    """Seconds to wait from a Retry-After header (delta-seconds or HTTP-date, RFC 9110 10.2.3)."""
    if not value:
        return None
    text = value.strip()
    if text.isascii() and text.isdigit():  # "²".isdigit() is true too
        seconds = float(text)
    else:
        try:
            when = parsedate_to_datetime(text)
        except (TypeError, ValueError, IndexError):
            return None
        if when.tzinfo is None:
            when = when.replace(tzinfo=UTC)
        seconds = (when - now).total_seconds()
    return max(0.0, min(seconds, cap))


def _classify_status(status: int) -> tuple[FetchOutcome, Disposition]:
    if status == 429:
        return FetchOutcome.RATE_LIMITED, Disposition.TEMPORARY
    if status >= 500 or status == 408:
        return FetchOutcome.HTTP_ERROR, Disposition.TEMPORARY
    if status in (404, 410, 400, 401, 405, 414, 451):
        # Gone, missing, or never going to work without someone editing the sources file.
        return FetchOutcome.HTTP_ERROR, Disposition.HARD
    return FetchOutcome.HTTP_ERROR, Disposition.SOFT


# ---------------------------------------------------------------- one fetch


class Limits:
    def __init__(self, settings: FetchSettings) -> None:
        self.total = asyncio.Semaphore(settings.max_concurrency)
        self.per_host: dict[str, asyncio.Semaphore] = {}
        self.per_host_size = settings.per_host_concurrency

    def host(self, url: str) -> asyncio.Semaphore:
        host = (urlsplit(url).hostname or "").lower()
        sem = self.per_host.get(host)
        if sem is None:
            sem = self.per_host[host] = asyncio.Semaphore(self.per_host_size)
        return sem


Origin = tuple[str, str, int | None]


def _origin(url: str) -> Origin:
    parts = urlsplit(url)
    try:
        port = parts.port
    except ValueError:  # httpx refuses the URL itself, with its own message
        port = None
    return parts.scheme.lower(), (parts.hostname or "").lower(), port


class Clients:
    """One httpx transport (connection pool) per origin, at most ``keep`` of them kept open.

    httpcore's pool checks every connection it holds (a socket poll and a getpeername each) whenever
    it hands out a request, so one pool shared by all hosts costs O(connections) per request: with 16
    connections that was most of the client's CPU in an all-304 re-poll. A pool per origin holds at
    most ``per_host_concurrency`` connections. An origin not in use is closed once more than ``keep``
    are open (least recently used first), so a run over a thousand hosts does not keep a thousand
    sockets open. One TLS context serves every pool.

    Requests are sent to the transport, not through ``httpx.AsyncClient``: what the client adds is
    what a feed poller either does itself or does not want. :func:`_exchange` follows redirects (each
    hop address-checked) and sets every header per request, and feeds are fetched without cookies or
    auth. The client's layer was about a fifth of the CPU of an all-304 re-poll.
    """

    def __init__(self, settings: FetchSettings) -> None:
        self.settings = settings
        self.keep = max(1, settings.max_concurrency)
        self._tls: ssl.SSLContext | None = None  # made for the first https origin (CA bundle: ~15 ms)
        # Plain-http pools never make a TLS connection (one pool per scheme, host and port), but httpx
        # builds a context for every transport it is not given one: a bare client context, which
        # trusts no CA and so could not complete a handshake if it were ever asked to.
        self._plain = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        timeout = httpx.Timeout(settings.total_deadline, connect=settings.connect_timeout)
        # What httpx.AsyncClient attaches to each request: the timeouts httpcore applies.
        self.extensions: dict[str, Any] = {"timeout": timeout.as_dict()}
        self.checked: weakref.WeakSet[Any] = weakref.WeakSet()  # connections whose peer was allowed
        self._open: dict[Origin, httpx.AsyncHTTPTransport] = {}  # in order of last use
        self._in_use: dict[Origin, int] = {}

    def _context(self, scheme: str) -> ssl.SSLContext:
        if scheme != "https":
            return self._plain
        if self._tls is None:
            self._tls = httpx.create_ssl_context(verify=self.settings.verify_tls, trust_env=False)
        return self._tls

    def _new(self, origin: Origin) -> httpx.AsyncHTTPTransport:
        size = self.settings.per_host_concurrency
        return httpx.AsyncHTTPTransport(
            verify=self._context(origin[0]),
            trust_env=False,
            limits=httpx.Limits(max_connections=size, max_keepalive_connections=size),
        )

    @contextlib.asynccontextmanager
    async def use(self, url: str) -> AsyncIterator[httpx.AsyncHTTPTransport]:
        key = _origin(url)
        transport = self._open.pop(key, None) or self._new(key)
        self._open[key] = transport
        self._in_use[key] = self._in_use.get(key, 0) + 1
        try:
            yield transport
        finally:
            self._in_use[key] -= 1
            if not self._in_use[key]:
                del self._in_use[key]
            await self._trim()

    async def _trim(self) -> None:
        surplus = len(self._open) - self.keep
        if surplus <= 0:
            return
        idle = [key for key in self._open if key not in self._in_use][:surplus]
        for key in idle:
            await self._open.pop(key).aclose()

    async def aclose(self) -> None:
        transports, self._open = list(self._open.values()), {}
        for transport in transports:
            await transport.aclose()

    @contextlib.asynccontextmanager
    async def get(self, url: str, headers: Mapping[str, str]) -> AsyncIterator[httpx.Response]:
        """A GET of ``url`` on its origin's pool: the response with its body still to read."""
        outgoing = httpx.Request("GET", url, headers=headers, extensions=self.extensions)
        async with self.use(url) as transport:
            response = await transport.handle_async_request(outgoing)
            try:
                yield response
            finally:
                await response.aclose()


def _redirect_target(
    requested: str, visited: Sequence[str], location: str | None, status: int, settings: FetchSettings
) -> str:
    """Where a redirect from ``visited[-1]`` leads, or the RetrieveError that refuses it (soft: the feed's address
    needs fixing, not the network)."""

    def refused(message: str, outcome: FetchOutcome = FetchOutcome.HTTP_ERROR) -> RetrieveError:
        return RetrieveError(
            message, url=requested, outcome=outcome, disposition=Disposition.SOFT, status=status
        )

    if not location:
        raise refused(f"HTTP {status} without Location")
    problem: str | None = None
    try:
        target = urljoin(visited[-1], location.strip())
    except ValueError as e:
        target, problem = location.strip(), str(e)
    if problem is None and target.lower().startswith(("http:", "https:")):
        problem = url_problem(target)  # other schemes are refused as such when fetched
    if problem is not None:
        raise refused(f"redirect to an unusable URL {target[:200]!r}: {problem}")
    if target in visited:
        loop = " -> ".join(redact(u) for u in [*visited, target])
        raise refused(f"redirect loop: {loop}", FetchOutcome.TOO_MANY_REDIRECTS)
    if len(visited) > settings.max_redirects:
        raise refused(f"more than {settings.max_redirects} redirects", FetchOutcome.TOO_MANY_REDIRECTS)
    return target


async def _exchange(
    clients: Clients, request: FetchRequest, settings: FetchSettings, started: float
) -> Retrieved:
    headers = {"User-Agent": settings.user_agent, "Accept": ACCEPT, "Accept-Encoding": ACCEPT_ENCODING}
    if request.etag:
        headers["If-None-Match"] = request.etag
    if request.last_modified:
        headers["If-Modified-Since"] = request.last_modified
    url = request.url
    visited = [url]
    while True:
        await check_host(url, settings)
        async with clients.get(url, headers) as response:
            check_peer(response, url, settings, clients.checked)
            status = response.status_code
            if status in _REDIRECT_STATUSES:
                target = _redirect_target(
                    request.url, visited, response.headers.get("location"), status, settings
                )
                visited.append(target)
                url = target
                continue
            resp_headers = _headers(response)
            if status == 304:
                # A 304 has no body (RFC 9110 15.4.5); reading its end lets the connection be kept
                # alive for the next request instead of being closed as a half-read response.
                await response.aread()
                return Retrieved(
                    request.url, url, 304, resp_headers, b"", time.monotonic() - started,
                    request.conditional, tuple(visited[:-1]),
                )  # fmt: skip
            if status != 200:
                outcome, disposition = _classify_status(status)
                server_now = _server_date(resp_headers)
                retry_after = parse_retry_after(
                    resp_headers.get("retry-after"), now=server_now, cap=settings.retry_after_cap
                )
                raise RetrieveError(
                    f"HTTP {status}",
                    url=request.url,
                    outcome=outcome,
                    disposition=disposition,
                    status=status,
                    retry_after=retry_after,
                )
            length = resp_headers.get("content-length", "")
            encoding = resp_headers.get("content-encoding")
            if length.isdigit() and not encoding and int(length) > settings.max_body_bytes:
                raise BodyTooLarge(f"Content-Length {length} over the cap of {settings.max_body_bytes} bytes")
            decoder = BodyDecoder(encoding, settings.max_body_bytes)
            async for chunk in response.aiter_raw(_CHUNK):
                decoder.feed(chunk)
            body = decoder.finish()
            return Retrieved(
                request.url, url, status, resp_headers, body, time.monotonic() - started,
                request.conditional, tuple(visited[:-1]),
            )  # fmt: skip


def _server_date(headers: Mapping[str, str]) -> datetime:
    """The server's clock (Date header) for an HTTP-date Retry-After; ours if absent or bad."""
    try:
        when = parsedate_to_datetime(headers.get("date", ""))
    except (TypeError, ValueError, IndexError):
        return datetime.now(UTC)
    return when if when.tzinfo else when.replace(tzinfo=UTC)


async def fetch_one(
    clients: Clients, request: FetchRequest, settings: FetchSettings, limits: Limits
) -> Retrieved | RetrieveError:
    url = request.url
    # Other schemes are refused by the address policy (BLOCKED), as they always were.
    problem = url_problem(url) if url.lower().startswith(("http:", "https:")) else None
    if problem is not None:
        return RetrieveError(
            f"unusable URL: {problem}", url=url, outcome=FetchOutcome.HTTP_ERROR, disposition=Disposition.HARD
        )
    try:
        return await _fetch_limited(clients, request, settings, limits)
    except Exception as e:  # anything else a server's answer can provoke concerns this source alone
        log.exception("fetch %s: unexpected %s", url, type(e).__name__)
        return RetrieveError(
            f"unexpected {type(e).__name__} while fetching: {e}"[:500],
            url=url,
            outcome=FetchOutcome.HTTP_ERROR,
            disposition=Disposition.SOFT,
        )


async def _fetch_limited(
    clients: Clients, request: FetchRequest, settings: FetchSettings, limits: Limits
) -> Retrieved | RetrieveError:
    url = request.url
    async with limits.total, limits.host(url):
        started = time.monotonic()
        try:
            # The deadline covers the whole exchange, redirects and body included: a server dripping
            # one byte at a time never trips a read timeout, but it does trip this.
            async with asyncio.timeout(settings.total_deadline):
                return await _exchange(clients, request, settings, started)
        except RetrieveError as e:
            return e
        except TimeoutError:
            return RetrieveError(
                f"no complete response within {settings.total_deadline:g} s",
                url=url,
                outcome=FetchOutcome.TIMEOUT,
                disposition=Disposition.TEMPORARY,
            )
        except BodyTooLarge as e:
            return RetrieveError(
                str(e), url=url, outcome=FetchOutcome.TOO_LARGE, disposition=Disposition.SOFT
            )
        except BadContentEncoding as e:
            return RetrieveError(
                f"bad response: {e}", url=url, outcome=FetchOutcome.HTTP_ERROR, disposition=Disposition.SOFT
            )
        except httpx.TimeoutException as e:
            return RetrieveError(
                f"timeout: {type(e).__name__}",
                url=url,
                outcome=FetchOutcome.TIMEOUT,
                disposition=Disposition.TEMPORARY,
            )
        except httpx.UnsupportedProtocol as e:
            return RetrieveError(
                f"unsupported URL: {e}", url=url, outcome=FetchOutcome.BLOCKED, disposition=Disposition.HARD
            )
        except httpx.InvalidURL as e:
            return RetrieveError(
                f"invalid URL: {e}", url=url, outcome=FetchOutcome.HTTP_ERROR, disposition=Disposition.HARD
            )
        except (httpx.TransportError, OSError) as e:
            # Refused, reset, DNS, TLS, a protocol violation: usually transient.
            return RetrieveError(
                f"{type(e).__name__}: {e}" if str(e) else type(e).__name__,
                url=url,
                outcome=FetchOutcome.CONNECT_ERROR,
                disposition=Disposition.TEMPORARY,
            )


async def fetch_many(
    requests: Iterable[FetchRequest], *, settings: FetchSettings | None = None
) -> list[Retrieved | RetrieveError]:
    """Fetch every request concurrently; results in input order, failures as RetrieveError values.

    Programming errors are not caught: they propagate and abort the batch.
    """
    settings = settings or FetchSettings()
    batch: Sequence[FetchRequest] = list(requests)
    if not batch:
        return []
    limits, clients = Limits(settings), Clients(settings)
    try:
        return list(await asyncio.gather(*(fetch_one(clients, r, settings, limits) for r in batch)))
    finally:
        await clients.aclose()


def fetch_many_sync(
    requests: Iterable[FetchRequest], *, settings: FetchSettings | None = None
) -> list[Retrieved | RetrieveError]:
    """:func:`fetch_many` for a one-off synchronous caller (a script, a test); not for use inside an event loop.
    Ingest fetches through a :class:`Fetcher`, which parses each feed as it arrives."""
    return asyncio.run(fetch_many(requests, settings=settings))
