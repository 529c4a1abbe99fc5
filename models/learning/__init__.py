"""Models learned from a site's own data (scikit-learn), each with a safe fallback.

Every learned model here is pure: it is trained on arrays the controller hands it and
answers queries; it never reads the store, the clock or the bus. Too little data raises
:class:`TooLittleDataError`, and the controller keeps the plain rules in charge. Models are
persisted with :mod:`models.learning.persist`, which refuses a file written by another
format or scikit-learn version.

scikit-learn is the training library, not the daemon's: each name here is imported on
first use, the estimators inside the functions that fit, and a fit runs in a short-lived
child process (:mod:`models.learning.child`), so a box that only uses what was learned
never loads it.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from models.learning.errors import (
    FitProcessError,
    LearnedModelError,
    LearningInputError,
    ModelFileError,
    TooLittleDataError,
)

if TYPE_CHECKING:
    from models.learning.calibration import (
        CalibrationSample,
        ProbeCalibration,
        fit_calibration,
    )
    from models.learning.flow import (
        Drift,
        DriftState,
        FlowRun,
        FlowSignature,
        FlowTuning,
        fit_signature,
        fixed_verdict,
        step_drift,
    )
    from models.learning.forecast import (
        ForecastModel,
        ForecastResult,
        FutureDay,
        HistoryDay,
        physics_path,
        train_forecast,
    )
    from models.learning.persist import Persisted, load_model, model_file, save_model
    from models.learning.soil import DryDown, SoilFit, SoilPrior, fit_soil

# Each name's module, imported on first use (PEP 562): importing this package, or its
# errors, never imports scikit-learn into a process that only uses what was learned.
_HOME = {
    **dict.fromkeys(("CalibrationSample", "ProbeCalibration", "fit_calibration"), "calibration"),
    **dict.fromkeys(
        (
            "Drift",
            "DriftState",
            "FlowRun",
            "FlowSignature",
            "FlowTuning",
            "fit_signature",
            "fixed_verdict",
            "step_drift",
        ),
        "flow",
    ),
    **dict.fromkeys(
        (
            "ForecastModel",
            "ForecastResult",
            "FutureDay",
            "HistoryDay",
            "physics_path",
            "train_forecast",
        ),
        "forecast",
    ),
    **dict.fromkeys(("Persisted", "load_model", "model_file", "save_model"), "persist"),
    **dict.fromkeys(("DryDown", "SoilFit", "SoilPrior", "fit_soil"), "soil"),
}


def __getattr__(name: str) -> Any:
    home = _HOME.get(name)
    if home is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f"{__name__}.{home}"), name)
    globals()[name] = value
    return value


__all__ = [
    "CalibrationSample",
    "Drift",
    "DriftState",
    "DryDown",
    "FitProcessError",
    "FlowRun",
    "FlowSignature",
    "FlowTuning",
    "ForecastModel",
    "ForecastResult",
    "FutureDay",
    "HistoryDay",
    "LearnedModelError",
    "LearningInputError",
    "ModelFileError",
    "Persisted",
    "ProbeCalibration",
    "SoilFit",
    "SoilPrior",
    "TooLittleDataError",
    "fit_calibration",
    "fit_signature",
    "fit_soil",
    "fixed_verdict",
    "load_model",
    "model_file",
    "physics_path",
    "save_model",
    "step_drift",
    "train_forecast",
]
