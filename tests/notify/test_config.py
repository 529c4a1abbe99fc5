"""``[notify]`` and ``[mqtt]`` in the site file: every problem named by its key path."""

from __future__ import annotations

from pathlib import Path

import pytest

from controller.config.site import ConfigError, load_site
from tests.helpers.site import DEMO_SITE

GOOD = """
[notify]
language = "en"

[[notify.channels]]
name = "ops"
kind = "dingtalk"
url = "https://oapi.dingtalk.com/robot/send?access_token=x"
secret = "SECabc"
quiet_hours = "22:00-06:30"

[[notify.channels]]
name = "office-mail"
kind = "email"
smtp_host = "smtp.example.com"
sender = "qanat@example.com"
recipients = ["ops@example.com"]

[mqtt]
host = "192.0.2.10"
commands = true
"""


def load(tmp_path: Path, extra: str):  # type: ignore[no-untyped-def]
    path = tmp_path / "site.toml"
    path.write_text(DEMO_SITE.read_text(encoding="utf-8") + extra, encoding="utf-8")
    return load_site(path)


def test_a_good_section_loads(tmp_path: Path) -> None:
    site = load(tmp_path, GOOD)
    notify, mqtt = site.model.notify, site.model.mqtt
    assert notify is not None and mqtt is not None
    assert [c.name for c in notify.channels] == ["ops", "office-mail"]
    assert notify.channel("office-mail").smtp_port == 587 and notify.channel("ops").escalate
    assert mqtt.port == 1883 and mqtt.commands and mqtt.discovery_prefix == "homeassistant"


def test_a_site_without_them_has_neither(tmp_path: Path) -> None:
    site = load(tmp_path, "")
    assert site.model.notify is None and site.model.mqtt is None


@pytest.mark.parametrize(
    ("change", "problem"),
    [
        (('secret = "SECabc"', ""), "notify.channels[0]: kind 'dingtalk' needs secret (site.toml)"),
        (('kind = "dingtalk"', 'kind = "pager"'), "notify.channels[0].kind: Input should be"),
        (('"22:00-06:30"', '"22:00-24:00"'), "notify.channels[0].quiet_hours: String should"),
        (
            ('recipients = ["ops@example.com"]', 'recipients = ["ops"]'),
            "notify.channels[1]: recipients: not an address: ops (site.toml)",
        ),
        (('name = "office-mail"', 'name = "ops"'), "notify: channels: name used twice: ops"),
        (('language = "en"', 'language = "fr"'), "notify.language: Input should be"),
        (
            ('kind = "email"', 'kind = "sms"\nserial_port = "/dev/ttyUSB2"\nphones = ["139-1"]'),
            "notify.channels[1].phones[0]: String should match",
        ),
        (('kind = "email"', 'kind = "sms"'), "notify.channels[1]: kind 'sms' needs serial_port"),
        (('host = "192.0.2.10"', 'host = "192.0.2.10"\nusername = "u"'), "mqtt: username without"),
        (("commands = true", "commands = true\nport = 70000"), "mqtt.port: Input should be"),
        (
            ("commands = true", 'commands = true\ntopc_prefix = "x"'),
            "mqtt.topc_prefix: unknown key",
        ),
    ],
)
def test_problems_name_the_key_path(tmp_path: Path, change: tuple[str, str], problem: str) -> None:
    old, new = change
    assert old in GOOD
    with pytest.raises(ConfigError) as err:
        load(tmp_path, GOOD.replace(old, new, 1))
    assert any(p.startswith(problem) for p in err.value.problems), err.value.problems
