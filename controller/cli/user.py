"""``qanat user``: accounts for the local pages (there is no default password).

qanat user add --role admin --username ada          # asks for the password twice
qanat user add --role technician --username li --password-stdin < pw.txt
qanat user list
qanat user passwd li
qanat user disable li                               # not the last enabled admin
qanat user enable li
qanat user role li viewer                           # not the last enabled admin either
qanat user unlock li                                # forgive failed logins (no waiting)
"""

from __future__ import annotations

import argparse
import getpass
import sys

from controller.access.accounts import AccountError, Accounts, check_new_password
from controller.cli.common import add_place_arguments, open_box_store
from controller.cli.exitcodes import FAILED, OK, UNUSABLE
from controller.paths import resolve_data_dir
from controller.store import Role, Store


def add_arguments(parser: argparse.ArgumentParser) -> None:
    common = add_place_arguments(parser)
    sub = parser.add_subparsers(dest="action", required=True)
    add = sub.add_parser(
        "add", help="create a user (asks for the password twice)", parents=[common]
    )
    add.add_argument("--username", required=True, help="the login name")
    add.add_argument(
        "--role", required=True, choices=[r.value for r in Role], help="what the user may do"
    )
    add.add_argument("--name", default="", help="display name")
    add.add_argument(
        "--locale", default="zh-CN", choices=["zh-CN", "en"], help="the pages' language"
    )
    add.add_argument("--password-stdin", action="store_true", help="read the password from stdin")
    sub.add_parser("list", help="list users (never their password)", parents=[common])
    passwd = sub.add_parser(
        "passwd", help="set a new password (ends the user's sessions)", parents=[common]
    )
    passwd.add_argument("username", help="the login name")
    passwd.add_argument(
        "--password-stdin", action="store_true", help="read the password from stdin"
    )
    disable = sub.add_parser("disable", help="the user can no longer log in", parents=[common])
    disable.add_argument("username", help="the login name")
    enable = sub.add_parser("enable", help="a disabled user may log in again", parents=[common])
    enable.add_argument("username", help="the login name")
    role = sub.add_parser("role", help="give the user another role", parents=[common])
    role.add_argument("username", help="the login name")
    role.add_argument("role", choices=[r.value for r in Role], help="the new role")
    unlock = sub.add_parser(
        "unlock",
        help="forgive the user's failed logins: the running daemon lets them try at once",
        parents=[common],
    )
    unlock.add_argument("username", help="the login name")


def _password(from_stdin: bool) -> str:
    if from_stdin:
        return sys.stdin.readline().rstrip("\n")
    first = getpass.getpass("password: ")
    check_new_password(first, getpass.getpass("again: "))
    return first


def run(args: argparse.Namespace) -> int:
    data_dir = resolve_data_dir(args.data_dir)
    # a first user may make the store; the other actions may not
    store = open_box_store(data_dir, f"qanat user {args.action}", may_make=args.action == "add")
    if store is None:
        return UNUSABLE
    with store:
        accounts = Accounts(store)
        try:
            return _act(args, accounts, store)
        except AccountError as exc:
            print(f"qanat user {args.action}: {exc}", file=sys.stderr)
            return FAILED


def _act(args: argparse.Namespace, accounts: Accounts, store: Store) -> int:
    if args.action == "list":
        for u in accounts.users():
            state = "disabled" if u.disabled else "active"
            print(
                f"{u.id:>4}  {u.username:<16} {u.role:<10} {state:<8} {u.locale}  {u.display_name}"
            )
        return OK
    if args.action == "add":
        user = accounts.create_user(
            args.username,
            _password(args.password_stdin),
            args.role,
            display_name=args.name,
            locale=args.locale,
        )
        store.record_audit("cli", "user.add", {"username": user.username, "role": user.role.value})
        print(f"user {user.username} ({user.role.value}) created")
        return OK
    if args.action == "passwd":
        accounts.user(args.username)  # unknown user: say so before asking for a password
        accounts.set_password(args.username, _password(args.password_stdin))
        store.record_audit("cli", "user.passwd", {"username": args.username})
        print(f"password of {args.username} changed; their sessions ended")
        return OK
    if args.action == "enable":
        accounts.enable(args.username)
        store.record_audit("cli", "user.enable", {"username": args.username})
        print(f"user {args.username} enabled")
        return OK
    if args.action == "role":
        accounts.set_role(args.username, args.role)
        store.record_audit("cli", "user.role", {"username": args.username, "role": args.role})
        print(f"user {args.username} is now {args.role}")
        return OK
    if args.action == "unlock":
        accounts.unlock(args.username, actor="cli")
        print(f"user {args.username} unlocked: failed logins forgiven")
        return OK
    accounts.disable(args.username)
    store.record_audit("cli", "user.disable", {"username": args.username})
    print(f"user {args.username} disabled")
    return OK
