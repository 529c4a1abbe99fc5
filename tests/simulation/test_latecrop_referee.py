"""A crop late against its calendar on the AquaCrop truth: observations and camera cover move
the daemon's balance (controller/simulation/referee/latecrop.py)."""

from __future__ import annotations

import argparse
import datetime as dt

import pytest

from controller.simulation.referee import latecrop
from controller.simulation.referee.aquacrop import SEED_MAIZE_ZHANGYE
from controller.simulation.referee.evaluate import season_weather
from controller.simulation.referee.latecrop import (
    SHIFTED_PARAMS,
    LateSeason,
    cold_overrides,
    krs_of_option,
    late_crop_params,
    main,
    normals_krs,
    observed_stage_dates,
    summary,
    summary_table,
)
from controller.simulation.referee.practices import accounting
from controller.simulation.referee.truth import truth_field
from controller.simulation.season import load_scenario
from models.crops.phenology import Stage

SCENARIO = load_scenario("zhangye-seed-corn")


def test_the_late_crop_is_the_calibrated_crop_with_its_stages_later() -> None:
    late = late_crop_params(7)
    for key, value in SEED_MAIZE_ZHANGYE.items():
        assert late[key] == value + (7 if key in SHIFTED_PARAMS else 0), key
    with pytest.raises(ValueError, match="lag_days"):
        late_crop_params(-1)


def test_the_truth_emerges_on_the_day_the_technician_records_emergence() -> None:
    """AquaCrop's first day with canopy is the VE the observed variant records: the stage
    dates the technician enters are the truth's, not the calendar's."""
    acc = accounting(SCENARIO)
    weather = season_weather(SCENARIO, 2, acc)
    emerged = {}
    for lag in (0, 10):
        field = truth_field(SCENARIO, acc, "z1", weather, True, "spring", late_crop_params(lag))
        while field.today < acc.planting + dt.timedelta(days=40):
            if field.step(0.0).canopy_cover > 0:
                emerged[lag] = field.days[-1].date
                break
        assert abs((emerged[lag] - observed_stage_dates(acc.planting, lag)[Stage.VE]).days) <= 1
    assert (emerged[10] - emerged[0]).days == 10


def test_observations_and_cover_lower_the_balance_kc_while_the_late_crop_develops() -> None:
    """Six weeks from the scenario's start, the same weather: the calendar's Kc climbs into
    development on day 30 while the truth, 10 days late, is still bare. The technician's
    emergence record holds the balance's Kc at or below the calendar's from the day it is
    entered (and equal before it), the camera's cover holds it below once the calendar
    says development; the daemon's notes say where its Kc came from."""
    late = LateSeason(SCENARIO, seed=1, days=45)
    calendar, observed, camera = (late.run(v) for v in ("calendar", "observed", "camera"))
    ve = late.stages[Stage.VE]
    for zone, cal_days in calendar.balance.items():
        obs_days, cam_days = observed.balance[zone], camera.balance[zone]
        assert set(obs_days) == set(cal_days) == set(cam_days)
        assert max(cal_days) >= ve + dt.timedelta(days=14), "the season ends too soon to show"
        for day, cal in cal_days.items():
            obs = obs_days[day]
            if day < ve:  # nothing observed yet: the same Kc as the calendar
                assert obs.kc == pytest.approx(cal.kc), day
            else:
                assert obs.kc <= cal.kc + 1e-9, day
                assert "Kc from the observed" in obs.notes, day
        later = [d for d in cal_days if d >= ve + dt.timedelta(days=10)]
        assert sum(obs_days[d].kc for d in later) < sum(cal_days[d].kc for d in later)
        assert sum(cam_days[d].kc for d in later) < sum(cal_days[d].kc for d in later)
        assert any("from canopy cover" in cam_days[d].notes for d in later)
        assert not any(
            "from canopy cover" in c.notes or "Kc from the observed" in c.notes
            for c in cal_days.values()
        )
    # the lower Kc is less ETc on the same ET0: what the plan refills
    for name in ("observed", "camera"):
        chosen = observed if name == "observed" else camera
        assert chosen.row["balance_etc_mm"] < calendar.row["balance_etc_mm"], name
    assert observed.row["observations"][Stage.VE.value] == ve.isoformat()


def test_the_summary_is_each_variant_over_its_seeds() -> None:
    rows = [
        {"seed": s, "variant": v, "water_in_season_m3_mu": 100.0 * s + i, "relative_yield": 0.9}
        for s in (1, 2, 3)
        for i, v in enumerate(("calendar", "observed"))
    ]
    lines = {line["variant"]: line for line in summary(rows)}
    assert set(lines) == {"calendar", "observed"}  # no camera row without camera seasons
    water = lines["observed"]["water_in_season_m3_mu"]
    assert water == {"mean": 201.0, "min": 101.0, "max": 301.0}
    assert lines["calendar"]["seeds"] == [1, 2, 3]
    assert "yield_t_ha" not in lines["calendar"]  # a key no row has is not invented
    table = summary_table(list(lines.values())).splitlines()
    assert len(table) == 4 and table[2].startswith("| calendar | 200.0 [100.0–300.0] | 0.900")


def test_bad_seeds_are_refused_naming_the_token(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_:
        main(["--seeds", "1-x"])
    assert exit_.value.code == 2
    assert "'1-x' is not a seed" in capsys.readouterr().err


def test_the_late_crops_zones_run_with_cold_kc_as_an_admin_sets_it() -> None:
    assert cold_overrides(["z1", "z2"], on=True) == {
        "zones": {"z1": {"cold_kc": True}, "z2": {"cold_kc": True}}
    }
    assert cold_overrides(["z1"], on=False) is None


def test_the_sites_krs_is_calibrated_on_the_scenarios_sunshine_normals(
    capsys: pytest.CaptureFixture[str],
) -> None:
    krs = normals_krs(load_scenario("zhangye-seed-corn"))
    assert 0.10 < krs < 0.16  # Zhangye's April-September: eq. 50 with 0.16 gives more Rs
    with pytest.raises(SystemExit) as exit_:
        main(["--krs", "sunny"])
    assert exit_.value.code == 2
    assert "--krs 'sunny': neither a number nor 'normals'" in capsys.readouterr().err


def test_a_krs_the_site_would_refuse_stops_before_any_season(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    with pytest.raises(SystemExit) as exit_:
        main(["--krs", "0.05"])
    assert exit_.value.code == 2
    assert capsys.readouterr().err.endswith(
        ": --krs 0.05: outside 0.10 to 0.25 (the FAO-56 eq. 50 krs a site accepts)\n"
    )
    # normals calibrated outside the range (another scenario's climate) stop the same way
    monkeypatch.setattr(latecrop, "normals_krs", lambda scenario: 0.31)
    with pytest.raises(SystemExit) as exit_:
        main(["--krs", "normals", "--variant", "calendar"])
    assert exit_.value.code == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1
    assert "--krs 0.31: outside 0.10 to 0.25" in err and "(calibrated by --krs normals)" in err


def test_the_krs_option_gives_the_season_the_number_the_normals_or_the_site_files() -> None:
    parser = argparse.ArgumentParser(prog="latecrop")
    assert krs_of_option(parser, None, SCENARIO) is None  # the site file's
    assert krs_of_option(parser, 0.2, SCENARIO) == 0.2
    assert krs_of_option(parser, "normals", SCENARIO) == normals_krs(SCENARIO)
