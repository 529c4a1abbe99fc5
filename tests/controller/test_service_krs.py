"""Where the running site's ``[site] krs`` came from, as the settings page says it."""

from __future__ import annotations

from pathlib import Path

from controller.config.site import apply_overrides, load_site
from controller.daemon.service import krs_from
from tests.helpers.site import DEMO_SITE


def test_the_default_the_site_file_and_the_saved_settings(tmp_path: Path) -> None:
    demo = load_site(DEMO_SITE)  # sets no krs
    assert (demo.site.krs, krs_from(demo, demo)) == (0.16, "default")
    # the saved settings laid over a file that sets none: the default is still the file's
    assert krs_from(apply_overrides(demo, {}), demo) == "default"
    text = DEMO_SITE.read_text(encoding="utf-8").replace("[site]\n", "[site]\nkrs = 0.16\n", 1)
    path = tmp_path / "site.toml"
    path.write_text(text, encoding="utf-8")
    told = load_site(path)  # sets the default's value: still the file's word
    assert krs_from(told, told) == "site_file"
    tuned = apply_overrides(told, {"site": {"krs": 0.148}})
    assert (tuned.site.krs, krs_from(tuned, told)) == (0.148, "overrides")
