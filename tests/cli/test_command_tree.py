"""Only the command that runs is built: which module a command line needs."""

import pytest
import typer.main

from o4cli.cli import COMMANDS, app_for, build, command_name


@pytest.mark.parametrize(
    ("args", "name"),
    [
        (["ask", "hi"], "ask"),
        (["-p", "work", "stream", "hi"], "stream"),
        (["--profile", "work", "-q", "batch", "run", "x"], "batch"),
        (["--profile=work", "models", "show"], "models"),
        (["-qvp", "work", "usage"], "usage"),
        (["-qv", "config", "show"], "config"),
        (["--json", "finetune", "list"], "finetune"),
        (["--help"], None),
        (["-h", "ask"], None),
        ([], None),
        (["nope"], None),  # click's "No such command" needs the whole tree
        (["--version"], None),
        (["-p", "ask"], None),  # "ask" is the profile here
    ],
)
def test_the_command_a_run_names(args, name):
    assert command_name(args) == name


def test_completion_gets_the_whole_tree():
    names = set(typer.main.get_command(app_for(["ask"], {"_O4_COMPLETE": "bash_complete"})).commands)
    assert names == set(COMMANDS)


def test_each_command_alone_is_the_same_command_as_in_the_whole_tree():
    whole = typer.main.get_command(build())
    for name in COMMANDS:
        alone = typer.main.get_command(build(name))
        assert name in alone.commands and len(alone.commands) < len(whole.commands)
        assert [p.name for p in alone.commands[name].params] == [p.name for p in whole.commands[name].params]
