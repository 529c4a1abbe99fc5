"""``qanat confirm-time``: an admin vouches for the box's wall clock (no NTP on the site).

qanat confirm-time                    # the clock is right: automatic watering may start
qanat confirm-time --over-records     # ... even though stored records carry a later time

The confirmation is an audit entry (``time.confirm``) with the wall and monotonic time and
this boot's id; the running daemon reads it within ``TIME_TRUST_CHECK_S`` and clears its
``clock_untrusted`` alarm. It holds until the clock steps or the box reboots
(:mod:`controller.runtime.timetrust`). Set the date first (``date -s``) if it is wrong: a clock
before the release floor is never confirmed.

Exit status: 0 confirmed; 1 refused (clock before the release floor, or before the newest
stored record without ``--over-records``); 2 the database does not open. A data directory
without a database (a typo, or another user's default) is said on stderr: the confirmation is
made there, where a daemon started later on it finds it, but the running one does not.
"""

from __future__ import annotations

import argparse
import sys

from controller.cli.common import os_user
from controller.cli.exitcodes import FAILED, OK, UNUSABLE
from controller.clock import SystemClock
from controller.paths import resolve_data_dir
from controller.runtime.timetrust import TimeTrust, system_synchronised
from controller.store import STORE_FILE, Store


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--data-dir", help="data directory (default: QANAT_DATA_DIR or per platform)"
    )
    parser.add_argument(
        "--over-records",
        action="store_true",
        help="confirm although stored records carry a later time (they were stamped wrong)",
    )


def run(args: argparse.Namespace) -> int:
    data_dir = resolve_data_dir(args.data_dir)
    fresh = not (data_dir / STORE_FILE).exists()
    store = Store.open_dir_or_report(data_dir)
    if store is None:
        return UNUSABLE
    with store:
        trust = TimeTrust(SystemClock(), store, synchronised=system_synchronised)
        v = trust.verdict()
        if v.condition == "floor" or (v.condition == "records" and not args.over_records):
            hint = (
                "set the date first (date -s)"
                if v.condition == "floor"
                else "set the date, or pass --over-records if those records were stamped wrong"
            )
            print(f"not confirmed: {v.reason}; {hint}", file=sys.stderr)
            return FAILED
        c = trust.confirm(f"cli:{os_user()}", over_records=args.over_records)
        print(
            f"wall clock confirmed: {c.wall:%Y-%m-%d %H:%M:%S} UTC; automatic watering may start "
            "(the daemon sees it within seconds; it holds until the clock steps or the box reboots)"
        )
    if fresh:  # a typo, or another user's default: the running daemon will never see it
        print(
            f"note: {data_dir} held no {STORE_FILE}, one was made for this; a daemon sees the "
            "confirmation only if it runs on this data directory (--data-dir, as its user)",
            file=sys.stderr,
        )
    return OK
