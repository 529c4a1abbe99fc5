"""A site's tuning of a crop's water-management periods (:func:`models.crops.with_stage_mad`):
only a non-critical period's MAD changes, inside its bounds; everything else refused by name."""

from __future__ import annotations

import dataclasses

import pytest
from hypothesis import given
from hypothesis import strategies as st

from models.crops import (
    STAGE_MAD_RANGE,
    TUNING_MESSAGES,
    CropDataError,
    crop,
    crop_keys,
    with_stage_mad,
)

STAGED = [key for key in crop_keys() if crop(key).stages]


def test_the_library_tunes_a_non_critical_period_only() -> None:
    corn = crop("seed_corn")
    tuned = with_stage_mad(corn, {"ripening": 0.7})
    assert [s.mad for s in tuned.stages] == [0.45, 0.40, 0.40, 0.50, 0.7]
    assert dataclasses.replace(tuned, stages=corn.stages) == corn  # nothing else changed
    assert with_stage_mad(corn, {}) is corn
    with pytest.raises(CropDataError, match=r"seed_corn\.stages\.flowering: a critical period"):
        with_stage_mad(corn, {"flowering": 0.6})
    with pytest.raises(CropDataError, match=r"seed_corn\.stages\.tillering: no such period"):
        with_stage_mad(corn, {"tillering": 0.5})
    with pytest.raises(CropDataError, match=r"ripening\.mad: 0\.85 outside \[0\.2, 0\.8\]"):
        with_stage_mad(corn, {"ripening": 0.85})
    with pytest.raises(CropDataError, match=r"ripening\.mad: nan is not a finite number"):
        with_stage_mad(corn, {"ripening": float("nan")})
    with pytest.raises(
        CropDataError, match=r"cotton\.stages\.ripening: no such period \(periods: none\)"
    ):
        with_stage_mad(crop("cotton"), {"ripening": 0.5})


@given(
    key=st.sampled_from(STAGED),
    index=st.integers(0, 9),
    mad=st.floats(-1.0, 2.0, allow_nan=False),
)
def test_a_tuning_changes_one_period_or_none(key: str, index: int, mad: float) -> None:
    """Accepted: exactly the named period's MAD changes, to the value; refused: critical
    periods and MADs out of bounds, by a CropDataError naming the period."""
    library = crop(key)
    stage = library.stages[index % len(library.stages)]
    low, high = STAGE_MAD_RANGE
    if stage.critical or not low <= mad <= high:
        with pytest.raises(CropDataError, match=rf"{key}\.stages\.{stage.name}"):
            with_stage_mad(library, {stage.name: mad})
        return
    tuned = with_stage_mad(library, {stage.name: mad})
    for before, after in zip(library.stages, tuned.stages, strict=True):
        expected = mad if before.name == stage.name else before.mad
        assert after == dataclasses.replace(before, mad=expected)


def test_a_refused_tuning_carries_its_code_and_values_for_the_pages() -> None:
    corn = crop("seed_corn")
    cases = {
        "flowering": ("critical_period", {}),
        "tillering": (
            "no_such_period",
            {"periods": "establishment, vegetative, flowering, yield formation, ripening"},
        ),
    }
    for period, (code, extra) in cases.items():
        with pytest.raises(CropDataError) as caught:
            with_stage_mad(corn, {period: 0.5})
        assert caught.value.code == code
        assert dict(caught.value.values) == {"crop": "seed_corn", "period": period, **extra}
        message = TUNING_MESSAGES[code].format(**extra)
        assert str(caught.value) == f"seed_corn.stages.{period}: {message}"
    with pytest.raises(CropDataError) as caught:
        with_stage_mad(corn, {"ripening": 0.85})
    assert caught.value.code == "mad_outside"
    assert dict(caught.value.values) == {
        "crop": "seed_corn",
        "period": "ripening",
        "value": "0.85",
        "low": "0.2",
        "high": "0.8",
    }
    with pytest.raises(CropDataError) as caught:
        with_stage_mad(corn, {"ripening": float("inf")})
    assert (caught.value.code, caught.value.values["value"]) == ("mad_not_number", "inf")
    with pytest.raises(CropDataError) as caught:  # the library's own data: no code
        crop("no-such-crop")
    assert caught.value.code == ""
