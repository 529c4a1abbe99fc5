"""The planner's equations at the edges a planted bug would move
(scripts/mutation.sh models/planner/equations.py)."""

from __future__ import annotations

import pytest

from models.planner.equations import (
    application_rate_mm_h,
    cycle_count,
    project_depletion_mm,
    trigger_depletion_mm,
)


def test_the_trigger_is_mad_times_taw() -> None:
    assert trigger_depletion_mm(0.5, 120.0) == pytest.approx(60.0)
    assert trigger_depletion_mm(0.4, 50.0) == pytest.approx(20.0)


def test_the_application_rate_is_flow_over_area_in_mm_per_hour() -> None:
    # 2 m³/h over 1000 m² is 2 mm/h; over 500 m² it is 4 mm/h.
    assert application_rate_mm_h(2.0, 1000.0) == pytest.approx(2.0, rel=1e-12)
    assert application_rate_mm_h(2.0, 500.0) == pytest.approx(4.0, rel=1e-12)


def test_rain_beyond_the_depletion_leaves_the_root_zone_at_field_capacity() -> None:
    assert project_depletion_mm(5.0, 1.0, 10.0, 100.0) == 0.0
    assert project_depletion_mm(5.0, 1.0, 5.5, 100.0) == pytest.approx(0.5)


@pytest.mark.parametrize(
    ("duration", "cycle_max", "cycles"),
    [
        (3, 1, 3),  # one-minute cycles are a real setting
        (1, 1, 1),
        (7, 3, 3),
        (6, 3, 2),
        (4, 3, 2),
        (3, 3, 1),
        (30, 0, 1),  # 0 means no split
    ],
)
def test_cycles_are_the_fewest_of_at_most_cycle_max_minutes(
    duration: int, cycle_max: int, cycles: int
) -> None:
    assert cycle_count(duration, cycle_max) == cycles
