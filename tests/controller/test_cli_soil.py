"""``qanat soil``: the fit waiting shown, approved into the overrides (checked, audited), and
every refusal exits 1."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from controller.agronomy.drydown import DryDownStates
from controller.cli import exitcodes, main
from controller.config import overrides
from controller.config.site import apply_overrides, load_site
from controller.learning.soil import Curve, SoilProposal, SoilValues
from controller.store import Store
from models.learning import Persisted, model_file, save_model
from models.learning.soil import FORMAT_VERSION, KIND
from tests.helpers.site import DEMO_SITE

FITTED_AT = dt.datetime(2026, 7, 1, 17, 40, tzinfo=dt.UTC)


@pytest.fixture(autouse=True)
def box(tmp_path: Path) -> None:
    """The box's store, as the daemon made it at its first start."""
    with Store.open_dir(tmp_path / "data"):
        pass


def qanat(tmp_path: Path, *argv: str) -> int:
    return main(["soil", "--data-dir", str(tmp_path / "data"), *argv])


def approve(tmp_path: Path, *argv: str) -> int:
    return qanat(tmp_path, "approve", *argv, "--config", str(DEMO_SITE))


def waiting(tmp_path: Path, wp_m3m3: float = 0.104) -> SoilProposal:
    """A fit of z1 left by the daemon's job in the data directory."""
    dates = tuple(dt.date(2026, 6, 1) + dt.timedelta(days=i) for i in range(8))
    curve = Curve(dates, (14.0,) * 8, (None,) * 4 + (17.0,) * 4, 40.0)
    proposal = SoilProposal(
        "z1",
        FITTED_AT,
        1.0,
        SoilValues(0.25, 0.12, 1.0, 130.0),
        SoilValues(0.205, wp_m3m3, 1.47, 101.0, 0.01, 0.006, 0.05, 9.0),
        3,
        0.3,
        (curve,) * 3,
    )
    with Store.open_dir(tmp_path / "data"):
        pass  # the data directory as the daemon makes it
    save_model(
        tmp_path / "data" / "models", Persisted(KIND, "z1", FORMAT_VERSION, FITTED_AT, 3, proposal)
    )
    return proposal


def test_show_then_approve_writes_checked_overrides_and_an_audit(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert qanat(tmp_path, "show") == exitcodes.FAILED
    assert "no soil fit waiting" in capsys.readouterr().out
    waiting(tmp_path)
    assert qanat(tmp_path, "show") == exitcodes.OK
    out = capsys.readouterr().out
    assert "z1: fitted 2026-07-01T17:40:00+00:00 on 3 dry-downs" in out
    assert "TAW             130 -> 101 ± 9 mm" in out and "06-02 (40 mm)" in out
    assert approve(tmp_path, "z1", "--fitted-at", FITTED_AT.isoformat()) == exitcodes.OK
    out = capsys.readouterr().out
    assert "approved: z1" in out and "probe_weight may now be raised" in out
    saved = overrides.load(tmp_path / "data")
    # kc_factor 1.47 fitted: written at the setting's bound
    assert saved["zones"]["z1"] == {"soil_fc_m3m3": 0.205, "soil_wp_m3m3": 0.104, "kc_factor": 1.3}
    site = apply_overrides(load_site(DEMO_SITE), saved)
    assert site.zones[0].soil_wp_m3m3 == 0.104 and site.zones[0].kc_factor == 1.3
    with Store.open_dir(tmp_path / "data") as store:
        audit = store.last_audit("soil.approve")
        assert audit is not None and audit.actor.startswith("cli:")
        assert audit.detail["zone"] == "z1" and audit.detail["kc_factor"] == 1.3


def test_refusals_exit_1_and_write_nothing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert approve(tmp_path, "z1") == exitcodes.FAILED  # nothing waiting
    assert "no soil model for 'z1'" in capsys.readouterr().err
    waiting(tmp_path, wp_m3m3=0.2)  # θwp above θfc − 0.02: the site's checks refuse it
    assert approve(tmp_path, "z1", "--fitted-at", "2026-06-30T17:40:00+00:00") == 1
    assert "not 2026-06-30T17:40:00+00:00" in capsys.readouterr().err
    assert approve(tmp_path, "z1") == exitcodes.FAILED
    assert "must exceed soil_wp_m3m3" in capsys.readouterr().err
    assert approve(tmp_path, "z9") == exitcodes.FAILED
    assert "no zone 'z9'" in capsys.readouterr().err
    assert approve(tmp_path, "z1", "--fitted-at", "yesterday") == exitcodes.UNUSABLE
    assert overrides.load(tmp_path / "data") == {}
    model_file(tmp_path / "data" / "models", KIND, "z1").write_bytes(b"garbage")
    assert qanat(tmp_path, "show", "z1") == exitcodes.FAILED
    assert "unreadable" in capsys.readouterr().err


def test_approve_without_the_site_file_is_unusable(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    waiting(tmp_path)
    assert qanat(tmp_path, "approve", "z1") == exitcodes.UNUSABLE
    assert "--config SITE.toml is needed" in capsys.readouterr().err
    assert overrides.load(tmp_path / "data") == {}


def test_a_dry_down_is_asked_checked_kept_and_audited(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with Store.open_dir(tmp_path / "data"):
        pass
    dry_down = ("dry-down", "z1", "--config", str(DEMO_SITE))
    assert qanat(tmp_path, *dry_down, "--fraction", "0.9") == exitcodes.FAILED
    assert "zones[0].calibration_dry_down" in capsys.readouterr().err
    assert not (tmp_path / "data" / overrides.OVERRIDES_FILE).exists()
    assert qanat(tmp_path, *dry_down, "--fraction", "0.7") == exitcodes.OK
    assert "one calibration dry-down of z1 to 70% of TAW" in capsys.readouterr().out
    assert overrides.load(tmp_path / "data")["zones"]["z1"] == {"calibration_dry_down": 0.7}
    state = DryDownStates(tmp_path / "data" / "models").get("z1")
    assert state is not None and state.phase == "requested" and state.fraction == 0.7
    with Store.open_dir(tmp_path / "data") as store:
        audit = store.last_audit("soil.calibrate")
        assert audit is not None and audit.detail == {"zone": "z1", "fraction": 0.7}
    assert qanat(tmp_path, "dry-down", "z1") == exitcodes.UNUSABLE  # no site file to check


def test_a_dry_down_of_a_zone_not_watered_by_the_et_rule_is_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with Store.open_dir(tmp_path / "data"):
        pass
    argv = ("dry-down", "z4", "--config", str(DEMO_SITE), "--fraction", "0.8")
    assert qanat(tmp_path, *argv) == exitcodes.FAILED
    assert "holds only an et zone's trigger (this zone's mode is calendar)" in (
        capsys.readouterr().err
    )
    assert not (tmp_path / "data" / overrides.OVERRIDES_FILE).exists()


def test_a_mistyped_data_dir_is_said_not_made_an_empty_store(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    wrong = tmp_path / "dta"
    assert main(["soil", "--data-dir", str(wrong), "show"]) == exitcodes.UNUSABLE
    assert "qanat soil show: no box store in" in capsys.readouterr().err
    assert not wrong.exists()
