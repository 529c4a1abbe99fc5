"""Models learned from a site's own data (scikit-learn), each with a safe fallback.

Every learned model here is pure: it is trained on arrays the controller hands it and
answers queries; it never reads the store, the clock or the bus. Too little data raises
:class:`TooLittleDataError`, and the controller keeps the plain rules in charge. Models are
persisted with :mod:`models.learning.persist`, which refuses a file written by another
format or scikit-learn version.
"""

from models.learning.calibration import (
    CalibrationSample,
    ProbeCalibration,
    fit_calibration,
)
from models.learning.errors import (
    LearnedModelError,
    LearningInputError,
    ModelFileError,
    TooLittleDataError,
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

__all__ = [
    "CalibrationSample",
    "Drift",
    "DriftState",
    "DryDown",
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
