"""Running one tool call: the definition's argv, the arguments as JSON on stdin.

Never a shell: the argv runs as given, in its own process group (a timeout ends the
whole group). stdout is the output; a non-zero exit, a timeout or a command that cannot
start is an error the model is told about, with the start of stderr. The environment is
o4's own without the API key (nor any MCP token), plus the definition's ``env``.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import threading
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from o4cli.core.tools.definitions import Tool

OUTPUT_CAP = 64 * 1024  # characters of a tool's output sent to the model (unconfirmed best size)
STDERR_SHOWN = 2000  # characters of stderr quoted in an error


@dataclass(frozen=True)
class Outcome:
    """What one call produced: ``output`` for the model, ``error`` when it failed."""

    output: str
    error: str | None
    seconds: float
    size: int  # bytes the command wrote on stdout (before any cut)
    cut: bool = False


def child_env(env: Mapping[str, str], secret_names: tuple[str, ...]) -> dict[str, str]:
    """o4's environment for a tool: never the key's variable, nor O4_MCP_* tokens."""
    drop = {"OPENAI_API_KEY", "OPENAI_ADMIN_KEY", *secret_names}
    return {k: v for k, v in env.items() if k not in drop and not k.startswith("O4_MCP_")}


def cap(text: str, limit: int = OUTPUT_CAP) -> tuple[str, bool]:
    """``text`` cut to ``limit`` characters with a note saying so."""
    if len(text) <= limit:
        return text, False
    return text[:limit] + f"\n[o4: output cut at {limit:,} of {len(text):,} characters]", True


def run(tool: Tool, arguments: dict[str, Any], env: Mapping[str, str]) -> Outcome:
    """Run ``tool`` with ``arguments`` on stdin; always returns (errors are outcomes)."""
    started = time.monotonic()
    payload = json.dumps(arguments, ensure_ascii=False).encode()
    full_env = {**env, **tool.env}
    with _ctrl_c_held() as held:
        try:
            proc = subprocess.Popen(  # noqa: S603 - an argv list from the user's own definition, no shell
                list(tool.command),
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                cwd=tool.cwd,
                env=full_env,
                start_new_session=True,
            )
        except OSError as exc:
            reason = exc.strerror or str(exc)
            seconds = time.monotonic() - started
            return Outcome("", f"the command {tool.command[0]!r} could not start: {reason}", seconds, 0)
    try:
        if held:
            raise KeyboardInterrupt  # it came while the tool was starting: end the tool too
        out, err = proc.communicate(payload, timeout=tool.timeout)
    except subprocess.TimeoutExpired:
        _kill(proc)
        out, err = proc.communicate()
        seconds = time.monotonic() - started
        return Outcome(_text(out), f"timed out after {tool.timeout:g} s", seconds, len(out))
    except BaseException:  # Ctrl-C: the tool goes too
        _kill(proc)
        proc.wait()
        raise
    seconds = time.monotonic() - started
    text, cut = cap(_text(out))
    if proc.returncode != 0:
        how = f"exit code {proc.returncode}" if proc.returncode > 0 else f"signal {-proc.returncode}"
        detail = _text(err).strip()[:STDERR_SHOWN] or "no stderr"
        return Outcome(text, f"the command failed ({how}): {detail}", seconds, len(out), cut)
    return Outcome(text, None, seconds, len(out), cut)


@contextlib.contextmanager
def _ctrl_c_held() -> Iterator[list[bool]]:
    """Hold a Ctrl-C that comes while the tool starts (the list says whether one came).

    Raised inside ``Popen()``, it would leave the tool running in its own session, where
    no later Ctrl-C reaches it; held, it is raised once the tool can be ended with it."""
    came: list[bool] = []
    if threading.current_thread() is not threading.main_thread():
        yield came
        return
    previous = signal.getsignal(signal.SIGINT)
    if previous is None or previous == signal.SIG_IGN:  # set outside Python, or ignored: leave it be
        yield came
        return
    signal.signal(signal.SIGINT, lambda *_: came.append(True))
    try:
        yield came
    finally:
        signal.signal(signal.SIGINT, previous)


def _kill(proc: subprocess.Popen[bytes]) -> None:
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        proc.kill()


def _text(data: bytes) -> str:
    return data.decode("utf-8", errors="replace")
