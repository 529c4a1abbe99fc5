"""``qanat token``: API tokens for technicians, viewers (the central office) and admins.

qanat token create --role technician --name li-wei     # prints the token once
qanat token create --role viewer --name office --data-dir /var/lib/qanat
qanat token list
qanat token revoke ID
"""

from __future__ import annotations

import argparse
import sys

from controller.cli.common import add_place_arguments, open_box_store
from controller.cli.exitcodes import FAILED, OK, UNUSABLE
from controller.paths import resolve_data_dir
from controller.store import NotFound, Role


def add_arguments(parser: argparse.ArgumentParser) -> None:
    common = add_place_arguments(parser)  # --data-dir before or after the action, as `user`
    sub = parser.add_subparsers(dest="action", required=True)
    create = sub.add_parser("create", help="create a token and print it once", parents=[common])
    create.add_argument(
        "--role", required=True, choices=[r.value for r in Role], help="what the token may do"
    )
    create.add_argument("--name", default="", help="who or what uses it (shown in the audit log)")
    sub.add_parser("list", help="list tokens (never their secret)", parents=[common])
    revoke = sub.add_parser("revoke", help="revoke a token by id", parents=[common])
    revoke.add_argument("id", type=int, help="the token's id, as `token list` shows it")


def run(args: argparse.Namespace) -> int:
    data_dir = resolve_data_dir(args.data_dir)
    # a first token may make the store; listing or revoking may not
    store = open_box_store(data_dir, f"qanat token {args.action}", may_make=args.action == "create")
    if store is None:
        return UNUSABLE
    with store:
        if args.action == "create":
            name = args.name or f"{args.role}-token"
            token_id, plaintext = store.create_token(name, args.role)
            store.record_audit(
                "cli", "token.create", {"id": token_id, "name": name, "role": args.role}
            )
            print(plaintext)
            print(
                f"token {token_id} ({name}, {args.role}) created; it is shown only once",
                file=sys.stderr,
            )
            return OK
        if args.action == "list":
            for t in store.tokens():
                state = "revoked" if t.revoked_at else "active"
                print(f"{t.id:>4}  {t.role:<10}  {state:<8}  {t.name}")
            return OK
        try:
            info = store.revoke_token(args.id)
        except NotFound:
            print(f"no token {args.id}", file=sys.stderr)
            return FAILED
        store.record_audit("cli", "token.revoke", {"id": info.id, "name": info.name})
        print(f"token {info.id} ({info.name}) revoked")
        return OK
