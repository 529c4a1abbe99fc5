"""Multi-channel dosing measured on the simulated mixing line (figures and their CI test).

:class:`controller.runtime.channels.ChannelDosing` drives the injectors of
:class:`drivers.sim.mixingline.MixingLine` second by second: N, P and K stock in ratio
under the EC loop, nitric acid under the pH loop, into Hexi-like water (pH 8.0, 3.5 meq/L
alkalinity, 0.6 mS/cm) flowing at 15 m³/h through 150 L of pipe to the probes. The recipe
("jointing": N 1.5 kg/mu, P 0.75 kg/mu, K 2 L/mu, acid 0.14 L/m³; EC 1.6 mS/cm, pH 6.3)
is given to a 20-mu zone over a 45-min inject phase (a shorter phase: a zone smaller in
proportion, so the stock per m³ and the EC stay), then the line is flushed with water.
Each injector gives 1 ± 1.5 % of its rate (drawn per seed), the flow meter reads ±1 %.
The stocks' EC per L/m³ are chosen so the recipe's amounts make its EC (what a jar test of
the stocks in this water gives); otherwise the EC loop and the amounts pull apart.

Figures (JSON):

* ``recipe``: per fertilizer channel, what left its tank (the simulator's truth) against
  the recipe, error in % (goal: within 3 %); the acid's mean L/m³ (held by pH, no goal);
  the fraction of injection time with EC within ±0.2 mS/cm and pH within ±0.3 of their
  setpoints (goal ≥ 90 %).
* ``step``: setpoint steps mid-run (EC 1.6 → 1.8, then pH 6.3 → 6.0): overshoot, time to
  settle within ±0.1 (EC) / ±0.15 (pH) for good, and the error's spread over the last 5
  min (no sustained oscillation).
* ``faults``: each fault 10 min into injection (a clogged N injector, an N tank running
  low, an empty acid tank without a level transmitter, a pH probe stuck at 7.2, the water
  stopping, a channel over its max time): the alarm, whether it is the expected one, and
  whether dosing ended safely (every rate 0 from the alarm on, nothing dosed without
  water, the flush brought EC and pH back to the water's).

Usage: ``python -m hil_tests.fertigation_goals [--seed N] [--inject-min M]``.
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from controller.config.dosing import ChannelConfig, DosingLoopConfig, DosingRecipe
from controller.runtime.channels import ChannelDosing, Measurement, plan_recipe
from drivers.sim.mixingline import LineChannel, MixingLine
from drivers.sim.titration import NITRIC_60_EQ_L, AlkalineWater

__all__ = ["FAULTS", "measure", "run_case"]

AREA_M2 = 20 * 2000 / 3  # 20 mu for the 45-min inject phase; a shorter one, a smaller zone
INJECT_MIN = 45.0
FLOW_M3_H = 15.0
SOURCE_EC_MS_CM = 0.6
EC_BAND_GOAL = 0.2
PH_BAND_GOAL = 0.3
STEP_AT_FRACTION = 0.4  # setpoint steps at this share of the inject phase (EC), pH later

LOOP = DosingLoopConfig(line_volume_l=150, mixing_tau_s=20, source_ph=8.0)
RECIPE = DosingRecipe.model_validate(
    {
        "name": "jointing",
        "ec_ms_cm": 1.6,
        "ph": 6.3,
        "doses": [
            {"channel": "N", "kg_mu": 1.5},
            {"channel": "P", "kg_mu": 0.75},
            {"channel": "K", "l_mu": 2.0},
            {"channel": "acid", "l_m3": 0.14},
        ],
    }
)
RATIO_RECIPE = RECIPE.model_copy(
    update={
        "doses": [
            RECIPE.doses[0].model_copy(update={"kg_mu": None, "l_m3": 5.33}),
            RECIPE.doses[1].model_copy(update={"kg_mu": None, "l_m3": 5.33}),
            RECIPE.doses[2].model_copy(update={"l_mu": None, "l_m3": 3.56}),
            RECIPE.doses[3],
        ]
    }
)
# mS/cm per L/m³ of each stock in this water; the three fertilizers make 0.958 mS/cm at the
# recipe's ratios (5.33, 5.33, 3.56 L/m³), the acid 0.042 at 0.14 L/m³: 0.6 + 1.0 = 1.6
EC_PER_L_M3 = {"N": 0.08, "P": 0.06, "K": 0.0594, "acid": 0.3}


def channels(max_run_min: float = 90) -> list[ChannelConfig]:
    def ch(name: str, kind: str, **more: Any) -> ChannelConfig:
        return ChannelConfig.model_validate(
            {
                "name": name,
                "kind": kind,
                "injector": f"dose_{name}",
                "power": f"relay2.ch{len(name)}",
                "max_rate_l_h": 120.0,
                "max_run_min": max_run_min,
                **more,
            }
        )

    level = {"tank_level": "tank", "tank_area_m2": 0.5, "low_level_m": 0.1}
    return [
        ch("N", "fertilizer", stock_kg_l=0.5, **level),
        ch("P", "fertilizer", stock_kg_l=0.25, **level),
        ch("K", "fertilizer", stock_kg_l=0.3, **level),
        ch("acid", "acid"),
    ]


def line(seed: int) -> MixingLine:
    # each injector's calibration: it gives 1 ± 1.5 % of its rate (a metering pump's
    # reproducibility is ±2 %; the controller counts rate × time and cannot see it)
    calibration = random.Random(seed + 2000)
    chans = {
        name: LineChannel(
            name,
            k,
            acid_eq_l=NITRIC_60_EQ_L if name == "acid" else 0.0,
            delivery=calibration.uniform(0.985, 1.015),
        )
        for name, k in EC_PER_L_M3.items()
    }
    return MixingLine(
        chans,
        water=AlkalineWater(8.0, 3.5),
        water_ec_ms_cm=SOURCE_EC_MS_CM,
        line_volume_l=LOOP.line_volume_l,
        mixing_tau_s=LOOP.mixing_tau_s,
        flow_m3_h=FLOW_M3_H,
        seed=seed,
    )


@dataclass
class Trace:
    """Per second of the inject phase: true EC, true pH, setpoints, whether water flowed."""

    t: list[float]
    ec: list[float]
    ph: list[float]
    ec_set: list[float]
    ph_set: list[float]


Fault = Callable[[MixingLine, "Run"], None]


@dataclass
class Run:
    pump_on: bool = True


def run_case(
    seed: int,
    inject_s: float,
    *,
    recipe: DosingRecipe = RECIPE,
    fault: Fault | None = None,
    fault_at_s: float = 600.0,
    max_run_min: float = 90,
    step: bool = False,
    flush_s: float = 300.0,
) -> dict[str, Any]:
    """One run: inject (with an optional fault or setpoint steps), then flush."""
    sim = line(seed)
    noise = random.Random(seed + 1000)  # the meters' own stream
    chans = channels(max_run_min)
    plan = plan_recipe(
        recipe,
        chans,
        LOOP,
        area_m2=AREA_M2 * inject_s / (INJECT_MIN * 60),  # the recipe's ratios stay
        nominal_flow_m3_h=FLOW_M3_H,
        inject_s=inject_s,
        source_ec_ms_cm=SOURCE_EC_MS_CM,
        no_flow_m3_h=0.5,
    )
    dosing = ChannelDosing(plan)
    run = Run()
    trace = Trace([], [], [], [], [])
    dosed_without_water = 0.0
    after_stop = 0.0
    t = 0.0
    while not dosing.done:
        if fault is not None and t == fault_at_s:
            fault(sim, run)
        if step and t == round(inject_s * STEP_AT_FRACTION):
            dosing.retarget(1.8, plan.ph)
        if step and t == round(inject_s * (STEP_AT_FRACTION + 0.3)):
            dosing.retarget(1.8, 6.0)
        m = Measurement(
            flow_m3_h=sim.flow_m3_h * (1 + noise.gauss(0, 0.01)) if run.pump_on else 0.0,
            pump_on=run.pump_on,
            ec_ms_cm=sim.read_ec_ms_cm(),
            ph=sim.read_ph(),
            levels_m={n: sim.level_m(n) + noise.gauss(0, 0.001) for n in ("N", "P", "K")},
        )
        rates = dosing.step(1.0, m)
        for name, rate in rates.items():
            sim.command(name, rate)
        if sim.flow_m3_h == 0:
            dosed_without_water += sum(sim.delivered_l_h(n) for n in rates) / 3600
        sim.step(1.0)
        t += 1
        if not dosing.done:
            trace.t.append(t)
            trace.ec.append(sim.ec_true_ms_cm)
            trace.ph.append(sim.ph_true)
            trace.ec_set.append(dosing.plan.ec_ms_cm or 0.0)
            trace.ph_set.append(dosing.plan.ph or 0.0)
    for name in dosing.channels:  # the run's flush: clean water, every injector off
        after_stop += sim.delivered_l_h(name)
        sim.command(name, 0.0)
    sim.set_flow(FLOW_M3_H)
    for _ in range(int(flush_s)):
        sim.step(1.0)
    return {
        "dosing": dosing,
        "sim": sim,
        "trace": trace,
        "dosed_without_water_l": dosed_without_water,
        "rate_after_stop_l_h": after_stop,
        "flushed": abs(sim.ec_true_ms_cm - SOURCE_EC_MS_CM) < 0.05 and abs(sim.ph_true - 8.0) < 0.1,
    }


def in_band(trace: Trace) -> tuple[float, float]:
    """Shares of the inject phase with EC within ±0.2 mS/cm and pH within ±0.3."""
    n = len(trace.t) or 1
    ec = sum(abs(e - s) <= EC_BAND_GOAL for e, s in zip(trace.ec, trace.ec_set, strict=True))
    ph = sum(abs(p - s) <= PH_BAND_GOAL for p, s in zip(trace.ph, trace.ph_set, strict=True))
    return ec / n, ph / n


def recipe_figures(seed: int, inject_s: float) -> dict[str, Any]:
    out = run_case(seed, inject_s)
    dosing: ChannelDosing = out["dosing"]
    sim: MixingLine = out["sim"]
    channels_out: dict[str, Any] = {}
    for name, ch in dosing.channels.items():
        drawn = sim.channels[name].drawn_l
        target = ch.target.target_l
        entry: dict[str, Any] = {"drawn_l": round(drawn, 3), "recorded_l": round(ch.given_l, 3)}
        if target is not None:
            entry["recipe_l"] = round(target, 3)
            entry["error_pct"] = round((drawn - target) / target * 100, 2)
        else:
            volume_m3 = FLOW_M3_H * dosing.elapsed_s / 3600
            entry["mean_l_m3"] = round(drawn / volume_m3, 4)
            entry["recipe_l_m3"] = ch.target.ratio_l_m3
        channels_out[name] = entry
    ec_share, ph_share = in_band(out["trace"])
    return {
        "channels": channels_out,
        "ec_in_band": round(ec_share, 4),
        "ph_in_band": round(ph_share, 4),
        "alarm": dosing.stopped.code if dosing.stopped else None,
        "inject_s": dosing.elapsed_s,
    }


def _settle(t: list[float], y: list[float], start: float, setpoint: float, tol: float) -> float:
    """Seconds after ``start`` until ``y`` stays within ``tol`` of ``setpoint`` to the end."""
    last_out = start
    for ti, yi in zip(t, y, strict=True):
        if ti >= start and abs(yi - setpoint) > tol:
            last_out = ti
    return last_out - start


def step_figures(seed: int, inject_s: float) -> dict[str, Any]:
    out = run_case(seed, inject_s, recipe=RATIO_RECIPE, step=True)
    tr: Trace = out["trace"]
    ec_at = round(inject_s * STEP_AT_FRACTION)
    ph_at = round(inject_s * (STEP_AT_FRACTION + 0.3))
    ec_after = [e for ti, e in zip(tr.t, tr.ec, strict=True) if ec_at < ti <= ph_at]
    ph_after = [p for ti, p in zip(tr.t, tr.ph, strict=True) if ti > ph_at]
    tail = [e - 1.8 for ti, e in zip(tr.t, tr.ec, strict=True) if ph_at - 300 < ti <= ph_at]
    ph_tail = [p - 6.0 for ti, p in zip(tr.t, tr.ph, strict=True) if ti > tr.t[-1] - 300]
    ec_t = [ti for ti in tr.t if ti <= ph_at]
    return {
        "ec_step": "1.6 -> 1.8 mS/cm",
        "ec_overshoot_pct": round(max(0.0, max(ec_after) - 1.8) / 0.2 * 100, 1),
        "ec_settle_s": _settle(ec_t, tr.ec[: len(ec_t)], ec_at, 1.8, 0.1),
        "ec_tail_sd_ms_cm": round(statistics.pstdev(tail), 4),
        "ph_step": "6.3 -> 6.0",
        "ph_undershoot": round(max(0.0, 6.0 - min(ph_after)), 3),
        "ph_settle_s": _settle(tr.t, tr.ph, ph_at, 6.0, 0.15),
        "ph_tail_sd": round(statistics.pstdev(ph_tail), 4),
        "ec_in_band": round(in_band(tr)[0], 4),
        "ph_in_band": round(in_band(tr)[1], 4),
    }


def _clog(sim: MixingLine, run: Run) -> None:
    sim.clog("N", 0.3 * sim.channels["N"].delivery)


def _tank_low(sim: MixingLine, run: Run) -> None:
    sim.set_tank_l("N", 0.5 * 1000 * 0.12)  # 0.12 m in a 0.5 m² tank: low at 0.1 m


def _acid_empty(sim: MixingLine, run: Run) -> None:
    sim.set_tank_l("acid", 0.0)


def _ph_stuck(sim: MixingLine, run: Run) -> None:
    sim.stick_ph_probe(7.2)


def _no_flow(sim: MixingLine, run: Run) -> None:
    sim.set_flow(0.0)
    run.pump_on = False


# fault → (what it does, the alarm that must end dosing)
FAULTS: dict[str, tuple[Fault | None, str]] = {
    "clogged_injector": (_clog, "injector_delivery_low"),
    "tank_low": (_tank_low, "tank_low"),
    "empty_acid_tank_no_level": (_acid_empty, "ph_off_setpoint"),
    "stuck_ph_probe": (_ph_stuck, "ph_probe_stuck"),
    "no_water_flow": (_no_flow, "inject_no_flow"),
    "channel_max_time": (None, "dosing_max_time"),
}


def fault_figures(seed: int, inject_s: float, name: str) -> dict[str, Any]:
    fault, expected = FAULTS[name]
    max_run_min = 10.0 if name == "channel_max_time" else 90.0
    out = run_case(seed, inject_s, fault=fault, max_run_min=max_run_min)
    dosing: ChannelDosing = out["dosing"]
    stop = dosing.stopped
    safe = (
        stop is not None
        and stop.code == expected
        and out["rate_after_stop_l_h"] == 0
        and out["dosed_without_water_l"] == 0
        and out["flushed"]
    )
    tr: Trace = out["trace"]
    return {
        "alarm": stop.code if stop else None,
        "expected": expected,
        "message": stop.message if stop else None,
        "alarm_after_fault_s": round(dosing.elapsed_s - 600, 1) if stop else None,
        "ended_safely": safe,
        "lowest_ph": round(min(tr.ph), 2),
        "record": dosing.record(),
    }


def measure(seed: int = 1, inject_min: float = INJECT_MIN) -> dict[str, Any]:
    """Every figure of the module's text, as a JSON-ready dict."""
    inject_s = inject_min * 60
    return {
        "seed": seed,
        "recipe": recipe_figures(seed, inject_s),
        "step": step_figures(seed, inject_s),
        "faults": {name: fault_figures(seed, inject_s, name) for name in FAULTS},
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m hil_tests.fertigation_goals")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--inject-min", type=float, default=45)
    args = parser.parse_args(argv)
    print(json.dumps(measure(args.seed, args.inject_min), indent=2, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
