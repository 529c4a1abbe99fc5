"""A zone's decisions and its runs' end reasons in the page's language.

The box records both in English (the record stays as it is); the pages say them from their
codes: a decision's ``reasons`` with its ``reason_values`` (``et`` zones: the planner's
:class:`models.planner.ReasonCode`; the other modes:
:class:`controller.agronomy.decision_codes.DecisionCode`), catalog table ``reason_code``; a
run's ``end_reason`` read back into coded parts (:func:`controller.runtime.end_reasons.end_parts`),
catalog table ``end_reason``. A code the catalog lacks, or a record without codes (written
before they were), is shown as recorded.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from controller.runtime.end_reasons import end_parts
from web.i18n import catalog, translate
from web.pages.format import Formatter

__all__ = ["decision_said", "end_said", "reasons_said"]

# values that are times in ISO 8601, shown as the page shows times
_TIMES = ("until",)


def reasons_said(locale: str, codes: Sequence[str], values: Mapping[str, Any]) -> str | None:
    """``codes`` said in ``locale`` with ``values``, joined by ``"; "``; ``None`` when there
    are none or one lacks a catalog entry (then the record is shown instead)."""
    known = catalog(locale)
    if not codes or any(f"reason_code.{c}" not in known for c in codes):
        return None
    return "; ".join(translate(locale, f"reason_code.{c}", **values) for c in codes)


def decision_said(locale: str, inputs: Mapping[str, Any]) -> str | None:
    """A decision (its recorded ``inputs``) said from its codes, or ``None``."""
    codes = inputs.get("reasons") or ([inputs["reason"]] if inputs.get("reason") else [])
    if not isinstance(codes, list) or not all(isinstance(c, str) for c in codes):
        return None
    values = inputs.get("reason_values")
    return reasons_said(locale, codes, values if isinstance(values, Mapping) else {})


def _value(fmt: Formatter, name: str, value: str) -> str:
    if name in _TIMES:
        try:
            return fmt.time(datetime.fromisoformat(value))
        except ValueError:
            return value
    return value


def end_said(fmt: Formatter, end_reason: str) -> str | None:
    """A run's ``end_reason`` said part by part in ``fmt``'s locale (a part no code knows as
    recorded); ``None`` when no part has a code."""
    parts = end_parts(end_reason)
    if not any(p.code for p in parts):
        return None
    known = catalog(fmt.locale)
    out = []
    for part in parts:
        key = f"end_reason.{part.code}"
        if not part.code or key not in known:
            out.append(part.text)
            continue
        values = {k: _value(fmt, k, v) for k, v in part.values.items()}
        out.append(translate(fmt.locale, key, **values))
    return "; ".join(out)
