"""A fertigation run with a recipe started through the API: the name reaches the service, an
unknown name is a 422 naming ``recipe``, the daemon's refusals a 409, a viewer is refused."""

from __future__ import annotations

import pytest

from controller.daemon.protocol import ControlRefused
from tests.helpers.asgi import AsgiClient
from tests.helpers.fakes import FakeControlService

API = "/api/v1"


def test_a_recipe_reaches_the_service(
    client: AsgiClient, tokens: dict[str, str], service: FakeControlService
) -> None:
    service.recipes = ["jointing"]
    body = {"minutes": 90, "recipe": "jointing"}
    r = client.post(f"{API}/zones/z2/start", token=tokens["technician"], json=body)
    assert r.status_code == 201, r.json()
    assert service.calls == [
        ("start_zone", {"zone": "z2", "minutes": 90.0, "actor": "tian", "recipe": "jointing"})
    ]


@pytest.mark.parametrize(
    "recipe",
    ["tassel", "x" * 65, 7],  # not the site's, longer than any name, no text
)
def test_a_recipe_the_site_has_not_is_a_422_naming_it(
    client: AsgiClient, tokens: dict[str, str], service: FakeControlService, recipe: object
) -> None:
    service.recipes = ["jointing"]
    body = {"minutes": 90, "recipe": recipe}
    r = client.post(f"{API}/zones/z2/start", token=tokens["technician"], json=body)
    assert r.status_code == 422, r.json()
    (detail,) = r.json()["detail"]
    assert detail["loc"] == ["body", "recipe"], detail
    assert service.calls == []


@pytest.mark.parametrize(
    "code", ["no_channels", "too_short_for_recipe", "recipe_by_volume", "already_running"]
)
def test_a_recipe_run_the_daemon_refuses_is_a_409_with_its_code(
    client: AsgiClient, tokens: dict[str, str], service: FakeControlService, code: str
) -> None:
    service.recipes = ["jointing"]
    service.refuse = ControlRefused(f"zone z2 not started ({code})", code)
    body = {"minutes": 30, "recipe": "jointing"}
    r = client.post(f"{API}/zones/z2/start", token=tokens["technician"], json=body)
    assert r.status_code == 409
    assert r.json() == {
        "detail": f"zone z2 not started ({code})",
        "code": code,
        "reason_code": code,
    }


def test_a_viewer_cannot_start_a_recipe_run(
    client: AsgiClient, tokens: dict[str, str], service: FakeControlService
) -> None:
    service.recipes = ["jointing"]
    body = {"minutes": 90, "recipe": "jointing"}
    r = client.post(f"{API}/zones/z2/start", token=tokens["viewer"], json=body)
    assert r.status_code == 403
    assert service.calls == []
