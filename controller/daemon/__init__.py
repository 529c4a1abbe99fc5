"""The composition root: the daemon that wires runtime and agronomy, and its service.

``daemon`` builds the parts, starts fail-safe, schedules the jobs (apscheduler, or a virtual
clock); ``service`` is the daemon as the web layer sees it, implementing ``protocol``;
``views`` turns store rows and live state into the protocol's read models.

May import: runtime, agronomy, config, store, clock, apscheduler. Never office, simulation,
cli or web.
"""
