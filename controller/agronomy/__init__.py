"""Agronomy: what the crop needs and when to give it.

``weather`` (daily station weather, ET0), ``jobs`` (the daily water balance per zone and the
agronomy jobs), ``planning`` (runs per zone mode: et, sensor, calendar, manual),
``plausibility`` (probes and station doubted, quarantined until acknowledged), ``types``,
``baseline`` (conventional practice), ``fertplan`` and ``fertruns`` (fertigation by crop
stage), ``savings`` (the ledger against the baseline), ``quota`` (the year's water quota:
used, need to harvest, pace, the pages' view, the daemon's queue kept within it) and
``quota_plan`` (what the quota changes in a plan: triggers, runs cut, alarms).

May import: models, controller.config, controller.store, controller.clock, and runtime's
types (the recipe a run carries). Never office, simulation, cli or web.
"""
