"""The notification outbox: messages waiting for their channel, kept across restarts.

A message is a row of ``notify_outbox``: written ``pending`` (committed before anything is
sent; ``held`` while a channel's quiet hours last, then ``pending``), then ``sent`` after
its channel accepted it, ``suppressed`` when a channel's rules
(duplicate, rate) held it back, or ``expired`` when it could not be delivered in time.
Each channel's messages go out in id order: only a channel's oldest pending message is
ever tried (:meth:`Outbox.head`), so a retry never lets a later message overtake.

``notify_cursor`` keeps the id of the last event turned into messages, so a restart neither
loses nor repeats an alarm.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import TYPE_CHECKING

from sqlalchemy import Index
from sqlalchemy.orm import aliased
from sqlmodel import Field, SQLModel, col, func, select

from controller.store.tables import Event
from controller.store.types import UTCDateTime, as_utc

if TYPE_CHECKING:  # the store lists these tables among its own
    from controller.store.store import Store

__all__ = ["Outbox", "OutboxCursor", "OutboxMessage", "OutboxState", "QueuedMessage"]


class OutboxState:
    HELD = "held"  # waiting for the end of quiet hours, not in the line yet
    PENDING = "pending"
    SENT = "sent"
    SUPPRESSED = "suppressed"
    EXPIRED = "expired"


class OutboxMessage(SQLModel, table=True):
    """One message for one channel."""

    __tablename__ = "notify_outbox"
    __table_args__ = (
        Index("ix_notify_outbox_channel_state", "channel", "state", "id"),
        {"sqlite_autoincrement": True},
    )

    id: int | None = Field(default=None, primary_key=True)
    created_at: dt.datetime = Field(sa_type=UTCDateTime)
    channel: str
    kind: str  # "alarm" | "escalation" | "test" | "summary"
    event_id: int | None = None
    severity: str
    code: str
    source: str
    subject: str
    body: str
    state: str = OutboxState.PENDING
    attempts: int = 0
    not_before: dt.datetime = Field(sa_type=UTCDateTime)  # next attempt no earlier than this
    first_failure_at: dt.datetime | None = Field(default=None, sa_type=UTCDateTime)
    last_error: str | None = None
    done_at: dt.datetime | None = Field(default=None, sa_type=UTCDateTime)


class OutboxCursor(SQLModel, table=True):
    """How far a reader of the events table has got (``name`` → last event id handled)."""

    __tablename__ = "notify_cursor"

    name: str = Field(primary_key=True)
    last_id: int


@dataclass(frozen=True, slots=True)
class QueuedMessage:
    """What a caller asks to queue for one channel."""

    channel: str
    kind: str
    severity: str
    code: str
    source: str
    subject: str
    body: str
    event_id: int | None = None
    state: str = OutboxState.PENDING
    not_before: dt.datetime | None = None
    reason: str | None = None  # why it was suppressed (kept as ``last_error``)


class Outbox:
    """The outbox tables of ``store`` (each call one committed transaction)."""

    def __init__(self, store: Store) -> None:
        self.store = store

    def add(self, msg: QueuedMessage, *, now: dt.datetime | None = None) -> OutboxMessage:
        return self.add_many([msg], now=now)[0]

    def add_many(
        self,
        msgs: list[QueuedMessage],
        *,
        now: dt.datetime | None = None,
        cursor: tuple[str, int] | None = None,
    ) -> list[OutboxMessage]:
        """Queue ``msgs`` (created ``now``: the caller's clock, default the store's) and move
        ``cursor`` (name, last event id) in one transaction, so a crash between the two
        neither loses nor repeats an event's messages."""
        when = now if now is not None else self.store.clock.now()
        rows = [self._row(m, when) for m in msgs]
        with self.store.writing() as session:
            session.add_all(rows)
            if cursor is not None:
                name, last_id = cursor
                found = session.get(OutboxCursor, name)
                if found is None:
                    session.add(OutboxCursor(name=name, last_id=last_id))
                else:
                    found.last_id = last_id
                    session.add(found)
        return rows

    def _row(self, msg: QueuedMessage, now: dt.datetime) -> OutboxMessage:
        return OutboxMessage(
            created_at=as_utc(now),
            channel=msg.channel,
            kind=msg.kind,
            event_id=msg.event_id,
            severity=msg.severity,
            code=msg.code,
            source=msg.source,
            subject=msg.subject,
            body=msg.body,
            state=msg.state,
            not_before=as_utc(msg.not_before or now),
            done_at=None if msg.state in (OutboxState.PENDING, OutboxState.HELD) else now,
            last_error=msg.reason,
        )

    def head(self, channel: str) -> OutboxMessage | None:
        """The channel's oldest pending message (the only one that may be tried)."""
        query = (
            select(OutboxMessage)
            .where(
                col(OutboxMessage.channel) == channel,
                col(OutboxMessage.state) == OutboxState.PENDING,
            )
            .order_by(col(OutboxMessage.id))
            .limit(1)
        )
        with self.store.reading() as session:
            return session.exec(query).first()

    def release_held(self, channel: str, now: dt.datetime) -> int:
        """Held messages of ``channel`` whose time has come join the line (by their id)."""
        with self.store.writing() as session:
            rows = session.exec(
                select(OutboxMessage).where(
                    col(OutboxMessage.channel) == channel,
                    col(OutboxMessage.state) == OutboxState.HELD,
                    col(OutboxMessage.not_before) <= as_utc(now),
                )
            ).all()
            for row in rows:
                row.state = OutboxState.PENDING
                session.add(row)
        return len(rows)

    def pending(self, channel: str | None = None) -> list[OutboxMessage]:
        query = select(OutboxMessage).where(col(OutboxMessage.state) == OutboxState.PENDING)
        if channel is not None:
            query = query.where(col(OutboxMessage.channel) == channel)
        with self.store.reading() as session:
            return list(session.exec(query.order_by(col(OutboxMessage.id))))

    def messages(self, channel: str | None = None) -> list[OutboxMessage]:
        """Every message (of ``channel``), oldest first."""
        query = select(OutboxMessage)
        if channel is not None:
            query = query.where(col(OutboxMessage.channel) == channel)
        with self.store.reading() as session:
            return list(session.exec(query.order_by(col(OutboxMessage.id))))

    def _finish(self, msg_id: int, state: str, error: str | None = None) -> OutboxMessage:
        with self.store.writing() as session:
            row = session.get(OutboxMessage, msg_id)
            assert row is not None, msg_id
            row.state = state
            row.done_at = self.store.clock.now()
            if error is not None:
                row.last_error = error
            session.add(row)
        return row

    def mark_sent(self, msg_id: int) -> OutboxMessage:
        return self._finish(msg_id, OutboxState.SENT)

    def mark_suppressed(self, msg_id: int, reason: str) -> OutboxMessage:
        """A queued message withdrawn before delivery, ``reason`` kept as ``last_error``."""
        return self._finish(msg_id, OutboxState.SUPPRESSED, reason)

    def mark_expired(self, msg_id: int, error: str) -> OutboxMessage:
        return self._finish(msg_id, OutboxState.EXPIRED, error)

    def mark_failed(
        self, msg_id: int, error: str, retry_at: dt.datetime, now: dt.datetime
    ) -> OutboxMessage:
        """One more failed attempt at ``now``; the next no earlier than ``retry_at``."""
        with self.store.writing() as session:
            row = session.get(OutboxMessage, msg_id)
            assert row is not None, msg_id
            row.attempts += 1
            row.last_error = error
            row.not_before = as_utc(retry_at)
            if row.first_failure_at is None:
                row.first_failure_at = as_utc(now)
            session.add(row)
        return row

    def prune(self, before: dt.datetime) -> int:
        """Delete finished messages (sent, suppressed, expired) created before ``before``;
        their outcomes stay in the audit log. The number deleted."""
        finished = (OutboxState.SENT, OutboxState.SUPPRESSED, OutboxState.EXPIRED)
        with self.store.writing() as session:
            rows = session.exec(
                select(OutboxMessage).where(
                    col(OutboxMessage.state).in_(finished),
                    col(OutboxMessage.created_at) < as_utc(before),
                )
            ).all()
            for row in rows:
                session.delete(row)
        return len(rows)

    def count_since(self, channel: str, since: dt.datetime, *, states: tuple[str, ...]) -> int:
        """Messages of ``channel`` created at or after ``since`` in one of ``states``."""
        query = select(func.count()).where(
            col(OutboxMessage.channel) == channel,
            col(OutboxMessage.created_at) >= as_utc(since),
            col(OutboxMessage.state).in_(states),
        )
        with self.store.reading() as session:
            return int(session.exec(query).one())

    def count_kind_since(self, kind: str, since: dt.datetime) -> int:
        """Messages of ``kind`` (any channel, any state) created at or after ``since``."""
        query = select(func.count()).where(
            col(OutboxMessage.kind) == kind, col(OutboxMessage.created_at) >= as_utc(since)
        )
        with self.store.reading() as session:
            return int(session.exec(query).one())

    def last_for(
        self, channel: str, code: str, source: str, *, message: str | None = None
    ) -> OutboxMessage | None:
        """The newest message of ``channel`` about ``code`` at ``source``, not suppressed;
        with ``message``, only one about an event with that very message."""
        query = select(OutboxMessage).where(
            col(OutboxMessage.channel) == channel,
            col(OutboxMessage.code) == code,
            col(OutboxMessage.source) == source,
            col(OutboxMessage.state) != OutboxState.SUPPRESSED,
            col(OutboxMessage.kind) == "alarm",
        )
        if message is not None:
            query = query.join(Event, col(Event.id) == col(OutboxMessage.event_id)).where(
                col(Event.message) == message
            )
        query = query.order_by(col(OutboxMessage.id).desc()).limit(1)
        with self.store.reading() as session:
            return session.exec(query).first()

    def escalated(self, event_id: int) -> bool:
        query = select(func.count()).where(
            col(OutboxMessage.event_id) == event_id, col(OutboxMessage.kind) == "escalation"
        )
        with self.store.reading() as session:
            return int(session.exec(query).one()) > 0

    def acknowledged(self, event_id: int) -> bool:
        """Has event ``event_id`` been acknowledged (false for an event not stored)?"""
        with self.store.reading() as session:
            event = session.get(Event, event_id)
            return event is not None and event.acked_at is not None

    def answered_since(
        self, since: dt.datetime, sent_after: dt.datetime
    ) -> list[tuple[OutboxMessage, Event]]:
        """Alarm messages sent (created at or after ``sent_after``) whose event was
        acknowledged at or after ``since`` and whose channel has not been told so yet,
        with their event; oldest acknowledgement first."""
        said = aliased(OutboxMessage)
        told = select(said.id).where(
            said.kind == "acknowledged",
            said.event_id == OutboxMessage.event_id,
            said.channel == OutboxMessage.channel,
        )
        query = (
            select(OutboxMessage, Event)
            .join(Event, col(Event.id) == col(OutboxMessage.event_id))
            .where(
                col(OutboxMessage.kind) == "alarm",
                col(OutboxMessage.state) == OutboxState.SENT,
                col(OutboxMessage.created_at) >= as_utc(sent_after),
                col(Event.acked_at) >= as_utc(since),
                ~told.exists(),
            )
            .order_by(col(Event.acked_at), col(OutboxMessage.id))
        )
        with self.store.reading() as session:
            return [(m, e) for m, e in session.exec(query)]

    # -- the events cursor ---------------------------------------------------------
    def cursor(self, name: str) -> int | None:
        with self.store.reading() as session:
            row = session.get(OutboxCursor, name)
            return None if row is None else row.last_id

    def set_cursor(self, name: str, last_id: int) -> None:
        self.add_many([], cursor=(name, last_id))

    def events_after(self, after_id: int, limit: int = 200) -> list[Event]:
        """Events with an id above ``after_id``, in id order."""
        query = select(Event).where(col(Event.id) > after_id).order_by(col(Event.id)).limit(limit)
        with self.store.reading() as session:
            return list(session.exec(query))

    def last_event_id(self) -> int:
        with self.store.reading() as session:
            return int(session.exec(select(func.max(Event.id))).one() or 0)
