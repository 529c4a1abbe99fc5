"""``qanat probe``: samples added and listed, the calibration shown, refusals exit 1."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from controller.cli import exitcodes, main
from controller.store import Severity, Store
from drivers.reading import Quality, Reading
from tests.helpers.site import DEMO_SITE


@pytest.fixture(autouse=True)
def box(tmp_path: Path) -> None:
    """The box's store, as the daemon made it at its first start."""
    with Store.open_dir(tmp_path / "data"):
        pass


def qanat(tmp_path: Path, *argv: str) -> int:
    return main(["probe", "--data-dir", str(tmp_path / "data"), *argv])


def add(tmp_path: Path, *argv: str) -> int:
    return qanat(tmp_path, "sample", "add", *argv, "--config", str(DEMO_SITE))


def test_samples_make_a_calibration_the_cli_shows(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert qanat(tmp_path, "calibration") == exitcodes.OK
    assert "no samples" in capsys.readouterr().out
    assert add(tmp_path, "probe1a", "--theta-pct", "21", "--raw", "25", "--note", "pit 1") == 0
    out = capsys.readouterr().out
    assert "sample #1 of probe1a" in out and "offset only" in out and "-4.00 %" in out
    for raw, theta in (("15", "13"), ("35", "29")):
        assert (
            add(tmp_path, "probe1a", "--theta-pct", theta, "--raw", raw, "--method", "reference")
            == 0
        )
    capsys.readouterr()
    assert qanat(tmp_path, "calibration", "probe1a") == exitcodes.OK
    out = capsys.readouterr().out
    assert "probe1a: θ = 0.800 · raw +1.00 %" in out and "3 samples" in out
    assert "gain and offset" in out and out.count("#") == 3  # the samples used
    assert qanat(tmp_path, "sample", "list", "probe1a") == exitcodes.OK
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == 3 and "pit 1" in lines[0] and "cli:" in lines[0]
    with Store.open_dir(tmp_path / "data") as store:
        audit = store.last_audit("probe.sample")
        assert audit is not None and audit.actor.startswith("cli:")


def test_the_raw_reading_comes_from_the_store_at_the_local_time_given(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    at = dt.datetime(2026, 6, 1, 0, 30, tzinfo=dt.UTC)  # 08:30 in the demo site's Shanghai
    with Store.open_dir(tmp_path / "data") as store:
        store.add_readings([Reading("probe2b", "moisture", 31.5, "%", Quality.OK, at)])
        store.flush()
    assert add(tmp_path, "probe2b", "--theta-pct", "27", "--at", "2026-06-01 08:30") == 0
    assert "probe raw 31.5 % (from its stored readings)" in capsys.readouterr().out


def test_a_steady_probe_s_hourly_reading_is_its_raw_and_a_refusal_says_local_time(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The store keeps a steady probe's reading about once an hour: 40 min later it stands."""
    stored = dt.datetime(2026, 6, 1, 0, 30, tzinfo=dt.UTC)  # 08:30 in Shanghai
    with Store.open_dir(tmp_path / "data") as store:
        store.add_readings([Reading("probe2a", "moisture", 21.0, "%", Quality.OK, stored)])
        store.flush()
    assert add(tmp_path, "probe2a", "--theta-pct", "26", "--at", "2026-06-01 09:10") == 0
    assert "probe raw 21.0 % (from its stored readings)" in capsys.readouterr().out
    assert add(tmp_path, "probe2a", "--theta-pct", "26", "--at", "2026-06-01 06:24:07.4875") == 1
    err = capsys.readouterr().err
    assert "probe 'probe2a' has no good reading at 2026-06-01 06:24 (site time)" in err, err


@pytest.mark.parametrize(
    ("code", "source"),
    [("probe_flatline", "probe2a"), ("sensor_fault", "probe2a.moisture")],
)
def test_a_probe_the_daemon_doubts_is_refused_naming_it_and_why(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], code: str, source: str
) -> None:
    """The daemon's quarantine and sensor faults are open alarms in the store: the CLI sees
    them, and a flat probe's held reading does not become a calibration point."""
    stored = dt.datetime(2026, 6, 1, 0, 30, tzinfo=dt.UTC)  # 08:30 in Shanghai
    with Store.open_dir(tmp_path / "data") as store:
        store.add_readings([Reading("probe2a", "moisture", 21.0, "%", Quality.OK, stored)])
        store.flush()
        store.raise_event(Severity.ALARM, code, source, "doubted", latched=True)
    assert add(tmp_path, "probe2a", "--theta-pct", "26", "--at", "2026-06-01 09:10") == 1
    err = capsys.readouterr().err
    assert f"raw_pct: probe 'probe2a' is doubted by the controller now (open alarm {code})" in err
    with Store.open_dir(tmp_path / "data") as store:
        assert store.probe_samples() == []


@pytest.mark.parametrize(
    ("argv", "field"),
    [
        (["pump9", "--theta-pct", "20", "--raw", "25"], "probe"),
        (["probe1a", "--theta-pct", "80", "--raw", "25"], "theta_pct"),
        (["probe1a", "--theta-pct", "20"], "raw_pct"),  # nothing stored near now
        (["probe1a", "--theta-pct", "20", "--raw", "25", "--at", "yesterday"], "at"),
    ],
)
def test_a_refused_sample_exits_1_naming_the_field(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], argv: list[str], field: str
) -> None:
    assert add(tmp_path, *argv) == exitcodes.FAILED
    assert f"qanat probe sample add: {field}:" in capsys.readouterr().err
    with Store.open_dir(tmp_path / "data") as store:
        assert store.probe_samples() == []


def test_a_calibration_the_samples_refuse_exits_1_with_the_sample(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    for raw, theta in (("15", "15"), ("25", "25"), ("35", "2")):
        assert add(tmp_path, "probe1b", "--theta-pct", theta, "--raw", raw) == exitcodes.OK
    assert "no calibration" in capsys.readouterr().err
    assert qanat(tmp_path, "calibration") == exitcodes.FAILED
    out = capsys.readouterr().out
    assert "probe1b: no calibration, the raw reading is used" in out and "sample #3" in out


def test_sample_add_without_the_site_file_is_a_usage_error(tmp_path: Path) -> None:
    assert qanat(tmp_path, "sample", "add", "probe1a", "--theta-pct", "20") == exitcodes.UNUSABLE


def test_a_mistyped_data_dir_is_said_not_made_an_empty_store(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    wrong = tmp_path / "dta"
    assert main(["probe", "--data-dir", str(wrong), "calibration"]) == exitcodes.UNUSABLE
    assert "qanat probe calibration: no box store in" in capsys.readouterr().err
    assert not wrong.exists()
