"""A fertigation run that ended before its injection was complete: the ``fertigation_owed``
event naming the event still owed, once per run, said in both languages
(controller.agronomy.fert_owed)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path

import pytest

from controller.agronomy.fert_notes import fert_note
from controller.agronomy.fert_owed import OWED_CODE, OwedFertilizer
from controller.clock import VirtualClock
from controller.config.site import SiteConfig, load_site
from controller.said.records import RecordSayer
from controller.said.words import words
from controller.store import RunPhase, RunSource, RunState, Severity, Store
from tests.helpers.fertigation import local, record_run
from tests.helpers.site import DEMO_SITE

DAY = dt.date(2026, 5, 15)  # z1's first event: N 0.45 kg/mu × 25 mu


@pytest.fixture(scope="module")
def site() -> SiteConfig:
    return load_site(DEMO_SITE)


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    with Store(f"sqlite:///{tmp_path / 'q.db'}", clock=VirtualClock(local(DAY))) as s:
        yield s


def _stopped(store: Store, phase: RunPhase, fertilizer: dict[str, float]) -> int:
    """A fertigation run of z1 stopped by hand in ``phase``, as the sequencer ends it."""
    run = store.plan_run("z1", RunSource.PLAN, 240)
    assert run.id is not None
    store.start_run(run.id, RunPhase.PREWET)
    store.update_run_progress(run.id, 1.0, phase)
    clock = store.clock
    assert isinstance(clock, VirtualClock)
    clock.advance(300)
    store.finish_run(run.id, RunState.ABORTED, "stopped by li", fertilizer=fertilizer)
    return run.id


def _owed(store: Store) -> list[str]:
    return [e.message for e in store.events() if e.code == OWED_CODE]


def test_a_run_stopped_in_prewet_says_its_event_is_still_owed_once(
    site: SiteConfig, store: Store
) -> None:
    owed = OwedFertilizer(lambda: site, store)
    assert owed.check() == 0  # no run yet
    run_id = _stopped(store, RunPhase.PREWET, {"N": 0.0})
    assert owed.check() == 1
    (event,) = [e for e in store.events() if e.code == OWED_CODE]
    assert (event.source, event.severity) == ("z1", Severity.INFO.value)
    assert event.message == (
        f"run {run_id} of zone z1 ended before its injection was complete: fertigation "
        "event 1 (苗期 (拔节前)) of 2026-05-15: N 11.25 kg is still owed; the next planning "
        "carries it "
        "(open until 2026-05-20)"
    )
    part = fert_note(event.message)
    assert part.code == "owed" and part.values["run"] == str(run_id)
    assert owed.check() == 0  # said once
    assert OwedFertilizer(lambda: site, store).check() == 0  # and not again after a restart
    zh = RecordSayer(words("zh_CN"), lambda t: f"{t:%Y-%m-%d}").alarm(
        "z1", OWED_CODE, event.message
    )
    assert zh == (
        f"轮灌区 z1 的运行 {run_id} 在注肥完成前结束："
        "施肥事件 1 (苗期 (拔节前))（2026-05-15）：N 11.25 kg 仍未施完；"
        "下次计划会带上它（2026-05-20 前有效）"
    )
    en = RecordSayer(words("en"), lambda t: f"{t:%Y-%m-%d}").alarm("z1", OWED_CODE, event.message)
    assert en == event.message


def test_a_run_that_gave_its_fertilizer_or_watered_only_owes_nothing(
    site: SiteConfig, store: Store
) -> None:
    owed = OwedFertilizer(lambda: site, store)
    _stopped(store, RunPhase.FLUSH, {"N": 11.25})  # stopped in its flush: all given
    record_run(store, "z1", local(DAY, "22:00"), None, RunState.ABORTED)  # water only
    assert owed.check() == 0 and _owed(store) == []
    # a run of another zone interrupted by a restart in its inject, part given: said for
    # that zone
    run = store.plan_run("z2", RunSource.PLAN, 240)
    assert run.id is not None
    store.start_run(run.id, RunPhase.INJECT)
    store.finish_run(run.id, RunState.INTERRUPTED, "restart", fertilizer={"N": 2.0})
    assert owed.check() == 1
    (message,) = _owed(store)
    assert message.startswith(f"run {run.id} of zone z2 ended before its injection")
    assert "fertigation event 1 (苗期 (拔节前)) of 2026-05-15" in message


def test_a_run_whose_plan_cannot_be_worked_out_does_not_silence_the_others(
    site: SiteConfig, store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An error working out one run's event (a bad record, a bug) is logged once; the runs
    after it are still said, and the next check does not log it again."""
    import controller.agronomy.fert_owed as module

    first = _stopped(store, RunPhase.PREWET, {"N": 0.0})
    second = _stopped(store, RunPhase.INJECT, {"N": 0.0})
    real = module.event_status
    calls: list[int] = []

    def failing_first(*args: object, **kwargs: object) -> object:
        calls.append(1)
        if len(calls) == 1:
            raise ValueError("a record the plan cannot read")
        return real(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(module, "event_status", failing_first)
    owed = OwedFertilizer(lambda: site, store)
    assert owed.check() == 1
    (message,) = _owed(store)
    assert f"run {second} of zone z1" in message and f"run {first} " not in message
    n = len(calls)
    store.record_audit("t", "poke", {})  # a change in the store: the next check looks again
    assert owed.check() == 0 and len(calls) == n
