"""The site file's limits: unreadable, oversized, absurd or implausible files are refused
with the file and the key path, through ``qanat check-config`` and at daemon start alike.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from controller.cli import exitcodes, main
from controller.config import overrides
from controller.config.site import ConfigError, load_site
from controller.config.tomlfile import MAX_FILE_BYTES
from tests.helpers.site import ROOT

NOT_UTF8 = b'[site]\nid = "\xff\xfe"\n'
TOO_DEEP = ("\nx = " + "[" * 5000 + "]" * 5000 + "\n").encode()


def write(tmp_path: Path, content: str | bytes) -> Path:
    path = tmp_path / "site.toml"
    path.write_bytes(content.encode("utf-8") if isinstance(content, str) else content)
    return path


def problems_of(tmp_path: Path, content: str | bytes) -> list[str]:
    with pytest.raises(ConfigError) as info:
        load_site(write(tmp_path, content))
    return info.value.problems


def test_a_file_not_in_utf8_names_the_file_line_and_byte(tmp_path: Path) -> None:
    assert problems_of(tmp_path, NOT_UTF8) == [
        "site.toml: not UTF-8 text (byte 0xff at line 2, column 7); save the file as UTF-8"
    ]


def test_a_byte_order_mark_from_a_windows_editor_is_accepted(
    tmp_path: Path, demo_site_text: str
) -> None:
    site = load_site(write(tmp_path, b"\xef\xbb\xbf" + demo_site_text.encode("utf-8")))
    assert site.site.id == "ganzhou-demo"


def test_arrays_nested_5000_deep_are_refused_with_their_line(tmp_path: Path) -> None:
    assert problems_of(tmp_path, TOO_DEEP) == [
        "site.toml: arrays or tables nested deeper than 8 levels at line 2"
    ]


def test_nesting_the_parser_reads_is_refused_at_its_key_path(
    tmp_path: Path, demo_site_text: str
) -> None:
    text = demo_site_text.replace("probe_weight = 0.5", "probe_weight = " + "[" * 9 + "]" * 9)
    assert problems_of(tmp_path, text) == [
        "policy.probe_weight[0][0][0][0][0][0][0]: arrays or tables nested deeper than 8 levels "
        "(site.toml)"
    ]


def test_a_file_larger_than_the_limit_is_refused_unread(
    tmp_path: Path, demo_site_text: str
) -> None:
    padding = "#" * 100 + "\n"
    text = demo_site_text + padding * (MAX_FILE_BYTES // len(padding) + 1)
    assert problems_of(tmp_path, text) == ["site.toml: larger than 1024 KiB, not a site file"]


def test_an_integer_too_long_to_convert_is_invalid_toml(tmp_path: Path) -> None:
    (problem,) = problems_of(tmp_path, "[site]\nelevation_m = " + "9" * 5000 + "\n")
    assert problem.startswith("site.toml: not valid TOML: Exceeds the limit (4300 digits)")


@pytest.mark.parametrize(
    ("old", "new", "said"),
    [
        (
            'name = "head"',
            "name = “head”",
            'line {n} has full-width punctuation (“ for ", ” for ")',
        ),
        ('name = "head"', 'name ＝ "head"', "line {n} has full-width punctuation (＝ for =)"),
    ],
)
def test_full_width_punctuation_from_a_chinese_input_method_is_named(
    tmp_path: Path, demo_site_text: str, old: str, new: str, said: str
) -> None:
    """“head” typed with the input method in Chinese mode: TOML says only "Invalid value";
    the line is named with what to type instead."""
    n = demo_site_text[: demo_site_text.index(old)].count("\n") + 1
    (problem,) = problems_of(tmp_path, demo_site_text.replace(old, new, 1))
    assert problem.startswith("site.toml: not valid TOML: "), problem
    assert problem.endswith(said.format(n=n) + ": type it with the input method in English mode")


def test_full_width_punctuation_in_a_comment_is_no_hint(tmp_path: Path) -> None:
    (problem,) = problems_of(tmp_path, "[site]\nid = x  # 站点，甘州\n")
    assert problem == "site.toml: not valid TOML: Invalid value (at line 2, column 6)"


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        (
            'planting_date = 2026-04-22\nsoil = "loam"',
            'planting_date = 0001-01-01\nsoil = "loam"',
            "zones[3].planting_date: 0001-01-01 is before 2000-01-01 (site.toml)",
        ),
        (
            "day_after_planting = 95",
            "date = 2100-03-01",
            "fertigation.events[7].date: 2100-03-01 is after 2099-12-31 (site.toml)",
        ),
        (
            "planting_date = 2026-04-20",
            "planting_date = 2026-04-20T08:00:00",
            "zones[0].planting_date: Input should be a valid date (given 2026-04-20T08:00:00) "
            "(site.toml)",
        ),
        (
            'timezone = "Asia/Shanghai"',
            'timezone = "Asia"',
            "site.timezone: unknown time zone 'Asia' (site.toml)",
        ),
        (
            'planning_times = ["18:00"]',
            'planning_times = ["25:00"]',
            "policy.planning_times[0]: '25:00' is not a time of day HH:MM (00:00 to 23:59)",
        ),
        (
            'windows = ["20:00-08:00"]',
            'windows = ["20:00-08:60"]',
            "policy.windows[0]: '20:00-08:60' is not a period HH:MM-HH:MM (00:00 to 24:00)",
        ),
        (
            '{ period = "23:00-07:00"',
            '{ period = "23:00-7:00"',
            "policy.tariff[0].period: '23:00-7:00' is not a period",
        ),
        (
            'host = "127.0.0.1"\nport = 5020',
            'host = "127.0.0.1 --evil"\nport = 5020',
            "buses[0].host: '127.0.0.1 --evil' is not a host name or IP address (site.toml)",
        ),
        (
            'host = "127.0.0.1"\nport = 5020',
            'host = "192.168.1.500"\nport = 5020',
            "buses[0].host: '192.168.1.500' is not an IPv4 address (four numbers 0-255 between "
            "dots) (site.toml)",
        ),
        (
            'kind = "rtu_over_tcp"\nhost = "127.0.0.1"',
            'kind = "rtu"\nserial_port = "ttyUSB0"',
            "buses[1].serial_port: 'ttyUSB0' is not a device path (e.g. /dev/ttyQANAT0)",
        ),
        ("timeout_s = 0.3", 'timeout_s = "0.3"', "buses[0].timeout_s: Input should be a valid"),
        ("unit = 1\n", "unit = true\n", "devices[0].unit: Input should be a valid integer"),
        ("lease_s = 15 ", "lease_s = nan ", "safety.lease_s: Input should be a finite number"),
        (
            'label = "1号地 (北)"',
            'label = "1号地\\n(北)"',
            "zones[0].label: control character U+000A",
        ),
        (
            'name = "甘州区制种玉米膜下滴灌示范点"',
            'name = "' + "甘" * 201 + '"',
            "site.name: String should have at most 200 characters (given '" + "甘" * 38 + "…) "
            "(site.toml)",
        ),
        (
            '{ name = "potash"',
            '{ name = "urea"',
            "fertigation.tanks[1].name: duplicate name 'urea' (also fertigation.tanks[0])",
        ),
        ("[site]", '"zone\\nname" = 1\n[site]', '"zone\\nname": unknown key (site.toml)'),
        # a misspelt key names the near one: in a list of tables, a table, a table under a
        # key of the user's (the crop), an optional section
        (
            "application_mm_h = 6.0\nefficiency",
            "application_mm = 6.0\nefficiency",
            "zones[0].application_mm: unknown key (did you mean 'application_mm_h'?) (site.toml)",
        ),
        ("lease_s = 15 ", "lease = 15 ", "safety.lease: unknown key (did you mean 'lease_s'?)"),
        (
            "[board]",
            "[crops.seed_corn.stages.ripening]\nmadd = 0.7\n\n[board]",
            "crops.seed_corn.stages.ripening.madd: unknown key (did you mean 'mad'?)",
        ),
        (
            'station = "wx1"',
            'staton = "wx1"',
            "weather.staton: unknown key (did you mean 'station'?)",
        ),
    ],
)
def test_implausible_values_are_refused_with_their_key_path(
    tmp_path: Path, demo_site_text: str, old: str, new: str, expected: str
) -> None:
    assert old in demo_site_text, f"test precondition: {old!r} not in the example"
    problems = problems_of(tmp_path, demo_site_text.replace(old, new, 1))
    assert any(p.startswith(expected) for p in problems), problems


def test_a_key_near_none_is_only_unknown(tmp_path: Path, demo_site_text: str) -> None:
    text = demo_site_text.replace("lease_s = 15 ", "lease_s = 15\ncolour = 'red' ", 1)
    assert problems_of(tmp_path, text) == ["safety.colour: unknown key (site.toml)"]


def test_a_misspelt_required_key_is_one_problem(tmp_path: Path, demo_site_text: str) -> None:
    text = demo_site_text.replace(
        "application_mm_h = 6.0\nefficiency", "application_m = 6.0\nefficiency"
    )
    assert problems_of(tmp_path, text) == [
        "zones[0].application_m: unknown key (did you mean 'application_mm_h'?) (site.toml)"
    ]


def test_a_duplicate_zone_name_is_one_problem(tmp_path: Path, demo_site_text: str) -> None:
    # the plan's events apply to every zone: the second z1 is no second fertigation day
    text = demo_site_text.replace('name = "z2"', 'name = "z1"', 1)
    assert problems_of(tmp_path, text) == [
        "zones[1].name: duplicate name 'z1' (also zones[0]) (site.toml)"
    ]


def test_a_period_may_end_at_midnight(tmp_path: Path, demo_site_text: str) -> None:
    text = demo_site_text.replace('windows = ["20:00-08:00"]', 'windows = ["20:00-24:00"]')
    assert load_site(write(tmp_path, text)).policy.windows == ["20:00-24:00"]


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        (
            b'[device]\nmodel = "\xff"\n',
            "meter.toml: not UTF-8 text (byte 0xff at line 2); save the file as UTF-8",
        ),
        (b"x = " + b"[" * 5000 + b"]" * 5000, "meter.toml: arrays or tables nested too deep"),
    ],
)
def test_a_site_profile_file_unreadable_as_toml_is_a_config_error(
    tmp_path: Path, demo_site_text: str, content: bytes, expected: str
) -> None:
    (tmp_path / "profiles").mkdir()
    (tmp_path / "profiles" / "meter.toml").write_bytes(content)
    problems = problems_of(tmp_path, 'profile_dirs = ["profiles"]\n' + demo_site_text)
    assert problems == [expected]


def test_saved_settings_not_in_utf8_are_a_config_error(tmp_path: Path) -> None:
    (tmp_path / overrides.OVERRIDES_FILE).write_bytes(b"[policy]\nprobe_weight = 0.3 # \xff\n")
    with pytest.raises(ConfigError, match=r"site\.overrides\.toml: not UTF-8 text"):
        overrides.load(tmp_path)


@pytest.mark.parametrize(
    ("content", "expected"),
    [(NOT_UTF8, "site.toml: not UTF-8 text"), (TOO_DEEP, "site.toml: arrays or tables nested")],
)
def test_check_config_and_the_daemon_refuse_without_a_traceback(
    tmp_path: Path, content: bytes, expected: str, capsys: pytest.CaptureFixture[str]
) -> None:
    site = write(tmp_path, content)
    assert main(["check-config", str(site)]) == exitcodes.UNUSABLE
    assert expected in capsys.readouterr().err
    run = ["run", "--config", str(site), "--data-dir", str(tmp_path / "data")]
    assert main(run) == exitcodes.UNUSABLE  # the daemon's start: refused before anything
    assert expected in capsys.readouterr().err
    assert not (tmp_path / "data").exists()


@pytest.mark.parametrize(("content", "expected"), [(NOT_UTF8, "not UTF-8"), (TOO_DEEP, "nested")])
def test_check_config_process_exits_unusable_without_a_traceback(
    tmp_path: Path, content: bytes, expected: str
) -> None:
    site = write(tmp_path, content)
    done = subprocess.run(
        [sys.executable, "-m", "controller.cli", "check-config", str(site)],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=120,
    )
    assert done.returncode == exitcodes.UNUSABLE
    assert "Traceback" not in done.stderr
    assert f"{site}: 1 problem\n" in done.stderr and expected in done.stderr


@pytest.mark.parametrize(
    ("store", "expected"),
    [
        (
            "flush_s = 300\nidle_flush_s = 120",
            "store: idle_flush_s (120 s) must be at least flush_s (300 s)",
        ),
        ("idle_flush_s = 3600", "store.idle_flush_s: Input should be less than or equal to 600"),
        ("idle_flush_s = 0", "store.idle_flush_s: Input should be greater than or equal to 1"),
    ],
)
def test_an_idle_flush_interval_shorter_than_flush_s_or_out_of_range_is_refused(
    tmp_path: Path, demo_site_text: str, store: str, expected: str
) -> None:
    problems = problems_of(tmp_path, f"{demo_site_text}\n[store]\n{store}\n")
    assert any(p.startswith(expected) for p in problems), problems


def test_the_idle_flush_interval_defaults_to_ten_minutes(
    tmp_path: Path, demo_site_text: str
) -> None:
    site = load_site(write(tmp_path, demo_site_text))
    assert (site.store.flush_s, site.store.idle_flush_s) == (120, 600)
    tuned = load_site(write(tmp_path, f"{demo_site_text}\n[store]\nidle_flush_s = 300\n"))
    assert tuned.store.idle_flush_s == 300
