"""The simulated mixing line: titration of alkaline water, transport lag, mixing, tanks, faults."""

from __future__ import annotations

import itertools
import math

import pytest

from drivers.sim.mixingline import LineChannel, MixingLine
from drivers.sim.titration import NITRIC_60_EQ_L, PK1, AlkalineWater


def test_titration_starts_at_the_waters_ph_and_falls_monotonically() -> None:
    water = AlkalineWater(8.0, 3.5)
    assert water.ph_after(0.0) == pytest.approx(8.0, abs=1e-9)
    phs = [water.ph_after(a / 1e4) for a in range(0, 60)]
    assert all(b < a for a, b in itertools.pairwise(phs))


def test_titration_meets_henderson_hasselbalch_and_the_equivalence_point() -> None:
    water = AlkalineWater(8.0, 3.5)
    ct = water.ct_mol_l
    # half the carbonate as H2CO3*: pH = pK1 (acid turned ct/2 of the bicarbonate over,
    # less what was already H2CO3* at pH 8)
    h2co3_0 = ct / (1 + 10 ** (8.0 - PK1))
    assert water.ph_after(ct / 2 - h2co3_0) == pytest.approx(PK1, abs=0.02)
    # all alkalinity neutralised: the CO2 equivalence point, pH ≈ ½(pK1 − log C_T) ≈ 4.4
    assert water.ph_after(3.5e-3) == pytest.approx(0.5 * (PK1 - math.log10(ct)), abs=0.1)


def test_titration_refuses_negative_acid() -> None:
    with pytest.raises(ValueError, match="acid"):
        AlkalineWater().ph_after(-1e-3)


def _line() -> MixingLine:
    chans = {
        "N": LineChannel("N", ec_per_l_m3=0.1, tank_l=100.0, tank_area_m2=0.5),
        "acid": LineChannel("acid", ec_per_l_m3=0.0, acid_eq_l=NITRIC_60_EQ_L),
    }
    return MixingLine(
        chans, line_volume_l=100.0, mixing_tau_s=10.0, flow_m3_h=3.6, noise_ec_ms_cm=0.0
    )


def test_dose_reaches_the_probe_after_the_transport_lag_then_mixes_first_order() -> None:
    line = _line()  # 3.6 m³/h = 1 L/s through 100 L: 100 s of lag
    line.command("N", 36.0)  # 36 L/h into 3.6 m³/h: 10 L/m³ → +1.0 mS/cm at steady state
    for _ in range(99):
        line.step(1.0)
    assert line.read_ec_ms_cm() == pytest.approx(0.5)
    for _ in range(11):  # one mixing time constant after the dose arrived
        line.step(1.0)
    rise = line.read_ec_ms_cm() - 0.5
    assert rise == pytest.approx(1 - math.exp(-1.0), abs=0.07)
    for _ in range(100):
        line.step(1.0)
    assert line.read_ec_ms_cm() == pytest.approx(1.5, abs=0.01)


def test_tank_level_falls_by_what_is_drawn_and_an_empty_tank_gives_nothing() -> None:
    line = _line()
    line.command("N", 36.0)
    for _ in range(100):
        line.step(1.0)
    assert line.channels["N"].drawn_l == pytest.approx(1.0)
    assert line.level_m("N") == pytest.approx(99.0 / 1000 / 0.5)
    line.set_tank_l("N", 0.0)
    assert line.delivered_l_h("N") == 0.0


def test_clogged_injector_gives_its_share_and_a_stuck_ph_probe_keeps_reading() -> None:
    line = _line()
    line.command("N", 36.0)
    line.clog("N", 0.25)
    assert line.delivered_l_h("N") == pytest.approx(9.0)
    line.stick_ph_probe(7.2)
    line.command("acid", 1.0)
    for _ in range(300):
        line.step(1.0)
    assert line.ph_true < 7.0
    assert line.read_ph() == 7.2


def test_no_water_carries_nothing_to_the_probe() -> None:
    line = _line()
    line.set_flow(0.0)
    line.command("N", 36.0)
    for _ in range(300):
        line.step(1.0)
    assert line.ec_true_ms_cm == pytest.approx(0.5)
