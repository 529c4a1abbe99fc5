"""Fixtures of the deployment tests: a warm numba cache, a notify socket.

``qanat run`` as a child and the socket itself: :mod:`tests.helpers.deploy`.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.helpers.deploy import QANAT, NotifySocket
from tests.helpers.site import ROOT


@pytest.fixture(scope="session")
def warm_cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A numba cache holding every kernel (``qanat warmup``), seeded from the dev cache.

    Seeding only saves compile time: warmup then loads instead of compiling; it runs
    either way and must succeed.
    """
    cache = tmp_path_factory.mktemp("numba-cache")
    seed = os.environ.get("NUMBA_CACHE_DIR") or str(ROOT / ".venv" / "numba-cache")
    if Path(seed).is_dir():
        shutil.copytree(seed, cache, dirs_exist_ok=True)
    subprocess.run(
        [str(QANAT), "warmup"],
        env={**os.environ, "NUMBA_CACHE_DIR": str(cache)},
        check=True,
        capture_output=True,
        timeout=300,
    )
    return cache


@pytest.fixture
def notify_socket(tmp_path: Path) -> Iterator[NotifySocket]:
    ns = NotifySocket(tmp_path / "notify.sock")
    yield ns
    ns.close()
