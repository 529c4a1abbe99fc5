"""Site configuration: the example loads; broken copies are refused naming the key path."""

from __future__ import annotations

from pathlib import Path

import pytest

from controller.cli import exitcodes, main
from controller.config.site import M2_PER_MU, ConfigError, OutputRef, load_site
from tests.helpers.site import DEMO_SITE

RIG_SITE = Path(__file__).parents[2] / "deploy" / "examples" / "rig.toml"


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "site.toml"
    path.write_text(text, encoding="utf-8")
    return path


def problems_of(tmp_path: Path, text: str) -> list[str]:
    with pytest.raises(ConfigError) as info:
        load_site(write(tmp_path, text))
    return info.value.problems


def test_demo_site_loads_with_every_role_resolved() -> None:
    site = load_site(DEMO_SITE)
    assert site.site.timezone == "Asia/Shanghai"
    assert len(site.zones) >= 4
    assert all(len(z.probes) == 2 for z in site.zones)
    assert site.zones[0].area_m2_value == pytest.approx(25 * M2_PER_MU)
    roles = dict(site.outputs())
    assert roles["zones[0].valve"] == OutputRef("relay1", "ch1")
    assert roles["head.pump"] == OutputRef("relay1", "ch8")
    # every device has its profile resolved, and outputs are leases
    assert set(site.profiles) == {d.name for d in site.devices}
    assert site.profiles["relay1"].lease is not None
    kinds = {site.profiles[d.name].kind for d in site.devices}
    assert {
        "relay",
        "soil_probe",
        "weather_station",
        "flow_meter",
        "ec_meter",
        "ph_meter",
        "injector",
    } <= kinds


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        (
            'valve = "relay1.ch3"',
            'valve = "relay9.ch3"',
            "zones[2].valve: unknown device 'relay9' (site.toml)",
        ),
        (
            'valve = "relay1.ch3"',
            'valve = "relay1.ch2"',
            "zones[2].valve: output relay1.ch2 is already used by zones[1].valve (site.toml)",
        ),
        (
            'valve = "relay1.ch3"',
            'valve = "relay1.ch9"',
            "zones[2].valve: device 'relay1' has no output 'ch9'",
        ),
        (
            'valve = "relay1.ch3"',
            'valve = "probe1a.moisture"',
            "zones[2].valve: device 'probe1a' is a soil_probe, expected relay (site.toml)",
        ),
        (
            "unit = 22\n",
            "unit = 21\n",
            "devices[10].unit: unit 21 on bus 'field' is already devices[9] (site.toml)",
        ),
        (
            'profile = "tuf-2000m"',
            'profile = "tuf-3000"',
            "devices[1].profile: unknown profile 'tuf-3000'",
        ),
        (
            "timeout_s = 0.3\nretries = 1\ngap_ms = 5",
            "timeout_s = 3\nretries = 1\ngap_ms = 5",
            "devices[0].poll_interval_s: 5 s is not longer than the bus timeout budget 6.01 s",
        ),
        (
            "timeout_s = 0.3\nretries = 1\ngap_ms = 5",
            "timeout_s = 0.3\nretries = 1\ngap_ms = 5\nmax_polls_per_s = 1",
            "buses[0].max_polls_per_s: bus 'head': its devices need 1.2 polls a second",
        ),
        (
            "timeout_s = 0.3\nretries = 1\ngap_ms = 5",
            "timeout_s = 0.3\nretries = 1\ngap_ms = 5\nmax_polls_per_s = 0",
            "buses[0].max_polls_per_s: Input should be greater than 0",
        ),
        (
            "timeout_s = 0.3\nretries = 1\ngap_ms = 5",
            "timeout_s = 0.3\nretries = 1\ngap_ms = 5\nbaud = 9600",
            "buses[0].baud: unknown key (did you mean 'baudrate'?) (site.toml)",
        ),
        ('timezone = "Asia/Shanghai"', 'timezone = "Asia/Zhangye"', "site.timezone: unknown time"),
        ("lease_s = 15 ", "lease_s = 900 ", "safety.lease_s: Input should be less than or equal"),
        ("area_mu = 25\ncrop", "area_mu = 25\narea_m2 = 1000\ncrop", "zones[0]: give exactly one"),
        ("area_mu = 25\ncrop", "area_mu = -3\ncrop", "zones[0].area_mu: Input should be greater"),
        (
            'probes = [{ device = "probe2a"',
            'probes = [{ device = "probe1a"',
            "zones[1].probes[0].device: probe 'probe1a' is already zones[0].probes[0].device",
        ),
        (
            'station = "wx1"',
            'station = "flow1"',
            "weather.station: device 'flow1' is a flow_meter, expected weather_station",
        ),
        ('crop = "seed_corn"', 'crop = "seedcorn"', "zones[0].crop: unknown crop 'seedcorn'"),
        ('soil = "sandy_loam"', 'soil = "sandyloam"', "zones[2].soil: unknown soil 'sandyloam'"),
        ("ph_min = 5.5", "ph_min = 8.5", "safety.ph_min: 8.5 is not below ph_max 8"),
        (
            'max_run_min = 240\n\n[[zones]]\nname = "z2"',
            'max_run_min = 400\n\n[[zones]]\nname = "z2"',
            "zones[0].max_run_min: 400 min exceeds safety.max_run_min 360",
        ),
        (
            'kind = "rtu_over_tcp"\nhost = "127.0.0.1"',
            'kind = "rtu"\nhost = "127.0.0.1"',
            "buses[1]: an rtu bus needs serial_port",
        ),
        (  # a 0 too many: every start of the zone refused at run time, found in the field
            "nominal_flow_m3_h = 100",
            "nominal_flow_m3_h = 1000",
            "zones[0].nominal_flow_m3_h: 1000 m3/h alone exceeds head.pump_capacity_m3_h "
            "120 m3/h: the zone could never start (site.toml)",
        ),
    ],
)
def test_broken_copy_is_refused_with_key_path(
    tmp_path: Path, demo_site_text: str, old: str, new: str, expected: str
) -> None:
    assert old in demo_site_text, f"test precondition: {old!r} not in the example"
    problems = problems_of(tmp_path, demo_site_text.replace(old, new, 1))
    assert any(expected in p for p in problems), problems


def test_every_problem_is_listed_at_once(tmp_path: Path, demo_site_text: str) -> None:
    text = (
        demo_site_text.replace('valve = "relay1.ch3"', 'valve = "relay9.ch3"')
        .replace('profile = "tuf-2000m"', 'profile = "nope"')
        .replace("unit = 22\n", "unit = 21\n")
    )
    problems = problems_of(tmp_path, text)
    assert len(problems) >= 3
    assert all(p.endswith("(site.toml)") for p in problems)


def test_invalid_toml_names_the_file(tmp_path: Path) -> None:
    problems = problems_of(tmp_path, "[site\nname = 1")
    assert problems[0].startswith("site.toml: not valid TOML")


def test_missing_file_is_a_config_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="cannot read"):
        load_site(tmp_path / "nope.toml")


def test_site_profile_dir_adds_profiles(tmp_path: Path, demo_site_text: str) -> None:
    profiles = tmp_path / "profiles"
    profiles.mkdir()
    src = (Path(__file__).parents[2] / "drivers" / "profiles" / "tuf-2000m.toml").read_text()
    (profiles / "my-meter.toml").write_text(src)
    text = 'profile_dirs = ["profiles"]\n' + demo_site_text.replace(
        'profile = "tuf-2000m"', 'profile = "my-meter"'
    )
    site = load_site(write(tmp_path, text))
    assert site.profiles["flow1"].name == "my-meter"


def test_check_config_cli_exit_status_and_messages(
    tmp_path: Path, demo_site_text: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["check-config", str(DEMO_SITE)]) == 0
    assert capsys.readouterr().out == (
        f"{DEMO_SITE}: ok — site 'ganzhou-demo', 2 buses, 19 devices, 4 zones\n"
    )
    assert main(["check-config", str(RIG_SITE)]) == 0  # one bus and one zone: no plural
    assert (
        capsys.readouterr().out == f"{RIG_SITE}: ok — site 'bench-rig', 1 bus, 2 devices, 1 zone\n"
    )
    broken = write(tmp_path, demo_site_text.replace('valve = "relay1.ch3"', 'valve = "relay9.ch3"'))
    assert main(["check-config", str(broken)]) == exitcodes.UNUSABLE
    err = capsys.readouterr().err
    assert "zones[2].valve: unknown device 'relay9' (site.toml)" in err


def test_a_refused_value_is_repeated_in_its_line_cut_to_forty_characters(
    tmp_path: Path, demo_site_text: str
) -> None:
    """A line says what the file gave, as TOML writes it; not for an unknown key (the key
    is the mistake) nor where qanat's own words name the value already."""
    z1 = 'name = "z1"\nlabel = "1号地 (北)"\n'
    assert z1 in demo_site_text
    long = "x" * 60
    text = demo_site_text.replace("planting_date = 2026-04-20", 'planting_date = "2026-13-01"', 1)
    text = text.replace(z1, f'{z1}colour = 1\nkc_factor = "{long}"\ncold_kc = 3\n', 1)
    text = text.replace("planting_date = 2026-04-22", "planting_date = 1999-12-31", 1)
    found = problems_of(tmp_path, text)
    assert found == [
        "zones[0].planting_date: Input should be a valid date (given '2026-13-01') (site.toml)",
        f"zones[0].kc_factor: Input should be a valid number (given '{'x' * 38}…) (site.toml)",
        "zones[0].cold_kc: Input should be a valid boolean (given 3) (site.toml)",
        "zones[0].colour: unknown key (site.toml)",
        "zones[2].planting_date: 1999-12-31 is before 2000-01-01 (site.toml)",
    ]


def test_time_of_use_tariff_wraps_midnight_and_falls_back_to_the_base_price() -> None:
    policy = load_site(DEMO_SITE).policy
    assert policy.price_at(23 * 60) == 0.26 and policy.price_at(3 * 60) == 0.26
    assert policy.price_at(19 * 60) == 0.78
    assert policy.price_at(12 * 60) == policy.base_price_per_kwh == 0.52
