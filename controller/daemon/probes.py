"""The soil samples and probe calibrations as the API and the pages see them.

:class:`ProbeDesk` answers the three probe verbs of
:class:`~controller.daemon.protocol.ControlService` over the store and the agronomy's one view
of a probe's θ (:class:`~controller.learning.calibration.ProbeCalibrations`), for the site's
soil probes (device, zone, depth).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from controller.daemon.lookups import unknown
from controller.daemon.protocol import ProbeCalibrationInfo, ProbeSampleInfo
from controller.learning.calibration import (
    ProbeCalibrations,
    RawLookup,
    add_sample,
)
from controller.store import ProbeSample, Store

__all__ = ["ProbeDesk", "SiteProbe"]


@dataclass(frozen=True, slots=True)
class SiteProbe:
    device: str
    zone: str
    depth_m: float


def sample_info(s: ProbeSample) -> ProbeSampleInfo:
    return ProbeSampleInfo(
        id=s.id or 0,
        probe=s.device,
        sampled_at=s.sampled_at,
        theta_pct=s.theta_pct,
        method=s.method,
        raw_pct=s.raw_pct,
        raw_source=s.raw_source,
        entered_by=s.entered_by,
        entered_at=s.entered_at,
        note=s.note,
    )


class ProbeDesk:
    """Samples in, calibrations out, for the probes ``probes()`` names (the live site's)."""

    def __init__(
        self,
        store: Store,
        calibrations: ProbeCalibrations,
        probes: Callable[[], Sequence[SiteProbe]],
        lookup: Callable[[], RawLookup] = RawLookup,
    ) -> None:
        """``lookup``: how a sample's raw value is read from the box (the live site's)."""
        self.store = store
        self.calibrations = calibrations
        self.probes = probes
        self.lookup = lookup

    def _probe(self, name: str) -> SiteProbe:
        for p in self.probes():
            if p.device == name:
                return p
        raise unknown("probe", probe=name)

    def calibrations_info(self) -> list[ProbeCalibrationInfo]:
        out = []
        for p in self.probes():
            state = self.calibrations.state(p.device)
            cal = state.calibration
            if cal is None:
                out.append(
                    ProbeCalibrationInfo(
                        p.device, p.zone, p.depth_m, state.n_samples, error=state.error
                    )
                )
                continue
            out.append(
                ProbeCalibrationInfo(
                    p.device,
                    p.zone,
                    p.depth_m,
                    state.n_samples,
                    gain=cal.gain,
                    offset_pct=cal.offset_pct,
                    se_pct=cal.se_pct,
                    gain_fitted=cal.gain_fitted,
                    raw_min_pct=cal.raw_min_pct,
                    raw_max_pct=cal.raw_max_pct,
                )
            )
        return out

    def samples(self, probe: str) -> list[ProbeSampleInfo]:
        p = self._probe(probe)
        return [sample_info(s) for s in self.store.probe_samples(p.device)]

    def add(
        self,
        probe: str,
        theta_pct: float,
        method: str,
        at: dt.datetime | None,
        raw_pct: float | None,
        note: str,
        actor: str,
    ) -> ProbeSampleInfo:
        p = self._probe(probe)
        row = add_sample(
            self.store,
            [x.device for x in self.probes()],
            device=p.device,
            theta_pct=theta_pct,
            method=method,
            at=at,
            raw_pct=raw_pct,
            actor=actor,
            note=note,
            lookup=self.lookup(),
        )
        self.calibrations.refresh()  # the answer and the next read use the new fit
        return sample_info(row)
