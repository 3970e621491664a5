"""``o4 ask`` (the whole answer) and ``o4 stream`` (the answer as it is written).

The flags are declared here for typer; ``cli.ask_run.perform`` does the work. One function
serves both commands; ``ctx.info_name`` tells which was called.
"""

from __future__ import annotations

from typing import Annotated, Optional

import typer

from o4cli.cli.options import (
    ApiKind,
    Detail,
    DryRunOpt,
    EffortOpt,
    MaxCostOpt,
    MaxOutputOpt,
    ModelOpt,
    NoLogOpt,
    SystemOpt,
    TemplateOpt,
    VarOpt,
    command,
    context,
)

ASK_HELP = """Send one prompt and print the whole answer.

The prompt is the words, then stdin when it is not a terminal, then each -f file
under its name. The token and cost summary goes to stderr; stdout is the answer."""

STREAM_HELP = """Send one prompt and print the answer as it is written.

On a terminal the markdown renders live and the reasoning summary shows dimmed;
piped, the raw text is flushed as it arrives. Ctrl-C keeps what arrived (exit 130).
With --resumable (or the profile's resumable = true) the call runs in background
mode and a dropped connection is resumed where it stopped."""

ListOpt = Optional[list[str]]


def run(
    ctx: typer.Context,
    words: Annotated[
        ListOpt, typer.Argument(metavar="[PROMPT]...", help="The prompt's words.", show_default=False)
    ] = None,
    file: Annotated[
        ListOpt,
        typer.Option(
            "--file", "-f", metavar="FILE", help="A text file to add under its name (repeatable).", show_default=False
        ),
    ] = None,
    image: Annotated[
        ListOpt,
        typer.Option(
            "--image",
            "-i",
            metavar="FILE|URL",
            help="An image: PNG, JPEG, WEBP or still GIF file, or a URL (repeatable).",
            show_default=False,
        ),
    ] = None,
    detail: Annotated[Detail, typer.Option("--detail", help="Image detail.")] = Detail.auto,
    system: SystemOpt = None,
    model: ModelOpt = None,
    effort: EffortOpt = None,
    max_output: MaxOutputOpt = None,
    schema: Annotated[
        Optional[str],
        typer.Option(
            "--schema",
            metavar="FILE|JSON|FIELDS",
            help="Strict structured output: a JSON Schema file, inline JSON, or fields ('name, age int, tags list').",
            show_default=False,
        ),
    ] = None,
    api: Annotated[
        Optional[ApiKind],
        typer.Option("--api", help="Which API (default: the profile's, responses).", show_default=False),
    ] = None,
    flex: Annotated[
        bool, typer.Option("--flex", help="Flex service tier: half price, slower, may lack capacity.")
    ] = False,
    flex_fallback: Annotated[
        bool,
        typer.Option(
            "--flex-fallback", help="With --flex: when flex has no capacity, send again at the standard tier."
        ),
    ] = False,
    cont: Annotated[
        bool,
        typer.Option(
            "--continue", "-c", help="Continue the profile's latest conversation (its instructions, model, effort)."
        ),
    ] = False,
    cid: Annotated[
        Optional[str],
        typer.Option(
            "--cid",
            metavar="ID",
            help="Continue this conversation (an id from `o4 logs`, or a response id); a new name starts one.",
            show_default=False,
        ),
    ] = None,
    param: Annotated[
        ListOpt,
        typer.Option(
            "--param",
            metavar="KEY=VALUE",
            help="Any other request-body field; VALUE is JSON where it parses; dotted keys nest (repeatable).",
            show_default=False,
        ),
    ] = None,
    option: Annotated[
        ListOpt, typer.Option("--option", "-o", metavar="KEY=VALUE", hidden=True, help="The old spelling of --param.")
    ] = None,
    max_cost: MaxCostOpt = None,
    dry_run: DryRunOpt = False,
    background: Annotated[
        bool,
        typer.Option(
            "--background",
            help="Run it on the server: print its id and exit; `o4 wait ID` gives the answer (Responses API).",
        ),
    ] = False,
    resumable: Annotated[
        Optional[bool],
        typer.Option(
            "--resumable/--no-resumable",
            help="stream: background mode, resumed after a dropped connection (default: the profile's resumable).",
            show_default=False,
        ),
    ] = None,
    tool: Annotated[
        ListOpt,
        typer.Option(
            "--tool",
            metavar="FILE",
            help="Tool definitions (TOML or JSON) the model may call (repeatable).",
            show_default=False,
            rich_help_panel="Tools",
        ),
    ] = None,
    chain_limit: Annotated[
        int, typer.Option("--chain-limit", metavar="N", help="At most N rounds of tool calls.", rich_help_panel="Tools")
    ] = 5,
    yes: Annotated[
        bool, typer.Option("--yes", "-y", help="Run every tool call without asking.", rich_help_panel="Tools")
    ] = False,
    tool_calls: Annotated[
        bool,
        typer.Option(
            "--tool-calls",
            help="Print the model's tool calls as JSON and exit 7; run nothing.",
            rich_help_panel="Tools",
        ),
    ] = False,
    tool_result: Annotated[
        ListOpt,
        typer.Option(
            "--tool-result",
            metavar="CALL_ID=FILE|-",
            help="A call's output, to continue the conversation after --tool-calls (repeatable).",
            show_default=False,
            rich_help_panel="Tools",
        ),
    ] = None,
    code_interpreter: Annotated[
        bool,
        typer.Option("--code-interpreter", help="OpenAI's code interpreter (Responses API).", rich_help_panel="Tools"),
    ] = False,
    file_search: Annotated[
        ListOpt,
        typer.Option(
            "--file-search",
            metavar="VECTOR_STORE_ID",
            help="Search this vector store (repeatable).",
            show_default=False,
            rich_help_panel="Tools",
        ),
    ] = None,
    mcp: Annotated[
        ListOpt,
        typer.Option(
            "--mcp",
            metavar="LABEL=URL",
            help="A remote MCP server; its token comes from O4_MCP_<LABEL>_TOKEN (repeatable).",
            show_default=False,
            rich_help_panel="Tools",
        ),
    ] = None,
    mcp_allow: Annotated[
        ListOpt,
        typer.Option(
            "--mcp-allow",
            metavar="TOOL",
            help="Only these MCP tools (repeatable).",
            show_default=False,
            rich_help_panel="Tools",
        ),
    ] = None,
    # --- history, templates and pipelines (issue 15)
    template: TemplateOpt = None,
    var: VarOpt = None,
    no_log: NoLogOpt = False,
    no_stdin: Annotated[
        bool, typer.Option("--no-stdin", help="Never read stdin (for `while read ...; do o4 ask ...; done` loops).")
    ] = False,
    extract: Annotated[
        bool, typer.Option("--extract", "-x", help="Print only the answer's first fenced code block.")
    ] = False,
    extract_all: Annotated[
        bool, typer.Option("--extract-all", help="Print only the answer's fenced code blocks, all of them.")
    ] = False,
) -> Optional[int]:
    given = dict(locals())  # the parameters alone (nothing else is bound yet), as typer converted them
    from o4cli.cli.ask_run import perform

    return perform(context(ctx), ctx.info_name or "ask", **{k: v for k, v in given.items() if k != "ctx"})


def register(app: typer.Typer) -> None:
    command(app, "ask", help=ASK_HELP)(run)
    command(app, "stream", help=STREAM_HELP)(run)
