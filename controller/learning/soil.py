"""Each zone's soil and Kc correction from its dry-downs: the daily fit and the proposal.

:class:`SoilLearning` reads a zone's closed balance days (:meth:`Store.water_balance`: the
gross water of its runs, effective rain, ET0) and its probes' calibrated θ of each day's last
hour (:meth:`ProbeCalibrations.good_values`, the one place a raw value becomes θ), cuts them
into dry-downs (:class:`~models.learning.soil.DryDown`: the evening before a run to the
evening before the next one; a day without a probe reading breaks the chain), and fits the
newest :data:`MAX_DRYDOWNS` with :func:`~models.learning.soil.fit_soil` once a day
(:meth:`SoilLearning.propose_all`, a scheduled ``task`` job). The prior is the soil in use now
(the texture, or values approved before); Kc is the crop library's (mulched), so the fitted
``kc_factor`` replaces the zone's, it does not multiply it.

The fit is a **proposal** (:class:`SoilProposal`: before and after with their standard
errors, the curves): it is persisted under the data directory's ``models/soil/<zone>.joblib``
and changes nothing until an admin approves it (the soil page, ``POST /api/v1/soil/<zone>/
approve``, ``qanat soil approve``), which writes the zone's ``soil_fc_m3m3``,
``soil_wp_m3m3`` and ``kc_factor`` as site overrides (:meth:`SoilProposal.overrides`).

Too little data (fewer than three usable dry-downs) is said on the page, not alarmed. A fit
that fails, or a proposal file that cannot be loaded, raises ``model_unavailable`` once per
cause; the configured soil stays in charge. Nothing here raises into the scheduler.
"""

from __future__ import annotations

import datetime as dt
import itertools
import logging
import statistics
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from controller.config.site import KC_FACTOR_RANGE, SiteConfig, ZoneConfig
from controller.config.soil import configured_soil
from controller.learning.calibration import ProbeCalibrations
from controller.learning.zones import each_probed_zone
from controller.store import Severity, Store, StoreError
from models.crops import depletion_fraction, kc_on_day, root_depth_m
from models.learning import (
    DryDown,
    LearnedModelError,
    LearningInputError,
    Persisted,
    SoilFit,
    SoilPrior,
    TooLittleDataError,
    fit_soil,
    load_model,
    model_file,
    save_model,
)
from models.learning.soil import FORMAT_VERSION, KIND

__all__ = ["MAX_DRYDOWNS", "Curve", "SoilLearning", "SoilProposal", "SoilValues"]

log = logging.getLogger(__name__)

PROBE_POINT = "moisture"
EVENING_H = 1  # a day's θ: the mean of its last hour's readings
MAX_DRYDOWNS = 8  # the newest dry-downs fitted (the soil does not change within a season)
MODEL_NAME = "soil fit"


@dataclass(frozen=True)
class SoilValues:
    """A zone's soil and Kc correction (before: in use; after: fitted, with 1 σ errors)."""

    fc_m3m3: float
    wp_m3m3: float
    kc_factor: float
    taw_mm: float  # at the proposal's root depth
    fc_se_m3m3: float = 0.0
    wp_se_m3m3: float = 0.0
    kc_factor_se: float = 0.0
    taw_se_mm: float = 0.0


@dataclass(frozen=True)
class Curve:
    """One dry-down as evidence: its days, the probes' θ and the fitted θ (% vol)."""

    dates: tuple[dt.date, ...]
    observed_pct: tuple[float, ...]
    fitted_pct: tuple[float | None, ...]
    water_mm: float  # the run's net water


@dataclass(frozen=True)
class SoilProposal:
    """What the fit proposes for one zone, and the evidence for it."""

    zone: str
    fitted_at: dt.datetime
    root_depth_m: float
    before: SoilValues
    after: SoilValues
    n_drydowns: int
    reading_sd_pct: float
    curves: tuple[Curve, ...]

    def overrides(self) -> dict[str, float]:
        """The zone's settings an approval writes (``kc_factor`` within its range)."""
        low, high = KC_FACTOR_RANGE
        return {
            "soil_fc_m3m3": round(self.after.fc_m3m3, 3),
            "soil_wp_m3m3": round(self.after.wp_m3m3, 3),
            "kc_factor": round(min(max(self.after.kc_factor, low), high), 2),
        }

    def numbers(self) -> dict[str, Any]:
        """For the API, the page and the CLI."""

        def values(v: SoilValues) -> dict[str, float]:
            return {k: round(x, 4) for k, x in v.__dict__.items()}

        return {
            "zone": self.zone,
            "fitted_at": self.fitted_at.isoformat(),
            "root_depth_m": round(self.root_depth_m, 2),
            "before": values(self.before),
            "after": values(self.after),
            "overrides": self.overrides(),
            "n_drydowns": self.n_drydowns,
            "reading_sd_pct": round(self.reading_sd_pct, 2),
            "curves": [
                {
                    "dates": [d.isoformat() for d in c.dates],
                    "observed_pct": [round(v, 2) for v in c.observed_pct],
                    "fitted_pct": [None if v is None else round(v, 2) for v in c.fitted_pct],
                    "water_mm": round(c.water_mm, 1),
                }
                for c in self.curves
            ],
        }


@dataclass
class _Status:
    text: str
    at: dt.datetime


@dataclass
class _Loaded:
    mtime_ns: int
    proposal: SoilProposal


@dataclass
class SoilLearning:
    """Fits and serves the zones' soil proposals (module docstring).

    ``site``: the site as it is now; ``models_dir``: where proposals are kept (None: nothing
    is fitted or loaded)."""

    site: Callable[[], SiteConfig]
    store: Store
    probes: ProbeCalibrations
    now: Callable[[], dt.datetime]
    models_dir: Path | None
    status: dict[str, _Status] = field(default_factory=dict)
    _loaded: dict[str, _Loaded] = field(default_factory=dict)
    _warned: set[tuple[str, str]] = field(default_factory=set)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    # -- the dry-downs ------------------------------------------------------------------------

    def _evening_pct(self, zone: ZoneConfig, date: dt.date, tz: ZoneInfo) -> float | None:
        """The zone's probes' mean θ (% vol, calibrated) over the last hour of ``date``."""
        end = dt.datetime.combine(date + dt.timedelta(days=1), dt.time(0), tzinfo=tz)
        start = end - dt.timedelta(hours=EVENING_H)
        means = []
        for probe in zone.probes:
            values = [
                v
                for _, v in self.probes.good_values(
                    probe.device, PROBE_POINT, start.astimezone(dt.UTC), end.astimezone(dt.UTC)
                )
            ]
            if values:
                means.append(sum(values) / len(values))
        return statistics.fmean(means) if means else None

    def drydowns(
        self, zone: ZoneConfig, start: dt.date, end: dt.date
    ) -> tuple[list[DryDown], list[tuple[dt.date, ...]]]:
        """The zone's complete dry-downs between ``start`` and ``end`` (closed balance days),
        in time order, and the dates of each."""
        site = self.site()
        crop = site.crop(zone.crop)
        days = []
        for row in self.store.water_balance(zone.name, start, end):
            dap = max((row.date - zone.planting_date).days, 0)
            kc = float(kc_on_day(crop, float(dap), mulched=True))
            days.append(
                (
                    row.date,
                    self._evening_pct(zone, row.date, site.site.tz),
                    row.irrigation_mm * zone.efficiency,
                    row.effective_rain_mm,
                    row.et0_mm,
                    kc,
                    float(root_depth_m(crop, float(dap))),
                    depletion_fraction(crop.p, kc * row.et0_mm),
                )
            )
        runs = [i for i, d in enumerate(days) if d[2] > 0 and i > 0]
        out: list[DryDown] = []
        dates: list[tuple[dt.date, ...]] = []
        for first, nxt in itertools.pairwise(runs):
            seg = days[first - 1 : nxt]
            contiguous = all(
                b[0] - a[0] == dt.timedelta(days=1) for a, b in itertools.pairwise(seg)
            )
            if not contiguous or any(d[1] is None for d in seg):
                continue
            follows = bool(dates) and dates[-1][-1] == seg[0][0]
            out.append(
                DryDown(
                    theta_m3m3=tuple(float(d[1] or 0.0) / 100.0 for d in seg),
                    water_mm=tuple(d[2] for d in seg[1:]),
                    rain_mm=tuple(d[3] for d in seg[1:]),
                    et0_mm=tuple(d[4] for d in seg[1:]),
                    kc=tuple(d[5] for d in seg[1:]),
                    root_depth_m=statistics.fmean(d[6] for d in seg[1:]),
                    p=statistics.fmean(d[7] for d in seg[1:]),
                    follows_previous=follows,
                    label=f"run of {seg[1][0].isoformat()}",
                )
            )
            dates.append(tuple(d[0] for d in seg))
        return out, dates

    # -- the daily fit ------------------------------------------------------------------------

    def propose_all(self) -> dict[str, str]:
        """Fit every zone with probes; returns zone → what happened. Never raises."""
        if self.models_dir is None or not self.site().learning.soil.enabled:
            return {}
        return each_probed_zone(self.site(), "soil fit", self.propose_zone)

    def propose_zone(self, zone: ZoneConfig) -> str:
        """Fit and persist one zone's proposal; too little data is said, not alarmed; another
        failure raises ``model_unavailable`` naming the zone and why."""
        assert self.models_dir is not None
        now = self.now()
        today = now.astimezone(self.site().site.tz).date()
        fc, wp = configured_soil(zone)
        try:
            drydowns, dates = self.drydowns(zone, zone.planting_date, today - dt.timedelta(1))
            drydowns, dates = drydowns[-MAX_DRYDOWNS:], dates[-MAX_DRYDOWNS:]
            if drydowns:
                drydowns[0] = _unchained(drydowns[0])
            fit = fit_soil(drydowns, SoilPrior(fc, wp))
        except TooLittleDataError as exc:
            text = f"too little data: {exc.have} of {exc.need} dry-downs with probes"
            self.status[zone.name] = _Status(text, now)
            return text
        except (LearningInputError, LearnedModelError, StoreError, ValueError) as exc:
            self._unavailable(zone.name, "fitting", f"cannot be fitted: {exc}")
            self.status[zone.name] = _Status(f"fit failed: {exc}", now)
            return f"failed: {exc}"
        proposal = _proposal(zone, now, fit, drydowns, dates)
        try:
            save_model(
                self.models_dir,
                Persisted(KIND, zone.name, FORMAT_VERSION, now, fit.n_drydowns, proposal),
            )
        except OSError as exc:
            self._unavailable(zone.name, "saving", f"cannot be saved: {exc}")
            self.status[zone.name] = _Status(f"saving failed: {exc}", now)
            return f"failed: {exc}"
        a = proposal.after
        text = (
            f"fitted on {fit.n_drydowns} dry-downs: TAW {a.taw_mm:.0f} ± {a.taw_se_mm:.0f} mm, "
            f"kc_factor {a.kc_factor:.2f} ± {a.kc_factor_se:.2f}; waiting for approval"
        )
        self.status[zone.name] = _Status(text, now)
        log.info("learning: soil of %s %s", zone.name, text)
        return text

    # -- the proposal ---------------------------------------------------------------------------

    def proposal(self, zone: str) -> SoilProposal | None:
        """The zone's newest proposal, None without one or when its file cannot be loaded
        (``model_unavailable``, once per cause). Never raises."""
        if self.models_dir is None:
            return None
        path = model_file(self.models_dir, KIND, zone)
        try:
            mtime = path.stat().st_mtime_ns
        except OSError:
            return None
        with self._lock:
            cached = self._loaded.get(zone)
            if cached is not None and cached.mtime_ns == mtime:
                return cached.proposal
            try:
                persisted = load_model(self.models_dir, KIND, zone, FORMAT_VERSION)
                if not isinstance(persisted.payload, SoilProposal):
                    raise LearnedModelError(f"{path}: not a soil proposal")
            except LearnedModelError as exc:
                self._unavailable(zone, "loading", str(exc))
                return None
            self._loaded[zone] = _Loaded(mtime, persisted.payload)
            return persisted.payload

    def page(self, zone: str) -> dict[str, Any]:
        """What the soil page shows for a zone: the last fit's status and the proposal."""
        status = self.status.get(zone)
        proposal = self.proposal(zone)
        return {
            "status": None if status is None else status.text,
            "checked_at": None if status is None else status.at.isoformat(),
            "proposal": None if proposal is None else proposal.numbers(),
        }

    def _unavailable(self, zone: str, stage: str, why: str) -> None:
        """``model_unavailable`` once per zone and cause (the box retries every day)."""
        key = (zone, f"{stage}:{why}")
        if key in self._warned:
            return
        self._warned.add(key)
        message = f"{zone}: {MODEL_NAME} {stage} failed: {why}; the configured soil stays"
        log.warning("model_unavailable %s", message)
        try:
            self.store.raise_event(Severity.WARNING, "model_unavailable", zone, message)
        except StoreError:
            log.exception("learning: cannot record model_unavailable for %s", zone)


def _unchained(d: DryDown) -> DryDown:
    """The first dry-down fitted starts the chain: its start is fitted, not carried."""
    if not d.follows_previous:
        return d
    return DryDown(
        d.theta_m3m3, d.water_mm, d.rain_mm, d.et0_mm, d.kc, d.root_depth_m, d.p, False, d.label
    )


def _proposal(
    zone: ZoneConfig,
    now: dt.datetime,
    fit: SoilFit,
    drydowns: Sequence[DryDown],
    dates: Sequence[tuple[dt.date, ...]],
) -> SoilProposal:
    used = [drydowns[i] for i in fit.used]
    zr = statistics.fmean(d.root_depth_m for d in used)
    fc, wp = configured_soil(zone)
    before = SoilValues(fc, wp, zone.kc_factor, 1000.0 * (fc - wp) * zr)
    after = SoilValues(
        fit.fc_m3m3,
        fit.wp_m3m3,
        fit.kc_factor,
        fit.taw_mm(zr),
        fit.fc_se_m3m3,
        fit.wp_se_m3m3,
        fit.kc_factor_se,
        fit.taw_se_mm(zr),
    )
    curves = tuple(
        Curve(
            dates[i],
            tuple(100.0 * t for t in drydowns[i].theta_m3m3),
            tuple(None if v is None else 100.0 * v for v in fitted),
            drydowns[i].water_mm[0],
        )
        for i, fitted in zip(fit.used, fit.fitted_m3m3, strict=True)
    )
    return SoilProposal(
        zone.name, now, zr, before, after, fit.n_drydowns, 100.0 * fit.reading_sd_m3m3, curves
    )
