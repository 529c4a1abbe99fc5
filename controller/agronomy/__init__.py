"""Agronomy: what the crop needs and when to give it.

``weather`` (daily station weather, ET0), ``jobs`` (the daily water balance per zone and the
agronomy jobs), ``planning`` (runs per zone mode: et, sensor, calendar, manual),
``plausibility`` (probes and station doubted, quarantined until acknowledged), ``types``,
``baseline`` (conventional practice), ``fertplan`` and ``fertruns`` (fertigation by crop
stage), ``savings`` (the ledger against the baseline).

May import: models, controller.config, controller.store, controller.clock, and runtime's
types (the recipe a run carries). Never office, simulation, cli or web.
"""
