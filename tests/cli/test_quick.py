"""The quick lane (cli.quick) reads a command line exactly as typer does, or leaves it to typer."""

import pytest

from o4cli.cli import build, quick
from o4cli.cli import context as context_mod

GLOBAL_FIELDS = ("profile", "verbose", "quiet", "plain", "json")


def by_typer(monkeypatch, args):
    """What typer hands ``perform``: (command, the context's global options, the flags)."""
    import o4cli.cli.ask_run as ask_run

    seen = {}

    def perform(app, command, **options):
        seen.update(command=command, globals={f: getattr(app, f) for f in GLOBAL_FIELDS}, options=options)

    monkeypatch.setattr(ask_run, "perform", perform)
    build("ask")(args=args, prog_name="o4", standalone_mode=False)
    return seen["command"], seen["globals"], seen["options"]


def by_quick(args):
    name, root, options = quick.parse(args)
    app = context_mod.AppContext(**root)
    context_mod.apply_globals(app, {g: options.pop(g) for g in quick.spec.GLOBALS})
    return name, {f: getattr(app, f) for f in GLOBAL_FIELDS}, options


SAME = [
    ["ask", "hi"],
    ["stream", "write", "a", "haiku"],
    ["ask"],
    ["ask", "-"],
    ["ask", "hello", "-m", "o4-mini", "world", "-e", "high"],
    ["ask", "--model=gpt-5", "--effort=low", "x"],
    ["ask", "--model=", "x"],
    ["-p", "work", "-q", "ask", "hi", "--json"],
    ["--profile=work", "--verbose", "ask", "hi", "-p", "home"],
    ["--plain", "stream", "hi", "--plain", "-v"],
    ["ask", "-f", "a.txt", "--file", "b.txt", "--file=c.txt", "sum these"],
    ["ask", "--file=a=b.txt", "x"],
    ["ask", "-i", "cat.png", "--detail", "high", "what is it"],
    ["ask", "--max-output", "300", "--max-cost", "0.05", "x"],
    ["ask", "--max-output", "+42", "x"],
    ["ask", "--chain-limit", "2", "--tool", "t.toml", "-y", "x"],
    ["ask", "--resumable", "--no-resumable", "x"],
    ["stream", "--resumable", "x"],
    ["ask", "--flex", "--flex-fallback", "--api", "chat", "x"],
    ["ask", "-c", "--cid", "work", "again"],
    ["ask", "--param", "temperature=1", "-o", "top_p=0.5", "--param", "a.b=c", "x"],
    ["ask", "-s", "be terse", "--schema", "name, age int", "x"],
    ["ask", "--dry-run", "--background", "--no-log", "--no-stdin", "-x", "--extract-all", "x"],
    ["ask", "--tool-calls", "--tool-result", "call_1=out.txt", "--mcp", "gh=https://x", "--mcp-allow", "a", "x"],
    ["ask", "--code-interpreter", "--file-search", "vs_1", "x"],
    ["ask", "-t", "review", "--var", "LANG=go", "--var", "X=y"],
    ["ask", "--system", "a", "--system", "b", "x"],  # the last one wins, as click has it
    ["ask", "é ünïcode", "--model", "o3"],
]


@pytest.mark.parametrize("args", SAME, ids=" ".join)
def test_it_reads_a_command_line_as_typer_does(monkeypatch, args):
    assert quick.parse(args) is not None
    assert by_quick(args) == by_typer(monkeypatch, args)


TYPER = [
    [],
    ["--help"],
    ["ask", "--help"],
    ["ask", "-h"],
    ["--version"],
    ["ask", "--", "-x"],
    ["-qv", "ask", "hi"],  # bundled short flags
    ["ask", "-fa.txt", "x"],  # a short option glued to its value
    ["ask", "-f=a.txt", "x"],  # click reads the value "=a.txt"
    ["ask", "-m"],  # a value missing
    ["ask", "-s", "-be terse-", "x"],  # a value that starts with a dash
    ["ask", "--effort", "extreme", "x"],  # not a choice
    ["ask", "--max-output", "lots", "x"],  # not a number
    ["ask", "--flex=yes", "x"],  # a flag given a value
    ["ask", "--nope", "x"],
    ["ask", "-5", "x"],
    ["batch", "run", "x"],
    ["models", "show"],
    ["-p", "ask"],  # "ask" is the profile: no command
    ["--install-completion"],
]


@pytest.mark.parametrize("args", TYPER, ids=" ".join)
def test_what_it_cannot_read_exactly_goes_to_typer(args):
    assert quick.parse(args) is None


def test_shell_completion_always_goes_to_typer():
    assert quick.plan(["ask", "hi"], {"_O4_COMPLETE": "complete_bash"}) is None
    assert quick.plan(["ask", "hi"], {}) is not None


def test_typer_refuses_what_the_lane_left_to_it(o4):
    """The lane's refusals end as typer's usage errors (exit 2), one line, no traceback."""
    for args in (["ask", "--effort", "extreme", "x"], ["ask", "--max-output", "lots", "x"], ["ask", "--nope"]):
        r = o4(*args)
        assert (
            r.code == 2
            and "Traceback" not in r.stderr
            and ("Invalid value" in r.stderr or "No such option" in r.stderr)
        )
