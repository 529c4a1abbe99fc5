"""``qanat poll``'s table as a technician reads it on a terminal."""

from __future__ import annotations

import pytest

from controller.cli import main
from controller.cli.poll import _print_table
from tests.helpers.site import DEMO_SITE


def _row(device: str, point: str, raw: list[int]) -> dict[str, object]:
    return {
        "device": device,
        "unit_id": 2,
        "table": "holding",
        "address": 10,
        "point": point,
        "raw": raw,
        "value": 1.5,
        "decoded": 1.5,
        "unit": "m3",
        "quality": "ok",
        "detail": "",
    }


def test_long_names_keep_every_column_under_its_heading(
    capsys: pytest.CaptureFixture[str],
) -> None:
    """A point named net_total_fraction (the TUF-2000M's), a device named
    main_line_flow_meter: the raw, value and unit columns stayed put and the line ran on."""
    rows = [
        _row("flow1", "flow_rate", [0, 0]),
        _row("main_line_flow_meter", "net_total_fraction", [0x3F80, 0, 0x1234, 0x5678]),
    ]
    health = {"head": {"flow1": _health(), "main_line_flow_meter": _health()}}
    _print_table(rows, health)  # type: ignore[arg-type]
    lines = capsys.readouterr().out.splitlines()
    header, readings = lines[0], lines[2:4]
    for heading in ("point", "raw", "unit", "quality"):
        column = header.rindex(f" {heading}") + 1  # the last "unit": the value's
        assert all(line[column - 1] == " " and line[column] != " " for line in readings), (
            heading,
            lines,
        )
    summary = lines[5:]
    at = summary[0].index("   ok") + 5
    assert all(line[at - 1] == "0" for line in summary[1:]), summary


def test_a_device_behind_a_port_that_does_not_open_is_not_all_zeros(
    capsys: pytest.CaptureFixture[str],
) -> None:
    """A gateway refusing the connection: its devices' asks were counted as unreachable
    and then rested, but the summary showed 0 in every column beside the error."""
    health = {"head": {"relay1": _health(unavailable=3, skipped=2, last_error="refused")}}
    _print_table([], health)  # type: ignore[arg-type]
    header, line = capsys.readouterr().out.splitlines()[-2:]
    assert line.split()[:8] == ["head", "relay1", "0", "0", "0", "0", "3", "2"], line
    assert header.split()[6:8] == ["unreachable", "rested"], header


def _health(unavailable: int = 0, skipped: int = 0, last_error: str = "") -> dict[str, object]:
    return {
        "ok": 0,
        "timeout": 0,
        "exception": 0,
        "bad_frame": 0,
        "unavailable": unavailable,
        "skipped": skipped,
        "last_error": last_error,
    }


def test_a_mistyped_device_is_refused_naming_the_sites_devices(
    capsys: pytest.CaptureFixture[str],
) -> None:
    """``--device probe1`` for probe1a: exit 2, before any bus is opened, with the names to
    choose from; it said only ``unknown device(s): probe1``."""
    assert main(["poll", "--config", str(DEMO_SITE), "--once", "--device", "probe1"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("--device: no device 'probe1' in demo-site.toml (its devices: "), err
    assert "probe1a, probe1b" in err, err
