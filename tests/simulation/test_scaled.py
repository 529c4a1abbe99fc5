"""The demo site grown to scale: too few field bus ports are refused, counted in words."""

from __future__ import annotations

import pytest

from controller.simulation.scaled import ZONES_PER_FIELD_BUS, scaled_site_text


@pytest.mark.parametrize(
    ("extra", "ports"), [(1, "1 more field bus port"), (2, "2 more field bus ports")]
)
def test_too_few_field_ports_are_counted_in_words(extra: int, ports: str) -> None:
    zones = 1 + extra * ZONES_PER_FIELD_BUS
    with pytest.raises(ValueError, match=f"^{zones} zones need {ports}, got 0$"):
        scaled_site_text("", zones, [])
