"""The learned moisture forecast of each zone: its daily training and what the planner asks.

:class:`ForecastLearning` reads a zone's balance days (:meth:`Store.water_balance`) and its
probes' good readings of each day's last hour into :class:`~models.learning.forecast.HistoryDay`
rows (observed depletion over the root zone against the configured soil, as the balance's
probe assimilation computes it; the model learns their change over 24-72 h, not their
level), trains :func:`~models.learning.forecast.train_forecast` once
a day (:meth:`ForecastLearning.train_all`, a scheduled ``task`` job) and persists the model
under the data directory's ``models/forecast/<zone>.joblib``.

The planner calls :meth:`ForecastLearning.forecast` with the zone's depletion now and the
days ahead; it answers a :class:`ForecastChoice`: the 24-72 h depletion of physics and of the
learned model, and which one the planner is to use. Physics is used when the forecast is
disabled (``[learning.forecast] enabled``), when the zone has no model yet (too little data:
not an alarm, the page says so), at each horizon where the model did not validate better
than physics by its margin (time-ordered, :mod:`models.learning.forecast`), or when it
cannot be loaded or used (``model_unavailable``, once per cause). Nothing here raises into
the scheduler or the planner.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import logging
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal
from zoneinfo import ZoneInfo

from controller.config.site import SiteConfig, ZoneConfig
from controller.config.soil import zone_soil
from controller.learning.zones import each_probed_zone
from controller.store import Severity, Store, StoreError
from models.crops import root_depth_m
from models.learning import (
    LearnedModelError,
    LearningInputError,
    Persisted,
    TooLittleDataError,
    load_model,
    model_file,
    save_model,
)
from models.learning.forecast import (
    FORMAT_VERSION,
    HORIZONS_D,
    KIND,
    ForecastModel,
    FutureDay,
    HistoryDay,
    physics_path,
    train_forecast,
)
from models.soils import SoilProfile
from models.waterbalance import ProbeReading, WaterBalanceInputError, observed_depletion_mm

__all__ = ["ForecastChoice", "ForecastLearning"]

log = logging.getLogger(__name__)

PROBE_POINT = "moisture"  # volumetric water content, %, on every soil-probe profile
EVENING_H = 1  # the probes' depletion of a day: the mean of its last hour's readings
HISTORY_DAYS = 7  # days of history the planner's forecast reads (features look 3 days back)
_ERRORS = (LearnedModelError, LearningInputError, WaterBalanceInputError, StoreError, OSError)


@dataclass(frozen=True)
class ForecastChoice:
    """What the planner is told for one zone: depletions (mm) at +24/+48/+72 h by physics
    and by the learned model (None without one), which it uses, and why."""

    zone: str
    used: Literal["learned", "physics"]
    reason: str
    horizons_h: tuple[int, ...]
    physics_mm: tuple[float, ...]
    learned_mm: tuple[float, ...] | None = None
    use_learned: tuple[bool, ...] = ()
    validation: tuple[dict[str, float], ...] = ()
    trained_at: dt.datetime | None = None

    @property
    def chosen_mm(self) -> tuple[float, ...]:
        """Per horizon the depletion the planner uses (learned where it validated better)."""
        if self.used != "learned" or self.learned_mm is None:
            return self.physics_mm
        return tuple(
            lv if use else pv
            for lv, pv, use in zip(self.learned_mm, self.physics_mm, self.use_learned, strict=True)
        )

    def numbers(self) -> dict[str, Any]:
        """For the decision record and the zone page."""
        return {
            "used": self.used,
            "reason": self.reason,
            "horizons_h": list(self.horizons_h),
            "physics_mm": [round(v, 2) for v in self.physics_mm],
            "learned_mm": None
            if self.learned_mm is None
            else [round(v, 2) for v in self.learned_mm],
            "chosen_mm": [round(v, 2) for v in self.chosen_mm],
            "validation": list(self.validation),
            "trained_at": None if self.trained_at is None else self.trained_at.isoformat(),
        }


@dataclass
class _Status:
    """The last training of a zone, for the page."""

    text: str
    at: dt.datetime
    validation: tuple[dict[str, float], ...] = ()


@dataclass
class _Loaded:
    mtime_ns: int
    model: Persisted


@dataclass
class ForecastLearning:
    """Trains and serves the learned moisture forecast (module docstring).

    ``site``: the site as it is now (settings from the pages replace it); ``models_dir``:
    where models are kept (None: nothing is trained or loaded, physics only)."""

    site: Callable[[], SiteConfig]
    store: Store
    now: Callable[[], dt.datetime]
    models_dir: Path | None
    status: dict[str, _Status] = field(default_factory=dict)
    last_choice: dict[str, ForecastChoice] = field(default_factory=dict)
    _loaded: dict[str, _Loaded] = field(default_factory=dict)
    _warned: set[tuple[str, str]] = field(default_factory=set)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def enabled(self) -> bool:
        return self.site().learning.forecast.enabled

    # -- history ----------------------------------------------------------------------------

    def history(
        self,
        zone: ZoneConfig,
        start: dt.date,
        end: dt.date,
        until: dt.datetime | None = None,
    ) -> list[HistoryDay]:
        """The zone's balance days in [start, end] with the probes' depletion of each evening;
        only the last unbroken run of days (a gap restarts the history). ``until``: for a day
        not over yet (the planner's today), the probes of the hour before it instead."""
        site = self.site()
        tz: ZoneInfo = site.site.tz
        crop = site.crop(zone.crop)
        soil = zone_soil(zone, crop.root_depth_max_m)
        out: list[HistoryDay] = []
        previous: dt.date | None = None
        for row in self.store.water_balance(zone.name, start, end):
            if previous is not None and row.date != previous + dt.timedelta(days=1):
                out = []
            previous = row.date
            dap = (row.date - zone.planting_date).days
            zr = min(float(root_depth_m(crop, float(max(dap, 0)))), soil.depth_m)
            out.append(
                HistoryDay(
                    dr_mm=row.dr_end_mm,
                    taw_mm=row.taw_mm,
                    raw_mm=row.raw_mm,
                    observed_mm=self._observed(zone, soil, zr, row.date, tz, until),
                    et0_mm=row.et0_mm,
                    rain_mm=row.effective_rain_mm,
                    water_mm=row.irrigation_mm * zone.efficiency,
                    kc=row.kc,
                    dap=dap,
                )
            )
        return out

    def _observed(
        self,
        zone: ZoneConfig,
        soil: SoilProfile,
        zr_m: float,
        date: dt.date,
        tz: ZoneInfo,
        until: dt.datetime | None = None,
    ) -> float | None:
        """Depletion (mm) the zone's probes say at the end of ``date`` (mean of its last
        hour's good readings, each probe at its depth; of the hour before ``until`` when the
        day ends later), None without a reading."""
        end = dt.datetime.combine(date + dt.timedelta(days=1), dt.time(0), tzinfo=tz)
        if until is not None and until < end:
            end = until
        start = end - dt.timedelta(hours=EVENING_H)
        readings = []
        for probe in zone.probes:
            values = [
                v
                for _, v in self.store.good_values(
                    probe.device, PROBE_POINT, start.astimezone(dt.UTC), end.astimezone(dt.UTC)
                )
            ]
            if values:
                readings.append(ProbeReading(probe.depth_m, sum(values) / len(values)))
        if not readings or zr_m <= 0:
            return None
        return observed_depletion_mm(soil, zr_m, readings)

    # -- training (the daily job) ----------------------------------------------------------

    def train_all(self) -> dict[str, str]:
        """Train every zone with probes; returns zone → what happened. Never raises."""
        if not self.enabled or self.models_dir is None:
            return {}
        return each_probed_zone(self.site(), "forecast training", self.train_zone)

    def train_zone(self, zone: ZoneConfig) -> str:
        """Train and persist one zone's model; too little data is said, not alarmed; another
        failure raises ``model_unavailable`` naming the model, the file and why."""
        assert self.models_dir is not None
        now = self.now()
        today = now.astimezone(self.site().site.tz).date()
        try:
            history = self.history(zone, zone.planting_date, today - dt.timedelta(days=1))
            model = train_forecast(history)
        except TooLittleDataError as exc:
            text = f"too little data: {exc.have} of {exc.need} usable days with probes"
            self.status[zone.name] = _Status(text, now)
            return text
        except (*_ERRORS, ValueError) as exc:
            self._unavailable(zone.name, "training", f"cannot be trained: {exc}")
            self.status[zone.name] = _Status(f"training failed: {exc}", now)
            return f"failed: {exc}"
        validation = _validation(model)
        try:
            path = save_model(
                self.models_dir,
                Persisted(KIND, zone.name, FORMAT_VERSION, now, model.n_samples, model,
                          meta={"validation": list(validation)}),
            )  # fmt: skip
        except OSError as exc:
            self._unavailable(zone.name, "saving", f"cannot be saved: {exc}")
            self.status[zone.name] = _Status(f"saving failed: {exc}", now)
            return f"failed: {exc}"
        used_h = [
            f"{24 * h} h" for h, use in zip(model.horizons_d, model.used_at, strict=True) if use
        ]
        used = f"learned at {', '.join(used_h)}" if used_h else "physics (learned no better)"
        text = f"trained on {model.n_samples} days, forecast: {used}"
        self.status[zone.name] = _Status(text, now, validation)
        log.info("learning: forecast of %s %s (%s)", zone.name, text, path)
        return text

    # -- the planner's question -------------------------------------------------------------

    def forecast(
        self,
        zone: ZoneConfig,
        today: dt.date,
        dr_mm: float,
        taw_mm: float,
        raw_mm: float,
        ahead: Sequence[FutureDay],
    ) -> ForecastChoice:
        """The zone's depletion at +24/+48/+72 h from ``dr_mm`` now over ``ahead`` (at least
        three days, no irrigation), physics and learned, and which to use. Never raises."""
        horizons = tuple(24 * h for h in HORIZONS_D)
        last = HistoryDay(dr_mm, taw_mm, raw_mm, None, 0.0, 0.0, 0.0, 0.0, 0)
        physics = tuple(physics_path(dr_mm, taw_mm, raw_mm, list(ahead)[: max(HORIZONS_D)]))
        choice = self._choose(zone, today, last, ahead, horizons, physics)
        with self._lock:
            self.last_choice[zone.name] = choice
        return choice

    def _choose(
        self,
        zone: ZoneConfig,
        today: dt.date,
        last: HistoryDay,
        ahead: Sequence[FutureDay],
        horizons: tuple[int, ...],
        physics: tuple[float, ...],
    ) -> ForecastChoice:
        def physics_only(reason: str, **extra: Any) -> ForecastChoice:
            return ForecastChoice(zone.name, "physics", reason, horizons, physics, **extra)

        if not self.enabled:
            return physics_only("learned forecast disabled ([learning.forecast] enabled)")
        if self.models_dir is None:
            return physics_only("no data directory for learned models")
        if not model_file(self.models_dir, KIND, zone.name).exists():
            status = self.status.get(zone.name)
            why = status.text if status else "not trained yet"
            return physics_only(f"no learned model yet ({why})")
        try:
            persisted = self._load(zone.name)
        except LearnedModelError as exc:
            self._unavailable(zone.name, "loading", str(exc))
            return physics_only(f"learned model unavailable: {exc}")
        model: ForecastModel = persisted.payload
        validation = _validation(model)
        trained = persisted.trained_at
        try:
            history = self.history(
                zone, today - dt.timedelta(days=HISTORY_DAYS), today, until=self.now()
            )
            if history:
                history[-1] = dataclasses.replace(
                    history[-1], dr_mm=last.dr_mm, taw_mm=last.taw_mm, raw_mm=last.raw_mm
                )
            else:
                history = [last]
            result = model.predict(history, ahead)
        except Exception as exc:  # the planner must get an answer: physics, with an alarm
            self._unavailable(zone.name, "forecasting", f"cannot forecast: {exc}")
            return physics_only(f"learned model failed: {exc}", validation=validation)
        used_h = [24 * h for h, use in zip(model.horizons_d, model.used_at, strict=True) if use]
        v = model.validation[0]
        scores = f"24 h: {v.learned_mae_mm:.1f} mm MAE vs physics {v.physics_mae_mm:.1f} mm"
        if not used_h:
            return physics_only(
                f"learned forecast validated no better than physics beyond the margin ({scores},"
                f" margin {v.margin_mm:.1f} mm)",
                learned_mm=result.learned_mm,
                use_learned=result.use_learned,
                validation=validation,
                trained_at=trained,
            )
        return ForecastChoice(
            zone.name,
            "learned",
            f"learned forecast validated better at {', '.join(f'{h} h' for h in used_h)} "
            f"({scores}), physics at the others",
            horizons,
            physics,
            result.learned_mm,
            result.use_learned,
            validation,
            trained,
        )

    def _load(self, zone: str) -> Persisted:
        """The zone's model, reloaded when its file changed."""
        assert self.models_dir is not None
        path = model_file(self.models_dir, KIND, zone)
        try:
            mtime = path.stat().st_mtime_ns
        except OSError:
            mtime = -1
        cached = self._loaded.get(zone)
        if cached is not None and cached.mtime_ns == mtime:
            return cached.model
        model = load_model(self.models_dir, KIND, zone, FORMAT_VERSION)
        if not isinstance(model.payload, ForecastModel):
            raise LearnedModelError(f"{path}: not a forecast model")
        self._loaded[zone] = _Loaded(mtime, model)
        return model

    def _unavailable(self, zone: str, stage: str, why: str) -> None:
        """``model_unavailable`` once per zone and cause (the box retries every day)."""
        key = (zone, f"{stage}:{why}")
        if key in self._warned:
            return
        self._warned.add(key)
        message = f"{zone}: moisture forecast model {stage} failed: {why}; FAO-56 physics in charge"
        log.warning("model_unavailable %s", message)
        try:
            self.store.raise_event(Severity.WARNING, "model_unavailable", zone, message)
        except StoreError:
            log.exception("learning: cannot record model_unavailable for %s", zone)

    def page(self, zone: str) -> dict[str, Any]:
        """What the zone page shows: the last forecast the planner got and the training."""
        status = self.status.get(zone)
        choice = self.last_choice.get(zone)
        return {
            "enabled": self.enabled,
            "training": None if status is None else status.text,
            "trained_at": None if status is None else status.at.isoformat(),
            "forecast": None if choice is None else choice.numbers(),
        }


def _validation(model: ForecastModel) -> tuple[dict[str, float], ...]:
    return tuple(
        {
            "horizon_h": 24.0 * v.horizon_d,
            "learned_mae_mm": round(v.learned_mae_mm, 2),
            "physics_mae_mm": round(v.physics_mae_mm, 2),
            "margin_mm": round(v.margin_mm, 2),
            "n_train": float(v.n_train),
            "n_validation": float(v.n_validation),
        }
        for v in model.validation
    )
