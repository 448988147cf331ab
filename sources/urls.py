"""What makes a URL fetchable, and how a URL is shown: checked once for the sources file and again for every
redirect a server sends, so that a bad URL is a config error with its line or that source's failure, never a
crash of the run; shown and stored without the password a URL may carry."""

from __future__ import annotations

import ipaddress
from urllib.parse import urlsplit, urlunsplit


def url_problem(url: str) -> str | None:
    """Why no client can fetch ``url`` (None when it is usable): not http(s), no host, a port outside
    1–65535, an unclosed IPv6 literal, or a host name that is not a valid (IDNA) name."""
    try:
        parts = urlsplit(url)
        port = parts.port
        host = parts.hostname
    except ValueError as e:  # "Invalid IPv6 URL", "Port out of range 0-65535", a non-numeric port
        return str(e)
    if parts.scheme.lower() not in ("http", "https"):
        return f"not an http(s) URL: {parts.scheme or 'no scheme'}"
    if not host:
        return "no host"
    if port is not None and not 0 < port <= 65535:
        return f"port {port} outside 1-65535"
    try:
        ipaddress.ip_address(host)
    except ValueError:
        try:
            host.rstrip(".").encode("idna")
        except UnicodeError as e:
            return f"host {host[:80]!r} is not a valid name: {e}"
    return None


def redact(url: str) -> str:
    """``url`` with the password of its user-info replaced by ``***`` (``http://u:***@host/…``)."""
    try:
        parts = urlsplit(url)
        password = parts.password
    except ValueError:
        return url
    if password is None:
        return url
    user = parts.username or ""
    host = parts.netloc.rsplit("@", 1)[1]
    return urlunsplit((parts.scheme, f"{user}:***@{host}", parts.path, parts.query, parts.fragment))
