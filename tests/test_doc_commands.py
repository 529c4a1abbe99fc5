"""Every ``qanat`` command the README and docs/ give names a command that exists and only
options that command takes.

The commands are read from inline code (`` `qanat poll --config site.toml --once` ``) and
from the lines of code blocks that start with ``qanat`` (or ``$ qanat``, ``sudo qanat``);
each is checked against the arguments the command's own module adds
(``add_arguments``, as ``qanat`` builds its parser from :data:`controller.cli.COMMANDS`),
following its actions (``token create``) down the subparsers. docs/CHANGELOG.md is
history, and not read.
"""

from __future__ import annotations

import argparse
import importlib
import re
import shlex
from functools import cache

import pytest

from controller.cli import COMMANDS
from tests.helpers.site import ROOT

DOCS = [
    ROOT / "README.md",
    *sorted(p for p in (ROOT / "docs").glob("*.md") if p.stem != "CHANGELOG"),
]


def _commands() -> list[tuple[str, str]]:
    """(file, command) for every command the documents give, once each."""
    found: dict[str, str] = {}
    for path in DOCS:
        text = path.read_text(encoding="utf-8")
        inline = [c.replace("\n", " ") for c in re.findall(r"`(qanat [^`]+)`", text)]
        blocks = []
        for block in re.findall(r"```[a-z]*\n(.*?)```", text, flags=re.S):
            for line in block.replace("\\\n", " ").splitlines():
                line = line.removeprefix("$ ").removeprefix("sudo ").strip()
                if line.startswith("qanat "):
                    blocks.append(line.split(" #", 1)[0])
        for command in inline + blocks:
            found.setdefault(" ".join(command.split()), path.name)
    return [(doc, command) for command, doc in found.items()]


def _words(command: str) -> list[str]:
    try:
        return shlex.split(command)
    except ValueError:  # an unclosed quote in a placeholder
        return command.split()


def _subparsers(parser: argparse.ArgumentParser) -> dict[str, argparse.ArgumentParser]:
    return next(
        (a.choices for a in parser._actions if isinstance(a, argparse._SubParsersAction)), {}
    )


@cache
def _command_parser(name: str) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog=f"qanat {name}")
    importlib.import_module(COMMANDS[name][0]).add_arguments(parser)
    return parser


def _options(name: str, words: list[str]) -> set[str]:
    """The options of ``qanat NAME`` and of the actions ``words`` go down to."""
    parser = _command_parser(name)
    options = {o for a in parser._actions for o in a.option_strings}
    for word in words:
        if word in (choices := _subparsers(parser)):
            parser = choices[word]
            options |= {o for a in parser._actions for o in a.option_strings}
    return options


COMMANDS_GIVEN = _commands()


def test_the_documents_give_commands() -> None:
    assert len(COMMANDS_GIVEN) > 50
    assert {doc for doc, _ in COMMANDS_GIVEN} >= {"README.md", "operations.md", "deploy.md"}


@pytest.mark.parametrize(("doc", "command"), COMMANDS_GIVEN, ids=[c for _, c in COMMANDS_GIVEN])
def test_a_documented_command_exists_with_its_options(doc: str, command: str) -> None:
    words = _words(command)
    name = words[1]
    if name not in COMMANDS:
        pytest.fail(f"{doc}: {command!r}: qanat has no command {name!r}")
    given = {re.split(r"[=\]\[|,.;:)]", w.lstrip("["), maxsplit=1)[0] for w in words[2:]}
    unknown = sorted(o for o in given if o.startswith("--") and o not in _options(name, words))
    assert unknown == [], f"{doc}: {command!r}"
