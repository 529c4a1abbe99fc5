"""A fit in a short-lived child process: its answer, its errors, and a child that crashes or
hangs (models/learning/child.py)."""

from __future__ import annotations

import pytest

from models.learning.child import in_child
from models.learning.errors import FitProcessError, TooLittleDataError
from tests.helpers import fits


def test_the_child_answers_with_the_fits_result() -> None:
    fitted = in_child(fits.modules_and_sum, [1.5, 2.25])
    assert fitted.value == (3.75, False)  # the fit ran in a fresh interpreter
    assert fitted.cpu_s > 0


def test_the_fits_own_error_comes_back_as_it_was_raised() -> None:
    with pytest.raises(TooLittleDataError, match="3 of 5 runs") as err:
        in_child(fits.too_little, 3)
    assert (err.value.have, err.value.need) == (3, 5)


def test_a_child_that_dies_is_a_fit_process_error() -> None:
    with pytest.raises(FitProcessError, match=r"tests\.helpers\.fits\.crash: .*exit code 9"):
        in_child(fits.crash)


def test_a_child_that_hangs_is_killed_at_its_timeout() -> None:
    with pytest.raises(FitProcessError, match="no answer in 1 s"):
        in_child(fits.hang, timeout_s=1.0)


def test_a_result_that_cannot_come_back_is_a_fit_process_error() -> None:
    with pytest.raises(FitProcessError, match=r"unpicklable: .*lock"):
        in_child(fits.unpicklable)
