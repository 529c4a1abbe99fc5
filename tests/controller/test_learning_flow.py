"""The flow-signature job on a real store: features from stored runs, alarms, persistence,
refusal of a foreign model file, and the ``[learning.flow]`` keys."""

from __future__ import annotations

import datetime as dt
import random
import re
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from benchmarks.learning.flow import record_run
from controller.clock import VirtualClock
from controller.config.site import ConfigError, SiteConfig, load_site
from controller.learning.files import models_dir_of
from controller.learning.flow import FULL_PASS_EVERY, FlowLearning, FlowStatus, run_features
from controller.store import RunSource, Store
from drivers.reading import Quality, Reading
from models.learning import Persisted, model_file, save_model
from models.learning.child import Fitted, Runner, in_child, in_process
from models.learning.flow import FORMAT_VERSION, KIND
from tests.helpers import fits
from tests.helpers.site import DEMO_SITE

DESIGN_M3H = 100.0  # every demo zone's nominal flow


@dataclass
class Box:
    site: SiteConfig
    store: Store
    clock: VirtualClock
    models: Path
    rng: random.Random

    def job(self, runner: Runner = in_process) -> FlowLearning:
        """The job, its fits in this process (the child process's own tests use ``in_child``)."""
        return FlowLearning(lambda: self.site, self.store, self.models, runner=runner)

    def run(self, zone: str, flow_m3h: float, *, minutes: float = 20, fill_s: float = 45) -> int:
        run_id = record_run(
            self.store, self.clock, zone, minutes, flow_m3h, fill_s, self.rng, pressure_kpa=250
        )
        self.clock.advance(3600)
        return run_id

    def alarms(self, code: str) -> list[str]:
        return [e.message for e in self.store.open_alarms() if e.code == code]


@pytest.fixture
def box(tmp_path: Path) -> Iterator[Box]:
    clock = VirtualClock(dt.datetime(2026, 5, 1, 4, 0, tzinfo=dt.UTC))
    with Store.open_dir(tmp_path / "data", clock=clock) as store:
        yield Box(
            load_site(DEMO_SITE), store, clock, tmp_path / "data" / "models", random.Random(3)
        )


def test_the_models_live_beside_the_database(box: Box) -> None:
    assert models_dir_of(box.store) == box.models
    with Store("sqlite://") as memory:
        assert models_dir_of(memory) is None


def test_a_runs_features_come_from_its_stored_readings(box: Box) -> None:
    run_id = box.run("z1", 92.0, fill_s=60)
    zone = box.site.zones[0]
    features = run_features(box.site, box.store, zone, box.store.get_run(run_id))
    assert features is not None and features.run_id == run_id
    assert features.steady_m3h == pytest.approx(92.0, rel=0.01)
    assert features.fill_s == pytest.approx(60 * 0.9, abs=10)  # 90 % of the flow, polls of 10 s
    assert features.pressure_kpa == pytest.approx(250, abs=1)


def test_a_run_too_short_for_a_steady_window_is_not_judged(box: Box) -> None:
    run_id = box.run("z1", 92.0, minutes=1.5, fill_s=60)
    features = run_features(box.site, box.store, box.site.zones[0], box.store.get_run(run_id))
    assert features is None


def test_a_slow_clog_raises_zone_clog_saying_what_where_and_how_sure(box: Box) -> None:
    job = box.job()
    for _ in range(6):
        box.run("z2", 93.0 * (1 + box.rng.gauss(0, 0.01)))
        assert job.check() == []
    status = job.status("z2")
    assert status.learned and status.normal_m3h == pytest.approx(93.0, rel=0.01)
    box.run("z2", 93.0 * 0.8)
    assert job.check() == [] and box.alarms("zone_clog") == []  # one run is not a drift
    box.run("z2", 93.0 * 0.8)
    ((zone, drift),) = job.check()
    assert zone == "z2" and drift.kind == "clog"
    (message,) = box.alarms("zone_clog")
    assert re.fullmatch(
        r"zone z2: flow (19|20|21) % below its normal 9\d\.\d m³/h over the last 2 runs "
        r"\(confidence 0\.9\d\d\)",
        message,
    ), message
    (event,) = [e for e in box.store.open_alarms() if e.code == "zone_clog"]
    assert event.source == "z2" and event.latched and event.severity == "warning"
    box.run("z2", 93.0 * 0.8)
    box.run("z2", 93.0 * 0.8)
    job.check()
    assert len(box.alarms("zone_clog")) == 1  # latched: once while open
    assert box.alarms("zone_leak") == []


def test_a_leak_is_a_leak(box: Box) -> None:
    job = box.job()
    for _ in range(6):
        box.run("z3", 88.0)
    job.check()
    for _ in range(2):
        box.run("z3", 88.0 * 1.15)
    job.check()
    (message,) = box.alarms("zone_leak")
    assert message.startswith("zone z3: flow 15 % above its normal 88.") and not box.alarms(
        "zone_clog"
    )


def test_noise_alone_raises_nothing(box: Box) -> None:
    job = box.job()
    for _ in range(60):
        box.run("z1", 95.0 * (1 + box.rng.gauss(0, 0.015)))
        job.check()
    assert [e.code for e in box.store.events() if e.code.startswith("zone_")] == []


def test_too_few_runs_leave_the_fixed_band_around_the_design_flow(box: Box) -> None:
    job = box.job()
    box.run("z4", 97.0)
    box.run("z4", 98.0)
    job.check()
    status = job.status("z4")
    assert (status.learned, status.have, status.need) == (False, 2, 5)
    box.run("z4", 70.0)  # 30 % below the design flow, twice: beyond the 25 % band
    job.check()
    assert box.alarms("zone_clog") == []
    box.run("z4", 69.0)
    job.check()
    (message,) = box.alarms("zone_clog")
    assert message.startswith("zone z4: flow 30 % below its design flow 100.0 m³/h")
    assert "fixed threshold ±25 %" in message


def test_a_learned_signature_is_persisted_and_loaded_again(box: Box) -> None:
    job = box.job(in_child)  # as the daemon fits: in a child process
    for _ in range(5):
        box.run("z1", 91.0)
    job.check()
    assert model_file(box.models, KIND, "z1").exists()
    again = box.job().status("z1")
    assert again.learned and again.normal_m3h == pytest.approx(91.0, rel=0.01)


@pytest.mark.parametrize(
    ("written", "why"),
    [
        ({"format_version": FORMAT_VERSION + 1}, f"format {FORMAT_VERSION + 1}"),
        ({"sklearn_version": "0.1"}, "fitted by scikit-learn 0.1"),
    ],
)
def test_a_model_file_of_another_version_is_refused_and_relearned(
    box: Box, written: dict[str, object], why: str
) -> None:
    for _ in range(2):
        box.run("z1", 91.0)
    fields = {"format_version": FORMAT_VERSION, **written}
    save_model(
        box.models,
        Persisted(
            kind=KIND,
            key="z1",
            trained_at=box.clock.now(),
            n_samples=30,
            payload="a model of another version",
            **fields,  # type: ignore[arg-type]
        ),
    )
    job = box.job()
    job.check()
    (event,) = [e for e in box.store.events() if e.code == "model_unavailable"]
    assert event.source == "z1" and why in event.message and "z1.joblib" in event.message
    status = job.status("z1")
    assert not status.learned and status.have == 2  # relearning from the runs, fixed band meanwhile
    box.run("z1", 60.0)
    box.run("z1", 61.0)
    job.check()
    assert len(box.alarms("zone_clog")) == 1  # the fixed band judged
    assert [e.code for e in box.store.events()].count("model_unavailable") == 1


def test_a_truncated_model_file_is_refused(box: Box) -> None:
    path = model_file(box.models, KIND, "z2")
    path.parent.mkdir(parents=True)
    path.write_bytes(b"\x80\x04 not a whole pickle")
    box.job().check()
    (event,) = [e for e in box.store.events() if e.code == "model_unavailable"]
    assert "unreadable" in event.message and event.source == "z2"


def test_the_job_follows_the_site_as_the_pages_change_it(box: Box) -> None:
    job = box.job()
    zones = [
        z.model_copy(update={"nominal_flow_m3_h": 70.0}) if z.name == "z4" else z
        for z in box.site.zones
    ]
    model = box.site.model.model_copy(update={"zones": zones})  # a new emitter design on z4
    box.site = SiteConfig(path=box.site.path, model=model, profiles=box.site.profiles)
    for _ in range(2):
        box.run("z4", 69.0)  # the new design flow: no clog
        job.check()
    assert box.alarms("zone_clog") == []
    assert job.status("z4").have == 2


def test_a_check_with_no_run_ended_leaves_the_store_alone_for_hours(
    box: Box, monkeypatch: pytest.MonkeyPatch
) -> None:
    job = box.job()
    asked: list[object] = []
    runs = box.store.runs
    monkeypatch.setattr(box.store, "runs", lambda **kw: asked.append(kw) or runs(**kw))
    box.run("z1", 95.0)
    job.check()
    assert len(asked) == 1
    box.clock.advance(FULL_PASS_EVERY.total_seconds() - 3600 - 60)
    job.check()
    assert len(asked) == 1  # no run ended since: nothing asked
    box.run("z1", 95.0)  # a run ends: the next check reads the runs
    job.check()
    assert len(asked) == 2 and job.status("z1").have == 2
    box.clock.advance(FULL_PASS_EVERY.total_seconds())
    job.check()
    assert len(asked) == 3  # the periodic full pass looks anyway


def test_runs_sharing_their_meter_are_not_judged(box: Box) -> None:
    job = box.job()
    for _ in range(6):
        box.run("z1", 90.0)
    job.check()
    for _ in range(2):  # z1 and z2 together, twice: the head meter reads their sum
        runs = [box.store.plan_run(z, RunSource.MANUAL, 20) for z in ("z1", "z2")]
        for r in runs:
            assert r.id is not None
            box.store.start_run(r.id)
        start = box.clock.now()
        box.store.add_readings(
            Reading(
                "flow1", "flow_rate", 190.0, "m3/h", Quality.OK, start + dt.timedelta(seconds=s)
            )
            for s in range(10, 1200, 10)
        )
        box.clock.advance(1201)
        box.store.flush()
        for r in runs:
            assert r.id is not None
            box.store.finish_run(r.id, "done", "together")
        box.clock.advance(3600)
    assert job.check() == []  # alone, each would be a leak twice over
    assert [e.code for e in box.store.events() if e.code.startswith("zone_")] == []
    assert job.status("z1").normal_m3h == pytest.approx(90.0, rel=0.01)


def test_learning_keys_are_validated(tmp_path: Path, demo_site_text: str) -> None:
    text = demo_site_text + "\n[learning.flow]\nmin_runs = 8\nwindow_runs = 6\n"
    path = tmp_path / "site.toml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError) as bad:
        load_site(path)
    assert any("learning.flow" in p and "window_runs (6)" in p for p in bad.value.problems)
    path.write_text(demo_site_text + "\n[learning.flow]\ncusum_h = -1\n", encoding="utf-8")
    with pytest.raises(ConfigError) as bad:
        load_site(path)
    assert any("learning.flow.cusum_h" in p for p in bad.value.problems)
    path.write_text(demo_site_text + "\n[learning.flow]\nmin_runs = 8\n", encoding="utf-8")
    assert load_site(path).model.learning.flow.min_runs == 8


def _crashing(fit: Callable[..., Any], *args: Any, timeout_s: float) -> Fitted[Any]:
    return in_child(fits.crash, *args, timeout_s=timeout_s)


def _hanging(fit: Callable[..., Any], *args: Any, timeout_s: float) -> Fitted[Any]:
    return in_child(fits.hang, *args, timeout_s=1.0)


@pytest.mark.parametrize(("runner", "why"), [(_crashing, "exit code 9"), (_hanging, "no answer")])
def test_a_fit_whose_child_crashes_or_hangs_leaves_the_fixed_band_in_charge(
    box: Box, runner: Runner, why: str
) -> None:
    job = box.job(runner)
    for _ in range(5):
        box.run("z1", 91.0)
    assert job.check() == []  # never raises into the scheduler
    (event,) = [e for e in box.store.events() if e.code == "model_unavailable"]
    assert event.source == "z1" and "training failed" in event.message and why in event.message
    assert not job.status("z1").learned
    box.run("z1", 60.0)
    box.run("z1", 61.0)
    job.check()
    assert len(box.alarms("zone_clog")) == 1  # the fixed band judged


def test_a_model_file_that_pickled_the_estimator_is_refused_and_relearned(box: Box) -> None:
    from sklearn.linear_model import HuberRegressor

    for _ in range(5):
        box.run("z1", 91.0)
    older = HuberRegressor().fit([[0.0], [0.0], [0.0]], [91.0, 91.5, 90.5])
    save_model(box.models, Persisted(KIND, "z1", FORMAT_VERSION - 1, box.clock.now(), 3, older))
    job = box.job()
    job.check()
    (event,) = [e for e in box.store.events() if e.code == "model_unavailable"]
    assert f"format {FORMAT_VERSION - 1}, this version reads {FORMAT_VERSION}" in event.message
    assert job.status("z1").learned  # relearned from the stored runs at once


def test_the_zone_page_never_waits_for_a_pass_that_is_fitting(box: Box) -> None:
    job = box.job()
    for _ in range(5):
        box.run("z1", 91.0)
    job.check()
    answers: list[FlowStatus] = []
    with job._lock:  # a pass holds it while its fit's child process runs
        reader = threading.Thread(target=lambda: answers.append(job.status("z1")))
        reader.start()
        reader.join(timeout=60)  # a guard against a hang, not a timing: it should not wait
        assert not reader.is_alive()
    assert answers[0].learned and answers[0].normal_m3h == pytest.approx(91.0, rel=0.01)
