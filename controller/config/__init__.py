"""The site file: its schema and whole-site cross-checks, page overrides, bundled examples.

``site`` loads and validates ``site.toml`` (every problem with its key path and file);
``overrides`` keeps what the pages change in ``site.overrides.toml``; ``examples/`` holds the
example sites shipped in the package. May import: drivers (device profiles), models (crop and
soil libraries), stdlib, pydantic. Nothing else from controller.
"""
