"""Fixtures of the HIL suite: a season of the scenario site, paused where a test needs it.

The daemon is the production one (its job list on a virtual clock), the devices are real
pymodbus servers on free loopback ports, the field is the season truth. The helpers that
compare the store before and after a fault are in :mod:`hil_tests.helpers`.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from controller.simulation.season import Season, load_scenario
from hil_tests.helpers import MID_SEASON
from tests.helpers.figures import figures  # noqa: F401 - the fixture, for every test


@pytest.fixture
def season(tmp_path: Path) -> Iterator[Season]:
    """The Zhangye scenario under the ET strategy from mid-June, daemon started."""
    with Season(
        load_scenario("zhangye-seed-corn"), "et", seed=1, workdir=tmp_path, start=MID_SEASON
    ) as s:
        yield s
