"""Site keys of the staged targets and the sowing-day state: accepted, and refused naming the
key, the zone and the file."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from controller.config.site import ConfigError, load_site
from tests.helpers.site import DEMO_SITE

Z3 = 'name = "z3"\n'
SITE = 'timezone = "Asia/Shanghai"\n'
NORMALS = "[1, 1, 3, 5, 12, 20, 35, 30, 15, 4, 1, 1]"


def demo_without_normals() -> str:
    """The demo site with its own rain normals taken out (each test puts its own)."""
    text, removed = re.subn(
        r"(?m)^rain_normals_mm = .*\n", "", DEMO_SITE.read_text(encoding="utf-8")
    )
    assert removed == 1, "test precondition: the demo site ships rain normals"
    return text


def problems(tmp_path: Path, old: str, new: str) -> list[str]:
    text = demo_without_normals()
    assert text.count(old) == 1, f"test precondition: {old!r} once in the demo site"
    path = tmp_path / "site.toml"
    path.write_text(text.replace(old, new), encoding="utf-8")
    with pytest.raises(ConfigError) as info:
        load_site(path)
    return info.value.problems


def test_the_keys_load(tmp_path: Path) -> None:
    text = demo_without_normals()
    text = text.replace(SITE, f"{SITE}rain_normals_mm = {NORMALS}\n")
    text = text.replace(Z3, f'{Z3}spring_depletion_fraction = 0.35\ntargets = "fao56"\n')
    path = tmp_path / "site.toml"
    path.write_text(text, encoding="utf-8")
    site = load_site(path)
    assert site.site.rain_normals_mm == [1, 1, 3, 5, 12, 20, 35, 30, 15, 4, 1, 1]
    z3 = site.zones[2]
    assert z3.spring_depletion_fraction == 0.35 and z3.targets == "fao56"
    assert site.zones[0].targets == "staged" and site.zones[0].spring_depletion_fraction is None
    # the demo ships Zhangye's normals: about 130 mm a year, most of it June to September
    shipped = load_site(DEMO_SITE).site.rain_normals_mm
    assert shipped is not None and sum(shipped) == pytest.approx(130)
    assert sum(shipped[5:9]) > 0.7 * sum(shipped)
    path.write_text(demo_without_normals(), encoding="utf-8")
    assert load_site(path).site.rain_normals_mm is None


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        (
            "spring_depletion_fraction = 1.2",
            "zones[2].spring_depletion_fraction: Input should be less than or equal to 1 "
            "(given 1.2) (site.toml)",
        ),
        (
            "spring_depletion_fraction = -0.1",
            "zones[2].spring_depletion_fraction: Input should be greater than or equal to 0",
        ),
        (
            'spring_depletion_fraction = "dry"',
            "zones[2].spring_depletion_fraction: Input should be a valid number",
        ),
        (
            'targets = "deficit"',
            "zones[2].targets: Input should be 'staged' or 'fao56' (given 'deficit') (site.toml)",
        ),
        ('target = "fao56"', "zones[2].target: unknown key (did you mean 'targets'?) (site.toml)"),
    ],
)
def test_a_bad_zone_key_is_named_with_its_zone(tmp_path: Path, line: str, expected: str) -> None:
    found = problems(tmp_path, Z3, f"{Z3}{line}\n")
    assert any(p.startswith(expected) for p in found), found


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (
            "[1, 1, 3, 5, 12, 20, 35, 30, 15, 4, 1]",
            "site.rain_normals_mm: List should have at least 12 items after validation, not 11",
        ),
        (
            "[1, 1, 3, 5, 12, 20, 35, 30, 15, 4, 1, 1, 1]",
            "site.rain_normals_mm: List should have at most 12 items after validation, not 13",
        ),
        (
            "[1, 1, 3, 5, 12, 20, 35, -30, 15, 4, 1, 1]",
            "site.rain_normals_mm[7]: Input should be greater than or equal to 0 (given -30) "
            "(site.toml)",
        ),
        ("[]", "site.rain_normals_mm: List should have at least 12 items"),
        ("40", "site.rain_normals_mm: Input should be a valid list"),
    ],
)
def test_bad_rain_normals_are_named(tmp_path: Path, value: str, expected: str) -> None:
    found = problems(tmp_path, SITE, f"{SITE}rain_normals_mm = {value}\n")
    assert any(p.startswith(expected) for p in found), found
