"""The address policy: which hosts yuqing may talk to (the SSRF guard of every fetch).

Public addresses are allowed; private, loopback, link-local, site-local, multicast and other special-purpose
addresses (also when embedded in an IPv6 address: IPv4-mapped, IPv4-compatible, NAT64, 6to4) only when the fetch
settings say ``allow_private`` or list them in ``allowed_networks``. A host is checked when its name is resolved
(``check_host``) and again on the connection's actual peer (``check_peer``), since DNS can change in between.
"""

from __future__ import annotations

import asyncio
import functools
import ipaddress
import socket
import weakref
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

import httpx

from sources.urls import redact
from yuqing.errors import Disposition, RetrieveError
from yuqing.models import FetchOutcome

if TYPE_CHECKING:
    from sources.http import FetchSettings


@functools.lru_cache(maxsize=64)
def _networks(allowed: tuple[str, ...]) -> tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...]:
    return tuple(ipaddress.ip_network(net, strict=False) for net in allowed)


def address_allowed(address: str, settings: FetchSettings) -> bool:
    """True when the policy lets us talk to ``address`` (an IP literal)."""
    return _address_allowed(address, settings.allow_private, tuple(settings.allowed_networks))


_NAT64 = (ipaddress.ip_network("64:ff9b::/96"), ipaddress.ip_network("64:ff9b:1::/48"))


def _embedded_ipv4(ip: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    """The IPv4 address an IPv6 address stands for: IPv4-mapped (::ffff:a.b.c.d), NAT64 (64:ff9b::a.b.c.d), 6to4
    (2002:aabb:ccdd::) or the deprecated IPv4-compatible form (::a.b.c.d)."""
    if ip.ipv4_mapped is not None:
        return ip.ipv4_mapped
    if any(ip in net for net in _NAT64):
        return ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
    if ip.sixtofour is not None:
        return ip.sixtofour
    if int(ip) >> 32 == 0 and int(ip) > 1:
        return ipaddress.IPv4Address(int(ip))
    return None


def _public(ip: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
    if isinstance(ip, ipaddress.IPv6Address):
        inner = _embedded_ipv4(ip)
        if inner is not None:  # as public as the IPv4 address it stands for
            return _public(inner)
        if ip.is_site_local:
            return False
    return not (ip.is_multicast or ip.is_reserved or ip.is_unspecified or not ip.is_global)


@functools.lru_cache(maxsize=4096)  # a run asks about the same few addresses again and again
def _address_allowed(address: str, allow_private: bool, allowed_networks: tuple[str, ...]) -> bool:
    try:
        ip = ipaddress.ip_address(address.split("%", 1)[0])
    except ValueError:
        return False
    candidates: list[ipaddress.IPv4Address | ipaddress.IPv6Address] = [ip]
    if isinstance(ip, ipaddress.IPv6Address) and (inner := _embedded_ipv4(ip)) is not None:
        candidates.append(inner)
    if any(c in net for c in candidates for net in _networks(allowed_networks) if c.version == net.version):
        return True
    if _public(ip):
        return True
    return allow_private


async def check_host(url: str, settings: FetchSettings) -> None:
    """Refuse URLs whose host resolves to an address the policy does not allow (SSRF guard).

    The resolved peer of the actual connection is checked again after connecting (DNS can change
    between the two lookups).
    """
    parts = urlsplit(url)
    host = parts.hostname
    if parts.scheme not in ("http", "https") or not host:
        raise RetrieveError(
            f"unsupported URL: {redact(url)}",
            url=url,
            outcome=FetchOutcome.BLOCKED,
            disposition=Disposition.HARD,
        )
    try:
        ipaddress.ip_address(host)
        addresses = [host]
    except ValueError:
        if settings.allow_private:
            return
        port = parts.port or (443 if parts.scheme == "https" else 80)
        try:
            infos = await asyncio.get_running_loop().getaddrinfo(host, port, type=socket.SOCK_STREAM)
        except OSError as e:
            raise RetrieveError(
                f"cannot resolve {host}: {e}",
                url=url,
                outcome=FetchOutcome.CONNECT_ERROR,
                disposition=Disposition.TEMPORARY,
            ) from e
        addresses = [str(info[4][0]) for info in infos]
    for address in addresses:
        if not address_allowed(address, settings):
            raise RetrieveError(
                f"address {address} of {host} is not allowed by the address policy",
                url=url,
                outcome=FetchOutcome.BLOCKED,
                disposition=Disposition.HARD,
            )


def check_peer(
    response: httpx.Response, url: str, settings: FetchSettings, checked: weakref.WeakSet[Any] | None = None
) -> None:
    """Refuse a response from a connection whose peer the policy does not allow.

    ``checked``: connections already found allowed; a kept-alive connection keeps its peer, so each
    is checked on its first response only.
    """
    stream = response.extensions.get("network_stream")
    if stream is None or (checked is not None and stream in checked):
        return
    peer = stream.get_extra_info("server_addr")
    if isinstance(peer, tuple) and peer and not address_allowed(str(peer[0]), settings):
        raise RetrieveError(
            f"connected to {peer[0]}, which the address policy does not allow",
            url=url,
            outcome=FetchOutcome.BLOCKED,
            disposition=Disposition.HARD,
        )
    if checked is not None:
        checked.add(stream)
