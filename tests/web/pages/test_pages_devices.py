"""A device's kind on /devices in the page's language, and every kind a profile can have
labelled in both catalogs."""

from __future__ import annotations

import tomllib
from dataclasses import replace
from typing import Any

import pytest

from drivers.profile import KIND_POINTS
from tests.helpers.pages import PageService, csrf_of
from tests.helpers.site import ROOT
from web.i18n import LOCALES, catalog


def _profile_kinds() -> set[str]:
    kinds = set()
    for path in (ROOT / "drivers" / "profiles").rglob("*.toml"):
        with path.open("rb") as f:
            kinds.add(tomllib.load(f)["device"]["kind"])
    return kinds


@pytest.mark.parametrize("locale", sorted(LOCALES))
def test_every_device_kind_has_a_label(locale: str) -> None:
    kinds = set(KIND_POINTS) | _profile_kinds()
    assert "soil_probe" in kinds and "relay" in kinds  # the profiles were read
    names = catalog(locale)
    assert sorted(k for k in kinds if f"device_kind.{k}" not in names) == []


@pytest.mark.parametrize(("lang", "label"), [("zh-CN", "土壤墒情探头"), ("en", "soil probe")])
def test_devices_say_the_kind_in_the_page_language(
    as_role: Any, service: PageService, monkeypatch: pytest.MonkeyPatch, lang: str, label: str
) -> None:
    (device,) = service.devices()
    probe = replace(device, kind="soil_probe")
    monkeypatch.setattr(service, "devices", lambda: [probe])
    viewer = as_role("viewer")
    viewer.post("/lang", data={"lang": lang, "next": "/", "csrf": csrf_of(viewer)})
    page = viewer.get("/devices").text
    assert f'<span class="kind">{label}</span>' in page
