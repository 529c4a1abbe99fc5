"""Sites whose zones have field cameras, for the canopy tests."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from controller.config.site import SiteConfig, load_site
from tests.helpers.site import DEMO_SITE


def camera_site(tmp_path: Path, cameras: dict[str, str]) -> SiteConfig:
    """The demo site with ``cameras`` (zone name → inline camera table body) added."""
    text = DEMO_SITE.read_text(encoding="utf-8")
    for zone, camera in cameras.items():
        marker = f'[[zones]]\nname = "{zone}"\n'
        assert marker in text, zone
        text = text.replace(marker, f"{marker}camera = {{ {camera} }}\n", 1)
    path = tmp_path / "site.toml"
    path.write_text(text, encoding="utf-8")
    return load_site(path)


class Now:
    """A settable UTC time for jobs that take a ``now`` callable."""

    def __init__(self, start: dt.datetime = dt.datetime(2026, 6, 12, 10, 0, tzinfo=dt.UTC)):
        self.value = start

    def __call__(self) -> dt.datetime:
        return self.value

    def advance(self, **delta: float) -> None:
        self.value += dt.timedelta(**delta)
