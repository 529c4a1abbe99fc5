"""The pull's forkserver preloads the caller's main module when it was run by name."""

from __future__ import annotations

import sys
import types
from importlib.machinery import ModuleSpec

import pytest

from controller.office import pull_pool


def _main(spec_name: str | None) -> types.ModuleType:
    main = types.ModuleType("__main__")
    main.__spec__ = None if spec_name is None else ModuleSpec(spec_name, None)
    return main


@pytest.mark.parametrize(
    ("spec_name", "preloaded"),
    [
        ("benchmarks.scale", ["controller.office.pull_forkserver", "benchmarks.scale"]),
        (None, []),  # a script run from a path: run again cheaply, never imported by name
        ("controller.__main__", []),
    ],
)
def test_the_forkserver_preloads_a_main_module_run_by_name(
    monkeypatch: pytest.MonkeyPatch, spec_name: str | None, preloaded: list[str]
) -> None:
    monkeypatch.setitem(sys.modules, "__main__", _main(spec_name))
    assert pull_pool._preload() == ["controller.office.pull_pool", *preloaded]
