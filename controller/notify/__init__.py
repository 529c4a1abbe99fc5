"""Alarms that reach people: chat webhooks (WeCom, DingTalk, Feishu) and email.

:class:`~controller.notify.notifier.Notifier` reads the store's events (it never touches
the control loop), queues a message per channel in the store's outbox
(:mod:`controller.store.outbox`) under each channel's rules (severity, quiet hours, rate,
duplicates), and delivers from its own thread, in order, retrying with back-off across
restarts; every outcome is written to the audit log.
"""
