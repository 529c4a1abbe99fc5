"""The schema's problems coded for the pages (``controller/config/schema_problems.py``): a
bound or a type refused by pydantic, and a zone's own soil checks, keep their English line
and also carry a message code naming the field, a zone by its name."""

from __future__ import annotations

from typing import Any

import pytest

from controller.config.site import ConfigError, SiteConfig, apply_overrides, load_site
from controller.errors import CodedProblem
from tests.helpers.site import DEMO_SITE


@pytest.fixture(scope="module")
def site() -> SiteConfig:
    return load_site(DEMO_SITE)


def refused(site: SiteConfig, changes: dict[str, Any]) -> ConfigError:
    with pytest.raises(ConfigError) as caught:
        apply_overrides(site, changes)
    return caught.value


def test_a_bound_is_coded_with_its_field_by_zone_name_and_its_limit(site: SiteConfig) -> None:
    exc = refused(site, {"zones": {"z2": {"kc_factor": 1.5}}})
    [line] = exc.problems
    assert line.startswith("zones[1].kc_factor: Input should be less than or equal to 1.3")
    assert list(exc.coded) == [
        CodedProblem(
            line,
            "schema.less_than_equal",
            {"field": "zones.z2.kc_factor", "zone": "z2", "le": "1.3"},
        )
    ]


def test_a_lower_bound_and_a_type_are_coded_too(site: SiteConfig) -> None:
    exc = refused(site, {"policy": {"probe_weight": -0.5, "rain_skip_mm": "wet"}})
    codes = {c.code: dict(c.values) for c in exc.coded}
    assert codes == {
        "schema.greater_than_equal": {"field": "policy.probe_weight", "ge": "0"},
        "schema.float_type": {"field": "policy.rain_skip_mm"},
    }
    assert len(exc.problems) == 2 and {c.text for c in exc.coded} == set(exc.problems)


def test_the_soil_checks_of_a_zone_are_coded_with_their_values(site: SiteConfig) -> None:
    exc = refused(site, {"zones": {"z1": {"soil_fc_m3m3": 0.2, "soil_wp_m3m3": 0.19}}})
    [line] = exc.problems
    assert line == (
        "zones[0]: soil_fc_m3m3 0.2 must exceed soil_wp_m3m3 0.19 by 0.02 (site.overrides.toml)"
    )  # the site file's wording, as before
    [coded] = exc.coded
    assert coded.code == "zone.soil_margin"
    assert dict(coded.values) == {
        "field": "zones.z1",
        "zone": "z1",
        "fc": "0.2",
        "wp": "0.19",
        "margin": "0.02",
    }
    exc = refused(site, {"zones": {"z1": {"soil_fc_m3m3": 0.3}}})
    assert [(c.code, c.values["zone"]) for c in exc.coded] == [("zone.soil_pair", "z1")]
