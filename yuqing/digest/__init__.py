"""The daily alert digest: collect (warehouse, as of T) -> render (pure) -> message -> send (SMTP, ledger).

Public API::

    collect(wh, as_of, route, since=None) -> DigestData
    render(data) -> RenderedDigest(subject, text, html)
    build_message(rendered, sender, recipients) -> EmailMessage
    send_digests(wh, as_of, routes, smtp_settings, *, force=False, out_dir=None) -> list[DigestResult]
    write_digest(wh, as_of, out_path, *, route=None) -> DigestResult
    load_routes(path) -> tuple[Route, ...];  SmtpSettings.from_env()

See docs/digest.md.
"""

from yuqing.digest.collect import collect, digest_date
from yuqing.digest.message import build_message
from yuqing.digest.model import DigestData
from yuqing.digest.render import RenderedDigest, render
from yuqing.digest.routes import Route, load_routes, parse_routes
from yuqing.digest.send import DigestResult, Outcome, raise_for_failures, send_digests, write_digest
from yuqing.digest.smtp import Security, SmtpDeliveryError, SmtpSettings

__all__ = [
    "DigestData",
    "DigestResult",
    "Outcome",
    "RenderedDigest",
    "Route",
    "Security",
    "SmtpDeliveryError",
    "SmtpSettings",
    "build_message",
    "collect",
    "digest_date",
    "load_routes",
    "parse_routes",
    "raise_for_failures",
    "render",
    "send_digests",
    "write_digest",
]
