"""A run's end reason read back into coded parts (controller.runtime.end_reasons).

The texts are the writers' own: runs ended by the sequencer on the simulated site, and every
wording :func:`controller.runtime.credit.meter_credit` gives a restart; each of their parts
must be read as a code, or a page would show it in English.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from controller.runtime.credit import meter_credit
from controller.runtime.end_reasons import END_REASONS, end_parts
from tests.helpers.rig import Rig, rig_on
from tests.helpers.site import quick_site


@pytest.fixture
def rig(tmp_path: Path) -> Iterator[Rig]:
    yield from rig_on(quick_site(tmp_path), tmp_path)


def _codes(end_reason: str) -> list[str]:
    return [p.code for p in end_parts(end_reason)]


def test_the_sequencers_end_reasons_are_read_part_by_part(rig: Rig) -> None:
    done = rig.sequencer.start("z1", 1, "manual")
    rig.run(61)
    stopped = rig.sequencer.start("z1", 5, "manual")
    rig.run(5)
    rig.sequencer.stop("z1", "stopped by li", actor="li")
    paused = rig.sequencer.start("z1", 5, "manual")
    rig.run(5)
    rig.sequencer.pause(rig.clock.now() + timedelta(hours=1))
    ended = {run_id: rig.store.get_run(run_id).end_reason for run_id in (done, stopped, paused)}
    assert _codes(ended[done]) == ["planned_time", "water_totalizer"]
    assert _codes(ended[stopped]) == ["stopped_by", "water_totalizer"]
    assert _codes(ended[paused]) == ["paused", "water_totalizer"]
    (said,) = [p for p in end_parts(ended[stopped]) if p.code == "stopped_by"]
    assert said.values == {"actor": "li"}


@pytest.mark.parametrize(
    ("args", "code"),
    [
        ((4, "flow1", "flow1", 1.0, 1.1, [5], 1.0), "credit_shared_meter"),
        ((4, "flow1", None, None, 1.1, [], 1.0), "credit_no_mark"),
        ((4, "flow1", "flow2", 1.0, 1.1, [], 1.0), "credit_other_meter"),
        ((4, "flow1", "flow1", 1.0, None, [], 1.0), "credit_unreadable"),
        ((4, "flow1", "flow1", 1.0, 0.5, [], 1.0), "credit_went_down"),
        ((4, "flow1", "flow1", 1.0, 9.0, [], 1.0), "credit_too_much"),
        ((4, "flow1", "flow1", 1.0, 1.2, [], 1.0), "credited"),
    ],
)
def test_every_credit_a_restart_gives_is_read(args: tuple[Any, ...], code: str) -> None:
    why = meter_credit(*args).why
    assert _codes(f"daemon restarted during the run; {why}") == ["daemon_restarted", code]


def test_a_part_no_template_knows_stays_as_recorded() -> None:
    (part,) = end_parts("the moon was full")
    assert part.code == "" and part.text == "the moon was full" and part.values == {}
    assert end_parts("") == []


def test_a_template_reads_back_the_values_it_was_written_with() -> None:
    for code, template in END_REASONS.items():
        names = template.split("{")[1:]
        values = {n.split("}")[0]: f"v{i}" for i, n in enumerate(names)}
        (part,) = end_parts(template.format(**values))
        assert (part.code, part.values) == (code, values), code
