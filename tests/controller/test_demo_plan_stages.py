"""The demo site's fertigation plan names stages on the days the crop library predicts them.

A technician copying the example reads 抽雄 / 吐丝 as tasselling / silking: an event so named
on day 65, with tasselling predicted on day 83, doses weeks early."""

from __future__ import annotations

import pytest

from controller.config.site import load_site
from models.crops import crop
from models.crops.phenology import Stage, stage_crop_day
from tests.helpers.site import DEMO_SITE

NAMED = {"拔节": (Stage.JOINTING,), "抽雄": (Stage.TASSELING,), "吐丝": (Stage.SILKING,)}
DAYS_OFF_MAX = 10  # an event's day against the named stage's predicted day


@pytest.mark.parametrize("word", sorted(NAMED))
def test_an_event_named_for_a_stage_falls_near_its_predicted_day(word: str) -> None:
    site = load_site(DEMO_SITE)
    assert site.fertigation is not None
    seed_corn = crop("seed_corn")
    named = [e for e in site.fertigation.events if word in e.label and "前" not in e.label]
    assert named, word
    for event in named:
        predicted = [stage_crop_day(seed_corn, s) for s in NAMED[word]]
        off = min(abs(event.day_after_planting - d) for d in predicted)
        assert off <= DAYS_OFF_MAX, (event.label, event.day_after_planting, predicted)
