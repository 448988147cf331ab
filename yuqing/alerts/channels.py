"""Sending one alert message on one channel: e-mail (SMTP), 企业微信 and 钉钉 group robots, a JSON webhook.

Every send is bounded: one SMTP transaction with the SMTP settings' timeout, or one HTTP POST with
``HTTP_TIMEOUT`` for connect, write, read and pool each. Nothing here retries or sleeps: a failure is
raised as ``ChannelError`` and the ledger decides when to try again (``yuqing/alerts/run.py``), so a channel
that is down costs one bounded attempt per run and never holds the warehouse.

Robot formats: 企业微信 ``{"msgtype": "markdown", "markdown": {"content": …}}``; 钉钉 ``{"msgtype": "markdown",
"markdown": {"title": …, "text": …}}``, signed when the robot has a secret (加签: ``timestamp`` in ms and
``sign`` = base64 of HMAC-SHA256 over ``"{timestamp}\\n{secret}"`` keyed by the secret, as query parameters).
Both answer ``{"errcode": 0, …}`` on success; any other errcode is a failure.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import logging
import os
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote_plus, urlsplit

import httpx

from yuqing.alerts.config import Channel, resolve_secret
from yuqing.alerts.render import Message
from yuqing.errors import ConfigError, DeliveryError

log = logging.getLogger("yuqing.alerts")

HTTP_TIMEOUT = 10.0  # seconds: for each of connect, write, read and pool, and for the whole exchange
MAX_RESPONSE_BYTES = 64 * 1024


class ChannelError(DeliveryError):
    """One attempt on one channel failed; the message says why (never a secret)."""


@dataclass(frozen=True, slots=True)
class SendContext:
    """What sending needs besides the message: where secrets come from, and the SMTP settings' source."""

    env: Mapping[str, str]
    resolve_block: Callable[[str], str] | None = None
    clock_ms: Callable[[], int] = lambda: int(time.time() * 1000)
    timeout_s: float = HTTP_TIMEOUT

    @classmethod
    def from_environment(cls, resolve_block: Callable[[str], str] | None = None) -> SendContext:
        """``YUQING_ALERT_TIMEOUT`` (seconds, default 10) bounds each webhook exchange."""
        env = dict(os.environ)
        from yuqing.settings import Settings

        raw = (Settings.of(env).ALERT_TIMEOUT or "").strip()
        try:
            timeout = float(raw) if raw else HTTP_TIMEOUT
        except ValueError:
            raise ConfigError(f"YUQING_ALERT_TIMEOUT must be a number of seconds, got {raw!r}") from None
        if not 0.1 <= timeout <= 120:
            raise ConfigError(f"YUQING_ALERT_TIMEOUT must be between 0.1 and 120 seconds, got {timeout:g}")
        return cls(env=env, resolve_block=resolve_block, timeout_s=timeout)


def send(
    channel: Channel, message: Message, *, recipients: tuple[str, ...], message_key: str, ctx: SendContext
) -> None:
    """Send ``message`` on ``channel``; ChannelError when it was not accepted."""
    try:
        if channel.kind == "email":
            _send_email(message, recipients, message_key, ctx)
        elif channel.kind == "wecom":
            _post_robot(channel, {"msgtype": "markdown", "markdown": {"content": message.markdown}}, ctx)
        elif channel.kind == "dingtalk":
            body = {
                "msgtype": "markdown",
                "markdown": {"title": message.subject[:60], "text": message.markdown},
            }
            _post_robot(channel, body, ctx)
        elif channel.kind == "webhook":
            _post(channel, message.payload | {"subject": message.subject, "text": message.text}, ctx)
        else:  # parse_channels admits only the kinds above
            raise ChannelError(f"unknown channel kind {channel.kind!r}")
    except ConfigError as e:
        raise ChannelError(f"{channel.name}: {e}") from e


def _send_email(message: Message, recipients: tuple[str, ...], message_key: str, ctx: SendContext) -> None:
    from yuqing.digest.message import build_message, parse_sender
    from yuqing.digest.render import RenderedDigest
    from yuqing.digest.smtp import SmtpDeliveryError, SmtpSettings, deliver

    settings = SmtpSettings.from_env(ctx.env, resolve_secret=ctx.resolve_block)
    sender = parse_sender(settings.sender)
    msg = build_message(
        RenderedDigest(subject=message.subject, text=message.text, html=message.html),
        sender,
        recipients,
        msg_id=f"<yq.alert.{message_key}@{sender.domain}>",
    )
    try:
        refused = deliver(msg, sender.addr_spec, recipients, settings)
    except SmtpDeliveryError as e:
        raise ChannelError(f"email: {e}") from e
    if refused:
        # Some recipients took it: it is sent; the refusals are for ops to fix in the routes file.
        log.warning(
            "alert %s: %d recipient(s) refused: %s",
            message_key,
            len(refused),
            "; ".join(sorted(refused.values())),
        )


def _url(channel: Channel, ctx: SendContext) -> str:
    assert channel.url is not None
    url = resolve_secret(channel.url, ctx.resolve_block, ctx.env)
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ConfigError(f"{channel.url.describe()} is not an http(s) URL")
    return url


def _where(url: str) -> str:
    """The URL without its query (a robot's key is in it): safe to log."""
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}{parts.path}"


def _post_robot(channel: Channel, body: dict[str, Any], ctx: SendContext) -> None:
    answer = _post(channel, body, ctx)
    try:
        data = json.loads(answer)
    except ValueError:
        raise ChannelError(f"{channel.name}: the robot's answer is not JSON: {answer[:80]!r}") from None
    if not isinstance(data, dict) or data.get("errcode") != 0:
        code = data.get("errcode") if isinstance(data, dict) else None
        msg = data.get("errmsg") if isinstance(data, dict) else None
        raise ChannelError(
            f"{channel.name}: the robot refused the message: errcode {code!r} {str(msg)[:120]!r}"
        )


def _post(channel: Channel, body: dict[str, Any], ctx: SendContext) -> str:
    url = _url(channel, ctx)
    if channel.secret is not None:  # 钉钉 加签
        secret = resolve_secret(channel.secret, ctx.resolve_block, ctx.env)
        ts = str(ctx.clock_ms())
        digest = hmac.new(secret.encode("utf-8"), f"{ts}\n{secret}".encode(), hashlib.sha256).digest()
        sign = quote_plus(base64.b64encode(digest).decode("ascii"))
        url += ("&" if "?" in url else "?") + f"timestamp={ts}&sign={sign}"
    where = _where(url)
    deadline = time.monotonic() + ctx.timeout_s
    try:
        with (
            httpx.Client(timeout=ctx.timeout_s, follow_redirects=False, trust_env=False) as client,
            client.stream(
                "POST",
                url,
                content=json.dumps(body, ensure_ascii=False).encode("utf-8"),
                headers={"Content-Type": "application/json; charset=utf-8", "User-Agent": "yuqing-alerts"},
            ) as response,
        ):
            raw = b""
            for chunk in response.iter_bytes():
                raw += chunk
                if len(raw) > MAX_RESPONSE_BYTES:
                    break
                if time.monotonic() > deadline:
                    raise ChannelError(
                        f"{channel.name}: POST {where}: no complete answer in {ctx.timeout_s:g} s"
                    )
    except httpx.HTTPError as e:
        raise ChannelError(f"{channel.name}: POST {where}: {type(e).__name__}: {e}") from e
    if not 200 <= response.status_code < 300:
        raise ChannelError(f"{channel.name}: POST {where}: HTTP {response.status_code}")
    return raw[:MAX_RESPONSE_BYTES].decode("utf-8", "replace")
