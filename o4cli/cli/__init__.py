"""The command layer: typer declarations (``cli.tree`` and a module per command group), the
quick lane for a plain ``o4 ask`` (``cli.quick``), and the shared context and options.

Importing this package imports nothing: ``o4cli.cli.context`` and the quick lane must not pay
for typer. ``from o4cli.cli import app, build, app_for, ...`` reaches ``cli.tree``.
"""


def __getattr__(name: str):  # noqa: ANN202 - whatever cli.tree has by that name
    # only these: `from o4cli.cli import quick` asks for "quick" here before importing it
    if name not in TREE:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    import importlib

    return getattr(importlib.import_module("o4cli.cli.tree"), name)


TREE = frozenset({"app", "app_for", "build", "command_name", "COMMANDS", "VALUE_OPTIONS"})
