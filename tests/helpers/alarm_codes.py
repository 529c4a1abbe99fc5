"""Every event code the code base can raise, read from its source.

An event is recorded by ``Store.raise_event(severity, code, source, message)``. The codes
are followed back from there: a string written at the code's place; a name bound to one (a
module's constant, a local variable, an import); a function that passes its own ``code``
parameter on (``warn(code, ...)``) is followed in turn to its
callers; an f-string over a loop's literal strings; an enum member's ``.value`` (the members
the function names); an object's ``.code`` (a supervisor's trip, a plausibility finding, a
pulse note, a dosing stop, the storage alarm held in memory) to where such objects are made
(:data:`CARRIERS`). A code argument none of these explains raises :class:`Unexplained`, so a
new way of raising events cannot slip past; an object's ``.code`` is taken on trust, so a new
class that carries a code to ``raise_event`` must be added to :data:`CARRIERS`.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass
from pathlib import Path

from tests.helpers.source_calls import Unexplained, argument, call_name, parsed, place_of

__all__ = ["CARRIERS", "Unexplained", "event_codes"]

PACKAGES = ("controller", "models", "drivers", "web")

# classes whose ``code`` field is an event code -> its place among the constructor's arguments
CARRIERS = {"Trip": 0, "Finding": 0, "PulseNote": 0, "DosingStop": 0, "AlarmInfo": 2}


@dataclass(frozen=True)
class _Module:
    path: Path
    tree: ast.Module
    constants: dict[str, ast.expr]  # module-level NAME = value


def _modules() -> list[_Module]:
    out = []
    for module in parsed(PACKAGES):
        constants: dict[str, ast.expr] = {}
        for node in module.tree.body:
            if isinstance(node, ast.Assign) and len(node.targets) == 1:
                target = node.targets[0]
                if isinstance(target, ast.Name):
                    constants[target.id] = node.value
        out.append(_Module(module.path, module.tree, constants))
    return out


def _functions(tree: ast.AST) -> list[ast.FunctionDef]:
    return [n for n in ast.walk(tree) if isinstance(n, ast.FunctionDef)]


def _params(fn: ast.FunctionDef) -> list[str]:
    names = [a.arg for a in fn.args.posonlyargs + fn.args.args]
    return names[1:] if names and names[0] in ("self", "cls") else names


def _loop_values(fn: ast.FunctionDef, name: str) -> list[str]:
    """The strings ``name`` takes in a ``for`` of ``fn`` over a literal sequence (of tuples,
    when ``name`` is one of a tuple of targets)."""
    for loop in (n for n in ast.walk(fn) if isinstance(n, ast.For)):
        if not isinstance(loop.iter, ast.Tuple | ast.List):
            continue
        if isinstance(loop.target, ast.Name) and loop.target.id == name:
            picked = list(loop.iter.elts)
        elif isinstance(loop.target, ast.Tuple):
            names = [t.id if isinstance(t, ast.Name) else None for t in loop.target.elts]
            if name not in names:
                continue
            i = names.index(name)
            picked = [e.elts[i] for e in loop.iter.elts if isinstance(e, ast.Tuple)]
        else:
            continue
        if all(isinstance(e, ast.Constant) and isinstance(e.value, str) for e in picked):
            return [str(e.value) for e in picked if isinstance(e, ast.Constant)]
    return []


def _formatted(expr: ast.JoinedStr, fn: ast.FunctionDef, where: str) -> set[str]:
    """An f-string code whose one placeholder is a loop's name over literal strings."""
    holes = [v for v in expr.values if isinstance(v, ast.FormattedValue)]
    if len(holes) == 1 and isinstance(holes[0].value, ast.Name):
        values = _loop_values(fn, holes[0].value.id)
        if values:
            out = set()
            for value in values:
                parts = [
                    str(v.value) if isinstance(v, ast.Constant) else value for v in expr.values
                ]
                out.add("".join(parts))
            return out
    raise Unexplained(f"{where}: cannot follow the event code {ast.unparse(expr)}")


def event_codes() -> set[str]:
    """Every code ``Store.raise_event`` can be given anywhere in the packages."""
    modules = _modules()
    constants: dict[str, list[ast.expr]] = {}
    for m in modules:
        for name, value in m.constants.items():
            constants.setdefault(name, []).append(value)
    # callable name -> place of the code among its call's arguments; functions that pass on
    # their ``code`` parameter are added until none is left
    enums = {
        cls.name: {
            t.id: str(a.value.value)
            for a in cls.body
            if isinstance(a, ast.Assign) and isinstance(a.value, ast.Constant)
            for t in a.targets
            if isinstance(t, ast.Name)
        }
        for m in modules
        for cls in ast.walk(m.tree)
        if isinstance(cls, ast.ClassDef)
        and any(ast.unparse(b).endswith("StrEnum") for b in cls.bases)
    }
    # (a function defined in a module, or ``None``: anywhere) -> place of the code; a call
    # of ``name(...)`` or ``self.name(...)`` goes to its own module's function of that name
    # when there is one, another object's ``x.name(...)`` to any
    sinks: dict[tuple[Path | None, str], int] = {(None, "raise_event"): 1}
    sinks |= {(None, name): index for name, index in CARRIERS.items()}
    defined = {
        m.path: {n.name for n in ast.walk(m.tree) if isinstance(n, ast.FunctionDef)}
        for m in modules
    }
    found: set[str] = set()

    def place(module: Path, call: ast.Call, name: str) -> int | None:
        func = call.func
        own = isinstance(func, ast.Name) or (
            isinstance(func, ast.Attribute)
            and isinstance(func.value, ast.Name)
            and func.value.id in ("self", "cls")
        )
        if own and name in defined[module]:
            return sinks.get((module, name))
        anywhere = {i for (_, n), i in sinks.items() if n == name}
        if len(anywhere) > 1:
            raise Unexplained(f"{module}: {name} passes an event code at different places")
        return anywhere.pop() if anywhere else None

    def strings(expr: ast.expr, fn: ast.FunctionDef | None, where: str) -> set[str]:
        if isinstance(expr, ast.Constant) and isinstance(expr.value, str):
            return {expr.value}
        if isinstance(expr, ast.IfExp):
            return strings(expr.body, fn, where) | strings(expr.orelse, fn, where)
        if isinstance(expr, ast.Attribute) and expr.attr == "code":
            return set()  # an object's code: its constructors are carriers, followed there
        if isinstance(expr, ast.Attribute) and expr.attr == "value" and fn is not None:
            named = {
                enums[n.value.id][n.attr]
                for n in ast.walk(fn)
                if isinstance(n, ast.Attribute)
                and isinstance(n.value, ast.Name)
                and n.attr in enums.get(n.value.id, {})
            }
            if named:
                return named  # an enum member's value: the members the function names
        if isinstance(expr, ast.JoinedStr) and fn is not None:
            return _formatted(expr, fn, where)
        if isinstance(expr, ast.Name):
            if fn is not None:
                if expr.id in _params(fn):
                    return set()  # passed on: the function is a sink, followed at its callers
                local = [
                    n.value
                    for n in ast.walk(fn)
                    if isinstance(n, ast.Assign)
                    and any(isinstance(t, ast.Name) and t.id == expr.id for t in n.targets)
                ]
                if local:
                    return set().union(*(strings(v, fn, where) for v in local))
            if expr.id in constants:
                return set().union(*(strings(v, None, where) for v in constants[expr.id]))
        raise Unexplained(f"{where}: cannot follow the event code {ast.unparse(expr)}")

    changed = True
    while changed:
        changed = False
        for m in modules:
            for fn in _functions(m.tree):
                for call in (n for n in ast.walk(fn) if isinstance(n, ast.Call)):
                    name = call_name(call)
                    index = None if name is None else place(m.path, call, name)
                    if index is None:
                        continue
                    arg = argument(call, index, "code")
                    if arg is None:
                        continue
                    at = place_of(m.path, call)
                    key = (m.path, fn.name)
                    if isinstance(arg, ast.Name) and arg.id in _params(fn) and key not in sinks:
                        sinks[key] = _params(fn).index(arg.id)
                        changed = True
                    found |= strings(arg, fn, at)
    return found
