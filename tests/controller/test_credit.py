"""The crediting rule for a run a crash interrupted (controller.runtime.credit), at its seam."""

from __future__ import annotations

import pytest

from controller.runtime.credit import meter_credit, most_m3

LIMIT_M3 = most_m3(100.0, 30.0)  # 100 m³/h zone, 30 s window: 1.667 m³


def test_alone_on_its_meter_the_run_is_credited_the_rise_since_its_progress() -> None:
    credit = meter_credit(7, "flow1", "flow1", 120.25, 120.75, [], LIMIT_M3)
    assert credit.m3 == pytest.approx(0.5)
    assert credit.why == (
        "0.500 m3 credited to run 7: flow1 totalizer 120.250 m3 at the last progress, "
        "120.750 m3 at start"
    )


def test_no_rise_credits_nothing_and_says_so() -> None:
    credit = meter_credit(7, "flow1", "flow1", 120.25, 120.25, [], LIMIT_M3)
    assert credit.m3 == 0.0 and credit.why.startswith("0.000 m3 credited to run 7")


def test_a_meter_shared_with_another_open_run_credits_nothing() -> None:
    credit = meter_credit(7, "flow1", "flow1", 120.25, 120.75, [8, 9], LIMIT_M3)
    assert credit.m3 == 0.0
    assert "not credited: flow1 also measured runs 8, 9" in credit.why


def test_a_meter_shared_with_one_other_run_names_it_alone() -> None:
    credit = meter_credit(7, "flow1", "flow1", 120.25, 120.75, [8], LIMIT_M3)
    assert credit.why.endswith("not credited: flow1 also measured run 8")


def test_a_totalizer_that_went_down_credits_nothing() -> None:
    credit = meter_credit(7, "flow1", "flow1", 9999.5, 0.25, [], LIMIT_M3)
    assert credit.m3 == 0.0
    assert "went down from 9999.500 to 0.250 m3 (reset or rollover)" in credit.why


def test_a_meter_unreadable_at_start_credits_nothing() -> None:
    credit = meter_credit(7, "flow1", "flow1", 120.25, None, [], LIMIT_M3)
    assert credit.m3 == 0.0
    assert "flow1 totalizer unreadable at start (last progress at 120.250 m3)" in credit.why


def test_no_reading_kept_with_the_progress_credits_nothing() -> None:
    credit = meter_credit(7, "flow1", None, None, 120.75, [], LIMIT_M3)
    assert credit.m3 == 0.0 and "no meter reading was kept" in credit.why


def test_a_zone_moved_to_another_meter_credits_nothing() -> None:
    credit = meter_credit(7, "flow2", "flow1", 120.25, 120.75, [], LIMIT_M3)
    assert credit.m3 == 0.0 and "measured by flow1, the zone now by flow2" in credit.why


def test_a_rise_more_than_the_zone_can_pass_credits_nothing() -> None:
    assert pytest.approx(2 * 100 * 30 / 3600) == LIMIT_M3
    within = meter_credit(7, "flow1", "flow1", 100.0, 101.625, [], LIMIT_M3)
    assert within.m3 == pytest.approx(1.625)
    credit = meter_credit(7, "flow1", "flow1", 100.0, 101.7, [], LIMIT_M3)
    assert credit.m3 == 0.0
    assert "more than run 7 can have passed (1.667 m3)" in credit.why
