"""The last line of ``qanat run`` and ``qanat demo``: what the stop left switched on."""

from __future__ import annotations

import pytest

from drivers.errors import DriverError
from web.serve import say_stopped


def test_all_off_is_said_on_stdout(capsys: pytest.CaptureFixture[str]) -> None:
    say_stopped({})
    out, err = capsys.readouterr()
    assert out == "qanat: stopped; every output switched off and read back off\n"
    assert err == ""


def test_outputs_not_read_back_off_are_named_on_stderr(capsys: pytest.CaptureFixture[str]) -> None:
    say_stopped({"z2": DriverError("relay1: no answer"), "pump": DriverError("relay0: coil 0 on")})
    out, err = capsys.readouterr()
    assert out == ""
    assert "NOT verified off: pump (relay0: coil 0 on); z2 (relay1: no answer)" in err
    assert "qanat outputs-off" in err
