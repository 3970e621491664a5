"""Every command's --help: no raw types or ranges, and the global options last, in one order."""

import re

import pytest
import typer.main

from o4cli.cli import app

GLOBAL = ["--json", "--plain", "--quiet", "--profile", "--verbose"]
RAW = re.compile(r"\b(INTEGER|FLOAT|TEXT|PATH|BOOLEAN|RANGE)\b|<[a-z|]+>|\{[A-Z_|.-]+\}|x[<>]=|[<>]=x")


def leaves(cmd, path=()):
    subs = getattr(cmd, "commands", None)
    if subs:
        for name, sub in subs.items():
            yield from leaves(sub, (*path, name))
    else:
        yield path, cmd


COMMANDS = list(leaves(typer.main.get_command(app)))


def test_there_are_many_commands():
    assert len(COMMANDS) >= 28


@pytest.mark.parametrize("path", [p for p, _ in COMMANDS], ids=" ".join)
def test_help_shows_no_raw_types_and_the_globals_last(o4, path):
    r = o4(*path, "--help")
    assert r.code == 0, r.stderr
    assert not RAW.search(r.stdout), RAW.search(r.stdout).group(0)
    options = [p.opts for p in dict(COMMANDS)[path].params if p.opts and p.opts[0].startswith("-")]
    longs = [next((o for o in opts if o.startswith("--")), opts[0]) for opts in options]
    assert longs[-len(GLOBAL):] == GLOBAL, longs
