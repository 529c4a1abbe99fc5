"""The records' words (controller.said.words): one catalog per language, a clear error for
another."""

from __future__ import annotations

import pytest

from controller.said.words import LANGUAGES, UnknownLanguage, fill, words
from drivers.transport import BUS_CAUSES


def test_both_languages_have_the_same_keys() -> None:
    zh, en = (words(language) for language in LANGUAGES)
    assert sorted(set(zh) ^ set(en)) == []
    assert "device_event.device_offline" in zh


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_cause_a_bus_can_carry_is_said(language: str) -> None:
    said = words(language)
    assert "connection_refused" in BUS_CAUSES
    assert sorted(c for c in BUS_CAUSES if f"bus_cause.{c}" not in said) == []


def test_an_unknown_language_is_named() -> None:
    with pytest.raises(UnknownLanguage, match="'fr'"):
        words("fr")


def test_a_template_naming_a_value_the_record_lacks_is_kept_as_written() -> None:
    assert fill("{zone} on {on_min} min", {"zone": "z1", "on_min": "5"}) == "z1 on 5 min"
    assert fill("{zone} on {on_min} min", {"zone": "z1"}) == "{zone} on {on_min} min"
