"""The multi-channel dosing goals on the simulated mixing line (a shorter inject phase than
``python -m hil_tests.fertigation_goals`` prints by default; same recipe, loops and faults)."""

from __future__ import annotations

from hil_tests.fertigation_goals import FAULTS, main, measure


def test_amounts_bands_step_response_and_every_fault_ended_safely() -> None:
    r = measure(seed=3, inject_min=30)
    recipe = r["recipe"]
    assert recipe["alarm"] is None
    for name in ("N", "P", "K"):
        assert abs(recipe["channels"][name]["error_pct"]) <= 3.0, recipe["channels"][name]
    acid = recipe["channels"]["acid"]
    assert abs(acid["mean_l_m3"] - acid["recipe_l_m3"]) / acid["recipe_l_m3"] < 0.2
    assert recipe["ec_in_band"] >= 0.9 and recipe["ph_in_band"] >= 0.9
    step = r["step"]
    assert step["ec_settle_s"] <= 240 and step["ph_settle_s"] <= 360, step
    assert step["ec_overshoot_pct"] <= 20 and step["ph_undershoot"] <= 0.1, step
    assert step["ec_tail_sd_ms_cm"] <= 0.02 and step["ph_tail_sd"] <= 0.03, step  # no cycling
    assert step["ec_in_band"] >= 0.9 and step["ph_in_band"] >= 0.9, step
    assert set(r["faults"]) == set(FAULTS)
    for name, f in r["faults"].items():
        assert f["alarm"] == f["expected"], (name, f)
        assert f["ended_safely"], (name, f)
        assert f["lowest_ph"] >= 5.0, (name, f)  # the acid loop's cap holds a stuck probe


def test_module_prints_json(capsys) -> None:  # type: ignore[no-untyped-def]
    assert main(["--seed", "2", "--inject-min", "20"]) == 0
    assert '"ended_safely": true' in capsys.readouterr().out
