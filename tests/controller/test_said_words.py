"""The records' words (controller.said.words): one catalog per language, a clear error for
another."""

from __future__ import annotations

import pytest

from controller.said.words import LANGUAGES, UnknownLanguage, fill, words


def test_both_languages_have_the_same_keys() -> None:
    zh, en = (words(language) for language in LANGUAGES)
    assert sorted(set(zh) ^ set(en)) == []
    assert "device_event.device_offline" in zh


def test_an_unknown_language_is_named() -> None:
    with pytest.raises(UnknownLanguage, match="'fr'"):
        words("fr")


def test_a_template_naming_a_value_the_record_lacks_is_kept_as_written() -> None:
    assert fill("{zone} on {on_min} min", {"zone": "z1", "on_min": "5"}) == "z1 on 5 min"
    assert fill("{zone} on {on_min} min", {"zone": "z1"}) == "{zone} on {on_min} min"
