"""The import rules of ``controller/__init__.py``, held by import-linter; and the tests' own.

The contracts live in ``pyproject.toml`` (``[tool.importlinter]``). The first test runs
them on this tree; the next copy the tree, plant one forbidden import at a time and check
that exactly the contract it breaks reports it, so neither a typo in a contract nor a
linter that reads the wrong tree lets the first pass for nothing.

The tests have one rule: a test module or conftest imports shared code from
``tests.helpers`` (or a plain ``hil_tests`` module), never from a test module or a conftest.
"""

from __future__ import annotations

import ast
import os
import re
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

from tests.helpers.site import ROOT

LINT_IMPORTS = Path(sys.executable).parent / "lint-imports"
PACKAGES = ("controller", "drivers", "models", "web")
CONTRACTS: list[str] = [
    c["name"]
    for c in tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["tool"][
        "importlinter"
    ]["contracts"]
]


def _lint(tree: Path) -> tuple[int, str, dict[str, str]]:
    """lint-imports on ``tree`` (its pyproject and packages); (status, report, verdicts)."""
    proc = subprocess.run(
        [str(LINT_IMPORTS), "--no-cache"],  # reads tree/pyproject.toml
        cwd=tree,
        # the tree first on the path: never the editable install's or another checkout's
        env={**os.environ, "PYTHONPATH": str(tree), "NO_COLOR": "1", "COLUMNS": "200"},
        capture_output=True,
        text=True,
        timeout=120,
    )
    report = proc.stdout + proc.stderr
    verdicts = {
        name: m.group(1)
        for name in CONTRACTS
        if (m := re.search(rf"^{re.escape(name)} (KEPT|BROKEN)\b", report, re.M))
    }
    return proc.returncode, report, verdicts


def test_the_tree_keeps_every_contract() -> None:
    status, report, verdicts = _lint(ROOT)
    assert status == 0, report
    assert verdicts == dict.fromkeys(CONTRACTS, "KEPT"), report


# the contracts by a short name (every one of them, checked below)
NAMES = {
    "layers": "web -> controller -> drivers | models, one way",
    "pymodbus": "only drivers import pymodbus",
    "numba": "only models import numba and sklearn",
    "http": "only web imports fastapi, starlette and uvicorn",
    "rooms": "runtime and agronomy never import office, simulation or cli",
    "runtime": "runtime never imports learning, agronomy or daemon",
    "sim": "in controller only simulation and cli import drivers.sim",
    "aquacrop": "only controller.simulation imports aquacrop",
    "outward": "runtime and agronomy never import notify or bridge "
    "(they read store events, live state)",
    "paho": "only controller.bridge imports paho",
}

# (file to plant the import in, the import, the contract it breaks); None: breaks nothing
PLANTED: list[tuple[str, str, str | None]] = [
    ("drivers/__init__.py", "import controller.clock", "layers"),
    ("drivers/__init__.py", "import models", "layers"),
    ("models/__init__.py", "import drivers", "layers"),
    ("models/__init__.py", "import controller", "layers"),
    ("controller/clock.py", "import web", "layers"),
    ("controller/runtime/__init__.py", "import pymodbus", "pymodbus"),
    ("models/__init__.py", "from pymodbus import client", "pymodbus"),
    ("web/__init__.py", "import pymodbus", "pymodbus"),
    ("controller/agronomy/__init__.py", "import numba", "numba"),
    ("drivers/__init__.py", "from sklearn import tree", "numba"),
    ("web/__init__.py", "import sklearn", "numba"),
    ("controller/daemon/__init__.py", "import fastapi", "http"),
    ("drivers/__init__.py", "import uvicorn", "http"),
    ("models/__init__.py", "from starlette import status", "http"),
    ("controller/agronomy/__init__.py", "import controller.office", "rooms"),
    ("controller/runtime/__init__.py", "import controller.cli", "rooms"),
    ("controller/runtime/__init__.py", "import controller.agronomy", "runtime"),
    ("controller/daemon/__init__.py", "import drivers.sim", "sim"),
    ("controller/agronomy/__init__.py", "from drivers.sim import field", "sim"),
    # a package that is not installed is still seen (grimp reads the source)
    ("controller/agronomy/__init__.py", "import aquacrop", "aquacrop"),
    ("drivers/__init__.py", "import aquacrop", "aquacrop"),
    ("web/__init__.py", "from aquacrop import core", "aquacrop"),
    ("controller/runtime/__init__.py", "import controller.notify", "outward"),
    ("controller/agronomy/__init__.py", "from controller.bridge import mqtt", "outward"),
    ("controller/notify/__init__.py", "import paho", "paho"),
    ("web/__init__.py", "from paho.mqtt import client", "paho"),
    # what the rules allow stays allowed
    ("controller/bridge/__init__.py", "import paho.mqtt.client", None),
    ("controller/simulation/__init__.py", "import aquacrop", None),
    ("controller/simulation/__init__.py", "import drivers.sim", None),
    ("controller/cli/__init__.py", "import drivers.sim", None),
    ("web/__init__.py", "import controller.daemon", None),
    ("controller/runtime/__init__.py", "import drivers.bus", None),
    ("controller/agronomy/__init__.py", "import models", None),
]


@pytest.fixture(scope="module")
def tree(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A copy of the four packages and pyproject.toml, outside the source tree."""
    tree = tmp_path_factory.mktemp("tree")
    for package in PACKAGES:
        shutil.copytree(
            ROOT / package,
            tree / package,
            ignore=shutil.ignore_patterns("__pycache__", "static", "*.toml", "*.mako"),
        )
    shutil.copy(ROOT / "pyproject.toml", tree)
    return tree


def test_every_contract_is_shown_to_bite() -> None:
    assert sorted(NAMES.values()) == sorted(CONTRACTS)
    assert {broken for _, _, broken in PLANTED if broken} == set(NAMES)


@pytest.mark.parametrize(("path", "statement", "broken"), PLANTED)
def test_a_planted_import_breaks_its_contract(
    tree: Path, path: str, statement: str, broken: str | None
) -> None:
    target = tree / path
    original = target.read_text(encoding="utf-8")
    target.write_text(f"{original}\n{statement}\n", encoding="utf-8")
    try:
        status, report, verdicts = _lint(tree)
    finally:
        target.write_text(original, encoding="utf-8")
    broken_name = NAMES[broken] if broken else None
    expected = {name: "BROKEN" if name == broken_name else "KEPT" for name in CONTRACTS}
    assert verdicts == expected, report
    assert (status != 0) == (broken is not None), report
    if broken is not None:
        # the report names the planted import, so a failing run says where to look
        importer = path.removesuffix(".py").removesuffix("/__init__").replace("/", ".")
        assert importer in report, report


# ---------------------------------------------------------------------- the tests' own rule


def _test_imports(path: Path) -> list[str]:
    """The ``tests``/``hil_tests`` modules imported by ``path`` (``from X import Y``: X.Y)."""
    found: list[str] = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found += [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            found += [node.module] + [f"{node.module}.{alias.name}" for alias in node.names]
    return [m for m in found if m.split(".")[0] in ("tests", "hil_tests")]


def _forbidden(module: str) -> bool:
    parts = module.split(".")
    if any(p == "conftest" or p.startswith("test_") for p in parts):
        return True
    # tests/ shares through tests.helpers only (from tests import helpers is the package)
    return parts[0] == "tests" and len(parts) > 1 and parts[1] != "helpers"


def test_is_forbidden_tells_helpers_from_tests() -> None:
    assert not _forbidden("tests.helpers.site")
    assert not _forbidden("tests.helpers.office.seed.open_store")
    assert not _forbidden("hil_tests.helpers")
    assert not _forbidden("hil_tests.season_goals")
    assert not _forbidden("tests")
    assert _forbidden("tests.conftest")
    assert _forbidden("tests.web.fakes")
    assert _forbidden("tests.controller.test_fertplan")
    assert _forbidden("hil_tests.conftest")
    assert _forbidden("hil_tests.test_faults")


def test_no_test_module_imports_another_or_a_conftest() -> None:
    offenders = {
        str(path.relative_to(ROOT)): bad
        for suite in ("tests", "hil_tests")
        for path in sorted((ROOT / suite).rglob("*.py"))
        if (bad := [m for m in _test_imports(path) if _forbidden(m)])
    }
    assert offenders == {}, "share through tests/helpers instead"
