"""``qanat probe``: soil samples next to the probes, and each probe's calibration.

qanat probe sample add probe1a --theta-pct 24.5 --config site.toml
qanat probe sample add probe1a --theta-pct 24.5 --method reference --at "2026-06-01 08:30" \\
    --raw 28.1 --note "pit 2, 20 cm" --config site.toml
qanat probe sample list [PROBE]
qanat probe calibration [PROBE]

``sample add`` stores a sample of a soil probe of the site (``--config``): the reference θ
(% vol: gravimetric water content × bulk density, or a reference probe's θ), when it was
taken (``--at``, the site's local time unless a zone is given; default now) and the probe's
raw reading then (``--raw``; by default the mean of its stored readings within 15 min).
The entry is audited with the user's login name. The running daemon applies the new
calibration at its next read of the probe (:mod:`controller.learning.calibration`).

``calibration`` shows each probe's fit: θ = gain · raw + offset, ± its standard error in the
middle of the range sampled, the samples used; or why there is none.

Exit status: 0 done; 1 a sample refused (the field is named) or a calibration that cannot be
fitted (``calibration`` of that probe); 2 bad options, an unusable site file or a database
that does not open.
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys
from pathlib import Path

from controller.agronomy.plausibility import quarantined_in
from controller.cli.common import add_place_arguments, open_box_store, os_user
from controller.cli.exitcodes import FAILED, OK, UNUSABLE
from controller.config.site import SiteConfig, load_site_or_report
from controller.learning.calibration import (
    METHODS,
    CalibrationState,
    ProbeCalibrations,
    SampleRefused,
    add_sample,
    raw_lookup,
)
from controller.paths import resolve_data_dir
from controller.store import ProbeSample, Store


def add_arguments(parser: argparse.ArgumentParser) -> None:
    common = add_place_arguments(parser, config_help="the site file (needed by sample add)")
    sub = parser.add_subparsers(dest="what", required=True)
    sample = sub.add_parser("sample", help="soil samples next to a probe")
    samples = sample.add_subparsers(dest="action", required=True)
    add = samples.add_parser("add", help="store a soil sample of a probe", parents=[common])
    add.add_argument("probe", help="the probe's device name (as in the site file)")
    add.add_argument(
        "--theta-pct", type=float, required=True, help="reference volumetric water content, %%"
    )
    add.add_argument(
        "--method",
        choices=METHODS,
        default="gravimetric",
        help="how the sample's moisture was measured (default gravimetric)",
    )
    add.add_argument(
        "--at",
        help="when the sample was taken, ISO 8601 (site local time without a zone; default now)",
    )
    add.add_argument(
        "--raw",
        type=float,
        help="the probe's raw reading then, %% (default: its stored readings within 15 min)",
    )
    add.add_argument("--note", default="", help="where, how deep, who weighed it")
    listing = samples.add_parser("list", help="the samples, oldest first", parents=[common])
    listing.add_argument("probe", nargs="?", help="only this probe")
    cal = sub.add_parser(
        "calibration", help="each probe's fit, its uncertainty and samples", parents=[common]
    )
    cal.add_argument("probe", nargs="?", help="only this probe")


def _time(text: str, tz: dt.tzinfo) -> dt.datetime:
    try:
        when = dt.datetime.fromisoformat(text)
    except ValueError:
        raise SampleRefused(
            f"at {text!r} is not a time (e.g. 2026-06-01 08:30 or 2026-06-01T08:30+08:00)",
            field="at",
        ) from None
    return when if when.tzinfo is not None else when.replace(tzinfo=tz)


def run(args: argparse.Namespace) -> int:
    data_dir = resolve_data_dir(args.data_dir)
    site = None
    if args.what == "sample" and args.action == "add":
        if args.config is None:
            print(
                "qanat probe sample add: --config SITE.toml is needed (its probes)", file=sys.stderr
            )
            return UNUSABLE
        site = load_site_or_report(Path(args.config))
        if site is None:
            return UNUSABLE
    # a mistyped --data-dir is said, not made an empty store
    command = " ".join(["qanat probe", args.what, *([args.action] if "action" in args else [])])
    store = open_box_store(data_dir, command, may_make=False)
    if store is None:
        return UNUSABLE
    with store:
        if site is not None:
            return _add(args, store, [p.device for z in site.zones for p in z.probes], site)
        if args.what == "sample":
            return _list(store, args.probe)
        return _calibration(store, args.probe)


def _add(args: argparse.Namespace, store: Store, probes: list[str], site: SiteConfig) -> int:
    tz = site.site.tz
    try:
        at = None if args.at is None else _time(args.at, tz)
        row = add_sample(
            store,
            probes,
            device=args.probe,
            theta_pct=args.theta_pct,
            method=args.method,
            at=at,
            raw_pct=args.raw,
            actor=f"cli:{os_user()}",
            note=args.note,
            # no live values in this process: the stored readings; the daemon's quarantine
            # and sensor faults are open alarms in the store
            lookup=raw_lookup(site, doubted=lambda d, p: _doubted(store, d, p)),
        )
    except SampleRefused as exc:
        print(f"qanat probe sample add: {exc.field}: {exc}", file=sys.stderr)
        return FAILED
    print(
        f"sample #{row.id} of {row.device}: θ {row.theta_pct:g} % ({row.method}) at "
        f"{row.sampled_at.astimezone(tz):%Y-%m-%d %H:%M}, probe raw {row.raw_pct:.1f} % "
        f"({'typed in' if row.raw_source == 'given' else 'from its stored readings'})"
    )
    state = ProbeCalibrations(store).state(row.device, row.point)
    print(_describe(state), file=sys.stderr if state.error else sys.stdout)
    return OK  # stored; a calibration the samples refuse is said, and exits 1 in `calibration`


def _doubted(store: Store, device: str, point: str) -> str | None:
    """Why the daemon doubts the probe now, from the store's open alarms: its quarantine's
    code, or ``sensor_fault``; ``None`` if it does not."""
    quarantine = quarantined_in(store).get(device)
    if quarantine is not None:
        return quarantine.code
    key = f"{device}.{point}"
    faulty = any(e.code == "sensor_fault" and e.source == key for e in store.open_alarms())
    return "sensor_fault" if faulty else None


def _sample_line(s: ProbeSample) -> str:
    note = f"  {s.note}" if s.note else ""
    return (
        f"#{s.id:<5} {s.device:<12} {s.sampled_at:%Y-%m-%d %H:%M} UTC  θ {s.theta_pct:5.1f} %  "
        f"{s.method:<11} raw {s.raw_pct:5.1f} % ({s.raw_source})  by {s.entered_by}{note}"
    )


def _list(store: Store, probe: str | None) -> int:
    rows = store.probe_samples(probe)
    if not rows:
        print("no samples" + (f" of {probe}" if probe else ""))
    for s in rows:
        print(_sample_line(s))
    return OK


def _describe(state: CalibrationState) -> str:
    cal = state.calibration
    if cal is not None:
        kind = "gain and offset" if cal.gain_fitted else "offset only"
        return (
            f"{state.key}: θ = {cal.gain:.3f} · raw {cal.offset_pct:+.2f} % "
            f"(± {cal.se_pct:.2f} % vol, {kind}, {cal.n_samples} samples, raw "
            f"{cal.raw_min_pct:.1f}–{cal.raw_max_pct:.1f} %, rms residual "
            f"{cal.rms_residual_pct:.2f} %)"
        )
    if state.error:
        return f"{state.key}: no calibration, the raw reading is used: {state.error}"
    return f"{state.key}: no samples, the raw reading is used"


def _calibration(store: Store, probe: str | None) -> int:
    cals = ProbeCalibrations(store)
    states = [cals.state(probe)] if probe else cals.states()
    if not states:
        print("no samples: every probe's raw reading is used")
    failed = False
    for state in states:
        print(_describe(state))
        if state.calibration is not None:
            for s in store.probe_samples(state.device, state.point):
                print("   " + _sample_line(s))
        failed = failed or bool(state.error)
    return FAILED if failed else OK
