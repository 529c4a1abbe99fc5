"""One exception tree per layer, drawn in the docstring of the layer's ``errors`` module.

Every module of ``drivers``, ``models`` and ``controller`` is imported and every exception
class defined there must derive from its layer's root, so a second root cannot appear
unnoticed. Every class must also be drawn in the layer's tree, under its real parent.
"""

from __future__ import annotations

import importlib
import inspect
import pkgutil
import re
from types import ModuleType

import pytest

import controller.errors
import drivers.errors
import models.errors

LAYERS = {
    "drivers": (drivers.errors, drivers.errors.DriverError),
    "models": (models.errors, models.errors.ModelError),
    "controller": (controller.errors, controller.errors.ControllerError),
}
# Not imported: alembic's migration scripts run only inside alembic; a __main__ runs the CLI.
SKIPPED = ("controller.migrations",)

_CONNECTOR = re.compile(r"[├└]── ")
_BUILTIN = {"ValueError": ValueError, "LookupError": LookupError, "RuntimeError": RuntimeError}


def _modules(package: str) -> list[ModuleType]:
    root = importlib.import_module(package)
    names = [
        info.name
        for info in pkgutil.walk_packages(root.__path__, f"{package}.")
        if not info.name.startswith(SKIPPED) and info.name.rsplit(".", 1)[-1] != "__main__"
    ]
    return [root, *(importlib.import_module(name) for name in names)]


def _exceptions(package: str) -> dict[str, type[BaseException]]:
    found: dict[str, type[BaseException]] = {}
    for module in _modules(package):
        for obj in vars(module).values():
            if (
                inspect.isclass(obj)
                and issubclass(obj, BaseException)
                and obj.__module__ == module.__name__
            ):
                found[f"{obj.__module__}.{obj.__qualname__}"] = obj
    return found


def _drawn(doc: str) -> list[tuple[int, str, list[str]]]:
    """(column, class name, built-in bases) for each class in the docstring's ``::`` tree."""
    lines = doc.split("::\n", 1)[1].splitlines()
    rows = []
    for line in lines:
        if line and not line.startswith(" "):
            break  # the drawing ended
        match = _CONNECTOR.search(line)
        column = match.end() if match else len(line) - len(line.lstrip())
        text = line[column:].split("  ", 1)[0].strip()
        if not text or not re.match(r"_?[A-Z]", text):
            continue  # blank, or a description carried on to the next line
        for item in text.split(" · "):
            name, _, extra = item.partition("(")
            rows.append((column, name, [b for b in extra.rstrip(")").split(", ") if b]))
    return rows


@pytest.mark.parametrize("layer", list(LAYERS))
def test_every_exception_derives_from_the_layer_root(layer: str) -> None:
    _, root = LAYERS[layer]
    found = _exceptions(layer)
    assert root in found.values()
    strays = sorted(name for name, cls in found.items() if not issubclass(cls, root))
    assert strays == [], f"{layer}: not under {root.__name__}: {strays}"


@pytest.mark.parametrize("layer", list(LAYERS))
def test_the_tree_drawn_in_the_docstring_is_the_real_one(layer: str) -> None:
    module, root = LAYERS[layer]
    by_name = {cls.__name__: cls for cls in _exceptions(layer).values()}
    assert module.__doc__ is not None
    rows = _drawn(module.__doc__)
    assert rows[0][1] == root.__name__
    drawn = [name for _, name, _ in rows]
    assert sorted(drawn) == sorted(by_name), "drawn and defined classes differ"
    parents: list[tuple[int, str]] = []  # the open branches, outermost first
    for column, name, builtins in rows:
        while parents and parents[-1][0] >= column:
            parents.pop()
        cls = by_name[name]
        if parents:
            assert issubclass(cls, by_name[parents[-1][1]]), f"{name} under {parents[-1][1]}"
        for base in builtins:
            assert issubclass(cls, _BUILTIN[base]), f"{name} is drawn as a {base}"
        parents.append((column, name))
