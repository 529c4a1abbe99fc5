"""The help of the commands an office and a technician read first: every option says what it
does, and one with a default names it (what runs when it is not given)."""

from __future__ import annotations

import argparse
import importlib

import pytest

from controller.cli import COMMANDS

COMMANDS_READ_FIRST = ("check-config", "simulate", "report", "pull")


def _options(command: str) -> list[tuple[argparse.Action, str]]:
    """Each option of ``command`` with its help as printed (``%(default)s`` filled in)."""
    parser = argparse.ArgumentParser(prog=f"qanat {command}")
    importlib.import_module(COMMANDS[command][0]).add_arguments(parser)
    shown = parser._get_formatter()
    return [
        (a, shown._expand_help(a) if a.help else "")
        for a in parser._actions
        if not isinstance(a, argparse._HelpAction)
    ]


@pytest.mark.parametrize("command", COMMANDS_READ_FIRST)
def test_each_option_has_help_naming_its_default(command: str) -> None:
    for action, shown in _options(command):
        name = action.option_strings[-1] if action.option_strings else action.dest
        assert shown, f"qanat {command} {name}: no help"
        default = action.default
        if default not in (None, False):  # a flag's False is no default to name
            said = f"{default:g}" if isinstance(default, float) else str(default)
            assert f"default {said})" in shown, (
                f"qanat {command} {name}: its help does not name its default {said}: {shown!r}"
            )


def _unhelped(parser: argparse.ArgumentParser, said: str) -> list[str]:
    """``said``'s options and positionals without help, its sub-commands' too."""
    missing = []
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, sub in action.choices.items():
                missing += _unhelped(sub, f"{said} {name}")
        elif not isinstance(action, argparse._HelpAction) and not action.help:
            missing.append(f"{said} {(action.option_strings or [action.dest])[-1]}")
    return missing


def test_every_option_of_every_command_says_what_it_does() -> None:
    missing = []
    for command, (module, _) in COMMANDS.items():
        parser = argparse.ArgumentParser(prog=f"qanat {command}")
        importlib.import_module(module).add_arguments(parser)
        missing += _unhelped(parser, f"qanat {command}")
    assert missing == []
