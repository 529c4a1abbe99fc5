"""Three dosing channels (N by kg/mu, K by L/mu, acid by L/m³), their recipe and loop, and a
healthy measurement: the unit tests of :mod:`controller.runtime.channels` and its PI loops."""

from __future__ import annotations

from controller.config.dosing import ChannelConfig, DosingLoopConfig, DosingRecipe
from controller.runtime.channels import ChannelDosing, Measurement, plan_recipe

__all__ = ["LOOP", "MU_M2", "RECIPE", "channel_configs", "dosing", "ok"]

LOOP = DosingLoopConfig(line_volume_l=100, mixing_tau_s=10, source_ph=8.0)
MU_M2 = 2000 / 3


def channel_configs(max_run_min: float = 60) -> list[ChannelConfig]:
    common = {"power": "relay2.ch1", "max_rate_l_h": 100.0, "max_run_min": max_run_min}
    return [
        ChannelConfig.model_validate(
            {
                "name": "N",
                "kind": "fertilizer",
                "injector": "dn",
                "stock_kg_l": 0.5,
                "tank_level": "tn",
                "tank_area_m2": 0.5,
                "low_level_m": 0.1,
                **common,
            }
        ),
        ChannelConfig.model_validate(
            {"name": "K", "kind": "fertilizer", "injector": "dk", "stock_kg_l": 0.25, **common}
        ),
        ChannelConfig.model_validate({"name": "acid", "kind": "acid", "injector": "da", **common}),
    ]


RECIPE = DosingRecipe.model_validate(
    {
        "name": "r",
        "ec_ms_cm": 1.5,
        "ph": 6.3,
        "doses": [
            {"channel": "N", "kg_mu": 1.0},
            {"channel": "K", "l_mu": 2.0},
            {"channel": "acid", "l_m3": 0.2},
        ],
    }
)


def ok(**change: object) -> Measurement:
    values: dict[str, object] = {
        "flow_m3_h": 10.0,
        "pump_on": True,
        "ec_ms_cm": 1.5,
        "ph": 6.3,
        "levels_m": {},
    }
    values.update(change)
    return Measurement(**values)  # type: ignore[arg-type]


def dosing(
    *,
    inject_s: float = 1800,
    max_run_min: float = 60,
    loop: DosingLoopConfig = LOOP,
    recipe: DosingRecipe = RECIPE,
    channels: list[ChannelConfig] | None = None,
) -> ChannelDosing:
    """The N-K-acid plan: 20 L of N and of K (4 L/m³ each) and 0.2 L/m³ of acid over 30 min
    at 10 m³/h on 10 mu; EC 1.5 from 0.5, pH 6.3."""
    plan = plan_recipe(
        recipe,
        channels or channel_configs(max_run_min),
        loop,
        area_m2=10 * MU_M2,
        nominal_flow_m3_h=10.0,
        inject_s=inject_s,
        source_ec_ms_cm=0.5,
        no_flow_m3_h=0.5,
    )
    return ChannelDosing(plan)
