"""An unknown key of the site file names the key it was likely meant to be."""

from __future__ import annotations

from pathlib import Path

import pytest

from controller.config.site import ConfigError, load_site


def problems(tmp_path: Path, text: str) -> list[str]:
    path = tmp_path / "site.toml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError) as info:
        load_site(path)
    return info.value.problems


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        (  # a unit suffix left off, in a list of tables
            "application_mm_h = 6.0\nefficiency",
            "application_mm = 6.0\nefficiency",
            "zones[0].application_mm: unknown key (did you mean 'application_mm_h'?)",
        ),
        (  # a table at the top
            "lease_s = 15 ",
            "lease = 15 ",
            "safety.lease: unknown key (did you mean 'lease_s'?)",
        ),
        (  # a table of tables under a key of the user's (the crop)
            "[board]",
            "[crops.seed_corn.stages.ripening]\nmadd = 0.7\n\n[board]",
            "crops.seed_corn.stages.ripening.madd: unknown key (did you mean 'mad'?)",
        ),
        (  # an optional section
            'station = "wx1"',
            'staton = "wx1"',
            "weather.staton: unknown key (did you mean 'station'?)",
        ),
    ],
)
def test_a_misspelt_key_names_the_near_one(
    tmp_path: Path, demo_site_text: str, old: str, new: str, expected: str
) -> None:
    assert old in demo_site_text, f"test precondition: {old!r} not in the example"
    found = problems(tmp_path, demo_site_text.replace(old, new, 1))
    assert f"{expected} (site.toml)" in found, found


def test_a_key_near_none_is_only_unknown(tmp_path: Path, demo_site_text: str) -> None:
    text = demo_site_text.replace("lease_s = 15 ", "lease_s = 15\ncolour = 'red' ", 1)
    assert problems(tmp_path, text) == ["safety.colour: unknown key (site.toml)"]


def test_a_misspelt_required_key_is_one_problem(tmp_path: Path, demo_site_text: str) -> None:
    text = demo_site_text.replace(
        "application_mm_h = 6.0\nefficiency", "application_m = 6.0\nefficiency"
    )
    assert problems(tmp_path, text) == [
        "zones[0].application_m: unknown key (did you mean 'application_mm_h'?) (site.toml)"
    ]
