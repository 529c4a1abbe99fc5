"""The water-balance report as JSON, for the office to feed elsewhere (``qanat report
--json``).

One document::

    {"start": "2026-04-20", "end": "2026-07-17", "season": true,
     "baseline_practice": "border irrigation of seed corn as surveyed in Zhangye …",
     "rows": [{"site": "ganzhou-01", "zone": "z1", "area_mu": 25.0, "days": 89,
               "metered_m3": 3012.5, …, "saving_m3_per_mu": 120.4,
               "fertilizer_kg_per_mu": {"N": 12.0}, "baseline_practice": "…"}, …],
     "notes": […], "warnings": […]}

``rows`` are the CSV's lines (:func:`controller.office.report.report_rows`): one object per
zone and one per site (``"zone": "*"``: area-weighted depths, summed volumes), the unit in
each key (``_mm``, ``_m3``, ``_m3_per_mu``, ``_kg_per_mu``, ``area_mu``), numbers rounded to
3 decimals, and each naming the baseline practice its baseline and saving count against.
A saving where nothing is known of the water used is ``null`` (the CSV's empty cell); the
fertilizer is an object of kg/mu by nutrient. ``season``: the whole stored season (the
winter irrigation in the baseline), not a day range. ``warnings``: what makes figures
incomplete or old (the CLI also says them on stderr); ``notes``: the report's footnotes.
"""

from __future__ import annotations

import json

from controller.office.report import Report, report_rows

__all__ = ["to_json"]


def to_json(report: Report) -> str:
    """``report`` as one JSON document (UTF-8 text, a newline at its end)."""
    document = {
        "start": report.start.isoformat(),
        "end": report.end.isoformat(),
        "season": report.season,
        "baseline_practice": report.practice,
        "rows": report_rows(report),
        "notes": report.notes,
        "warnings": report.warnings,
    }
    return json.dumps(document, ensure_ascii=False, indent=2, allow_nan=False) + "\n"
