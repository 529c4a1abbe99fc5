"""``qanat notify test CHANNEL``: send a test message through one channel of ``[notify]``.

qanat notify test ops-dingtalk --config /etc/qanat/site.toml

Sent at once (not through the outbox), in the site's language. The test needs no store:
when the data directory holds the box's store (``qanat.db``) the outcome is written to its
audit log, and the command says where; else none is made (on a machine where qanat is not
installed yet, root's default ``/var/lib/qanat`` stays untouched) and it says the outcome was
not recorded. Exit 0 when the channel took the message, 1 when it did not (the reason is
printed), 2 for an unknown channel, an unusable site or a data directory that is a file.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from controller.cli.common import add_place_arguments, missing_store
from controller.cli.exitcodes import FAILED, OK, UNUSABLE
from controller.clock import SystemClock
from controller.config.site import load_site_or_report
from controller.notify.errors import DeliveryFailed, UnknownChannel
from controller.notify.notifier import Notifier
from controller.paths import resolve_data_dir
from controller.store import STORE_FILE, Store, StoreError


def add_arguments(parser: argparse.ArgumentParser) -> None:
    # --config and --data-dir before or after the action, as `soil` and `user`
    common = add_place_arguments(parser, config_help="the site file (required)")
    sub = parser.add_subparsers(dest="action", required=True)
    test = sub.add_parser(
        "test", help="send a test message through one channel now", parents=[common]
    )
    test.add_argument("channel", help="a channel's name in [notify]")


def run(args: argparse.Namespace) -> int:
    if args.config is None:
        print("qanat notify: --config SITE.toml is needed (its [notify] channels)", file=sys.stderr)
        return UNUSABLE
    site = load_site_or_report(Path(args.config))
    if site is None:
        return UNUSABLE
    notify = site.model.notify
    if notify is None:
        print(f"{Path(args.config).name}: no [notify] section", file=sys.stderr)
        return UNUSABLE
    data_dir = resolve_data_dir(args.data_dir)
    if data_dir.is_file():
        print(f"{data_dir} is a file, not a data directory", file=sys.stderr)
        return UNUSABLE
    missing = missing_store(data_dir)
    try:  # the audit line only: a store in memory, never a new one on disk, when none is there
        store = Store("sqlite://") if missing else Store.open_dir(data_dir)
    except StoreError as exc:
        print(f"cannot open the store: {exc}", file=sys.stderr)
        return UNUSABLE
    recorded = f"not recorded: {missing}" if missing else f"recorded in {data_dir / STORE_FILE}"
    with store:
        notifier = Notifier(notify, store, SystemClock(), site_name=site.site.name, tz=site.site.tz)
        try:
            notifier.send_test(args.channel)
        except UnknownChannel as exc:
            print(str(exc), file=sys.stderr)
            return UNUSABLE
        except DeliveryFailed as exc:
            print(f"{args.channel}: not delivered: {exc} ({recorded})", file=sys.stderr)
            return FAILED
    print(f"{args.channel}: test message delivered ({recorded})")
    return OK
