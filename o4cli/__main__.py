"""Entry point: ``o4`` and ``python -m o4cli``. The one place errors become exit codes."""

from __future__ import annotations

import gc
import sys

TYPE_CHECKING = False  # not typing's: `o4 --version` imports nothing it does not need
if TYPE_CHECKING:
    from collections.abc import Callable
    from typing import Any


def main(argv: list[str] | None = None) -> int:
    """Run the CLI; return (and exit with) the process exit code."""
    args = sys.argv[1:] if argv is None else argv
    if args == ["--version"]:
        # Answered before typer is imported: `o4 --version` stays at interpreter speed.
        from o4cli import __version__

        sys.stdout.write(f"o4 {__version__}\n")
        return 0

    process = argv is None  # the o4 process itself, not a test calling main()
    if process:
        _lazy_gc()
    import os

    from o4cli.cli.context import CURRENT
    from o4cli.cli.quick import plan

    token = CURRENT.set(None)
    otel = _otel_begin()
    try:
        # a plain `o4 ask ...` runs without typer (cli.quick); everything else through typer
        quick = plan(args, os.environ)
        return _run(quick or _typer(args, os.environ), args)
    finally:
        ctx = CURRENT.get()
        if otel is not None:
            _otel_end(otel, ctx)
        if ctx is not None:
            ctx.close()
        CURRENT.reset(token)
        if process:
            # Everything is closed and flushed; the process ends now. Frozen, its objects are
            # not searched for reference cycles once more at exit: about 7 ms of a one-off call.
            gc.freeze()


GC_DEFAULT = gc.get_threshold()
GC_LAZY = 100_000  # allocations between young collections while o4 starts and for a one-off call


def _lazy_gc() -> None:
    """Fewer cycle searches while modules load (a one-off call's start-up ran about 3.5 ms of
    them). Still bounded: a long stream collects every GC_LAZY allocations; the typer commands
    (batch run, chat...) get the default back before they start (``_typer``)."""
    gc.set_threshold(GC_LAZY, *GC_DEFAULT[1:])


def _otel_begin():  # noqa: ANN202 - a ContextVar token, or None
    """OpenTelemetry export only when an OTLP endpoint variable is set: otherwise not even
    its module is imported (start-up stays as it is)."""
    import os

    if not any(name.startswith("OTEL_EXPORTER_OTLP") for name in os.environ):
        return None
    from o4cli.core import telemetry

    return telemetry.begin(os.environ)


def _otel_end(token, ctx) -> None:  # noqa: ANN001
    import os

    from o4cli.core import telemetry
    from o4cli.render import Out

    out = ctx.out if ctx is not None else Out(sys.stdout, sys.stderr, os.environ)
    telemetry.end(token, out.warn)


def _typer(args: list[str], env) -> Callable[[], Any]:  # noqa: ANN001
    """The run of ``args`` by typer: the app that ``args`` needs (``cli.app_for``)."""
    from o4cli.cli import app_for

    app = app_for(args, env)
    gc.set_threshold(*GC_DEFAULT)  # built: the command runs with the interpreter's default
    return lambda: app(args=args, prog_name="o4", standalone_mode=False)


def _run(call: Callable[[], Any], args: list[str]) -> int:
    from o4cli.cli.context import ReaderGone
    from o4cli.core.errors import ExitCode, O4Error

    try:
        result = call()
    except O4Error as exc:
        return _fail(exc, args)
    except KeyboardInterrupt:
        sys.stderr.write("o4: interrupted\n")
        return int(ExitCode.INTERRUPTED)
    except SystemExit as exc:
        code = exc.code
        return code if isinstance(code, int) else (0 if code is None else 1)
    except (BrokenPipeError, ReaderGone):
        # The reader went away (`o4 ... | head`): its choice, not a failure. One rule for every
        # command: stop quietly, exit 0 (what was paid is recorded), and silence the final
        # flush, as the Python docs advise.
        import os

        try:
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, sys.stdout.fileno())
            os.close(devnull)
        except (OSError, ValueError):
            pass
        return 0
    except Exception as exc:  # noqa: BLE001 - a bug must still end in one line, never a traceback
        import os

        if "typer" in sys.modules and (code := _click_exit(exc, args)) is not None:
            return code
        if os.environ.get("O4_DEBUG"):
            raise
        return _fail(
            O4Error(
                f"internal error: {type(exc).__name__}: {exc}",
                hint="this is a bug in o4: please report it with the output of the same command run with -v "
                "(O4_DEBUG=1 shows the traceback)",
            ),
            args,
        )
    return result if isinstance(result, int) else 0


def _click_exit(exc: Exception, args: list[str]) -> int | None:
    """typer's own ends (usage errors, Abort, Exit), as click shows them; None for others.
    Looked at only when typer ran: the quick lane never imports it."""
    from typer import exceptions as typer_exc
    from typer._click import exceptions as click_exc

    from o4cli.core.errors import ExitCode, UsageError

    if isinstance(exc, click_exc.UsageError):
        if _json_wanted(args):
            return _fail(UsageError(exc.format_message()), args)
        exc.show()
        return exc.exit_code
    if isinstance(exc, click_exc.ClickException):
        exc.show()
        return exc.exit_code
    if isinstance(exc, typer_exc.Abort):
        sys.stderr.write("o4: interrupted\n")
        return int(ExitCode.INTERRUPTED)
    return None


def _json_wanted(args: list[str]) -> bool:
    from o4cli.cli.context import CURRENT

    ctx = CURRENT.get()
    return bool(ctx is not None and ctx.json) or "--json" in args


def _fail(exc, args: list[str]) -> int:  # noqa: ANN001 - an O4Error
    """The error on stderr; with --json its document on stdout too, unless the command
    already printed its own (which then says what failed): one document, always."""
    import os

    from o4cli.cli.context import CURRENT
    from o4cli.core import documents
    from o4cli.render import Out

    ctx = CURRENT.get()
    out = ctx.out if ctx is not None else Out(sys.stdout, sys.stderr, os.environ)
    out.error(exc)
    if _json_wanted(args) and not out.printed_json:
        try:
            out.json(documents.error(exc))
        except BrokenPipeError:
            pass
    return int(exc.exit_code)


def run() -> None:
    sys.exit(main())


if __name__ == "__main__":
    run()
