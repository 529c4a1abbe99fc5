"""qanat pull as a command: the sites file, exit statuses, and a kill -9 in the middle."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from controller.cli import main
from controller.office.central import CentralDB
from controller.office.pull import SitesFileError, load_sites
from tests.helpers.office.boxes import Box, assert_exact, running_box
from tests.helpers.site import ROOT, refusing_port


@pytest.fixture
def box(tmp_path: Path) -> Iterator[Box]:
    with running_box(tmp_path / "box", "ganzhou-01", days=40, readings_per_day=250) as b:
        yield b


def _sites_file(tmp_path: Path, *boxes: tuple[str, str, str]) -> Path:
    lines = []
    for site_id, url, token in boxes:
        token_file = tmp_path / f"{site_id}.token"
        token_file.write_text(token + "\n", encoding="utf-8")
        lines += [
            "[[sites]]",
            f'id = "{site_id}"',
            f'url = "{url}"',
            f'token_file = "{token_file.name}"',
            # generous: an offline site is refused at once whatever the timeout, and a box
            # serving its export on a loaded 2-core machine took over 5 s
            "timeout_s = 60",
            "",
        ]
    path = tmp_path / "sites.toml"
    path.write_text("\n".join(lines), encoding="utf-8")
    return path


def _problems(tmp_path: Path, text: str) -> list[str]:
    """The problems load_sites finds in a sites.toml of ``text`` (it must refuse it)."""
    path = tmp_path / "sites.toml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(SitesFileError) as caught:
        load_sites(path)
    return caught.value.problems


def test_sites_file_problems_name_their_key(tmp_path: Path) -> None:
    problems = _problems(
        tmp_path,
        '[[sites]]\nid = "a"\nurl = "ftp://x"\ntoken = "t"\n'
        '[[sites]]\nid = "a"\nurl = "http://x"\ntoken_file = "missing"\ncolour = 1\n'
        '[[sites]]\nid = "a"\nurl = "http://y"\ntoken = "t"\n',
    )
    assert "sites[0].url: an http:// or https:// base URL is required" in problems
    assert "sites[1].colour: unknown key" in problems
    assert any(p.startswith("sites[1].token_file: cannot read") for p in problems)
    assert "sites[2].id: 'a' is listed twice" in problems


def test_one_box_under_two_ids_is_refused(tmp_path: Path) -> None:
    """A [[sites]] block copied and its id changed but not its url: the office would hold
    the box twice and the district's report count its water twice."""
    problems = _problems(
        tmp_path,
        '[[sites]]\nid = "ganzhou-01"\nurl = "http://10.20.0.11:8080"\ntoken = "t"\n'
        '[[sites]]\nid = "ganzhou-02"\nurl = "HTTP://10.20.0.11:8080/"\ntoken = "t"\n'
        '[[sites]]\nid = "ganzhou-03"\nurl = "http://10.20.0.13:8080"\ntoken = "t"\n',
    )
    assert problems == [
        "sites[1].url: 'HTTP://10.20.0.11:8080' is also sites[0] ('ganzhou-01'): "
        "one box under two ids would count its water twice"
    ]


def test_an_unreadable_sites_file_is_one_line_naming_it(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Not there, or not UTF-8 (saved by a Windows editor as GBK): exit 2 and a line naming
    the file, never a traceback."""
    db = str(tmp_path / "office.db")
    missing = tmp_path / "SITES.toml"
    assert main(["pull", "--sites", str(missing), "--db", db]) == 2
    assert f"cannot read {missing}: No such file or directory" in capsys.readouterr().err
    gbk = tmp_path / "sites-gbk.toml"
    gbk.write_bytes('[[sites]]\nid = "甘州"\n'.encode("gbk"))
    assert main(["pull", "--sites", str(gbk), "--db", db]) == 2
    assert "sites-gbk.toml: not UTF-8 text" in capsys.readouterr().err


def test_exit_status_and_one_json_line_per_site(
    tmp_path: Path, box: Box, capsys: pytest.CaptureFixture[str]
) -> None:
    db = tmp_path / "office.db"
    with refusing_port() as port:
        offline = ("offline", f"http://127.0.0.1:{port}", "x")
        sites = _sites_file(tmp_path, (box.site_id, box.url, box.token), offline)
        assert main(["pull", "--sites", str(sites), "--db", str(db), "--no-progress"]) == 1
    out, err = capsys.readouterr()
    assert err.splitlines()[-1] == "1 of 2 sites failed: offline"
    lines = [json.loads(line) for line in out.splitlines()]
    assert [(r["site"], r["ok"]) for r in lines] == [("ganzhou-01", True), ("offline", False)]
    assert lines[0]["rows"]["readings"] == 10_000
    bad = tmp_path / "bad.toml"
    bad.write_text("sites = 3\n", encoding="utf-8")
    assert main(["pull", "--sites", str(bad), "--db", str(db)]) == 2


def test_kill_9_mid_pull_then_rerun_is_exact(tmp_path: Path, box: Box) -> None:
    sites = _sites_file(tmp_path, (box.site_id, box.url, box.token))
    db = tmp_path / "office.db"
    command = [
        sys.executable,
        "-m",
        "controller.cli",
        "pull",
        "--sites",
        str(sites),
        "--db",
        str(db),
        "--page-rows",
        "100",
        "--no-progress",
    ]
    proc = subprocess.Popen(command, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        deadline = time.monotonic() + 60
        cursor = 0
        while cursor < 1000:  # some pages stored, most of the 10,000 readings still to come
            assert proc.poll() is None, proc.stderr.read() if proc.stderr else ""
            assert time.monotonic() < deadline, "the pull made no progress"
            time.sleep(0.05)
            if db.exists():
                with CentralDB(f"sqlite:///{db}") as office:
                    cursor = office.cursors(box.site_id).get("readings", 0)
        os.kill(proc.pid, signal.SIGKILL)
    finally:
        proc.wait(10)
    with CentralDB(f"sqlite:///{db}") as office:
        assert 1000 <= office.cursors(box.site_id)["readings"] < 10_000
    assert box.store.export_acked() == {}
    assert main(["pull", "--sites", str(sites), "--db", str(db), "--no-progress"]) == 0
    with CentralDB(f"sqlite:///{db}") as office:
        assert_exact(office, [box])


def test_office_retention_key_is_checked(
    tmp_path: Path, box: Box, capsys: pytest.CaptureFixture[str]
) -> None:
    sites = _sites_file(tmp_path, (box.site_id, box.url, box.token))
    sites.write_text(
        "[office]\nkeep_months = 0\ncolour = 1\n\n" + sites.read_text(encoding="utf-8"),
        encoding="utf-8",
    )
    db = tmp_path / "office.db"
    assert main(["pull", "--sites", str(sites), "--db", str(db), "--no-progress"]) == 2
    err = capsys.readouterr().err
    assert "office.keep_months" in err and "office.colour: unknown key" in err


def test_pull_into_postgresql_by_worker_processes_with_retention(
    tmp_path: Path, box: Box, pg_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    sites = _sites_file(tmp_path, (box.site_id, box.url, box.token))
    sites.write_text("[office]\nkeep_months = 1200\n\n" + sites.read_text(), encoding="utf-8")
    args = ["pull", "--sites", str(sites), "--db", pg_url, "--workers", "2", "--no-progress"]
    assert main(args) == 0
    line = json.loads(capsys.readouterr().out.splitlines()[0])
    assert line["ok"] and line["rows"]["readings"] == 10_000
    # --keep-months wins over the file: one month kept, every month of the box dropped.
    assert main([*args, "--keep-months", "1"]) == 0
    assert "retention: dropped readings_p2026" in capsys.readouterr().err
    with CentralDB(pg_url) as db:
        assert db.partitions() == []
        assert db.row_count(box.site_id, "runs") == len(box.store.runs())


def test_a_token_file_not_utf8_is_a_problem_naming_it(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A token file saved by an editor as UTF-16 (a byte-order mark 0xff 0xfe first): exit 2
    and the key and file named, never a traceback."""
    (tmp_path / "box.token").write_bytes("tok".encode("utf-16"))
    sites = tmp_path / "sites.toml"
    sites.write_text(
        '[[sites]]\nid = "a"\nurl = "http://127.0.0.1:1"\ntoken_file = "box.token"\n',
        encoding="utf-8",
    )
    assert main(["pull", "--sites", str(sites), "--db", str(tmp_path / "o.db")]) == 2
    err = capsys.readouterr().err
    assert f"sites[0].token_file: {tmp_path / 'box.token'} is not UTF-8 text (byte 0)" in err


def test_a_token_a_header_cannot_carry_is_a_problem_naming_it(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A token file holding two lines, or a token pasted with its ``Bearer`` or in Chinese:
    exit 2 naming the key and the characters, before any site is asked (such a token made
    the HTTP client raise in a worker, a traceback that stopped every site's pull)."""
    (tmp_path / "two.token").write_text("abc\ndef\n", encoding="utf-8")
    problems = _problems(
        tmp_path,
        '[[sites]]\nid = "a"\nurl = "http://127.0.0.1:1"\ntoken_file = "two.token"\n'
        '[[sites]]\nid = "b"\nurl = "http://127.0.0.1:1"\ntoken = "Bearer abc"\n'
        '[[sites]]\nid = "c"\nurl = "http://127.0.0.1:1"\ntoken = "令牌"\n'
        '[[sites]]\nid = "d"\nurl = "http://127.0.0.1:1"\ntoken = "aZ09-._~+/=="\n',
    )
    sites = tmp_path / "sites.toml"
    assert len(problems) == 3
    assert problems[0].startswith("sites[0].token_file: not a bearer token: it holds '\\n' (")
    assert problems[1].startswith("sites[1].token: not a bearer token: it holds ' ' (")
    assert problems[2].startswith("sites[2].token: not a bearer token: it holds '令', '牌' (")
    assert main(["pull", "--sites", str(sites), "--db", str(tmp_path / "o.db")]) == 2
    assert "sites[1].token: not a bearer token" in capsys.readouterr().err


def test_a_timeout_of_true_is_not_one_second(tmp_path: Path) -> None:
    """TOML's ``true`` is a Python int (1): ``timeout_s = true`` was taken as 1 s."""
    problems = _problems(
        tmp_path, '[[sites]]\nid = "a"\nurl = "http://x"\ntoken = "t"\ntimeout_s = true\n'
    )
    assert problems == ["sites[0].timeout_s: seconds in (0, 600] expected"]


def test_an_office_database_that_cannot_open_is_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """``--db`` naming a directory: exit 2 and the driver's reason on one line, without
    SQLAlchemy's link to its own error pages."""
    sites = tmp_path / "sites.toml"
    sites.write_text('[[sites]]\nid = "a"\nurl = "http://x"\ntoken = "t"\n', encoding="utf-8")
    assert main(["pull", "--sites", str(sites), "--db", str(tmp_path), "--no-progress"]) == 2
    err = capsys.readouterr().err
    assert err == (
        f"cannot open the office database: write to sqlite:///{tmp_path} failed: "
        "unable to open database file\n"
    )
