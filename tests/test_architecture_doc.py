"""docs/architecture.md names every package as built, and no path that is not there.

A package is a folder of ``controller``, ``drivers``, ``models`` or ``web`` with an
``__init__.py``. It is named when the document gives its path in backticks (``controller/office/``
or a file in it, ``models/crops/cold.py``), or when the row of a room (the table's first cell,
``controller/office/``) gives it relative to the room (``central/``). Every such path the
document gives is checked the other way: it exists (a module may be named without ``.py``).

The table of the daemon's threads names each job the demo site's daemon schedules in
apscheduler's pool (``plan:N`` for the planning times).
"""

from __future__ import annotations

import re
from pathlib import Path

from controller.clock import SystemClock
from controller.config.site import load_site
from controller.daemon.daemon import Daemon
from controller.store import Store
from tests.helpers.site import DEMO_SITE, ROOT

PACKAGES = ("controller", "drivers", "models", "web")
DOC = (ROOT / "docs" / "architecture.md").read_text(encoding="utf-8")
TICKED = re.compile(r"`([A-Za-z0-9_./{},-]+)`")


def _packages() -> list[str]:
    return sorted(
        init.parent.relative_to(ROOT).as_posix()
        for top in PACKAGES
        for init in (ROOT / top).rglob("__init__.py")
        if "__pycache__" not in init.parts
    )


def _ticked(text: str) -> list[str]:
    """The paths in backticks, braces spread (``catalog/{en,zh_CN}.toml``: two)."""
    out = []
    for t in TICKED.findall(text):
        if m := re.search(r"\{([^}]*)\}", t):
            out += [t[: m.start()] + alt + t[m.end() :] for alt in m[1].split(",")]
        elif not t.startswith("/"):  # a URL path, ``/api/v1``
            out.append(t)
    return out


def _exists(path: str) -> bool:
    return (ROOT / path).exists() or (ROOT / f"{path}.py").exists()


def _named_paths() -> set[str]:
    """Every path the document gives, made whole: a row's relative ones under its room (the
    room it exists under, when the row names several)."""
    paths = {t.rstrip("/") for t in _ticked(DOC) if t.split("/")[0] in PACKAGES}
    for line in DOC.splitlines():
        if not line.startswith("| `"):
            continue
        cells = line.split("|")
        rooms = [r for r in _ticked(cells[1]) if r.endswith("/") and r[:-1] in paths]
        for rest in _ticked("|".join(cells[2:])) if rooms else []:
            if "/" in rest and rest.split("/")[0] not in PACKAGES:
                whole = [f"{room}{rest}".rstrip("/") for room in rooms]
                paths.add(next((w for w in whole if _exists(w)), whole[0]))
    return paths


def _is_named(package: str, paths: set[str]) -> bool:
    return any(p == package or p.startswith(package + "/") for p in paths)


def test_every_package_is_named() -> None:
    paths = _named_paths()
    assert len(_packages()) > 20  # the packages were found
    assert [p for p in _packages() if not _is_named(p, paths)] == []


def test_every_path_named_is_there() -> None:
    missing = [p for p in sorted(_named_paths()) if not _exists(p)]
    assert missing == []


def test_the_threads_table_names_every_task_job(tmp_path: Path) -> None:
    threads = DOC.split("## Threads of the daemon", 1)[1].split("\n## ", 1)[0]
    pool = next(line for line in threads.splitlines() if line.startswith("| apscheduler's pool"))
    named = set(re.findall(r"`([a-z_]+(?::N)?)`", pool.split("|")[2]))
    with Store.open_dir(tmp_path / "data") as store:
        jobs = Daemon(load_site(DEMO_SITE), store, SystemClock()).jobs()
    tasks = {re.sub(r":\d+$", ":N", j.name) for j in jobs if j.kind == "task"}
    assert "close_day" in tasks  # the jobs were read
    assert sorted(tasks - named) == []
