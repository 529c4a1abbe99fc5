"""Learned models on disk: a round trip, and every refusal names the file."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from sklearn.linear_model import LinearRegression

from models.learning import ModelFileError, Persisted, load_model, model_file, save_model


def _model(**kw: object) -> Persisted:
    fitted = LinearRegression().fit([[0.0], [1.0], [2.0]], [1.0, 3.0, 5.0])
    base: dict[str, object] = {
        "kind": "flow",
        "key": "zone 1/a",
        "format_version": 2,
        "trained_at": dt.datetime(2026, 7, 1, tzinfo=dt.UTC),
        "n_samples": 3,
        "payload": fitted,
    }
    base.update(kw)
    return Persisted(**base)  # type: ignore[arg-type]


def test_round_trip_keeps_the_fitted_model(tmp_path: Path) -> None:
    path = save_model(tmp_path, _model())
    assert path == model_file(tmp_path, "flow", "zone 1/a")
    assert "/" not in path.name and " " not in path.name
    back = load_model(tmp_path, "flow", "zone 1/a", format_version=2)
    assert back.n_samples == 3
    assert back.payload.predict([[3.0]])[0] == pytest.approx(7.0)
    assert not list(tmp_path.rglob("*.tmp"))


def test_missing_file_is_refused_by_name(tmp_path: Path) -> None:
    with pytest.raises(ModelFileError, match="no flow model for 'z9'") as err:
        load_model(tmp_path, "flow", "z9", format_version=2)
    assert err.value.path.endswith("z9.joblib")


def test_other_format_version_is_refused(tmp_path: Path) -> None:
    save_model(tmp_path, _model())
    with pytest.raises(ModelFileError, match="format 2, this version reads 3"):
        load_model(tmp_path, "flow", "zone 1/a", format_version=3)


def test_other_sklearn_version_is_refused(tmp_path: Path) -> None:
    save_model(tmp_path, _model(sklearn_version="0.1.0"))
    with pytest.raises(ModelFileError, match=r"scikit-learn 0\.1\.0"):
        load_model(tmp_path, "flow", "zone 1/a", format_version=2)


def test_truncated_file_is_refused(tmp_path: Path) -> None:
    path = save_model(tmp_path, _model())
    path.write_bytes(path.read_bytes()[:20])
    with pytest.raises(ModelFileError, match="unreadable"):
        load_model(tmp_path, "flow", "zone 1/a", format_version=2)


def test_a_model_of_another_key_is_refused(tmp_path: Path) -> None:
    path = save_model(tmp_path, _model())
    path.rename(model_file(tmp_path, "flow", "z2"))
    with pytest.raises(ModelFileError, match="not a flow model for 'z2'"):
        load_model(tmp_path, "flow", "z2", format_version=2)


def test_a_model_of_plain_numbers_is_not_stamped_with_a_scikit_learn_version(
    tmp_path: Path,
) -> None:
    save_model(tmp_path, _model(payload={"intercept_m3h": 3.1, "scale_m3h": 0.05}))
    back = load_model(tmp_path, "flow", "zone 1/a", format_version=2, plain=True)
    assert back.sklearn_version is None and back.payload["intercept_m3h"] == 3.1
    assert load_model(tmp_path, "flow", "zone 1/a", format_version=2).sklearn_version is None


def test_an_estimator_read_as_plain_numbers_is_refused_without_its_class(tmp_path: Path) -> None:
    save_model(tmp_path, _model())
    assert load_model(tmp_path, "flow", "zone 1/a", format_version=2).sklearn_version
    with pytest.raises(ModelFileError, match=r"holds scikit-learn objects \(sklearn\.linear_model"):
        load_model(tmp_path, "flow", "zone 1/a", format_version=2, plain=True)
    with pytest.raises(ModelFileError, match="format 2, this version reads 3"):
        load_model(tmp_path, "flow", "zone 1/a", format_version=3, plain=True)
