"""A fertigation plan note read back as a code (controller.agronomy.fert_notes).

The notes are the planner's own (:func:`attach_recipes` on the demo site): an event carried,
carried with what is still to give, and waiting for a run too short or one that overlaps
another. A note whose words drift from :data:`FERT_NOTES` fails here instead of showing in
English on a Chinese page.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path

import pytest

from controller.agronomy.fert_notes import FERT_NOTES, fert_note
from controller.agronomy.fertplan import attach_recipes
from controller.clock import VirtualClock
from controller.config.site import SiteConfig, load_site
from controller.store import RunState, Store
from tests.helpers.fertigation import local, planned, record_run
from tests.helpers.recorded import assert_templates_read_back
from tests.helpers.site import DEMO_SITE

DAY = dt.date(2026, 5, 15)  # z1's and z2's first event


@pytest.fixture(scope="module")
def site() -> SiteConfig:
    return load_site(DEMO_SITE)


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    with Store(f"sqlite:///{tmp_path / 'q.db'}", clock=VirtualClock(local(DAY))) as s:
        yield s


def test_the_planners_notes_are_read_back_as_their_codes(site: SiteConfig, store: Store) -> None:
    carried, short = attach_recipes(
        [planned("z1", local(DAY, "20:00"), 180), planned("z2", local(DAY, "23:30"), 60)],
        site,
        DAY,
    )
    overlapping, _ = attach_recipes(
        [planned("z1", local(DAY, "20:00"), 120), planned("z2", local(DAY, "21:00"), 120)],
        site,
        DAY,
    )
    record_run(store, "z2", local(DAY), {"N": 5.0}, RunState.ABORTED)
    later = DAY + dt.timedelta(days=1)
    (rest,) = attach_recipes(
        [planned("z2", local(later, "20:00"), 120)], site, later, history=store.runs()
    )
    notes = {
        "carries": carried.note,
        "waits_short": short.note,
        "waits_overlap": overlapping.note,
        "carries_rest": rest.note,
    }
    read = {code: fert_note(note) for code, note in notes.items()}
    assert {code: part.code for code, part in read.items()} == {c: c for c in notes}, notes
    assert read["carries"].values == {
        "event": "1 (苗期 (拔节前))",
        "day": "2026-05-15",
        "what": "N 11.25 kg",
    }
    assert read["waits_short"].values["until"] == "2026-05-20"
    assert read["waits_overlap"].values["zone"] == "z2"
    assert read["carries_rest"].values["rest"] == "N 6.25 kg"


def test_a_template_reads_back_the_values_it_was_written_with() -> None:
    assert_templates_read_back(FERT_NOTES, fert_note)
