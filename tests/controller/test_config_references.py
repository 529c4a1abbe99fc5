"""A site file whose values fail the schema still has its references between sections
checked: ``check-config`` lists every problem at once, each by its key path."""

from __future__ import annotations

from pathlib import Path

import pytest

from controller.cli import exitcodes, main
from controller.config.site import ConfigError, load_site
from tests.helpers.dosing import channel_site_text

Z2 = 'nominal_flow_m3_h = 100\nvalve = "relay1.ch2"\n'


def _problems(tmp_path: Path, text: str) -> list[str]:
    path = tmp_path / "site.toml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError) as err:
        load_site(path)
    return err.value.problems


def _broken(demo_site_text: str) -> str:
    """A negative flow and an unknown valve in z2, an unknown crop in z1, soil in z3."""
    assert Z2 in demo_site_text
    text = demo_site_text.replace(Z2, 'nominal_flow_m3_h = -100\nvalve = "relay9.ch2"\n')
    text = text.replace('crop = "seed_corn"', 'crop = "seed-corn"', 1)
    return text.replace('soil = "sandy_loam"', 'soil = "sandy_lome"', 1)


def test_a_range_error_and_unknown_device_crop_and_soil_are_listed_together(
    tmp_path: Path, demo_site_text: str, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "site.toml"
    path.write_text(_broken(demo_site_text), encoding="utf-8")
    assert main(["check-config", str(path)]) == exitcodes.UNUSABLE
    lines = [line.strip() for line in capsys.readouterr().err.splitlines()]
    assert lines[0] == f"{path}: 4 problems"
    assert lines[1:] == [
        "zones[1].nominal_flow_m3_h: Input should be greater than 0 (given -100) (site.toml)",
        "zones[0].crop: unknown crop 'seed-corn' (one of maize_grain, seed_corn, pepper, "
        "tomato, cabbage, cotton) (site.toml)",
        "zones[1].valve: unknown device 'relay9' (site.toml)",
        "zones[2].soil: unknown soil 'sandy_lome' (one of sand, loamy_sand, sandy_loam, loam, "
        "silt_loam, silt, silty_clay_loam, silty_clay, clay) (site.toml)",
    ]


def test_the_same_references_read_the_same_once_the_values_are_fixed(
    tmp_path: Path, demo_site_text: str
) -> None:
    with_range_error = _problems(tmp_path, _broken(demo_site_text))
    fixed = _broken(demo_site_text).replace("nominal_flow_m3_h = -100", "nominal_flow_m3_h = 100")
    assert sorted(_problems(tmp_path, fixed)) == sorted(with_range_error[1:])


def test_a_reference_of_the_wrong_kind_is_named_beside_a_type_error(
    tmp_path: Path, demo_site_text: str
) -> None:
    text = demo_site_text.replace('valve = "relay1.ch2"', 'valve = "flow1.total"', 1)
    text = text.replace('flow_meter = "flow1"', 'flow_meter = "relay1"', 1)
    problems = _problems(tmp_path, text.replace("area_mu = 25", 'area_mu = "25"', 1))
    assert problems[0].startswith("zones[0].area_mu: Input should be a valid number")
    assert "zones[1].valve: device 'flow1' is a flow_meter, expected relay (site.toml)" in problems
    assert "zones[0].flow_meter: device 'relay1' is a relay, expected flow_meter (site.toml)" in (
        problems
    )


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        # a reference that failed the schema itself is said once, by the schema
        ('crop = "seed_corn"', "crop = 5", "zones[0].crop: Input should be a valid string"),
        ('valve = "relay1.ch1"', "valve = [1]", "zones[0].valve: Input should be a valid string"),
        # not of the shape wanted: read, never raised on
        ('name = "z1"', "name = 7", "zones[0].name: Input should be a valid string"),
        (
            'probes = [{ device = "probe1a"',
            'probes = 3\nx = [{ device = "probe1a"',
            "zones[0].probes",
        ),
        ('bus = "head"', "bus = {}", "devices[0].bus: Input should be a valid string"),
    ],
)
def test_half_valid_input_is_read_never_raised_on(
    tmp_path: Path, demo_site_text: str, old: str, new: str, expected: str
) -> None:
    assert old in demo_site_text
    problems = _problems(tmp_path, demo_site_text.replace(old, new, 1))
    assert [p for p in problems if p.startswith(expected)] != []
    path = expected.split(":", 1)[0]
    assert len([p for p in problems if p.startswith(f"{path}:")]) == 1, problems


def test_the_head_s_filter_transmitters_are_named_beside_a_type_error(
    tmp_path: Path, demo_site_text: str
) -> None:
    text = demo_site_text.replace(
        'pressure_before_filter = "press0"',
        'pressure_before_filter = "flow1"\nfilter_dp = "press9"',
        1,
    )
    problems = _problems(tmp_path, text.replace("area_mu = 25", 'area_mu = "25"', 1))
    assert problems[0].startswith("zones[0].area_mu: Input should be a valid number")
    assert (
        "head.pressure_before_filter: device 'flow1' is a flow_meter, expected pressure "
        "(site.toml)" in problems
    )
    assert "head.filter_dp: unknown device 'press9' (site.toml)" in problems


def test_a_channel_s_injector_and_tank_level_are_named_beside_a_type_error(
    tmp_path: Path,
) -> None:
    text = channel_site_text().replace('injector = "dose_n"', 'injector = "dose_x"', 1)
    text = text.replace('tank_level = "tank_p"', 'tank_level = "flow1"', 1)
    problems = _problems(tmp_path, text.replace("area_mu = 25", 'area_mu = "25"', 1))
    assert problems[0].startswith("zones[0].area_mu: Input should be a valid number")
    assert "fertigation.channels[0].injector: unknown device 'dose_x' (site.toml)" in problems
    assert (
        "fertigation.channels[1].tank_level: device 'flow1' is a flow_meter, expected "
        "tank_level (site.toml)" in problems
    )


@pytest.mark.parametrize(("section", "header"), [("site", "[site]"), ("head", "[head]")])
def test_a_missing_section_is_named_as_its_header(
    tmp_path: Path, demo_site_text: str, section: str, header: str
) -> None:
    problems = _problems(tmp_path, demo_site_text.replace(f"{header}\n", "[qq]\n", 1))
    assert f"{section}: missing section {header} (site.toml)" in problems
    assert f"{section}: Field required (site.toml)" not in problems
