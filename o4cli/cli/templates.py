"""``o4 templates``: saved prompts, instructions and options (``-t NAME`` applies one)."""

from __future__ import annotations

from typing import Annotated, Optional

import typer

from o4cli.cli.options import EffortOpt, ModelOpt, SystemOpt, command, context

app = typer.Typer(
    help="Saved prompts, instructions and options, applied with `o4 ask -t NAME --var KEY=VALUE`.",
    no_args_is_help=True,
    rich_markup_mode=None,
)

NameArg = Annotated[str, typer.Argument(metavar="NAME", help="The template's name.")]


@command(app, "list")
def list_(ctx: typer.Context) -> None:
    """The saved templates: name, model, variables, description."""
    from o4cli.core import templates

    app_ctx = context(ctx)
    found = templates.all_templates(app_ctx.env)
    if app_ctx.json:
        app_ctx.out.json([t.document() for t in found])
    elif found:
        rows = [[t.name, t.model or "-", " ".join(t.variables()) or "-", t.description or ""] for t in found]
        app_ctx.out.table(["name", "model", "variables", "description"], rows)
    else:
        app_ctx.notice(
            f"no templates in {templates.folder(app_ctx.env)}; save one with `o4 templates save NAME -s ...`"
        )


@command(app)
def show(ctx: typer.Context, name: NameArg) -> None:
    """A template's file (with --json: its fields and variables)."""
    from o4cli.core import templates

    app_ctx = context(ctx)
    tpl = templates.load(app_ctx.env, name)
    if app_ctx.json:
        app_ctx.out.json(tpl.document())
    else:
        app_ctx.out.write(tpl.path.read_text(encoding="utf-8"))


@command(app)
def save(
    ctx: typer.Context,
    name: NameArg,
    system: SystemOpt = None,
    prompt: Annotated[
        Optional[str],
        typer.Option(
            "--prompt", metavar="PROMPT", help="Text put before the words ($input: the words).", show_default=False
        ),
    ] = None,
    model: ModelOpt = None,
    effort: EffortOpt = None,
    schema: Annotated[
        Optional[str],
        typer.Option("--schema", metavar="FILE|JSON|FIELDS", help="What --schema takes.", show_default=False),
    ] = None,
    param: Annotated[
        Optional[list[str]],
        typer.Option("--param", metavar="KEY=VALUE", help="A request-body field (repeatable).", show_default=False),
    ] = None,
    description: Annotated[
        Optional[str],
        typer.Option("--description", metavar="LINE", help="One line saying what it is for.", show_default=False),
    ] = None,
    force: Annotated[bool, typer.Option("--force", help="Replace a template of that name.")] = False,
) -> None:
    """Save a template from flags: -s, --prompt, -m, -e, --schema, --param ($NAME marks a variable)."""
    from o4cli.core import templates
    from o4cli.core.ask.request import parse_option
    from o4cli.core.errors import UsageError

    app_ctx = context(ctx)
    values = {
        "description": description,
        "system": system,
        "prompt": prompt,
        "model": model,
        "effort": effort.value if effort else None,
        "schema": schema,
        "params": dict(parse_option(p) for p in param or ()),
    }
    if not any(values.values()):
        raise UsageError("nothing to save: give -s, --prompt, -m, -e, --schema or --param")
    path = templates.save(app_ctx.env, name, values, force=force)
    app_ctx.notice(f"saved template '{name}' ({path})")


@command(app)
def edit(ctx: typer.Context, name: NameArg) -> None:
    """Open a template in $VISUAL or $EDITOR (a new one starts from an example); it is checked
    before it replaces the saved one."""
    import shlex
    import subprocess

    from o4cli.core import templates
    from o4cli.core.errors import UsageError
    from o4cli.core.files import write_atomic

    app_ctx = context(ctx)
    editor = app_ctx.env.get("VISUAL") or app_ctx.env.get("EDITOR")
    if not editor:
        raise UsageError("no editor: set $VISUAL or $EDITOR", hint=f"or edit {templates.path_of(app_ctx.env, name)}")
    path = templates.path_of(app_ctx.env, name)
    text = path.read_text(encoding="utf-8") if path.exists() else templates.EXAMPLE
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    draft = path.with_name(f".{name}.edit.toml")
    write_atomic(draft, text.encode())
    try:
        code = subprocess.call([*shlex.split(editor), str(draft)])
    except OSError as exc:
        raise UsageError(f"cannot run the editor {editor!r}: {exc}") from None
    if code != 0:
        raise UsageError(f"the editor exited with {code}; {path} is unchanged", hint=f"your draft is in {draft}")
    edited = draft.read_text(encoding="utf-8")
    try:
        templates.parse(name, path, edited)
    except UsageError as exc:
        exc.hint = f"not saved; your draft is in {draft}"
        raise
    write_atomic(path, edited.encode())
    draft.unlink()
    app_ctx.notice(f"saved template '{name}' ({path})")


@command(app)
def rm(ctx: typer.Context, name: NameArg) -> None:
    """Delete a template."""
    from o4cli.core import templates

    app_ctx = context(ctx)
    path = templates.remove(app_ctx.env, name)
    app_ctx.notice(f"deleted template '{name}' ({path})")
