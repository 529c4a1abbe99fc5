"""``--krs``: the site's range of FAO-56 eq. 50's krs, refused in one line with exit status 2."""

from __future__ import annotations

import argparse
from pathlib import Path

import pytest

from controller.config.krs import KRS_MAX, KRS_MIN, KrsOption
from controller.config.site import ConfigError, load_site
from tests.helpers.site import DEMO_SITE


def _parser(**kwargs: object) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="qanat x")
    parser.add_argument("--krs", action=KrsOption, default=0.16, **kwargs)  # type: ignore[arg-type]
    return parser


def _refused(
    capsys: pytest.CaptureFixture[str], parser: argparse.ArgumentParser, value: str
) -> str:
    with pytest.raises(SystemExit) as exit_:
        parser.parse_args(["--krs", value])
    assert exit_.value.code == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("qanat x: --krs "), err  # no usage block
    return err


@pytest.mark.parametrize("value", ["0.0999", "0.2501", "0", "-0.16", "16", "nan", "inf"])
def test_a_number_outside_the_range_is_refused_naming_it(
    capsys: pytest.CaptureFixture[str], value: str
) -> None:
    err = _refused(capsys, _parser(), value)
    assert f"--krs {value}: outside 0.10 to 0.25" in err


def test_a_word_is_refused_naming_the_words_the_option_takes(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert "--krs 'sunny': not a number (0.10 to 0.25)" in _refused(capsys, _parser(), "sunny")
    err = _refused(capsys, _parser(words=("normals",)), "sunny")
    assert "--krs 'sunny': neither a number nor 'normals' (0.10 to 0.25)" in err


def test_the_range_and_its_words_are_taken() -> None:
    assert _parser().parse_args(["--krs", "0.10"]).krs == 0.10
    assert _parser().parse_args(["--krs", "0.25"]).krs == 0.25
    assert _parser().parse_args([]).krs == 0.16
    assert _parser(words=("normals",)).parse_args(["--krs", "normals"]).krs == "normals"


@pytest.mark.parametrize(
    ("krs", "taken"), [(KRS_MIN, True), (KRS_MAX, True), (0.0999, False), (0.2501, False)]
)
def test_the_site_file_takes_what_the_option_takes(tmp_path: Path, krs: float, taken: bool) -> None:
    text = DEMO_SITE.read_text(encoding="utf-8").replace("[site]\n", f"[site]\nkrs = {krs}\n", 1)
    path = tmp_path / "site.toml"
    path.write_text(text, encoding="utf-8")
    if taken:
        assert load_site(path).site.krs == krs
    else:
        with pytest.raises(ConfigError, match=r"site\.krs"):
            load_site(path)
