"""A site-file key the settings and soil pages' forms set, named as the page labels its
field: a schema problem about ``zones.z1.soil_fc_m3m3`` says "field capacity (m³/m³) of
zone z1" (the catalog's ``soil.fc``) beside the form, not the key path; a crop period's MAD
(``crops.seed_corn.stages.vegetative.mad``, the crop form's) names the crop and the period.
A key no form of theirs sets keeps its key path, as the site file, the CLI and the API name
every key.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from controller.errors import CodedProblem
from web.i18n import catalog, translate

__all__ = ["POLICY_FIELDS", "ZONE_FIELDS", "labelled", "page_field"]

# a zone's key -> the catalog's label of its field (the zone form's, the soil approval's)
ZONE_FIELDS: Mapping[str, str] = {
    "crop": "settings.crop",
    "planting_date": "settings.planting_date",
    "mode": "settings.mode",
    "mad_fraction": "settings.mad_fraction",
    "targets": "settings.targets",
    "soil_fc_m3m3": "soil.fc",
    "soil_wp_m3m3": "soil.wp",
    "kc_factor": "soil.kc",
    "calibration_dry_down": "soil.dry_down_fraction",
}
# a crop period's MAD as the crop form sets it (``[crops.<crop>.stages.<period>] mad``)
_PERIOD_MAD = re.compile(r"^crops\.([^.]+)\.stages\.([^.]+)\.mad$")
# a key path of the decision thresholds' form -> the catalog's label of its field
POLICY_FIELDS: Mapping[str, str] = {
    "policy.probe_weight": "settings.probe_weight",
    "policy.rain_skip_mm": "settings.rain_skip_mm",
}


def page_field(locale: str, values: Mapping[str, str]) -> str | None:
    """The field a problem's ``values`` name (``field``, a key path, and ``zone``) as the
    page labels it in ``locale``; ``None`` for a key no form sets."""
    path = values.get("field", "")
    period = _PERIOD_MAD.match(path)
    if period is not None:  # the crop form's MAD of a period: the crop and period by name
        crop, name = period.groups()
        return translate(
            locale,
            "site_check.period_field",
            crop=_named(locale, "crop.", crop),
            period=_named(locale, "period.", name),
        )
    zone = values.get("zone")
    if zone is not None and path.startswith(prefix := f"zones.{zone}."):
        key = ZONE_FIELDS.get(path.removeprefix(prefix))
        if key is None:
            return None
        return translate(locale, "site_check.zone_field", zone=zone, label=translate(locale, key))
    key = POLICY_FIELDS.get(path)
    return None if key is None else translate(locale, key)


def _named(locale: str, prefix: str, key: str) -> str:
    """A crop or a period by its name in ``locale``, else its key."""
    return catalog(locale).get(prefix + key, key)


def labelled(locale: str, coded: CodedProblem) -> CodedProblem:
    """``coded`` with its ``field`` named as the page labels it, where a form sets it."""
    label = page_field(locale, coded.values)
    if label is None:
        return coded
    return CodedProblem(coded.text, coded.code, {**coded.values, "field": label})
