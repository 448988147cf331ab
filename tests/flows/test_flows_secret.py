"""The SMTP password can live in a Prefect Secret block, named by YUQING_SMTP_PASSWORD_BLOCK."""

from __future__ import annotations

from flows.common import secret_value
from yuqing.digest import SmtpSettings


def test_smtp_password_from_a_secret_block(prefect_harness: None) -> None:
    from prefect.blocks.system import Secret

    Secret(value="s3cret-pw").save("yuqing-smtp-test", overwrite=True)
    assert secret_value("yuqing-smtp-test") == "s3cret-pw"
    env = {
        "YUQING_SMTP_HOST": "127.0.0.1",
        "YUQING_SMTP_PORT": "2525",
        "YUQING_SMTP_SECURITY": "none",
        "YUQING_SMTP_USER": "ops",
        "YUQING_SMTP_PASSWORD_BLOCK": "yuqing-smtp-test",
        "YUQING_MAIL_FROM": "yuqing@example.cn",
    }
    settings = SmtpSettings.from_env(env, resolve_secret=secret_value)
    assert settings.password == "s3cret-pw"
    assert "s3cret-pw" not in repr(settings)
