"""``qanat notify test CHANNEL``: send a test message through one channel of ``[notify]``.

qanat notify test ops-dingtalk --config /etc/qanat/site.toml

Sent at once (not through the outbox), in the site's language; the outcome is written to
the audit log of the data directory's store. Exit 0 when the channel took the message,
1 when it did not (the reason is printed), 2 for an unknown channel or an unusable site.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from controller.cli.common import add_place_arguments
from controller.cli.exitcodes import FAILED, OK, UNUSABLE
from controller.clock import SystemClock
from controller.config.site import load_site_or_report
from controller.notify.errors import DeliveryFailed, UnknownChannel
from controller.notify.notifier import Notifier
from controller.paths import resolve_data_dir
from controller.store import Store, StoreError


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
    try:
        store = Store.open_dir(resolve_data_dir(args.data_dir))
    except StoreError as exc:
        print(f"cannot open the store: {exc}", file=sys.stderr)
        return UNUSABLE
    with store:
        notifier = Notifier(notify, store, SystemClock(), site_name=site.site.name, tz=site.site.tz)
        try:
            notifier.send_test(args.channel)
        except UnknownChannel as exc:
            print(str(exc), file=sys.stderr)
            return UNUSABLE
        except DeliveryFailed as exc:
            print(f"{args.channel}: not delivered: {exc}", file=sys.stderr)
            return FAILED
    print(f"{args.channel}: test message delivered")
    return OK
