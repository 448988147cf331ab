"""``build_message``: a rendered digest as a MIME message (multipart/alternative, UTF-8).

Recipients never see each other: they travel only in the SMTP envelope; the To: header is the
recipient when there is exactly one, else the empty group ``undisclosed-recipients:;`` (RFC 5322
§3.4), and no Bcc: header is ever written (it would survive in a saved .eml).
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from datetime import datetime
from email.headerregistry import Address, Group
from email.message import EmailMessage
from email.policy import SMTP
from email.utils import format_datetime, parseaddr

from yuqing.digest.render import RenderedDigest
from yuqing.digest.routes import check_address
from yuqing.digest.safety import header_text
from yuqing.errors import ConfigError
from yuqing.timeutil import shanghai, utcnow

DEFAULT_SENDER_NAME = "舆情监测"


def parse_sender(value: str) -> Address:
    """``YUQING_MAIL_FROM``: ``addr@host`` or ``显示名 <addr@host>``; anything else (a second address after a
    CR/LF, a comma) is a ConfigError rather than quietly another address."""
    if any(c in value for c in "\r\n\0") or "," in value:
        raise ConfigError(f"YUQING_MAIL_FROM: one address, on one line, please: {value!r}")
    name, addr = parseaddr(header_text(value))
    addr = check_address(addr, where="YUQING_MAIL_FROM")
    local, domain = addr.split("@")
    return Address(
        display_name=header_text(name, limit=60) or DEFAULT_SENDER_NAME, username=local, domain=domain
    )


def content_hash(rendered: RenderedDigest) -> str:
    h = hashlib.sha256()
    for part in (rendered.subject, rendered.text, rendered.html):
        h.update(part.encode("utf-8"))
        h.update(b"\0")
    return h.hexdigest()


def message_id(*, digest_date: str, route: str, content: str, domain: str, generation: int = 0) -> str:
    """Deterministic per (date, route, content): a re-send of the same content carries the same id,
    so clients that collapse duplicates by Message-ID show it once. A forced re-send of a digest
    already marked sent gets a new ``generation`` so it is not collapsed away.

    Kept short (no raw route name) so the header is never folded: some clients mishandle a folded
    Message-ID.
    """
    route_key = hashlib.sha256(route.encode("utf-8")).hexdigest()[:8]
    suffix = f".g{generation}" if generation else ""
    return f"<yq.{digest_date.replace('-', '')}.{route_key}.{content[:16]}{suffix}@{domain}>"


def build_message(
    rendered: RenderedDigest,
    sender: str | Address,
    recipients: Sequence[str],
    *,
    msg_id: str | None = None,
    date: datetime | None = None,
) -> EmailMessage:
    """multipart/alternative (text/plain, then text/html), UTF-8, headers RFC 2047-encoded by the policy."""
    from_addr = sender if isinstance(sender, Address) else parse_sender(sender)
    to_list = [check_address(r, where="recipient") for r in recipients]
    # policy.SMTP: CRLF line endings and RFC 2047 encoded-words for non-ASCII header text; it also
    # refuses CR/LF inside a header value, a second line of defence after header_text.
    msg = EmailMessage(policy=SMTP)
    msg["Subject"] = header_text(rendered.subject)
    msg["From"] = from_addr
    if len(to_list) == 1:
        msg["To"] = Address(addr_spec=to_list[0])
    else:
        msg["To"] = Group("undisclosed-recipients")
    msg["Date"] = format_datetime(shanghai(date or utcnow()))
    msg["Message-ID"] = msg_id or message_id(
        digest_date=shanghai(date or utcnow()).date().isoformat(),
        route="adhoc",
        content=content_hash(rendered),
        domain=from_addr.domain,
    )
    msg["MIME-Version"] = "1.0"
    msg["Auto-Submitted"] = "auto-generated"  # RFC 3834: no auto-replies to the digest
    msg["Content-Language"] = "zh-CN"
    msg.set_content(rendered.text, subtype="plain", charset="utf-8")
    msg.add_alternative(rendered.html, subtype="html", charset="utf-8")
    return msg
