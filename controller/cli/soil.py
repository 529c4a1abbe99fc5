"""``qanat soil``: each zone's soil fit from its dry-downs, and an admin's approval.

qanat soil show [ZONE]
qanat soil approve z1 --config site.toml [--fitted-at 2026-07-01T17:40:00+00:00]
qanat soil dry-down z1 --fraction 0.8 --config site.toml

``show`` prints each zone's newest fit waiting in the data directory (``models/soil``):
field capacity, wilting point, TAW at the root depth and ``kc_factor``, before (in use when it
was fitted) and after, each fitted value ± its standard error, and the dry-downs it used.

``approve`` writes the zone's fitted ``soil_fc_m3m3``, ``soil_wp_m3m3`` and ``kc_factor``
into the data directory's ``site.overrides.toml``, checked with the site file (``--config``)
as the pages check settings, and audits it (``soil.approve``, the user's login name).
``--fitted-at`` refuses if the fit waiting is not the one you looked at. A running daemon
notices the overrides file changed and takes them up within seconds (as a page's change:
re-planned at once); a stopped one at its start.

``dry-down`` asks for one calibration dry-down of the zone (controller/agronomy/drydown.py):
its ``calibration_dry_down`` (fraction of TAW, 0.6-0.85) written into the overrides, checked
as ``approve`` checks, a new request kept under ``models/calibration`` and audited
(``soil.calibrate``). A running daemon takes it up within seconds, a stopped one at its
start; the soil page and the API at once.

Exit status: 0 done; 1 no fit to show or approve, a fit that cannot be read, another fit than
``--fitted-at``, or values the site's checks refuse; 2 bad options, an unusable site file or
a database that does not open.
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys
from pathlib import Path
from typing import Any

from controller.agronomy.drydown import DryDownStates, dry_down_refusal
from controller.cli.common import add_place_arguments, open_box_store, os_user
from controller.cli.exitcodes import FAILED, OK, UNUSABLE
from controller.config import overrides
from controller.config.site import ConfigError, SiteConfig, apply_overrides, load_site_or_report
from controller.daemon.settingsfile import CHECK_EVERY_S as TAKEN_UP_S
from controller.learning.files import models_dir_of
from controller.learning.soil import SoilProposal
from controller.paths import resolve_data_dir
from controller.store import Store
from models.learning import LearnedModelError, load_model
from models.learning.soil import FORMAT_VERSION, KIND

AUDIT_ACTION = "soil.approve"
DRY_DOWN_AUDIT = "soil.calibrate"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    common = add_place_arguments(
        parser, config_help="the site file (needed by approve: its checks)"
    )
    sub = parser.add_subparsers(dest="action", required=True)
    show = sub.add_parser("show", help="each zone's fit waiting for approval", parents=[common])
    show.add_argument("zone", nargs="?", help="only this zone")
    approve = sub.add_parser(
        "approve", help="write a zone's fitted soil and kc_factor as settings", parents=[common]
    )
    approve.add_argument("zone", help="the zone (as in the site file)")
    approve.add_argument(
        "--fitted-at", help="the fit's time as `show` prints it: refuse if another is waiting"
    )
    dry = sub.add_parser(
        "dry-down", help="ask for one calibration dry-down of a zone", parents=[common]
    )
    dry.add_argument("zone", help="the zone (as in the site file)")
    dry.add_argument(
        "--fraction", type=float, default=0.8, help="depletion to reach, fraction of TAW"
    )


def _load(models: Path, zone: str) -> SoilProposal:
    persisted = load_model(models, KIND, zone, FORMAT_VERSION)
    if not isinstance(persisted.payload, SoilProposal):
        raise LearnedModelError(f"{models}: the soil model of {zone!r} is not a proposal")
    return persisted.payload


def describe(p: SoilProposal) -> str:
    """The proposal in a few lines (also what ``approve`` prints)."""
    b, a = p.before, p.after
    return "\n".join(
        [
            f"{p.zone}: fitted {p.fitted_at.isoformat()} on {p.n_drydowns} dry-downs "
            f"(probes ± {p.reading_sd_pct:.1f} % vol about the fit), roots {p.root_depth_m:.2f} m",
            f"  field capacity  {b.fc_m3m3:.3f} -> {a.fc_m3m3:.3f} ± {a.fc_se_m3m3:.3f} m³/m³",
            f"  wilting point   {b.wp_m3m3:.3f} -> {a.wp_m3m3:.3f} ± {a.wp_se_m3m3:.3f} m³/m³",
            f"  TAW             {b.taw_mm:.0f} -> {a.taw_mm:.0f} ± {a.taw_se_mm:.0f} mm",
            f"  kc_factor       {b.kc_factor:.2f} -> {a.kc_factor:.2f} ± {a.kc_factor_se:.2f}",
            "  dry-downs       "
            + ", ".join(f"{c.dates[1]:%m-%d} ({c.water_mm:.0f} mm)" for c in p.curves),
        ]
    )


def run(args: argparse.Namespace) -> int:
    data_dir = resolve_data_dir(args.data_dir)
    site = None
    if args.action in ("approve", "dry-down"):
        if args.config is None:
            print(f"qanat soil {args.action}: --config SITE.toml is needed (its checks)",
                  file=sys.stderr)  # fmt: skip
            return UNUSABLE
        site = load_site_or_report(Path(args.config))
        if site is None:
            return UNUSABLE
    # a mistyped --data-dir is said, not made an empty store
    store = open_box_store(data_dir, f"qanat soil {args.action}", may_make=False)
    if store is None:
        return UNUSABLE
    with store:
        models = models_dir_of(store)
        if models is None:  # pragma: no cover - open_dir always gives a SQLite file
            print("qanat soil: no models directory beside this database", file=sys.stderr)
            return UNUSABLE
        if site is None:
            return _show(models, args.zone)
        if args.zone not in {z.name for z in site.zones}:
            print(f"qanat soil {args.action}: no zone {args.zone!r} in {args.config}",
                  file=sys.stderr)  # fmt: skip
            return FAILED
        if args.action == "dry-down":
            return _dry_down(site, store, data_dir, models, args.zone, args.fraction)
        try:
            proposal = _load(models, args.zone)
        except LearnedModelError as exc:
            print(f"qanat soil approve: {exc}", file=sys.stderr)
            return FAILED
        if args.fitted_at is not None:
            try:
                wanted = dt.datetime.fromisoformat(args.fitted_at)
            except ValueError:
                print(f"qanat soil approve: --fitted-at {args.fitted_at!r} is not a time",
                      file=sys.stderr)  # fmt: skip
                return UNUSABLE
            if wanted != proposal.fitted_at:
                print(
                    f"qanat soil approve: the fit waiting is of {proposal.fitted_at.isoformat()}, "
                    f"not {args.fitted_at}: look at it (qanat soil show {args.zone})",
                    file=sys.stderr,
                )
                return FAILED
        values = proposal.overrides()
        if not _save_zone_overrides(site, data_dir, args.zone, values, "approve"):
            return FAILED
        store.record_audit(
            f"cli:{os_user()}",
            AUDIT_ACTION,
            {"zone": args.zone, "fitted_at": proposal.fitted_at.isoformat(), **values},
        )
        print(describe(proposal))
        print(
            f"approved: {args.zone} soil_fc_m3m3 {values['soil_fc_m3m3']}, soil_wp_m3m3 "
            f"{values['soil_wp_m3m3']}, kc_factor {values['kc_factor']} in "
            f"{data_dir / overrides.OVERRIDES_FILE}; a running daemon takes them up within "
            f"{TAKEN_UP_S:.0f} s, else at its start. probe_weight may now be raised above 0."
        )
        return OK


def _show(models: Path, zone: str | None) -> int:
    folder = models / KIND
    zones = [zone] if zone else sorted(p.stem for p in folder.glob("*.joblib"))
    if not zones:
        print("no soil fit waiting (three dry-downs with probes are needed, [learning.soil])")
        return FAILED
    failed = False
    for name in zones:
        try:
            print(describe(_load(models, name)))
        except LearnedModelError as exc:
            print(f"{name}: {exc}", file=sys.stderr)
            failed = True
    return FAILED if failed else OK


def _checked_zone_overrides(
    site: SiteConfig, data_dir: Path, zone: str, values: dict[str, Any], action: str
) -> dict[str, Any] | None:
    """The site overrides with ``values`` merged into the zone's, checked with the whole
    site; None, each problem printed (``qanat soil ACTION: …``), if refused (a saved file
    that is itself broken included: it names the file and key path)."""
    try:
        merged = overrides.merge(overrides.load(data_dir), {"zones": {zone: values}})
        apply_overrides(site, merged, source=str(data_dir / overrides.OVERRIDES_FILE))
    except ConfigError as exc:
        for problem in exc.problems:
            print(f"qanat soil {action}: {problem}", file=sys.stderr)
        return None
    return merged


def _save_zone_overrides(
    site: SiteConfig, data_dir: Path, zone: str, values: dict[str, Any], action: str
) -> bool:
    """``values`` merged into the zone's site overrides, checked with the whole site and
    saved; each problem printed (``qanat soil ACTION: …``) and nothing saved if refused."""
    merged = _checked_zone_overrides(site, data_dir, zone, values, action)
    if merged is None:
        return False
    overrides.save(data_dir, merged)
    return True


def _dry_down(
    site: SiteConfig, store: Store, data_dir: Path, models: Path, zone: str, fraction: float
) -> int:
    """The zone's calibration dry-down asked: setting checked, request kept, setting saved
    (last: a running daemon takes the request up with the setting), audit."""
    refused = dry_down_refusal(next(z for z in site.zones if z.name == zone))
    if refused:
        print(f"qanat soil dry-down: {refused}", file=sys.stderr)
        return FAILED
    merged = _checked_zone_overrides(
        site, data_dir, zone, {"calibration_dry_down": fraction}, "dry-down"
    )
    if merged is None:
        return FAILED
    DryDownStates(models).request(zone, fraction, dt.datetime.now(dt.UTC))
    overrides.save(data_dir, merged)
    store.record_audit(f"cli:{os_user()}", DRY_DOWN_AUDIT, {"zone": zone, "fraction": fraction})
    print(
        f"asked: one calibration dry-down of {zone} to {fraction:.0%} of TAW (outside critical "
        f"periods); a running daemon takes it up within {TAKEN_UP_S:.0f} s, else at its start"
    )
    return OK
