"""``qanat demo`` with a site file that has ``[notify]`` and ``[mqtt]``: said to be unused."""

from __future__ import annotations

from pathlib import Path

import pytest

from controller.cli import main
from tests.helpers.site import DEMO_SITE

# one channel and the bus, nothing listening: the demo stops before contacting them
NOTIFY_AND_MQTT = """
[[notify.channels]]
name = "ops"
kind = "feishu"
url = "http://127.0.0.1:9/hook"

[mqtt]
host = "127.0.0.1"
"""


def _demo(site: Path) -> int:
    """The demo stopped by a bad --listen, which is checked after the site file is read."""
    return main(["demo", "--config", str(site), "--listen", "no-port"])


def test_a_site_with_notify_and_mqtt_is_told_they_are_unused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    site = tmp_path / "site.toml"
    site.write_text(DEMO_SITE.read_text(encoding="utf-8") + NOTIFY_AND_MQTT, encoding="utf-8")
    status = _demo(site)
    err = capsys.readouterr().err
    assert status == 2  # the bad --listen; nothing started
    assert "[notify] and [mqtt] of site.toml not used: the demo sends no notification" in err
    assert f"qanat sim --config {site}` with `qanat run`" in err


def test_the_bundled_site_says_nothing_of_them(capsys: pytest.CaptureFixture[str]) -> None:
    status = _demo(DEMO_SITE)
    assert status == 2
    assert "not used" not in capsys.readouterr().err
