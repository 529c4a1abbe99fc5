"""Named recipes per crop stage in the fertigation plan: checked, carried, done once given."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path

import pytest

from controller.agronomy.fertplan import EventState, event_status, recipe_for, zone_events
from controller.clock import VirtualClock
from controller.config.site import ConfigError, SiteConfig, load_site
from controller.runtime.dosing import ChannelRecipe
from controller.store import Store
from tests.helpers.dosing import channel_site_text
from tests.helpers.fertigation import local, record_run

STAGE_EVENT = """
[[fertigation.events]]
label = "灌浆期"
day_after_planting = 110
recipe = "jointing"
"""


def _site(tmp_path: Path, extra: str) -> SiteConfig:
    path = tmp_path / "site.toml"
    path.write_text(channel_site_text(extra), encoding="utf-8")
    return load_site(path)


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    clock = VirtualClock(dt.datetime(2026, 5, 1, tzinfo=dt.UTC))
    with Store(f"sqlite:///{tmp_path / 'qanat.db'}", clock=clock) as s:
        yield s


def test_a_stage_names_its_recipe_and_the_run_carries_it(tmp_path: Path, store: Store) -> None:
    site = _site(tmp_path, STAGE_EVENT)
    (event,) = [e for e in zone_events(site, "z1") if e.recipe is not None]
    assert event.recipe == "jointing" and "recipe jointing" in event.describe()
    found = recipe_for(site, "z1", event.day)
    assert found is not None and found[1] == ChannelRecipe(name="jointing")
    record_run(store, "z1", local(event.day), {"channel:N": 7.5, "channel:P": 3.75})
    (status,) = [s for s in event_status(site, store.runs(), event.day, "z1") if s.event == event]
    assert status.state is EventState.DONE
    assert recipe_for(site, "z1", event.day, store.runs()) is None


@pytest.mark.parametrize(
    ("event", "expected"),
    [
        (STAGE_EVENT.replace('"jointing"', '"tasseling"'), "recipe: unknown recipe 'tasseling'"),
        (STAGE_EVENT + "n_kg_mu = 1.0\n", "give a recipe alone"),
    ],
)
def test_a_stage_recipe_is_checked(tmp_path: Path, event: str, expected: str) -> None:
    with pytest.raises(ConfigError) as info:
        _site(tmp_path, event)
    assert any(expected in p for p in info.value.problems), info.value.problems
