"""Every ``YUQING_*`` environment variable, in one place: its name, its default and what it means.

``Settings.of()`` reads them (from ``os.environ``, or from a mapping a caller or a test passes). Values are kept as
the text that was set: each is parsed where it is used, by code that knows what a bad value means there and says
so in its own error (``YUQING_SMTP_PORT`` must be a port, ``YUQING_SNAPSHOT_MAX_AGE`` a duration). The table of
variables in ``docs/ops.md`` ("Environment") lists exactly these fields; ``tests/test_settings.py`` keeps the two
equal, and no other module reads a ``YUQING_*`` variable from the environment itself.

Alert channels read further variables, named by the routes file (``url_env``, ``secret_env``): those names are
the site's, not yuqing's, and are looked up in the environment the channel is given.
"""

from __future__ import annotations

import functools
import os
from collections.abc import Mapping

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

PREFIX = "YUQING_"


class Settings(BaseSettings):
    """The ``YUQING_*`` variables as set (``None`` where unset)."""

    model_config = SettingsConfigDict(env_prefix=PREFIX, case_sensitive=True, extra="ignore", frozen=True)

    # Paths
    DB: str | None = Field(default=None, description="database file (default ./yuqing.duckdb); --db wins")
    SOURCES: str | None = Field(default=None, description="sources file (default ./sources.toml)")
    ROUTES: str | None = Field(default=None, description="routes file: digest recipients and urgent alerts")
    SITE: str | None = Field(
        default=None, description="the site's directory, where the flows' relative paths are read"
    )
    # Ingest
    ALLOW_PRIVATE: str | None = Field(default=None, description="1: fetch sources on private addresses")
    ALLOW_LOOPBACK: str | None = Field(default=None, description="1: fetch sources on 127.0.0.0/8 and ::1")
    INGEST_WORKERS: str | None = Field(
        default=None, description="processes parsing and classifying beside the main one"
    )
    PROCESS_DEADLINE: str | None = Field(
        default=None, description="seconds one feed body may take to process"
    )
    SNAPSHOT_MAX_AGE: str | None = Field(
        default=None, description="how old the analyst snapshot may get unrepublished"
    )
    INGEST_GROUP_SIZE: str | None = Field(default=None, description="sources fetched and committed together")
    # Alerts
    ALERT_TIMEOUT: str | None = Field(
        default=None, description="seconds an alert webhook exchange may take in all"
    )
    # Digest and SMTP
    MAIL_FROM: str | None = Field(default=None, description="the digest's From: address")
    SMTP_HOST: str | None = Field(default=None, description="SMTP server")
    SMTP_PORT: str | None = Field(default=None, description="SMTP port (default by security)")
    SMTP_SECURITY: str | None = Field(default=None, description="starttls (default), tls or none")
    SMTP_USER: str | None = Field(default=None, description="SMTP login")
    SMTP_PASSWORD: str | None = Field(default=None, description="SMTP password", repr=False)
    SMTP_PASSWORD_FILE: str | None = Field(default=None, description="a file holding the SMTP password")
    SMTP_PASSWORD_BLOCK: str | None = Field(
        default=None, description="a Prefect Secret block holding the SMTP password"
    )
    SMTP_TIMEOUT: str | None = Field(default=None, description="seconds one SMTP exchange may take")
    SMTP_MAX_ATTEMPTS: str | None = Field(default=None, description="tries before a digest is marked failed")
    SMTP_BACKOFF: str | None = Field(
        default=None, description="seconds before the first retry (doubling after)"
    )
    SMTP_DEADLINE: str | None = Field(default=None, description="seconds one delivery may take in all")
    CHROMIUM: str | None = Field(default=None, description="the browser that renders the digest's screenshot")
    # serve
    SERVE_UI: str | None = Field(default=None, description="0: serve without the Prefect UI")
    SERVE_SCHEDULE_OVERRIDE: str | None = Field(default=None, description="JSON: other schedules for serve")
    PREFECT_YAML: str | None = Field(default=None, description="another prefect.yaml for serve")

    @classmethod
    def of(cls, env: Mapping[str, str] | None = None) -> Settings:
        """The settings in ``env`` (default: the process environment, as it is at the call)."""
        if env is None:
            # Read afresh when a variable changed; otherwise the same object (building one costs ~1.5 ms).
            return _from_process(tuple(os.environ.get(PREFIX + name) for name in cls.model_fields))
        # Only what ``env`` holds: the process environment is not read behind a mapping's back.
        values = {name: env[PREFIX + name] for name in cls.model_fields if PREFIX + name in env}
        return cls.model_construct(None, **values)

    @classmethod
    def names(cls) -> list[str]:
        """Every variable's full name, in declaration order."""
        return [PREFIX + name for name in cls.model_fields]

    def environ(self) -> dict[str, str]:
        """The variables that are set, by their full names (for code that takes an environment mapping)."""
        return {PREFIX + k: v for k, v in self.model_dump().items() if v is not None}


@functools.lru_cache(maxsize=8)
def _from_process(_values: tuple[str | None, ...]) -> Settings:
    return Settings()
