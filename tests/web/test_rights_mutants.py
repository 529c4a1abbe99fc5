"""What each role may export and read of the audit, and the acknowledgement's cursor rule at,
just under and just over each bound (scripts/mutation.sh controller/access/rights.py)."""

from __future__ import annotations

import pytest

from controller.access.rights import (
    AckRefused,
    check_ack,
    is_security_event,
    may_export,
    sees_security_events,
)
from controller.store import Role


def test_every_role_may_export_and_only_an_admin_reads_security_events() -> None:
    assert [may_export(r) for r in Role] == [True, True, True]
    assert [sees_security_events(r) for r in Role] == [r is Role.ADMIN for r in Role]


@pytest.mark.parametrize(
    "action",
    ["login.ok", "login.failed", "logout", "page.refused", "api.refused", "user.add", "token.new"],
)
def test_the_security_events_are_named_by_their_prefix(action: str) -> None:
    assert is_security_event(action)


@pytest.mark.parametrize(
    "action", ["run.start", "login", "xlogin.ok", "page", "api", "tokens", "users.x", "settings.x"]
)
def test_other_actions_are_not_security_events(action: str) -> None:
    assert not is_security_event(action)


@pytest.mark.parametrize("last_id", [10, 11])
def test_a_reader_may_acknowledge_up_to_its_cursor_or_past_it(last_id: int) -> None:
    check_ack("readings", last_id, own=10, lowest=50)  # its own cursor, not the lowest, binds


def test_a_reader_may_not_move_its_cursor_back() -> None:
    with pytest.raises(AckRefused) as err:
        check_ack("readings", 9, own=10, lowest=None)
    assert str(err.value) == (
        "readings: acknowledged up to 10 already; a cursor does not move back (got 9)"
    )


@pytest.mark.parametrize(("last_id", "lowest"), [(5, 5), (6, 5), (0, None)])
def test_a_new_reader_may_start_at_the_lowest_cursor_or_later(
    last_id: int, lowest: int | None
) -> None:
    check_ack("events", last_id, own=None, lowest=lowest)


def test_a_new_reader_may_not_start_behind_the_lowest_cursor() -> None:
    with pytest.raises(AckRefused) as err:
        check_ack("events", 4, own=None, lowest=5)
    assert str(err.value) == (
        "events: a new reader starts at 5 or later (the lowest cursor held), got 4"
    )
