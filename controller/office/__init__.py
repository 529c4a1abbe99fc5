"""The central office's side: export rows (served by each box), pull, central database, reports.

``export`` reads the box's log tables for the export API; ``pull`` brings many boxes into one
database (SQLite or PostgreSQL, ``central/``); ``report*`` builds water-balance reports (CSV,
HTML with SVG charts). May import: store, config, agronomy (baseline, savings). Runs on the
office's machine except ``export``.
"""
