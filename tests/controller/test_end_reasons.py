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
from controller.runtime.end_reasons import CHANNEL_DOSES, END_REASONS, channel_doses, end_parts
from controller.runtime.recorded import Templates
from tests.helpers.recorded import assert_templates_read_back
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
        ((4, "flow1", "flow1", 1.0, 1.1, [5], 1.0), "credit_shared_meter_one"),
        ((4, "flow1", "flow1", 1.0, 1.1, [5, 6], 1.0), "credit_shared_meter"),
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


@pytest.mark.parametrize("runs", ["8", "8, 9"])
def test_a_shared_meter_credit_stored_in_the_older_words_is_still_read(runs: str) -> None:
    """Rows stored before the record named "run 8" / "runs 8, 9" said "run(s)"."""
    older = (
        "daemon restarted during the run; water since the last progress not credited: "
        f"flow1 also measured run(s) {runs}"
    )
    ended, credit = end_parts(older)
    assert ended.code == "daemon_restarted"
    assert (credit.code, credit.values) == ("credit_shared_meter", {"meter": "flow1", "runs": runs})


def test_older_words_for_a_code_without_a_template_are_refused() -> None:
    with pytest.raises(ValueError, match="without a template: gone"):
        Templates({"here": "it is {x}"}, older={"gone": ("it was {x}",)})


def test_a_template_reads_back_the_values_it_was_written_with() -> None:
    assert_templates_read_back(END_REASONS, lambda text: end_parts(text)[0])
    assert_templates_read_back(CHANNEL_DOSES, lambda text: channel_doses(text)[0])
    assert end_parts("") == []
