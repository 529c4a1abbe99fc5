"""``qanat run``'s request guards: bad values are refused before anything starts."""

from __future__ import annotations

import pytest

from controller.cli import main
from tests.helpers.site import DEMO_SITE


@pytest.mark.parametrize(
    ("options", "message"),
    [
        (["--max-body-kib", "0"], "--max-body-kib 0: at least 1"),
        (["--trusted-proxy", "*"], "--trusted-proxy '*': an IP address or network"),
        (["--trusted-proxy", "proxy.lan"], "--trusted-proxy 'proxy.lan'"),
    ],
)
def test_bad_guard_options_exit_2_naming_the_option(
    options: list[str], message: str, capsys: pytest.CaptureFixture[str], tmp_path: object
) -> None:
    code = main(["run", "--config", str(DEMO_SITE), "--data-dir", str(tmp_path), *options])
    assert code == 2
    assert message in capsys.readouterr().err
