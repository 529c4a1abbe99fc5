"""``kernel.plan_zones`` on small plans worked by hand, at, just under and just over each bound.

A zone of 1000 m² on 6 m³/h applies 6 mm/h gross (0.1 mm a minute); with efficiency 1 a refill
of N mm takes 10 N minutes. Slots are hours (24 a day) unless a test says otherwise. Depletion
is projected by FAO-56 eq. 85 (Dr + ETc − P per slot, held in 0-TAW by eq. 86) and an event
applies its net depth (gross × efficiency) at its start. Values are chosen exact in binary where
a test needs equality at a bound.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from models.planner.codes import (
    FLAG_CONTINUATION,
    FLAG_CYCLE_SOAK,
    FLAG_DEFERRED,
    FLAG_MAX_RUN,
    FLAG_MIN_RUN,
    STATUS_BELOW_MIN_RUN,
    STATUS_EVENT_LIMIT,
    STATUS_NO_SLOT,
    STATUS_NOT_TRIGGERED,
    STATUS_SKIPPED,
)
from models.planner.kernel import plan_zones

OUT = [
    "start",
    "dur",
    "gross",
    "cycles",
    "dr",
    "trigger",
    "flags",
    "price",
    "n_events",
    "status",
    "first",
    "shortfall",
    "order",
    "load",
]


def _plan(n_zones: int = 1, spd: int = 24, days: int = 1, **given: Any) -> dict[str, np.ndarray]:
    """Run the kernel on ``n_zones`` alike zones; ``given`` overrides any argument (per zone
    values broadcast). Defaults: Dr 50 of TAW 100, trigger 40, target 10, no ETc or rain."""
    n = spd * days
    zone = {
        "dr0": 50.0,
        "taw": 100.0,
        "trigger": 40.0,
        "target": 10.0,
        "etc": 0.0,
        "rain": 0.0,
        "efficiency": 1.0,
        "area": 1000.0,
        "flow": 6.0,
        "min_run": 1,
        "max_run": 1000,
        "cycle_max": 0,
        "soak": 0,
        "enabled": True,
    }
    shapes = {"trigger": (n_zones, days), "etc": (n_zones, n), "rain": (n_zones, n)}
    ints = {"min_run", "max_run", "cycle_max", "soak"}
    arrays = []
    for name, default in zone.items():
        dtype = np.int64 if name in ints else (np.bool_ if name == "enabled" else np.float64)
        shape = shapes.get(name, (n_zones,))
        value = np.broadcast_to(np.asarray(given.get(name, default), dtype=dtype), shape)
        arrays.append(np.ascontiguousarray(value))
    allowed = np.broadcast_to(np.asarray(given.get("allowed", True), np.bool_), (n_zones, n))
    tariff = np.broadcast_to(np.asarray(given.get("tariff", 1.0), np.float64), (n,))
    reserved = np.broadcast_to(np.asarray(given.get("reserved", 0.0), np.float64), (n,))
    out = plan_zones(
        *arrays[:14],
        np.ascontiguousarray(allowed),
        np.ascontiguousarray(tariff),
        float(given.get("capacity", 10.0)),
        spd,
        1440 // spd,
        int(given.get("max_defer", 0)),
        np.ascontiguousarray(reserved),
    )
    return dict(zip(OUT, out, strict=True))


def _event(r: dict[str, np.ndarray], z: int = 0, k: int = 0) -> tuple[Any, ...]:
    """(start slot, minutes, gross mm, cycles, Dr at start, trigger slot, flags, price)."""
    return tuple(r[name][z, k].item() for name in OUT[:8])


def test_one_refill_from_the_trigger_to_the_target() -> None:
    # Dr 50 ≥ 40 at slot 0: 50 − 10 = 40 mm in 400 minutes, slots 0-6 (6 h 40 min)
    r = _plan()
    assert _event(r) == (0, 400, pytest.approx(40.0), 1, 50.0, 0, 0, pytest.approx(1.0))
    assert (r["n_events"][0], r["status"][0], r["first"][0]) == (1, STATUS_NOT_TRIGGERED, 0)
    assert r["shortfall"][0] == 0.0
    assert r["load"].tolist() == [6.0] * 7 + [0.0] * 17
    assert r["start"][0, 1] == -1 and r["trigger"][0, 1] == -1


def test_trigger_reached_exactly_and_not_quite() -> None:
    # 39.75 + 0.25 ETc = 40.0 at slot 1 (≥ trigger); 30 mm in 300 minutes from slot 1
    r = _plan(dr0=39.75, etc=0.25)
    assert r["first"][0] == 1
    assert _event(r)[:6] == (1, 300, pytest.approx(30.0), 1, 40.0, 1)
    # after the event Dr 10 + 5 × 0.25 (slots 1-5), then 0.25 a slot: never 40 again today
    assert (r["n_events"][0], r["status"][0]) == (1, STATUS_NOT_TRIGGERED)
    below = _plan(dr0=39.75, etc=0.0)
    assert (below["first"][0], below["n_events"][0]) == (-1, 0)
    assert below["status"][0] == STATUS_NOT_TRIGGERED
    # the trigger of the second day is read at that day's slots (24 // 24 = day 1)
    late = _plan(days=2, dr0=30.0, trigger=[[40.0, 30.0]])
    assert (late["first"][0], late["start"][0, 0]) == (24, 24)


def test_rain_lowers_the_projection() -> None:
    # 39.75 + 0.5 ETc − 0.25 rain = 40 at slot 1
    assert _plan(dr0=39.75, etc=0.5, rain=0.25)["first"][0] == 1
    assert _plan(dr0=39.75, etc=0.5, rain=0.5)["first"][0] == -1


def test_nothing_to_refill_at_the_target() -> None:
    # Dr 40 ≥ trigger 40 but the target is 40 too: need 0 mm, no event, no slot to blame
    r = _plan(dr0=40.0, target=40.0)
    assert r["n_events"][0] == 0
    assert r["status"][0] == STATUS_NO_SLOT
    assert r["shortfall"][0] == 0.0


def test_efficiency_gross_and_net() -> None:
    # 40 mm net at efficiency 0.5: 80 mm gross, 800 minutes; Dr 50 − 80 × 0.5 = 10
    r = _plan(efficiency=0.5, dr0=50.0)
    assert _event(r)[:3] == (0, 800, pytest.approx(80.0))
    assert r["n_events"][0] == 1


@pytest.mark.parametrize(
    ("max_run", "flags", "events"),
    [(400, 0, 1), (401, 0, 1), (399, FLAG_MAX_RUN, 2)],
)
def test_maximum_run_at_the_bound(max_run: int, flags: int, events: int) -> None:
    r = _plan(max_run=max_run)
    assert _event(r)[1] == min(400, max_run)
    assert r["flags"][0, 0] == flags
    assert r["n_events"][0] == events


def test_a_cut_run_continues_in_the_next_free_slot() -> None:
    # 400 minutes needed, 250 at most: 250 in slots 0-4 (Dr 50 → 25), the rest 150 from slot 5
    r = _plan(max_run=250)
    assert _event(r, k=0)[:7] == (0, 250, pytest.approx(25.0), 1, 50.0, 0, FLAG_MAX_RUN)
    assert _event(r, k=1)[:7] == (5, 150, pytest.approx(15.0), 1, 25.0, 5, FLAG_CONTINUATION)
    assert (r["n_events"][0], r["status"][0]) == (2, STATUS_NOT_TRIGGERED)
    assert r["load"].tolist() == [6.0] * 8 + [0.0] * 16


def test_a_continuation_without_room_is_reported_short() -> None:
    # the rest of a cut run finds no allowed slot: 25 mm short of the target
    allowed = np.array([[True] * 5 + [False] * 19])
    r = _plan(max_run=250, allowed=allowed)
    assert (r["n_events"][0], r["status"][0]) == (1, STATUS_NO_SLOT)
    assert r["shortfall"][0] == pytest.approx(25.0 - 10.0)


def test_a_continuation_at_the_horizon_end_is_reported_short() -> None:
    # two 12-hour slots: 1000 min cut to 100 at slot 0, then 100 at slot 1, then no slot left
    r = _plan(spd=2, dr0=110.0, taw=200.0, max_run=100)
    assert r["n_events"][0] == 2
    assert r["status"][0] == STATUS_EVENT_LIMIT
    three = _plan(spd=3, dr0=110.0, taw=200.0, max_run=100)
    assert three["n_events"][0] == 3
    assert three["status"][0] == STATUS_EVENT_LIMIT
    one_day_left = _plan(spd=3, dr0=110.0, taw=200.0, max_run=100, allowed=[[True, True, False]])
    assert (one_day_left["n_events"][0], one_day_left["status"][0]) == (2, STATUS_NO_SLOT)
    assert one_day_left["shortfall"][0] == pytest.approx(110.0 - 20.0 - 10.0)


@pytest.mark.parametrize(
    ("min_run", "duration", "flags", "status"),
    [
        (400, 400, 0, STATUS_NOT_TRIGGERED),  # the need itself
        (300, 400, 0, STATUS_NOT_TRIGGERED),
        (500, 500, FLAG_MIN_RUN, STATUS_NOT_TRIGGERED),  # 50 mm net: exactly Dr
    ],
)
def test_minimum_run_up_to_field_capacity(
    min_run: int, duration: int, flags: int, status: int
) -> None:
    r = _plan(min_run=min_run)
    assert _event(r)[1] == duration
    assert r["flags"][0, 0] == flags
    assert r["status"][0] == status


def test_minimum_run_past_field_capacity_is_refused() -> None:
    # 501 minutes put 50.1 mm on Dr 50: past field capacity (eq. 88) in every slot
    r = _plan(min_run=501)
    assert (r["n_events"][0], r["status"][0]) == (0, STATUS_BELOW_MIN_RUN)
    assert r["shortfall"][0] == pytest.approx(40.0)
    assert r["load"].tolist() == [0.0] * 24
    # at efficiency 0.5 the same 501 minutes put 25.05 mm net: allowed, raised to the minimum
    half = _plan(min_run=501, efficiency=0.5, target=30.0)
    assert _event(half)[1] == 501
    assert half["flags"][0, 0] == FLAG_MIN_RUN


def test_pump_capacity_at_the_bound() -> None:
    # 4 m³/h held by another run in slot 0: 4 + 6 = 10 fits a 10 m³/h pump, 4.5 + 6 does not
    fits = _plan(reserved=[4.0] + [0.0] * 23)
    assert fits["start"][0, 0] == 0
    assert fits["load"][0] == pytest.approx(10.0)
    full = _plan(reserved=[4.5] + [0.0] * 23)
    assert full["start"][0, 0] == 1
    assert full["load"][0] == pytest.approx(4.5)
    # a run that needs slots 0-6 waits until none of them is full
    late = _plan(reserved=[0.0] * 6 + [4.5] + [0.0] * 17)
    assert late["start"][0, 0] == 7


def test_cheapest_slot_within_the_defer_window() -> None:
    tariff = [1.0, 1.0, 0.5] + [1.0] * 21
    # runs cut to 60 minutes: slot 2 is past a window of one slot
    assert _plan(tariff=tariff, max_defer=1, max_run=60)["start"][0, 0] == 0
    r = _plan(tariff=tariff, max_defer=2, max_run=60)
    assert _event(r, k=0)[0] == 2
    assert r["price"][0, 0] == pytest.approx(0.5)
    assert r["flags"][0, 0] == FLAG_MAX_RUN  # chosen in the window: not deferred
    # equal prices keep the earliest slot
    assert _plan(tariff=[0.5] * 24, max_defer=5)["start"][0, 0] == 0


def test_mean_tariff_over_a_run_of_two_slots() -> None:
    # 90 minutes: 60 at 1.0 and 30 at 0.5 → (60 + 15) / 90
    r = _plan(dr0=49.0, target=40.0, tariff=[1.0, 0.5] + [1.0] * 22)
    assert _event(r)[1] == 90
    assert r["price"][0, 0] == pytest.approx(75.0 / 90.0)


def test_no_allowed_slot_in_the_window_defers() -> None:
    closed = np.array([[False, False] + [True] * 22])
    r = _plan(allowed=closed, max_defer=1)
    assert _event(r)[0] == 2
    assert r["flags"][0, 0] == FLAG_DEFERRED
    at_edge = _plan(allowed=closed, max_defer=2)
    assert (at_edge["start"][0, 0], at_edge["flags"][0, 0]) == (2, 0)


def test_a_run_past_the_horizon_has_no_slot() -> None:
    # only the last hour is open: 400 minutes do not fit before the end
    last = np.array([[False] * 23 + [True]])
    r = _plan(allowed=last)
    assert (r["n_events"][0], r["status"][0]) == (0, STATUS_NO_SLOT)
    assert r["shortfall"][0] == pytest.approx(40.0)
    # 60 minutes fit in it exactly
    fits = _plan(allowed=last, dr0=46.0, target=40.0)
    assert (fits["start"][0, 0], fits["dur"][0, 0]) == (23, 60)
    assert fits["load"][23] == 6.0


def test_cycle_and_soak_occupy_only_the_running_slots() -> None:
    # 90 minutes in cycles of at most 30 with 60 min soak: 0-30, 90-120, 180-210 → slots 0, 1, 3
    r = _plan(dr0=49.0, target=40.0, cycle_max=30, soak=60)
    assert _event(r)[:4] == (0, 90, pytest.approx(9.0), 3)
    assert r["flags"][0, 0] == FLAG_CYCLE_SOAK
    assert r["load"].tolist()[:5] == [6.0, 6.0, 0.0, 6.0, 0.0]
    # soak 30: 0-30, 60-90, 120-150 → slots 0, 1, 2
    tight = _plan(dr0=49.0, target=40.0, cycle_max=30, soak=30)
    assert tight["load"].tolist()[:4] == [6.0, 6.0, 6.0, 0.0]
    # a run of exactly one cycle's length is not split
    single = _plan(dr0=43.0, target=40.0, cycle_max=30, soak=60)
    assert (single["cycles"][0, 0], single["flags"][0, 0]) == (1, 0)


def test_a_soak_gap_inside_a_closed_slot_still_fits() -> None:
    # cycles in slots 0, 1, 3: slot 2 closed does not stop the run, slot 3 closed does; from
    # slot 1 the cycles run in slots 1, 2 and 4
    cycled = {"dr0": 49.0, "target": 40.0, "cycle_max": 30, "soak": 60}
    gap = _plan(**cycled, allowed=[[True] * 2 + [False] + [True] * 21])
    assert gap["start"][0, 0] == 0
    blocked = _plan(**cycled, allowed=[[True] * 3 + [False] + [True] * 20])
    assert blocked["start"][0, 0] == 1
    assert blocked["load"].tolist()[:5] == [0.0, 6.0, 6.0, 0.0, 6.0]


def test_a_skipped_zone_has_no_events() -> None:
    r = _plan(enabled=False)
    assert (r["n_events"][0], r["status"][0], r["shortfall"][0]) == (0, STATUS_SKIPPED, 0.0)
    assert r["first"][0] == 0  # its trigger slot is still reported
    assert r["load"].tolist() == [0.0] * 24


def test_the_more_urgent_zone_takes_the_pump_first() -> None:
    # one pump for one zone at a time (10 m³/h); both trigger at slot 0, zone 1 is drier
    # (Dr/TAW 0.6 against 0.5): it runs first, zone 0 after it
    r = _plan(n_zones=2, dr0=[50.0, 60.0], target=[10.0, 20.0])
    assert r["order"].tolist() == [1, 0]
    assert (r["start"][1, 0], r["start"][0, 0]) == (0, 7)
    # an earlier trigger wins over a drier soil: zone 0 triggers at slot 0, zone 1 at slot 1
    later = _plan(n_zones=2, dr0=[40.0, 39.75], taw=[100.0, 40.0], etc=0.25)
    assert later["first"].tolist() == [0, 1]
    assert later["order"].tolist() == [0, 1]
    # an untriggered zone ranks after every triggered one
    idle = _plan(n_zones=2, dr0=[10.0, 40.0], taw=[11.0, 100.0])
    assert idle["first"].tolist() == [-1, 0]
    assert idle["order"].tolist() == [1, 0]


def test_minimum_run_exactly_at_field_capacity_within_rounding() -> None:
    # 500 minutes put 50 mm net on Dr = 50 − 1e-9: allowed, since Dr + 1e-9 forgives rounding
    dr0 = 50.0 - 1e-9
    assert dr0 + 1e-9 == 50.0  # the bound itself, exact in binary
    r = _plan(dr0=dr0, min_run=500)
    assert (r["dur"][0, 0], r["flags"][0, 0]) == (500, FLAG_MIN_RUN)


def test_pump_capacity_exactly_at_its_rounding_bound() -> None:
    # 4.000000001 + 6 is exactly 10 + 1e-9 in binary: still within the pump's capacity
    reserved = 4.0 + 1e-9
    assert reserved + 6.0 == 10.0 + 1e-9
    assert _plan(reserved=[reserved] + [0.0] * 23)["start"][0, 0] == 0


def test_a_refill_to_field_capacity_starts_the_projection_at_zero() -> None:
    # target 0: 50 mm in 500 minutes (slots 0-8), Dr 0 then 1 mm ETc a slot: 9 mm at slot 9,
    # 40 mm (the trigger) at slot 40 of two days
    r = _plan(days=2, target=0.0, etc=1.0, trigger=[[40.0, 40.0]])
    assert _event(r, k=0)[:2] == (0, 500)
    assert (r["trigger"][0, 1], r["dr"][0, 1]) == (40, 40.0)


def test_a_cut_run_that_reaches_the_target_does_not_continue() -> None:
    # 300 of 400 minutes (slots 0-4): Dr 50 − 30 = 20, less 2 mm of rain in each of the five
    # slots = 10, the target: done; with 1.5 mm a slot Dr is 12.5, 2.5 mm still to go
    done = _plan(max_run=300, rain=2.0)
    assert (done["n_events"][0], done["status"][0]) == (1, STATUS_NOT_TRIGGERED)
    rest = _plan(max_run=300, rain=1.5)
    assert rest["n_events"][0] == 2
    assert _event(rest, k=1)[:2] == (5, 25)
    assert rest["flags"][0, 1] == FLAG_CONTINUATION


def test_zones_of_equal_urgency_keep_their_order() -> None:
    # 40 skipped zones alternating Dr 50 and 60 of 100: the drier ones first, each group in
    # index order (a stable sort)
    r = _plan(n_zones=40, dr0=[50.0, 60.0] * 20, enabled=False)
    assert r["order"].tolist() == list(range(1, 40, 2)) + list(range(0, 40, 2))
