"""One exceptions module: every error the pipeline records for ops derives from YuqingError.

Programming errors (TypeError, KeyError, ...) are never caught and recorded as feed errors;
boundaries translate library errors into these with ``raise ... from e``.
"""

from __future__ import annotations

import enum


class Disposition(enum.StrEnum):
    """What a failure means for the next attempt (drives retry and per-source backoff)."""

    TEMPORARY = "temporary"  # try again soon (timeouts, 5xx, 429, connection resets)
    SOFT = "soft"  # the source answered but is unusable right now (bad feed, too large); back off longer
    HARD = "hard"  # will not fix itself (404/410, blocked address, bad URL); back off a lot, needs ops


class YuqingError(Exception):
    """Base class of every error yuqing records or reports."""


class ConfigError(YuqingError):
    """A configuration file is invalid; the message names the file, the line and the key."""


class RetrieveError(YuqingError):
    """Fetching a URL failed. Carries the HTTP details and what to do next."""

    def __init__(
        self,
        message: str,
        *,
        url: str,
        outcome: str,
        disposition: Disposition,
        status: int | None = None,
        retry_after: float | None = None,
    ) -> None:
        super().__init__(message)
        self.url = url
        self.outcome = outcome
        self.disposition = disposition
        self.status = status
        self.retry_after = retry_after


class ParseError(YuqingError):
    """A body could not be turned into feed items."""

    def __init__(self, message: str, *, url: str) -> None:
        super().__init__(message)
        self.url = url


class StorageError(YuqingError):
    """The warehouse refused or failed an operation."""


class SchemaError(StorageError):
    """The database schema is unknown or newer than this code understands."""


class DataCheckError(StorageError):
    """A data-quality check failed after a load; downstream steps (the digest) must stop."""


class DeliveryError(YuqingError):
    """Sending the digest failed."""

    def __init__(self, message: str, *, accepted: bool = False) -> None:
        super().__init__(message)
        # True when the server may already have accepted the message: never retry blindly then.
        self.accepted = accepted
