"""``qanat token`` and the data-directory rules."""

from __future__ import annotations

from pathlib import Path

import pytest

from controller.cli import main
from controller.paths import default_data_dir, resolve_data_dir
from controller.store import InvalidToken, Store


def test_token_create_list_revoke(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    data = str(tmp_path / "data")
    assert (
        main(["token", "--data-dir", data, "create", "--role", "technician", "--name", "li"]) == 0
    )
    plaintext = capsys.readouterr().out.strip()
    assert len(plaintext) >= 40
    with Store.open_dir(Path(data)) as store:
        info = store.verify_token(plaintext)
        assert (info.name, str(info.role)) == ("li", "technician")
    assert main(["token", "--data-dir", data, "list"]) == 0
    listing = capsys.readouterr().out
    assert "technician" in listing and "active" in listing and plaintext not in listing
    assert main(["token", "--data-dir", data, "revoke", str(info.id)]) == 0
    assert main(["token", "--data-dir", data, "revoke", "999"]) == 1
    with Store.open_dir(Path(data)) as store, pytest.raises(InvalidToken):
        store.verify_token(plaintext)


def test_token_role_is_checked(tmp_path: Path) -> None:
    with pytest.raises(SystemExit):
        main(["token", "--data-dir", str(tmp_path), "create", "--role", "root"])


def test_data_dir_precedence() -> None:
    env = {"QANAT_DATA_DIR": "/srv/q", "HOME": "/home/u"}
    assert resolve_data_dir("/opt/x", env) == Path("/opt/x")
    assert resolve_data_dir(None, env) == Path("/srv/q")
    assert default_data_dir({"HOME": "/home/u"}, uid=1000) == Path("/home/u/.local/share/qanat")
    assert default_data_dir({"XDG_DATA_HOME": "/x"}, uid=1000) == Path("/x/qanat")
    assert default_data_dir({}, uid=0) == Path("/var/lib/qanat")
    assert default_data_dir({"STATE_DIRECTORY": "/var/lib/q2"}, uid=0) == Path("/var/lib/q2")


def test_the_data_dir_may_follow_the_action(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """``qanat token create --role viewer --name office --data-dir DIR``, as ``qanat user add
    ... --data-dir DIR``: the token is in that directory's store."""
    data = tmp_path / "data"
    args = ["token", "create", "--role", "viewer", "--name", "office", "--data-dir", str(data)]
    assert main(args) == 0
    plaintext = capsys.readouterr().out.strip()
    with Store.open_dir(data) as store:
        assert store.verify_token(plaintext).name == "office"
    assert main(["token", "list", "--data-dir", str(data)]) == 0
    assert "office" in capsys.readouterr().out


@pytest.mark.parametrize(
    "argv",
    [["token", "list"], ["user", "list"], ["confirm-time"]],
    ids=["token", "user", "confirm-time"],
)
def test_a_data_dir_that_is_a_file_is_said_in_one_line(
    argv: list[str], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    not_a_dir = tmp_path / "qanat.db"
    not_a_dir.write_text("a file where the data directory should be\n", encoding="utf-8")
    assert main([*argv, "--data-dir", str(not_a_dir)]) == 2
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0 and "is a file, not a data directory" in err
    assert str(not_a_dir) in err


@pytest.mark.parametrize(
    "argv",
    [["token", "list"], ["token", "revoke", "1"], ["user", "list"], ["user", "unlock", "li"]],
    ids=["token-list", "token-revoke", "user-list", "user-unlock"],
)
def test_a_data_dir_without_a_store_is_not_made_one(
    argv: list[str], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    typo = tmp_path / "qanta"
    assert main([*argv, "--data-dir", str(typo)]) == 2
    err = capsys.readouterr().err.strip()
    assert err == f"qanat {argv[0]} {argv[1]}: no box store in {typo} (no qanat.db: is " + (
        "--data-dir the daemon's?)"
    )
    assert not typo.exists()


def test_a_first_token_makes_the_store(tmp_path: Path) -> None:
    data = tmp_path / "new"
    assert main(["token", "create", "--role", "admin", "--data-dir", str(data)]) == 0
    assert (data / "qanat.db").is_file()
