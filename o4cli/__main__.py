"""Entry point: ``o4`` and ``python -m o4cli``. The one place errors become exit codes."""

from __future__ import annotations

import sys


def main(argv: list[str] | None = None) -> int:
    """Run the CLI; return (and exit with) the process exit code."""
    args = sys.argv[1:] if argv is None else argv
    if args == ["--version"]:
        # Answered before typer is imported: `o4 --version` stays at interpreter speed.
        from o4cli import __version__

        sys.stdout.write(f"o4 {__version__}\n")
        return 0

    from o4cli.cli import app
    from o4cli.core.errors import ExitCode, O4Error

    try:
        app(args=args, prog_name="o4")
    except SystemExit as exc:
        code = exc.code
        return code if isinstance(code, int) else (0 if code is None else 1)
    except O4Error as exc:
        from o4cli import render

        render.error(exc)
        return int(exc.exit_code)
    except KeyboardInterrupt:
        sys.stderr.write("o4: interrupted\n")
        return int(ExitCode.INTERRUPTED)
    except BrokenPipeError:
        # The reader went away (`o4 ... | head`): silence the final flush, as the
        # Python docs advise, and say so with the exit code.
        import os

        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 1
    return 0


def run() -> None:
    sys.exit(main())


if __name__ == "__main__":
    run()
