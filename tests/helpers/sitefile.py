"""A site file's text written to the test's folder and loaded, or refused: for the tests of
one part of the site file (:func:`controller.config.site.load_site`)."""

from __future__ import annotations

from pathlib import Path

import pytest

from controller.config.site import ConfigError, SiteConfig, load_site

__all__ = ["load_text", "problems_of"]


def load_text(tmp_path: Path, text: str) -> SiteConfig:
    """``text`` written as ``tmp_path/site.toml`` and loaded."""
    path = tmp_path / "site.toml"
    path.write_text(text, encoding="utf-8")
    return load_site(path)


def problems_of(tmp_path: Path, text: str) -> list[str]:
    """The problems :class:`ConfigError` lists for ``text``; fails the test if it loads."""
    with pytest.raises(ConfigError) as info:
        load_text(tmp_path, text)
    return info.value.problems
