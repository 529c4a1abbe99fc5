"""Every event code the code base can raise has a title in both notification catalogs, so
a notification never names an alarm by its bare code."""

from __future__ import annotations

import pytest

from controller.notify.messages import catalog
from tests.helpers.alarm_codes import event_codes


@pytest.mark.parametrize("language", ["zh_CN", "en"])
def test_every_event_code_has_a_notification_title(language: str) -> None:
    titles = catalog(language).data["codes"]
    assert sorted(c for c in event_codes() if c not in titles) == []
