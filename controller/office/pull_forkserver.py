"""Imported by the pull's forkserver only (:func:`controller.office.pull_pool._preload`).

The forkserver imports the caller's main module once, so that each worker, which
multiprocessing makes run the main module again as ``__mp_main__``, finds its imports
loaded. ``runpy`` then warns that the module is already in ``sys.modules``: expected here,
and silenced in the forkserver and its workers only (never in the caller).
"""

from __future__ import annotations

import warnings

warnings.filterwarnings(
    "ignore",
    message=r"'[\w.]+' found in sys\.modules after import of package",
    category=RuntimeWarning,
)
