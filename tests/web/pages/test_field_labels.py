"""The site-file keys the settings and soil pages name by their form field's label: each a
key the pages may set, each label in both catalogs, the zone named with it."""

from __future__ import annotations

import pytest

from controller.config.site import EDITABLE
from controller.errors import CodedProblem
from web.i18n import LOCALES, catalog
from web.pages.field_labels import POLICY_FIELDS, ZONE_FIELDS, labelled, page_field


def test_every_labelled_key_is_one_the_pages_may_set() -> None:
    assert set(ZONE_FIELDS) <= set(EDITABLE["zones"])
    assert {p.removeprefix("policy.") for p in POLICY_FIELDS} == set(EDITABLE["policy"])


@pytest.mark.parametrize("locale", sorted(LOCALES))
def test_every_label_is_in_the_catalog(locale: str) -> None:
    names = catalog(locale)
    assert [k for k in (*ZONE_FIELDS.values(), *POLICY_FIELDS.values()) if k not in names] == []


def test_a_zone_key_is_named_with_its_zone_and_others_keep_their_path() -> None:
    fc = {"field": "zones.z.1.soil_wp_m3m3", "zone": "z.1"}  # a dot in the zone's name
    assert page_field("zh-CN", fc) == "地块 z.1 的凋萎点 (m³/m³)"
    assert page_field("en", fc) == "Wilting point (m³/m³) of zone z.1"
    assert page_field("en", {"field": "zones.z1.label", "zone": "z1"}) is None
    assert page_field("en", {"field": "zones[3].kc_factor"}) is None  # a zone without a name
    assert (
        page_field("en", {"field": "policy.rain_skip_mm"}) == catalog("en")["settings.rain_skip_mm"]
    )
    coded = CodedProblem("line", "schema.missing", {"field": "weather.station"})
    assert labelled("zh-CN", coded) is coded
