"""The site file: its schema and whole-site cross-checks, page overrides, bundled examples.

``site`` loads and validates ``site.toml`` (every problem with its key path and file);
``fields`` holds the bounded value types it shares (dates, times, hosts, limits);
``tomlfile`` reads a TOML file a person wrote under limits (size, UTF-8, nesting);
``overrides`` keeps what the pages change in ``site.overrides.toml``; ``errors`` holds
``ConfigError``; ``examples/`` holds the example sites shipped in the package. May import:
drivers (device profiles), models (crop and soil libraries), stdlib, pydantic; of controller,
only its error roots.
"""
