"""The routes file and the SMTP settings from the environment."""

from __future__ import annotations

from pathlib import Path

import pytest

from yuqing.digest import Route, Security, SmtpSettings, load_routes, parse_routes
from yuqing.digest.routes import region_prefix
from yuqing.errors import ConfigError

EXAMPLE = Path(__file__).resolve().parents[2] / "yuqing" / "digest" / "routes.example.toml"


def test_example_routes_file() -> None:
    routes = {r.name: r for r in load_routes(EXAMPLE)}
    assert list(routes) == ["gz-wage", "work-safety", "all"]
    gz = routes["gz-wage"]
    assert gz.topics == {"wage_arrears"} and gz.regions == ("4401",) and not gz.send_empty
    assert gz.matches(["wage_arrears"], "440106")
    assert not gz.matches(["wage_arrears"], "440300")
    assert not gz.matches(["work_safety"], "440100")
    assert not gz.matches(["wage_arrears"], None)
    assert routes["work-safety"].due_within_hours == 12
    assert routes["work-safety"].matches(["work_safety", "environment"], None)
    assert routes["all"].all and routes["all"].send_empty and routes["all"].matches([], None)


def test_region_prefix() -> None:
    assert region_prefix("440100") == "4401"
    assert region_prefix("440000") == "44"
    assert region_prefix("440106") == "440106"
    assert region_prefix("4401") == "4401"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            '[[route]]\nname = "a"\nrecipients = ["x@example.cn"]\nall = true\ntopic = ["x"]\n',
            ":5: route #1: topic: unknown key",
        ),
        (
            '[[route]]\nname = "a"\nrecipients = ["x@example.cn"]\n',
            "needs topics and/or regions, or all = true",
        ),
        ('[[route]]\nname = "a"\nrecipients = []\nall = true\n', "needs at least one address"),
        (
            '[[route]]\nname = "a"\nrecipients = ["x@example.cn\\r\\nBcc: y@example.cn"]\nall = true\n',
            "not a plain e-mail address",
        ),
        (
            '[[route]]\nname = "a"\nrecipients = ["Boss <x@example.cn>"]\nall = true\n',
            "not a plain e-mail address",
        ),
        ('[[route]]\nname = "../x"\nrecipients = ["x@example.cn"]\nall = true\n', "needs a name"),
        ('[[route]]\nname = "a"\nrecipients = ["x@example.cn"]\nregions = [4401]\n', "regions"),
        (
            '[[route]]\nname = "a"\nrecipients = ["x@example.cn"]\nall = true\ntopics = ["epidemic"]\n',
            "takes no topics",
        ),
        (
            '[defaults]\nrecipients = ["x@example.cn"]\n[[route]]\nname = "a"\nall = true\n',
            ":2: [defaults]: unknown key",
        ),
        (
            '[[route]]\nname = "a"\nrecipients = ["x@example.cn"]\nall = true\n[[route]]\nname = "a"\nrecipients = ["y@example.cn"]\nall = true\n',
            "used twice",
        ),
        ("[route]\nname = 1\n", ""),
    ],
)
def test_bad_routes(text: str, message: str) -> None:
    with pytest.raises(ConfigError, match=None) as info:
        parse_routes(text, where="routes.toml")
    assert message in str(info.value)
    assert str(info.value).startswith("routes.toml")


ENV = {"YUQING_SMTP_HOST": "smtp.example.gov.cn", "YUQING_MAIL_FROM": "舆情监测 <yuqing@example.gov.cn>"}


def test_settings_from_env_defaults_and_masked_password(tmp_path: Path) -> None:
    s = SmtpSettings.from_env(ENV)
    assert (s.host, s.port, s.security, s.user, s.password) == (
        "smtp.example.gov.cn",
        587,
        Security.STARTTLS,
        None,
        None,
    )
    env = {
        **ENV,
        "YUQING_SMTP_SECURITY": "tls",
        "YUQING_SMTP_USER": "yuqing",
        "YUQING_SMTP_PASSWORD": "s3cret-pw",
    }
    s = SmtpSettings.from_env(env)
    assert s.port == 465 and s.password == "s3cret-pw"
    assert "s3cret-pw" not in repr(s) and "s3cret-pw" not in str(s) and "password=***" in repr(s)
    secret = tmp_path / "pw"
    secret.write_text("from-file\n", encoding="utf-8")
    env = {
        **ENV,
        "YUQING_SMTP_USER": "u",
        "YUQING_SMTP_PASSWORD_FILE": str(secret),
        "YUQING_SMTP_PORT": "2525",
    }
    s = SmtpSettings.from_env(env)
    assert s.password == "from-file" and s.port == 2525
    env = {**ENV, "YUQING_SMTP_USER": "u", "YUQING_SMTP_PASSWORD_BLOCK": "smtp-password"}
    with pytest.raises(ConfigError, match="flows layer"):
        SmtpSettings.from_env(env)
    s = SmtpSettings.from_env(env, resolve_secret=lambda name: f"resolved:{name}")
    assert s.password == "resolved:smtp-password"


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        ({"YUQING_SMTP_HOST": ""}, "YUQING_SMTP_HOST is not set"),
        ({"YUQING_MAIL_FROM": ""}, "YUQING_MAIL_FROM is not set"),
        ({"YUQING_SMTP_SECURITY": "ssl"}, "none, starttls, tls"),
        ({"YUQING_SMTP_PORT": "x"}, "YUQING_SMTP_PORT must be an integer"),
        (
            {"YUQING_SMTP_PASSWORD": "p", "YUQING_SMTP_PASSWORD_FILE": "/x", "YUQING_SMTP_USER": "u"},
            "set only one",
        ),
        ({"YUQING_SMTP_PASSWORD": "p"}, "YUQING_SMTP_USER is not"),
        (
            {"YUQING_SMTP_SECURITY": "none", "YUQING_SMTP_USER": "u", "YUQING_SMTP_PASSWORD": "p"},
            "clear text",
        ),
        ({"YUQING_SMTP_USER": "u", "YUQING_SMTP_PASSWORD_FILE": "/nonexistent/pw"}, "cannot read"),
    ],
)
def test_bad_settings(extra: dict[str, str], message: str) -> None:
    with pytest.raises(ConfigError, match=message) as info:
        SmtpSettings.from_env({**ENV, **extra})
    assert str(info.value) != "p"  # never echoes a password value
    assert "YUQING_SMTP_PASSWORD=" not in str(info.value)


def test_plaintext_auth_allowed_to_loopback() -> None:
    env = {
        **ENV,
        "YUQING_SMTP_HOST": "127.0.0.1",
        "YUQING_SMTP_SECURITY": "none",
        "YUQING_SMTP_USER": "u",
        "YUQING_SMTP_PASSWORD": "p",
    }
    assert SmtpSettings.from_env(env).security is Security.NONE


def test_catch_all_route_checks_addresses() -> None:
    assert Route.catch_all(["a@example.cn"]).recipients == ("a@example.cn",)
    with pytest.raises(ConfigError):
        Route.catch_all(["a@example.cn\nBcc: b@example.cn"])
