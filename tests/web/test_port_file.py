"""``--listen HOST:0`` and ``--port-file``: the port the system chose, told to a supervisor."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import pytest
import uvicorn
from starlette.applications import Starlette

from controller.cli import main
from tests.helpers.site import DEMO_SITE
from web.portfile import port_file_problem, write_port_file
from web.serve import _Listening, http_address, parse_listen, server_config

DEADLINE_S = 60.0


def test_port_0_is_accepted_and_out_of_range_ports_are_not() -> None:
    assert parse_listen("127.0.0.1:0") == ("127.0.0.1", 0)
    assert parse_listen("[::1]:0") == ("::1", 0)
    for bad in ("127.0.0.1:65536", "127.0.0.1:-1", "127.0.0.1", "127.0.0.1:http"):
        with pytest.raises(ValueError, match="expected HOST:PORT"):
            parse_listen(bad)


def test_an_ipv6_address_is_bracketed_in_urls() -> None:
    assert http_address("::1", 8080) == "[::1]:8080"
    assert http_address("127.0.0.1", 8080) == "127.0.0.1:8080"


def test_the_port_file_holds_the_port_and_replaces_an_old_one(tmp_path: Path) -> None:
    path = tmp_path / "port"
    path.write_text("1234\n", encoding="ascii")
    write_port_file(path, 40123)
    assert path.read_text(encoding="ascii") == "40123\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["port"]  # no temporary left


def test_a_port_file_that_cannot_be_written_is_named(tmp_path: Path) -> None:
    assert port_file_problem(tmp_path / "port") is None
    assert "a directory" in (port_file_problem(tmp_path) or "")
    missing = port_file_problem(tmp_path / "nowhere" / "port")
    assert missing is not None and "does not exist" in missing


@pytest.mark.parametrize("command", ["run", "demo"])
def test_bad_port_file_exits_2_naming_it_before_anything_starts(
    command: str, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    bad = tmp_path / "nowhere" / "port"
    data = ["--data-dir", str(tmp_path / "data")]
    code = main([command, "--config", str(DEMO_SITE), *data, "--port-file", str(bad)])
    assert code == 2
    assert f"--port-file {str(bad)!r}" in capsys.readouterr().err
    assert not (tmp_path / "data").exists()


@pytest.mark.parametrize("command", ["run", "demo"])
def test_bad_listen_exits_2_naming_it(
    command: str, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    code = main([command, "--config", str(DEMO_SITE), "--listen", "127.0.0.1:99999"])
    assert code == 2
    assert "--listen '127.0.0.1:99999'" in capsys.readouterr().err


def _serve_on_port_0() -> tuple[uvicorn.Server, threading.Thread]:
    server = uvicorn.Server(server_config(Starlette(), "127.0.0.1", 0))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    return server, thread


def _stop(server: uvicorn.Server, thread: threading.Thread) -> None:
    server.should_exit = True
    thread.join(DEADLINE_S)


def test_once_listening_the_bound_port_is_written_and_announced(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    port_file = tmp_path / "port"
    server, thread = _serve_on_port_0()
    try:
        listening = _Listening(
            server,
            "127.0.0.1",
            name="demo",
            scheme="http",
            banner=lambda address: f"open http://{address}/board",
            port_file=port_file,
        )
        listening.announce_when_listening()
        assert server.started
        port = int(port_file.read_text(encoding="ascii"))
        assert port == server.servers[0].sockets[0].getsockname()[1]
        assert port != 0 and not listening.failed
        out = capsys.readouterr().out
        assert f"pages on http://127.0.0.1:{port}/" in out
        assert f"open http://127.0.0.1:{port}/board" in out
    finally:
        _stop(server, thread)


def test_a_port_file_that_fails_to_write_stops_the_server(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    port_file = tmp_path / "gone" / "port"  # its directory vanished after the check
    server, thread = _serve_on_port_0()
    try:
        listening = _Listening(
            server, "127.0.0.1", name="demo", scheme="http", banner="", port_file=port_file
        )
        listening.announce_when_listening()
        assert listening.failed and server.should_exit
        assert "--port-file" in capsys.readouterr().err
        deadline = time.monotonic() + DEADLINE_S
        while thread.is_alive() and time.monotonic() < deadline:
            thread.join(0.1)
        assert not thread.is_alive()
    finally:
        _stop(server, thread)
