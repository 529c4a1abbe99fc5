"""The notifier: events → per-channel messages in the outbox → delivered, in order.

One pass (:meth:`Notifier.run_once`, every ``POLL_S`` on the notifier's own thread):

1. **route** — events committed since the cursor (``notify_cursor``) become one message
   per enabled channel whose ``min_severity`` they reach. A repeat of the same code at
   the same source (and, for :data:`~controller.notify.policy.DISTINCT_FAULT_CODES`, the
   same message) within ``dedup_min`` and messages beyond ``max_per_hour`` are written
   ``suppressed`` (critical ones are never rate-limited); a message inside the channel's
   quiet hours waits for their end unless it is critical. Messages and the cursor are
   committed together. On the very first start the cursor begins at the newest event:
   the history is not sent.
2. **escalate** — a latched alarm still unacknowledged ``escalate_after_min`` after it was
   raised is queued once more, as an escalation, to the channels with ``escalate``.
2b. **answer** — a channel that was sent an alarm is told once that it was acknowledged
   (by whom, when) or cleared (acknowledged by the box itself: the clock trusted again);
   alarms sent within ``ANSWERED_WITHIN``.
3. **deliver** — each channel's oldest pending message is tried when due (an escalation
   whose alarm was acknowledged meanwhile — the channel was down, or in quiet hours — is
   ``suppressed`` instead: it would say "unacknowledged"); success marks it ``sent``,
   failure schedules the next try with back-off (5 s doubling up to ``retry_max_s``) and the
   later messages wait behind it. A message older than ``give_up_h`` is ``expired``. Every
   attempt's outcome is audited (actor ``notify``). A channel failing for
   ``channel_down_min`` raises the latched ``notify_channel_down`` alarm (its own messages
   skip that channel); its first success raises ``notify_channel_up``, sent to the channels
   that were told it was down whatever their ``min_severity``.

Finished messages older than ``KEEP_DAYS`` are deleted once an hour (the audit log keeps
their outcomes).

Network I/O happens only here, with each channel's timeout; the control loop never waits
for it. One worker delivers to every channel, one pass at a time (a lock around the pass):
a channel's messages leave strictly by their order in the outbox, and a final pass at stop
is skipped while the worker is still inside a delivery (a hung modem, say) rather than
run beside it. One worker rather than one per channel: the store is written by one
delivering thread, and a slow channel costs the others at most its ``timeout_s`` per
attempt, spaced by its back-off. Failures are logged once at ERROR, repeats at DEBUG,
recovery at INFO.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Mapping
from datetime import date, datetime, time, timedelta, tzinfo
from typing import TYPE_CHECKING, Any

from controller.clock import Clock
from controller.config.notify import ChannelConfig, NotifyConfig
from controller.notify.channel_events import CHANNEL_EVENTS
from controller.notify.channels import Sender, sender_for
from controller.notify.errors import DeliveryFailed, UnknownChannel
from controller.notify.messages import Catalog, catalog
from controller.notify.policy import (
    DISTINCT_FAULT_CODES,
    backoff_s,
    passes_severity,
    quiet_until,
)
from controller.store import Event, Severity, Store
from controller.store.outbox import Outbox, OutboxMessage, OutboxState, QueuedMessage

if TYPE_CHECKING:
    from controller.notify.summary import DaySummary

# (site-local day, now) -> that day's facts
SummaryFacts = Callable[[date, datetime], "DaySummary"]

__all__ = ["CHANNEL_DOWN", "CHANNEL_UP", "CURSOR", "POLL_S", "Notifier"]

log = logging.getLogger(__name__)

POLL_S = 1.0
CURSOR = "notify"
ACKED_CURSOR = "notify_acked"  # epoch seconds of the first start: none before it told
ANSWERED_WITHIN = timedelta(days=7)  # an alarm sent longer ago is not told acknowledged
# who acknowledges an alarm that ended by itself (the clock trusted again, a channel or the
# broker back): told as "cleared", anyone else as "acknowledged by"
CLEARING_ACTORS = frozenset({"clock", "notify", "mqtt"})
CHANNEL_DOWN = "notify_channel_down"
CHANNEL_UP = "notify_channel_up"
ACTOR = "notify"
MAX_PER_PASS = 20  # messages one channel may send in one pass (the others wait their turn)
KEEP_DAYS = 90  # finished messages are kept this long (their outcomes stay in the audit log)
PRUNE_EVERY = timedelta(hours=1)


class Notifier:
    """Routes the store's events to the configured channels and delivers them."""

    def __init__(
        self,
        config: NotifyConfig,
        store: Store,
        clock: Clock,
        *,
        site_name: str,
        tz: tzinfo,
        senders: Mapping[str, Sender] | None = None,
        summary: SummaryFacts | None = None,
    ) -> None:
        """``senders`` by channel name replace the configured ones (default: built from
        each channel's settings); ``summary`` gives the daily summary's facts (none: no
        summary, whatever ``summary_time`` says)."""
        self.config = config
        self.store = store
        self.clock = clock
        self.outbox = Outbox(store)
        self.site_name = site_name
        self.tz = tz
        self.catalog: Catalog = catalog(config.language)
        self.channels = [c for c in config.channels if c.enabled]
        given = dict(senders or {})
        self.summary = summary
        self.senders: dict[str, Sender] = {
            c.name: given.get(c.name) or sender_for(c) for c in self.channels
        }
        self._failing: set[str] = set()  # channels whose last attempt failed (logged once)
        self._down: set[str] = {
            e.source for e in store.open_alarms() if e.code == CHANNEL_DOWN
        }  # channels with an open down alarm
        self._stop = threading.Event()
        self._pass_lock = threading.Lock()  # one pass at a time, whoever runs it
        self._thread: threading.Thread | None = None
        self._pruned_at: datetime | None = None

    # -- life cycle -------------------------------------------------------------------
    def start(self) -> None:
        """Deliver from a thread of its own until :meth:`stop`."""
        if self._thread is not None:
            return
        if self.outbox.cursor(CURSOR) is None:  # now, so no event raised from here is "history"
            self.outbox.set_cursor(CURSOR, self.outbox.last_event_id())
        self._stop.clear()
        self._thread = threading.Thread(target=self._loop, name="qanat-notify", daemon=True)
        self._thread.start()

    def stop(self, timeout_s: float = 15.0, *, final_pass: bool = False) -> None:
        """Stop the thread (a delivery under way finishes or times out first); with
        ``final_pass``, route and try to deliver once more from the caller's thread,
        unless the thread is still inside a delivery after ``timeout_s``: then the pass
        is skipped (never two deliveries at once) and what is queued stays queued."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout_s)
            if not self._thread.is_alive():
                self._thread = None
        if not final_pass:
            return
        if not self._pass_lock.acquire(blocking=False):
            log.warning("a delivery is still under way: no final notification pass")
            return
        try:
            self._pass(self.clock.now())
        except Exception:  # stopping must go on; what is queued stays queued
            log.exception("final notification pass failed")
        finally:
            self._pass_lock.release()

    def _loop(self) -> None:
        while not self._stop.is_set():
            try:
                self.run_once()
            except Exception:  # the notifier must outlive a bad pass (store busy, a bug)
                log.exception("notification pass failed")
            self._stop.wait(POLL_S)

    def run_once(self, now: datetime | None = None) -> None:
        """One pass: route, escalate, summarize, deliver (waits for a pass under way)."""
        with self._pass_lock:
            self._pass(now if now is not None else self.clock.now())

    def _pass(self, now: datetime) -> None:
        self.route(now)
        self.escalate(now)
        self.answer(now)
        self.summarize(now)
        self.deliver(now)
        if self._pruned_at is None or now - self._pruned_at >= PRUNE_EVERY:
            self._pruned_at = now
            self.outbox.prune(now - timedelta(days=KEEP_DAYS))

    # -- 1. route ---------------------------------------------------------------------
    def route(self, now: datetime) -> int:
        """Queue the messages of events since the cursor; the number of events handled."""
        cursor = self.outbox.cursor(CURSOR)
        if cursor is None:  # first start: begin after the existing history
            self.outbox.set_cursor(CURSOR, self.outbox.last_event_id())
            return 0
        handled = 0
        while True:
            events = self.outbox.events_after(cursor)
            if not events:
                return handled
            for event in events:
                assert event.id is not None
                msgs = [m for ch in self.channels if (m := self._route_one(event, ch, now))]
                rows = self.outbox.add_many(msgs, now=now, cursor=(CURSOR, event.id))
                for row in rows:
                    if row.state == OutboxState.SUPPRESSED:
                        self._audit("notify.suppressed", row, reason=row.last_error or "")
                cursor = event.id
                handled += 1

    def _route_one(self, event: Event, ch: ChannelConfig, now: datetime) -> QueuedMessage | None:
        if _about(event, ch):
            return None  # a channel is not told about itself
        if not (passes_severity(ch, event.severity) or self._told_down(event, ch)):
            return None
        critical = event.severity == Severity.CRITICAL
        subject, body = self._alarm_text(event)
        state, reason = OutboxState.PENDING, ""
        same = event.message if event.code in DISTINCT_FAULT_CODES else None
        last = self.outbox.last_for(ch.name, event.code, event.source, message=same)
        if last is not None and event.time - last.created_at < timedelta(minutes=ch.dedup_min):
            state, reason = OutboxState.SUPPRESSED, f"repeat of message #{last.id}"
        elif not critical:
            sent = self.outbox.count_since(
                ch.name,
                now - timedelta(hours=1),
                states=(OutboxState.HELD, OutboxState.PENDING, OutboxState.SENT),
            )
            if sent >= ch.max_per_hour:
                state, reason = OutboxState.SUPPRESSED, f"over {ch.max_per_hour} an hour"
        not_before = None if critical else quiet_until(ch, now, self.tz)
        if not_before is not None and state == OutboxState.PENDING:
            state = OutboxState.HELD  # waits aside: a critical message is not held behind it
        msg = QueuedMessage(
            channel=ch.name,
            kind="alarm",
            severity=event.severity,
            code=event.code,
            source=event.source,
            subject=subject,
            body=body,
            event_id=event.id,
            state=state,
            not_before=not_before,
            reason=reason or None,
        )
        if reason:
            log.debug("channel %s: event #%s suppressed: %s", ch.name, event.id, reason)
        return msg

    def _told_down(self, event: Event, ch: ChannelConfig) -> bool:
        """Is ``event`` the return of a channel ``ch`` was told is down? Then ``ch`` hears
        of it whatever its ``min_severity`` (the return is only ``info``): else whoever read
        "channel down" would never learn it delivers again."""
        if event.code != CHANNEL_UP:
            return False
        return self.outbox.last_for(ch.name, CHANNEL_DOWN, event.source) is not None

    def _alarm_text(self, event: Event, escalated_min: float | None = None) -> tuple[str, str]:
        """(subject, body) of ``event`` in the site's language; its escalation with
        ``escalated_min`` (minutes unacknowledged)."""
        return self.catalog.alarm(
            site=self.site_name,
            severity=event.severity,
            code=event.code,
            source=event.source,
            message=event.message,
            time=event.time,
            tz=self.tz,
            event_id=event.id,
            escalated_min=escalated_min,
        )

    # -- 2. escalate ------------------------------------------------------------------
    def escalate(self, now: datetime) -> int:
        """Queue escalations of alarms unacknowledged too long; the number queued."""
        after = timedelta(minutes=self.config.escalate_after_min)
        queued = 0
        for event in self.store.open_alarms():
            assert event.id is not None
            if now - event.time < after or self.outbox.escalated(event.id):
                continue
            minutes = (now - event.time).total_seconds() / 60
            subject, body = self._alarm_text(event, escalated_min=minutes)
            msgs = [
                _of_event(event, ch.name, "escalation", subject, body)
                for ch in self.channels
                if ch.escalate and passes_severity(ch, event.severity) and not _about(event, ch)
            ]
            if not msgs:  # no channel takes it: mark it so it is not looked at again
                msgs = [
                    _of_event(event, "", "escalation", subject, body, state=OutboxState.SUPPRESSED)
                ]
            self.outbox.add_many(msgs, now=now)
            queued += len(msgs)
        return queued

    # -- 2b. acknowledged or cleared --------------------------------------------------
    def answer(self, now: datetime) -> int:
        """Tell each channel that was sent an alarm that it has been acknowledged (by a
        person) or cleared (by the box itself: :data:`CLEARING_ACTORS`); the number queued.

        Alarms sent within :data:`ANSWERED_WITHIN` only; a channel's down alarm is not (its
        return, ``notify_channel_up``, says it). On the first start the acknowledgements
        before it are not told. What was told is the outbox's own record (each channel's
        ``acknowledged`` message), not a moving mark: an alarm sent late (its channel down,
        quiet hours) after its acknowledgement is told it once it is sent, and a pass with
        nothing to tell writes nothing.
        """
        cursor = self.outbox.cursor(ACKED_CURSOR)
        if cursor is None:
            self.outbox.set_cursor(ACKED_CURSOR, int(now.timestamp()))
            return 0
        since = datetime.fromtimestamp(cursor, tz=now.tzinfo or self.tz)
        answered = self.outbox.answered_since(since, now - ANSWERED_WITHIN)
        msgs = []
        for sent, event in answered:
            assert event.acked_at is not None
            if event.code == CHANNEL_DOWN:
                continue
            subject, body = self.catalog.answered(
                site=self.site_name,
                code=event.code,
                source=event.source,
                who=event.acked_by or "",
                cleared=(event.acked_by or "") in CLEARING_ACTORS,
                time=event.acked_at,
                tz=self.tz,
                event_id=event.id,
            )
            ch = next((c for c in self.channels if c.name == sent.channel), None)
            if ch is None:
                continue
            not_before = quiet_until(ch, now, self.tz)
            held = OutboxState.HELD if not_before else OutboxState.PENDING
            msgs.append(
                _of_event(
                    event,
                    ch.name,
                    "acknowledged",
                    subject,
                    body,
                    severity=Severity.INFO,
                    state=held,
                    not_before=not_before,
                )
            )
        if msgs:
            self.outbox.add_many(msgs, now=now)
        return len(msgs)

    # -- daily summary ----------------------------------------------------------------
    def summarize(self, now: datetime) -> int:
        """Queue the day before's summary once a day from ``summary_time``; the number queued.

        A box that was off at that time sends it when it starts; never twice a day.
        """
        if self.config.summary_time is None or self.summary is None:
            return 0
        local = now.astimezone(self.tz)
        due = datetime.combine(local.date(), time.fromisoformat(self.config.summary_time), self.tz)
        if local < due or self.outbox.count_kind_since("summary", due) > 0:
            return 0
        facts = self.summary(local.date() - timedelta(days=1), now)
        subject, body = self.catalog.summary(site=self.site_name, facts=facts)
        msgs = [
            QueuedMessage(
                channel=ch.name,
                kind="summary",
                severity=Severity.INFO,
                code="daily_summary",
                source="site",
                subject=subject,
                body=body,
                state=OutboxState.HELD if quiet_until(ch, now, self.tz) else OutboxState.PENDING,
                not_before=quiet_until(ch, now, self.tz),
            )
            for ch in self.channels
            if ch.summary
        ]
        # with no channel taking it, a marker row keeps it from being built every second
        marker = QueuedMessage(
            channel="",
            kind="summary",
            severity=Severity.INFO,
            code="daily_summary",
            source="site",
            subject=subject,
            body=body,
            state=OutboxState.SUPPRESSED,
        )
        self.outbox.add_many(msgs or [marker], now=now)
        return len(msgs)

    # -- 3. deliver -------------------------------------------------------------------
    def deliver(self, now: datetime) -> int:
        """Try each channel's oldest due message; the number delivered."""
        delivered = 0
        for ch in self.channels:
            if self._stopping():
                break
            delivered += self._deliver_channel(ch, now)
        return delivered

    def _deliver_channel(self, ch: ChannelConfig, now: datetime) -> int:
        """Deliver the channel's due messages oldest first; stop at the first failure."""
        self.outbox.release_held(ch.name, now)
        give_up = timedelta(hours=self.config.give_up_h)
        delivered = 0
        for _ in range(MAX_PER_PASS):
            if self._stopping():
                break
            head = self.outbox.head(ch.name)
            if head is None:
                break
            assert head.id is not None
            if now - head.created_at > give_up:
                row = self.outbox.mark_expired(head.id, head.last_error or "not delivered")
                self._audit("notify.expired", row, error=row.last_error or "")
                continue  # the next one may be young enough
            if head.not_before > now:
                self._check_down(ch, head, now)
                break
            if self._answered(head):
                row = self.outbox.mark_suppressed(head.id, "alarm acknowledged before delivery")
                self._audit("notify.suppressed", row, reason=row.last_error or "")
                continue  # "N min unacknowledged" would be untrue by now
            if not self._attempt(ch, head, now):
                break
            delivered += 1
        return delivered

    def _answered(self, msg: OutboxMessage) -> bool:
        """Is ``msg`` an escalation of an alarm acknowledged since it was queued?"""
        if msg.kind != "escalation" or msg.event_id is None:
            return False
        return self.outbox.acknowledged(msg.event_id)

    def _stopping(self) -> bool:
        """The worker was asked to stop (the final pass, in the caller's thread, goes on)."""
        return self._stop.is_set() and threading.current_thread() is self._thread

    def _attempt(self, ch: ChannelConfig, msg: OutboxMessage, now: datetime) -> bool:
        assert msg.id is not None
        try:
            try:
                partial = self.senders[ch.name].send(msg.subject, msg.body, message_id=msg.id)
            except DeliveryFailed:
                raise
            except Exception as exc:  # a sender's bug must not stall the line unlogged
                log.exception("channel %s: unexpected error sending #%s", ch.name, msg.id)
                raise DeliveryFailed(f"unexpected error: {exc!r}") from exc
        except DeliveryFailed as exc:
            retry = now + timedelta(seconds=backoff_s(msg.attempts + 1, self.config.retry_max_s))
            row = self.outbox.mark_failed(msg.id, str(exc), retry, now)
            self._audit("notify.failed", row, error=str(exc), retry_at=retry.isoformat())
            if ch.name in self._failing:
                log.debug("channel %s still failing: %s", ch.name, exc)
            else:
                self._failing.add(ch.name)
                log.error("channel %s: message #%s not delivered: %s", ch.name, msg.id, exc)
            self._check_down(ch, row, now)
            return False
        row = self.outbox.mark_sent(msg.id)
        if partial:  # taken, not for everyone: said, not retried (no one gets it twice)
            self._audit("notify.sent", row, not_delivered=partial)
            log.warning("channel %s: message #%s sent, but %s", ch.name, msg.id, partial)
        else:
            self._audit("notify.sent", row)
        if ch.name in self._failing:
            self._failing.discard(ch.name)
            log.info("channel %s delivers again", ch.name)
        if ch.name in self._down:
            self._down.discard(ch.name)
            for alarm in self.store.open_alarms():
                if alarm.code == CHANNEL_DOWN and alarm.source == ch.name and alarm.id:
                    self.store.ack_event(alarm.id, ACTOR)
            said = CHANNEL_EVENTS[CHANNEL_UP].format(channel=ch.name)
            self.store.raise_event(Severity.INFO, CHANNEL_UP, ch.name, said)
        return True

    def _check_down(self, ch: ChannelConfig, row: OutboxMessage, now: datetime) -> None:
        if ch.name in self._down or row.first_failure_at is None:
            return
        if now - row.first_failure_at < timedelta(minutes=self.config.channel_down_min):
            return
        self._down.add(ch.name)
        self.store.raise_event(
            Severity.ALARM,
            CHANNEL_DOWN,
            ch.name,
            CHANNEL_EVENTS[CHANNEL_DOWN].format(
                channel=ch.name,
                kind=ch.kind,
                since=row.first_failure_at.isoformat(timespec="seconds"),
                error=row.last_error,
            ),
            latched=True,
        )

    # -- test -------------------------------------------------------------------------
    def send_test(self, channel: str) -> None:
        """Send a test message to ``channel`` now, bypassing the queue; audited.

        :class:`UnknownChannel` if there is no enabled channel of that name;
        :class:`DeliveryFailed` if it did not take the message.
        """
        if channel not in self.senders:
            if any(c.name == channel for c in self.config.channels):
                raise UnknownChannel(
                    f"channel {channel!r} is disabled (enabled = false in [notify]): "
                    "enable it to test it"
                )
            known = ", ".join(sorted(self.senders)) or "none"
            raise UnknownChannel(f"no enabled channel {channel!r} in [notify] (known: {known})")
        now = self.clock.now()
        subject, body = self.catalog.test(
            site=self.site_name, channel=channel, time=now, tz=self.tz
        )
        try:
            self.senders[channel].send(subject, body)
        except DeliveryFailed as exc:
            self.store.record_audit(
                ACTOR, "notify.test_failed", {"channel": channel, "error": str(exc)}
            )
            raise
        self.store.record_audit(ACTOR, "notify.test_sent", {"channel": channel})

    def _audit(self, action: str, row: OutboxMessage, **extra: object) -> None:
        detail: dict[str, object] = {
            "message": row.id,
            "channel": row.channel,
            "kind": row.kind,
            "event": row.event_id,
            "code": row.code,
            "attempts": row.attempts,
        }
        self.store.record_audit(ACTOR, action, detail | extra)


def _of_event(
    event: Event, channel: str, kind: str, subject: str, body: str, **more: Any
) -> QueuedMessage:
    """A message of ``kind`` about ``event`` for ``channel`` (its severity unless ``more``
    says another, with ``state`` and ``not_before`` when given)."""
    fields: dict[str, Any] = {"severity": event.severity} | more
    return QueuedMessage(
        channel=channel,
        kind=kind,
        code=event.code,
        source=event.source,
        subject=subject,
        body=body,
        event_id=event.id,
        **fields,
    )


def _about(event: Event, ch: ChannelConfig) -> bool:
    """Is ``event`` the notifier's own alarm about ``ch``? (A channel is not told.)"""
    return event.code in (CHANNEL_DOWN, CHANNEL_UP) and event.source == ch.name
