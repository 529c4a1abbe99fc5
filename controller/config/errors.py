"""The config room's one error: a file refused, with every problem found."""

from __future__ import annotations

from controller.errors import ProblemsError

__all__ = ["ConfigError"]


class ConfigError(ProblemsError):
    """The site configuration is invalid; ``problems`` lists every problem found."""
