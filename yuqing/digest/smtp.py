"""SMTP settings from the environment and one delivery attempt, with every failure classified.

The classification is what makes retries safe (RFC 5321 §4.2.1): a failure *before* the server
accepted the message (connection refused, a 4xx reply at connect/MAIL/RCPT/DATA) is temporary and
retried; a 5xx is permanent; a failure *after* the message body was sent (connection lost while
waiting for the reply to the final ".") is in doubt: the server may have queued it, so it is never
retried blindly (``DeliveryError.accepted``).
"""

from __future__ import annotations

import contextlib
import enum
import ipaddress
import re
import smtplib
import socket
import ssl
import threading
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from email.message import EmailMessage
from email.policy import SMTP
from pathlib import Path
from typing import Any

from yuqing.errors import ConfigError, DeliveryError

DEFAULT_PORTS = {"none": 25, "starttls": 587, "tls": 465}  # RFC 5321, RFC 6409 (submission), RFC 8314
DEFAULT_TIMEOUT_S = 30.0
DEFAULT_MAX_ATTEMPTS = 4
DEFAULT_BACKOFF_S = 30.0  # then 60, 120 s: a relay restart or a greylisting window
DEFAULT_BACKOFF_FACTOR = 2.0
DEFAULT_BACKOFF_MAX_S = 600.0
DEFAULT_DEADLINE_S = 120  # the whole exchange, connect to QUIT: YUQING_SMTP_TIMEOUT bounds only each read
MAX_REPLY_LINES = 256  # a multi-line reply (EHLO's) has a dozen; a server sending thousands is hostile
MAX_REPLY_BYTES = 64 * 1024


class Security(enum.StrEnum):
    NONE = "none"  # plain SMTP (a local relay)
    STARTTLS = "starttls"  # upgrade on the submission port
    TLS = "tls"  # implicit TLS from the first byte


class SmtpDeliveryError(DeliveryError):
    """A delivery attempt failed. ``temporary``: worth retrying; ``accepted``: the server may have the message."""

    def __init__(
        self, message: str, *, temporary: bool, accepted: bool = False, code: int | None = None
    ) -> None:
        super().__init__(message, accepted=accepted)
        self.temporary = temporary and not accepted
        self.code = code


@dataclass(frozen=True, slots=True)
class SmtpSettings:
    host: str
    port: int
    security: Security
    sender: str  # YUQING_MAIL_FROM: "addr@host" or "显示名 <addr@host>"
    user: str | None = None
    password: str | None = field(default=None, repr=False)
    timeout_s: float = DEFAULT_TIMEOUT_S
    max_attempts: int = DEFAULT_MAX_ATTEMPTS
    backoff_s: float = DEFAULT_BACKOFF_S
    backoff_factor: float = DEFAULT_BACKOFF_FACTOR
    backoff_max_s: float = DEFAULT_BACKOFF_MAX_S
    deadline_s: float = DEFAULT_DEADLINE_S
    # None: the system trust store with hostname checks. Tests pass a context trusting their own CA.
    ssl_context: ssl.SSLContext | None = field(default=None, repr=False, compare=False)

    def __repr__(self) -> str:
        # Secrets never reach logs: the password is shown only as set / not set.
        return (
            f"SmtpSettings(host={self.host!r}, port={self.port}, security={self.security.value!r}, "
            f"sender={self.sender!r}, user={self.user!r}, password={'***' if self.password else None}, "
            f"timeout_s={self.timeout_s}, max_attempts={self.max_attempts}, backoff_s={self.backoff_s})"
        )

    __str__ = __repr__

    def backoff(self, attempt: int) -> float:
        """Seconds to wait after failed attempt number ``attempt`` (1-based): exponential, capped."""
        return float(min(self.backoff_s * self.backoff_factor ** (attempt - 1), self.backoff_max_s))

    @classmethod
    def from_env(
        cls,
        env: Mapping[str, str] | None = None,
        *,
        resolve_secret: Callable[[str], str] | None = None,
    ) -> SmtpSettings:
        """Settings from ``YUQING_SMTP_*`` and ``YUQING_MAIL_FROM``.

        The password comes from exactly one of ``YUQING_SMTP_PASSWORD``, ``YUQING_SMTP_PASSWORD_FILE``
        or ``YUQING_SMTP_PASSWORD_BLOCK`` (a Prefect Secret block name, resolved by ``resolve_secret``,
        which the flows layer provides; the library does not import Prefect).
        """
        from yuqing.settings import Settings

        e = Settings.of(env).environ()

        def get(name: str) -> str | None:
            value = e.get(name)
            return value.strip() if value and value.strip() else None

        host = get("YUQING_SMTP_HOST")
        if host is None:
            raise ConfigError("YUQING_SMTP_HOST is not set (the SMTP server to send the digest through)")
        sender = e.get("YUQING_MAIL_FROM", "").strip(" ")
        if not sender:
            raise ConfigError("YUQING_MAIL_FROM is not set (the digest's From: address)")
        from yuqing.digest.message import parse_sender

        parse_sender(sender)  # one plain address, on one line: checked here, not at the first send
        security_raw = (get("YUQING_SMTP_SECURITY") or "starttls").lower()
        try:
            security = Security(security_raw)
        except ValueError:
            raise ConfigError(
                f"YUQING_SMTP_SECURITY must be one of none, starttls, tls; got {security_raw!r}"
            ) from None
        port = _int(get("YUQING_SMTP_PORT"), "YUQING_SMTP_PORT", DEFAULT_PORTS[security.value], 1, 65535)

        password_sources = [
            n
            for n in ("YUQING_SMTP_PASSWORD", "YUQING_SMTP_PASSWORD_FILE", "YUQING_SMTP_PASSWORD_BLOCK")
            if get(n)
        ]
        if len(password_sources) > 1:
            raise ConfigError(f"set only one of {', '.join(password_sources)}")
        password: str | None = e.get("YUQING_SMTP_PASSWORD") or None  # not stripped: spaces may be part of it
        file_name = get("YUQING_SMTP_PASSWORD_FILE")
        if file_name:
            try:
                password = Path(file_name).read_text(encoding="utf-8").rstrip("\r\n")
            except OSError as err:
                raise ConfigError(
                    f"YUQING_SMTP_PASSWORD_FILE: cannot read {file_name}: {err.strerror}"
                ) from None
        block = get("YUQING_SMTP_PASSWORD_BLOCK")
        if block:
            if resolve_secret is None:
                raise ConfigError(
                    "YUQING_SMTP_PASSWORD_BLOCK names a Prefect Secret block; it is resolved by the flows "
                    "layer (run through Prefect) or use YUQING_SMTP_PASSWORD / YUQING_SMTP_PASSWORD_FILE"
                )
            password = resolve_secret(block)
        user = get("YUQING_SMTP_USER")
        if password and not user:
            raise ConfigError("an SMTP password is set but YUQING_SMTP_USER is not")
        if user and security is Security.NONE and not _is_loopback(host):
            raise ConfigError(
                "refusing to send the SMTP password in clear text: YUQING_SMTP_SECURITY=none with "
                f"YUQING_SMTP_USER set and a non-loopback host {host!r}; use starttls or tls"
            )
        return cls(
            host=host,
            port=port,
            security=security,
            sender=sender,
            user=user,
            password=password,
            timeout_s=float(
                _int(get("YUQING_SMTP_TIMEOUT"), "YUQING_SMTP_TIMEOUT", int(DEFAULT_TIMEOUT_S), 1, 600)
            ),
            max_attempts=_int(
                get("YUQING_SMTP_MAX_ATTEMPTS"), "YUQING_SMTP_MAX_ATTEMPTS", DEFAULT_MAX_ATTEMPTS, 1, 20
            ),
            backoff_s=float(
                _int(get("YUQING_SMTP_BACKOFF"), "YUQING_SMTP_BACKOFF", int(DEFAULT_BACKOFF_S), 0, 3600)
            ),
            deadline_s=float(
                _int(get("YUQING_SMTP_DEADLINE"), "YUQING_SMTP_DEADLINE", DEFAULT_DEADLINE_S, 1, 3600)
            ),
        )


def _int(value: str | None, name: str, default: int, low: int, high: int) -> int:
    if value is None:
        return default
    try:
        number = int(value)
    except ValueError:
        raise ConfigError(f"{name} must be an integer, got {value!r}") from None
    if not low <= number <= high:
        raise ConfigError(f"{name} must be between {low} and {high}, got {number}")
    return number


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


_EOL = re.compile(rb"\r\n|\r|\n")
_LEADING_DOT = re.compile(rb"(?m)^\.")


def _dot_stuffed(body: bytes) -> bytes:
    """RFC 5321 §4.5.2: CRLF line ends, leading dots doubled, then the terminating <CRLF>.<CRLF>."""
    data = _LEADING_DOT.sub(b"..", _EOL.sub(b"\r\n", body))
    if not data.endswith(b"\r\n"):
        data += b"\r\n"
    return data + b".\r\n"


def _reply_error(stage: str, code: int, reply: bytes | str) -> SmtpDeliveryError:
    text = reply.decode("utf-8", "replace") if isinstance(reply, bytes) else reply
    text = " ".join(text.split())[:200]
    return SmtpDeliveryError(f"{stage}: {code} {text}", temporary=400 <= code < 500, code=code)


class _BoundedReplies:
    """``getreply`` as smtplib's, with a cap on the lines and bytes of one reply (smtplib keeps every
    continuation line a server sends: a flood of ``220-`` lines grew one process to 7 GB)."""

    sock: socket.socket | None
    file: Any

    def getreply(self) -> tuple[int, bytes]:
        resp: list[bytes] = []
        total = 0
        if self.file is None:
            assert self.sock is not None
            self.file = self.sock.makefile("rb")
        while True:
            try:
                line = self.file.readline(smtplib._MAXLINE + 1)  # type: ignore[attr-defined]
            except OSError as e:
                self.close()  # type: ignore[attr-defined]
                raise smtplib.SMTPServerDisconnected("Connection unexpectedly closed: " + str(e)) from e
            if not line:
                self.close()  # type: ignore[attr-defined]
                raise smtplib.SMTPServerDisconnected("Connection unexpectedly closed")
            total += len(line)
            if len(line) > smtplib._MAXLINE or len(resp) >= MAX_REPLY_LINES or total > MAX_REPLY_BYTES:  # type: ignore[attr-defined]
                self.close()  # type: ignore[attr-defined]
                raise smtplib.SMTPResponseException(
                    500, f"reply too long (over {MAX_REPLY_LINES} lines or {MAX_REPLY_BYTES} bytes)"
                )
            resp.append(line[4:].strip(b" \t\r\n"))
            try:
                code = int(line[:3])
            except ValueError:
                code = -1
                break
            if line[3:4] != b"-":
                break
        return code, b"\n".join(resp)


class _SMTP(_BoundedReplies, smtplib.SMTP):
    pass


class _SMTPSSL(_BoundedReplies, smtplib.SMTP_SSL):
    pass


class _Deadline:
    """Ends an SMTP exchange that outlasts ``seconds``, however slowly the server answers: a watchdog shuts the
    socket down, which wakes any blocked read or write with an error."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self.expired = False
        self._timer: threading.Timer | None = None
        self._smtp: smtplib.SMTP | None = None

    def arm(self, smtp: smtplib.SMTP) -> None:
        self._smtp = smtp
        self._timer = threading.Timer(self.seconds, self._fire)
        self._timer.daemon = True
        self._timer.start()

    def _fire(self) -> None:
        self.expired = True
        sock = self._smtp.sock if self._smtp is not None else None
        if sock is not None:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)

    def cancel(self) -> None:
        if self._timer is not None:
            self._timer.cancel()

    def explain(self, error: str) -> str:
        return (
            f"no complete SMTP exchange within {self.seconds:g} s (YUQING_SMTP_DEADLINE)"
            if self.expired
            else error
        )


def _connect(settings: SmtpSettings, deadline: _Deadline) -> smtplib.SMTP:
    context = settings.ssl_context or ssl.create_default_context()
    smtp: smtplib.SMTP
    if settings.security is Security.TLS:
        smtp = _SMTPSSL(timeout=settings.timeout_s, context=context)
    else:
        smtp = _SMTP(timeout=settings.timeout_s)
    deadline.arm(smtp)
    setattr(smtp, "_host", settings.host)  # noqa: B010  (the TLS name, as SMTP(host) would set it)
    code, greeting = smtp.connect(settings.host, settings.port)
    if code != 220:
        smtp.close()
        raise smtplib.SMTPConnectError(code, greeting)
    if settings.security is Security.TLS:
        return smtp
    smtp.ehlo()
    if settings.security is Security.STARTTLS:
        if not smtp.has_extn("starttls"):
            smtp.close()
            raise SmtpDeliveryError(
                f"{settings.host}:{settings.port} does not offer STARTTLS (YUQING_SMTP_SECURITY=starttls)",
                temporary=False,
            )
        smtp.starttls(context=context)
        smtp.ehlo()
    return smtp


def deliver(
    message: EmailMessage,
    envelope_from: str,
    recipients: Sequence[str],
    settings: SmtpSettings,
    *,
    before_body: Callable[[], None] | None = None,
) -> dict[str, str]:
    """One SMTP transaction. Returns the recipients the server refused permanently (address -> reply).

    Raises SmtpDeliveryError: ``temporary`` before acceptance (retry), permanent (do not retry),
    or ``accepted=True`` when the outcome is unknown (do not re-send).
    """
    if not recipients:
        raise SmtpDeliveryError("no recipients", temporary=False)
    body = _dot_stuffed(message.as_bytes(policy=SMTP))
    deadline = _Deadline(settings.deadline_s)
    try:
        return _deliver(body, envelope_from, recipients, settings, deadline, before_body)
    except SmtpDeliveryError as e:
        if deadline.expired:
            raise SmtpDeliveryError(
                deadline.explain(str(e)) + (f" ({e})" if e.accepted else ""),
                temporary=e.temporary,
                accepted=e.accepted,
                code=e.code,
            ) from e
        raise
    finally:
        deadline.cancel()


def _deliver(
    body: bytes,
    envelope_from: str,
    recipients: Sequence[str],
    settings: SmtpSettings,
    deadline: _Deadline,
    before_body: Callable[[], None] | None,
) -> dict[str, str]:
    where = f"{settings.host}:{settings.port}"
    try:
        smtp = _connect(settings, deadline)
    except SmtpDeliveryError:
        raise
    except smtplib.SMTPConnectError as e:  # a 4xx/5xx greeting, e.g. 421 busy
        raise _reply_error(f"connect to {where}", e.smtp_code, e.smtp_error) from e
    except (OSError, smtplib.SMTPException) as e:  # refused, timeout, DNS, TLS handshake, dropped
        raise SmtpDeliveryError(f"connect to {where}: {type(e).__name__}: {e}", temporary=True) from e
    try:
        if settings.user:
            try:
                smtp.login(settings.user, settings.password or "")
            except smtplib.SMTPAuthenticationError as e:  # 535 bad credentials, 454 temporary
                raise _reply_error("AUTH", e.smtp_code, e.smtp_error) from e
            except smtplib.SMTPNotSupportedError as e:
                raise SmtpDeliveryError(f"AUTH: {where} does not offer AUTH", temporary=False) from e
        code, reply = smtp.mail(envelope_from)
        if code != 250:
            raise _reply_error("MAIL FROM", code, reply)
        refused: dict[str, str] = {}
        for rcpt in recipients:
            try:
                code, reply = smtp.rcpt(rcpt)
            except UnicodeError:  # an address that is not ASCII: refused by us, never sent
                refused[rcpt] = "not an ASCII address"
                continue
            if code in (250, 251):
                continue
            if 400 <= code < 500:
                # Retry the whole transaction later: nothing has been delivered to anyone yet.
                raise _reply_error("RCPT TO", code, reply)
            refused[rcpt] = f"{code} {reply.decode('utf-8', 'replace')[:120]}"
        if len(refused) == len(recipients):
            raise SmtpDeliveryError(f"RCPT TO: every recipient refused ({len(refused)})", temporary=False)
        code, reply = smtp.docmd("DATA")
        if code != 354:
            raise _reply_error("DATA", code, reply)
        # From the first byte of the body on, the server may accept the message at any moment.
        if before_body is not None:
            before_body()
        try:
            smtp.send(body)
            code, reply = smtp.getreply()
        except (OSError, smtplib.SMTPException) as e:
            raise SmtpDeliveryError(
                f"connection lost after the message body was sent ({type(e).__name__}: {e}); "
                "the server may have accepted it",
                temporary=False,
                accepted=True,
            ) from e
        if code != 250:
            raise _reply_error("end of DATA", code, reply)
        with contextlib.suppress(OSError, smtplib.SMTPException):
            smtp.quit()  # accepted already; a failed QUIT changes nothing
        return refused
    except SmtpDeliveryError:
        _abort(smtp)
        raise
    except smtplib.SMTPResponseException as e:
        _abort(smtp)
        raise _reply_error("SMTP", e.smtp_code, e.smtp_error) from e
    except (OSError, smtplib.SMTPException) as e:  # disconnected before the body: nothing accepted
        _abort(smtp)
        raise SmtpDeliveryError(f"{where}: {type(e).__name__}: {e}", temporary=True) from e
    except (
        Exception
    ) as e:  # anything else before the body was sent: nothing was accepted, and retrying won't help
        _abort(smtp)
        raise SmtpDeliveryError(f"{where}: {type(e).__name__}: {e}", temporary=False) from e


def _abort(smtp: smtplib.SMTP) -> None:
    with contextlib.suppress(OSError, smtplib.SMTPException):
        smtp.close()
