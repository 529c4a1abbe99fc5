"""Probe calibration in the controller: samples checked and audited; the balance, the
plausibility rules and the pages read θ through the calibration while the raw stays stored."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from controller.agronomy.jobs import Agronomy
from controller.clock import VirtualClock
from controller.config.site import SiteConfig, load_site
from controller.learning.calibration import (
    HOLD,
    RECHECK_S,
    ProbeCalibrations,
    RawLookup,
    SampleRefused,
    add_sample,
    raw_at,
    raw_lookup,
)
from controller.store import Severity, Store
from drivers.reading import Quality, Reading
from models.crops import crop, root_depth_m
from models.learning.child import Fitted, in_child, in_process
from models.soils import SoilProfile, texture
from tests.helpers import fits
from tests.helpers.agronomy import (  # noqa: F401 - day1_clock, day1_store: fixtures
    DAY1,
    day1_clock,
    day1_store,
    local,
    weather_day,
)
from tests.helpers.site import DEMO_SITE

PROBES = ("probe1a", "probe1b", "probe2a", "probe2b")
_3MIN = dt.timedelta(minutes=3)


@pytest.fixture
def site() -> SiteConfig:
    return load_site(DEMO_SITE)


def _sample(store: Store, device: str, theta: float, raw: float | None, **kw: object) -> int:
    row = add_sample(
        store,
        PROBES,
        device=device,
        theta_pct=theta,
        method=str(kw.pop("method", "gravimetric")),
        at=kw.pop("at", None),  # type: ignore[arg-type]
        raw_pct=raw,
        actor="li",
        **kw,  # type: ignore[arg-type]
    )
    assert row.id is not None
    return row.id


def probes(store: Store, zone: int, date: dt.date, theta_pct: float) -> None:
    """Both probes of ``zone`` read ``theta_pct`` every 2 h of the local day."""
    _put(
        store,
        f"probe{zone}a",
        [(local(date, h), theta_pct) for h in range(0, 24, 2)],
    )
    _put(store, f"probe{zone}b", [(local(date, h), theta_pct) for h in range(0, 24, 2)])


def _put(store: Store, device: str, values: list[tuple[dt.datetime, float]]) -> None:
    store.add_readings(Reading(device, "moisture", v, "%", Quality.OK, t) for t, v in values)
    store.flush()


# -- entering samples ---------------------------------------------------------------------


def test_a_sample_takes_the_probes_stored_reading_around_its_time_and_is_audited(
    store: Store, clock: VirtualClock
) -> None:
    at = local(DAY1, 0)
    _put(
        store,
        "probe1a",
        [(at - dt.timedelta(minutes=10), 30.0), (at + dt.timedelta(minutes=5), 32.0)],
    )
    _put(store, "probe1a", [(at - dt.timedelta(hours=2), 50.0)])  # too far to count
    sid = _sample(store, "probe1a", 26.0, None, at=at, note="pit 1")
    (row,) = store.probe_samples("probe1a")
    assert (row.id, row.raw_pct, row.raw_source, row.entered_by) == (sid, 31.0, "store", "li")
    audit = store.last_audit("probe.sample")
    assert audit is not None and audit.actor == "li"
    assert audit.detail["probe"] == "probe1a" and audit.detail["theta_pct"] == 26.0
    assert audit.detail["raw_pct"] == 31.0 and audit.detail["note"] == "pit 1"


def test_a_steady_probe_s_last_stored_reading_holds_for_its_heartbeat(
    store: Store, clock: VirtualClock, site: SiteConfig
) -> None:
    """A probe that does not move is stored about once an hour (the store's rule): a sample
    40 min after its last stored reading takes that reading, not a refusal."""
    lookup = raw_lookup(site)
    heartbeat = dt.timedelta(seconds=site.store.keeping("soil_probe").heartbeat_s)
    assert lookup.hold >= heartbeat and lookup.tz == site.site.tz
    at = local(DAY1, 0)
    _put(store, "probe2a", [(at - dt.timedelta(minutes=40), 21.0)])
    _sample(store, "probe2a", 26.0, None, at=at, lookup=lookup)
    (row,) = store.probe_samples("probe2a")
    assert (row.raw_pct, row.raw_source) == (21.0, "store")


def test_a_sample_is_refused_when_the_probe_really_had_no_good_reading(
    store: Store, clock: VirtualClock, site: SiteConfig
) -> None:
    lookup = raw_lookup(site)
    at = local(DAY1, 0)
    # stored good, then bad since (a quality change is stored at once): no value at ``at``
    store.add_readings(
        [
            Reading("probe2a", "moisture", 21.0, "%", Quality.OK, at - dt.timedelta(minutes=50)),
            Reading(
                "probe2a", "moisture", None, "%", Quality.COMM_ERROR, at - dt.timedelta(minutes=30)
            ),
        ]
    )
    store.flush()
    with pytest.raises(SampleRefused) as err:
        _sample(store, "probe2a", 26.0, None, at=at, lookup=lookup)
    assert err.value.field == "raw_pct"
    # older than the hold: the probe was not being stored, so it had no value to hold
    _put(store, "probe2b", [(at - lookup.hold - dt.timedelta(minutes=1), 21.0)])
    with pytest.raises(SampleRefused) as err:
        _sample(store, "probe2b", 26.0, None, at=at + dt.timedelta(seconds=7.487551), lookup=lookup)
    # the site's local time (UTC+8) to the minute, as the form asks for it
    assert "at 2026-06-01 00:00 (site time)" in str(err.value)
    assert err.value.coded is not None and err.value.coded.values["at"] == "2026-06-01 00:00"
    assert store.probe_samples() == []


def test_a_sample_taken_now_takes_the_live_value_when_none_is_stored_yet(
    store: Store, clock: VirtualClock
) -> None:
    asked: list[tuple[str, str]] = []

    def live(device: str, point: str) -> float | None:
        asked.append((device, point))
        return 22.5

    _sample(store, "probe1a", 26.0, None, lookup=RawLookup(live=live))
    (row,) = store.probe_samples("probe1a")
    assert (row.raw_pct, row.raw_source, asked) == (22.5, "live", [("probe1a", "moisture")])
    # a sample an hour ago is not "now": the live value is not its reading
    with pytest.raises(SampleRefused):
        _sample(store, "probe1b", 26.0, None, at=local(DAY1, -1), lookup=RawLookup(live=live))


def _buffered(store: Store, device: str, readings: list[Reading]) -> None:
    """``readings`` queued in the store's memory, as the daemon's idle commit leaves them."""
    store.idle_flush_s = 600.0
    store.add_readings(readings)


def _steady_then(store: Store, clock: VirtualClock, newer: Reading) -> None:
    """probe1a stored 20 % 33 min ago, then ``newer`` 3 min ago still in memory."""
    now = clock.now()
    _put(store, "probe1a", [(now - dt.timedelta(minutes=33), 20.0)])
    _buffered(store, "probe1a", [newer])
    assert [r.value for r in store.readings("probe1a", "moisture", now - HOLD, now)] == [20.0]


def test_a_sample_taken_now_takes_the_live_value_not_an_older_stored_one(
    store: Store, clock: VirtualClock
) -> None:
    """Right after a run wets the probe: its new reading waits in memory, the stored one is
    from before the run; the live value is the probe's reading now."""
    now = clock.now()
    _steady_then(store, clock, Reading("probe1a", "moisture", 30.0, "%", Quality.OK, now - _3MIN))
    assert raw_at(store, "probe1a", "moisture", now, RawLookup(live=lambda d, p: 30.0)) == 30.0
    _sample(store, "probe1a", 33.0, None, lookup=RawLookup(live=lambda d, p: 30.0))
    (row,) = store.probe_samples("probe1a")
    assert (row.raw_pct, row.raw_source) == (30.0, "live")


def test_without_a_live_view_the_lookup_sees_readings_still_in_memory(
    store: Store, clock: VirtualClock
) -> None:
    """The CLI has no live values: the buffered reading is committed and counted."""
    now = clock.now()
    _steady_then(store, clock, Reading("probe1a", "moisture", 30.0, "%", Quality.OK, now - _3MIN))
    _sample(store, "probe1a", 33.0, None)
    (row,) = store.probe_samples("probe1a")
    assert (row.raw_pct, row.raw_source) == (30.0, "store")


@pytest.mark.parametrize("live", [True, False])
def test_a_probe_failing_now_gives_no_raw_value_even_with_a_good_one_stored(
    store: Store, clock: VirtualClock, live: bool
) -> None:
    now = clock.now()
    failing = Reading("probe1a", "moisture", None, "%", Quality.COMM_ERROR, now - _3MIN)
    _steady_then(store, clock, failing)
    lookup = RawLookup(live=lambda d, p: None) if live else RawLookup()
    assert raw_at(store, "probe1a", "moisture", now, lookup) is None
    with pytest.raises(SampleRefused) as err:
        _sample(store, "probe1a", 33.0, None, lookup=lookup)
    assert err.value.field == "raw_pct" and store.probe_samples() == []
    said = "no good live reading" if live else "no good reading at"
    assert f"probe 'probe1a' has {said}" in str(err.value)


def test_a_quarantined_probe_is_refused_naming_it_and_its_alarm(
    site: SiteConfig, store: Store, clock: VirtualClock
) -> None:
    """A flatlined probe is exactly the steady probe the hold accepts: refused while the
    plausibility rules hold it in quarantine."""
    agro = Agronomy(site, store, clock)
    now = clock.now()
    _put(store, "probe1a", [(now - dt.timedelta(minutes=30), 20.0)])
    store.raise_event(Severity.ALARM, "probe_flatline", "probe1a", "flat 3 days", latched=True)
    assert set(agro.plausibility.quarantined()) == {"probe1a"}

    def doubted(device: str, point: str) -> str | None:
        alarm = agro.plausibility.quarantined().get(device)
        return None if alarm is None else alarm.code

    lookup = RawLookup(live=lambda d, p: 20.0, doubted=doubted)
    with pytest.raises(SampleRefused) as err:
        _sample(store, "probe1a", 33.0, None, lookup=lookup)
    assert err.value.field == "raw_pct" and "'probe1a'" in str(err.value)
    assert "probe_flatline" in str(err.value) and store.probe_samples() == []
    _sample(store, "probe1b", 33.0, None, lookup=lookup)  # its neighbour is not doubted
    _sample(store, "probe1a", 33.0, 21.0, lookup=lookup)  # a raw reading typed in stands


@pytest.mark.parametrize(
    ("kw", "field"),
    [
        ({"device": "pump1"}, "probe"),
        ({"theta": 75.0}, "theta_pct"),
        ({"theta": float("nan")}, "theta_pct"),
        ({"method": "guess"}, "method"),
        ({"raw": 120.0}, "raw_pct"),
        ({"raw": None}, "raw_pct"),  # no stored reading near the time
        ({"at": local(DAY1, 3)}, "at"),  # in the future
        ({"at": dt.datetime(2026, 6, 1, 8)}, "at"),  # no time zone
        ({"note": "x" * 501}, "note"),
    ],
)
def test_bad_input_is_refused_naming_the_field(
    store: Store, kw: dict[str, object], field: str
) -> None:
    args: dict[str, object] = {"device": "probe1a", "theta": 25.0, "raw": 28.0} | kw
    with pytest.raises(SampleRefused) as err:
        _sample(
            store,
            str(args.pop("device")),
            args.pop("theta"),  # type: ignore[arg-type]
            args.pop("raw"),  # type: ignore[arg-type]
            **args,
        )
    assert err.value.field == field
    assert store.probe_samples() == [] and store.last_audit("probe.sample") is None


# -- the one view of θ --------------------------------------------------------------------


def test_no_sample_is_the_raw_value_and_samples_calibrate_every_reading(
    store: Store, clock: VirtualClock
) -> None:
    cals = ProbeCalibrations(store, runner=in_process)
    t0 = local(DAY1, -6)
    _put(store, "probe1a", [(t0, 30.0), (t0 + dt.timedelta(hours=1), 20.0)])
    assert cals.good_values("probe1a", "moisture", t0, local(DAY1, 1)) == [
        (t0, 30.0),
        (t0 + dt.timedelta(hours=1), 20.0),
    ]
    assert cals.state("probe1a").calibration is None and cals.state("probe1a").n_samples == 0
    # three samples on the line θ = 0.8 raw + 1 (raw 15, 25, 35), entered after the readings
    for raw in (15.0, 25.0, 35.0):
        _sample(store, "probe1a", 0.8 * raw + 1.0, raw)
    (a, b) = cals.good_values("probe1a", "moisture", t0, local(DAY1, 1))
    assert a[1] == pytest.approx(25.0) and b[1] == pytest.approx(17.0)  # older readings too
    assert cals.theta_pct("probe1a", 30.0) == pytest.approx(25.0)
    assert cals.theta_pct("probe1b", 30.0) == 30.0  # another probe: uncalibrated
    state = cals.state("probe1a")
    assert state.n_samples == 3 and state.calibration is not None
    assert state.calibration.gain == pytest.approx(0.8)
    # the stored raw readings are as they were read
    assert [v for _, v in store.good_values("probe1a", "moisture", t0, local(DAY1, 1))] == [
        30.0,
        20.0,
    ]


def test_reads_see_this_stores_samples_at_once_and_another_processs_within_recheck(
    tmp_path: Path, store: Store, clock: VirtualClock
) -> None:
    now = [0.0]
    cals = ProbeCalibrations(store, monotonic=lambda: now[0], runner=in_process)
    assert cals.theta_pct("probe1a", 30.0) == 30.0
    _sample(store, "probe1a", 25.0, 30.0)  # through this store: fitted at the next read
    assert cals.theta_pct("probe1a", 30.0) == pytest.approx(25.0)
    other = Store(store.url, clock=clock)  # `qanat probe sample add` in another process
    _sample(other, "probe1b", 20.0, 30.0)
    now[0] += RECHECK_S - 1.0
    assert cals.theta_pct("probe1b", 30.0) == 30.0  # not looked for yet: no query per read
    now[0] += 1.0
    assert cals.theta_pct("probe1b", 30.0) == pytest.approx(20.0)
    _sample(other, "probe1a", 35.0, 40.0)
    other.close()
    cals.refresh()  # the daemon's job: looks now
    assert cals.state("probe1a").n_samples == 2


def test_a_calibration_that_fails_is_the_raw_value_and_one_model_unavailable(
    store: Store,
) -> None:
    cals = ProbeCalibrations(store, runner=in_process)
    _sample(store, "probe1a", 15.0, 15.0)
    _sample(store, "probe1a", 25.0, 25.0)
    wrong = _sample(store, "probe1a", 2.0, 35.0)  # θ typed 2 for 32
    assert cals.theta_pct("probe1a", 30.0) == 30.0
    state = cals.state("probe1a")
    assert state.calibration is None and f"sample #{wrong}" in state.error
    (event,) = [e for e in store.events() if e.code == "model_unavailable"]
    assert event.source == "probe1a" and event.severity == "warning"
    assert "probe calibration" in event.message and f"#{wrong}" in event.message
    cals.theta_pct("probe1a", 31.0)
    assert len([e for e in store.events() if e.code == "model_unavailable"]) == 1  # once
    # a corrected (further) sample set refits: here more good samples outweigh the typo
    for raw in (18.0, 22.0, 28.0, 32.0, 12.0, 38.0):
        _sample(store, "probe1a", raw, raw)
    assert cals.state("probe1a").calibration is not None


def _crashing(fit: Callable[..., Any], *args: Any, timeout_s: float) -> Fitted[Any]:
    return in_child(fits.crash, *args, timeout_s=timeout_s)


def test_a_fit_whose_child_process_crashes_leaves_the_raw_value_with_model_unavailable(
    store: Store,
) -> None:
    cals = ProbeCalibrations(store, runner=_crashing)
    for raw in (15.0, 25.0, 35.0):
        _sample(store, "probe1a", raw, raw + 2.0)
    assert cals.theta_pct("probe1a", 30.0) == 30.0
    state = cals.state("probe1a")
    assert state.calibration is None and "exit code 9" in state.error
    (event,) = [e for e in store.events() if e.code == "model_unavailable"]
    assert event.source == "probe1a" and "raw reading is used" in event.message


def test_the_balance_uses_calibrated_probes_while_the_raw_stays_stored(
    site: SiteConfig, store: Store, clock: VirtualClock
) -> None:
    agro = Agronomy(site, store, clock)
    day2 = DAY1 + dt.timedelta(days=1)
    weather_day(store, DAY1)
    weather_day(store, day2)
    agro.close_day(DAY1)
    probes(store, 1, day2, 20.0)  # the probes read 20 %; the soil holds 15 % (samples)
    for device in ("probe1a", "probe1b"):
        _sample(store, device, 15.0, 20.0)
    rows = {r.zone: r for r in agro.close_day(day2)}
    zone = site.zones[0]
    c = crop(zone.crop)
    soil = SoilProfile.uniform(texture(zone.soil), c.root_depth_max_m)
    zr = root_depth_m(c, (day2 - zone.planting_date).days)
    observed = min((soil.field_capacity_mm(0, zr) - 150.0 * zr), soil.taw_mm(zr))
    model_dr = rows["z2"].dr_end_mm
    assert rows["z1"].probe_correction_mm == pytest.approx(0.5 * (observed - model_dr))
    assert "15.0 %" in rows["z1"].notes
    stored = store.good_values("probe1a", "moisture", local(day2, 0), local(day2, 24))
    assert {v for _, v in stored} == {20.0}


def test_plausibility_judges_calibrated_theta_without_a_jump_at_a_new_calibration(
    site: SiteConfig, store: Store, clock: VirtualClock
) -> None:
    agro = Agronomy(site, store, clock)
    assert agro.plausibility.probes is agro.probes  # one view for both
    start = local(DAY1, 0)
    steady = [(start + dt.timedelta(minutes=10 * i), 30.0 + 0.3 * (i % 3)) for i in range(144)]
    for device in ("probe2a",):
        _put(store, device, steady)
    assert agro.plausibility.check(clock.advance(12 * 3600)) == []
    _sample(store, "probe2a", 20.0, 30.0)  # offset −10 % from now on, old readings included
    assert agro.plausibility.check(clock.advance(13 * 3600)) == []
    assert store.open_alarms() == []


def test_the_daemons_job_fits_a_sample_from_another_process_and_never_raises(
    site: SiteConfig, store: Store, clock: VirtualClock
) -> None:
    from controller.daemon.daemon import Daemon
    from controller.runtime.fieldio import FieldIO

    daemon = Daemon(site, store, clock, fieldio=FieldIO(site, {}))  # not started: no I/O
    for raw, theta in ((15.0, 15.0), (25.0, 25.0), (35.0, 2.0)):  # the last a typo
        _sample(store, "probe2b", theta, raw)  # as `qanat probe sample add` writes them
    assert not [e for e in store.events() if e.code == "model_unavailable"]
    (job,) = [j for j in daemon.jobs() if j.name == "probe_calibration"]
    job.func()
    (event,) = [e for e in store.events() if e.code == "model_unavailable"]
    assert event.source == "probe2b"
    store.close()  # a store that cannot be read: logged, nothing raised into the scheduler
    job.func()
