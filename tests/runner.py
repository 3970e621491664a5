"""Two ways to run ``o4 ARGS`` for the tests, with the same result: a real process
(``python -m o4cli``), or ``o4cli.__main__.main()`` called in this process with the
streams, environment and SIGINT handler such a process would have.

The fixtures in ``tests/conftest.py`` (``o4``, ``o4_process``) are the way to use them.
"""

from __future__ import annotations

import contextlib
import io
import os
import signal
import subprocess
import sys
import threading
import time
import traceback
from collections.abc import Callable, Iterator
from dataclasses import dataclass

#: ``O4_TESTS_PROCESS=1``: the ``o4`` fixture launches a real process for every call.
PROCESS_MODE = os.environ.get("O4_TESTS_PROCESS", "") not in ("", "0")


@dataclass
class Result:
    code: int
    stdout: str
    stderr: str

    @property
    def output(self) -> str:
        return self.stdout + self.stderr


def as_text(data: bytes) -> str:
    """Bytes as ``subprocess.run(text=True)`` gives them: UTF-8, universal newlines."""
    return data.decode("utf-8").replace("\r\n", "\n").replace("\r", "\n")


@contextlib.contextmanager
def default_sigint() -> Iterator[None]:
    """SIGINT as a shell gives it to a program, for the time of the block.

    pytest-xdist workers ignore SIGINT, and an ignored signal stays ignored in every
    process they start: a real ``o4`` would never see Ctrl-C. With Python's own handler
    here, a child starts with the default disposition (and Python's KeyboardInterrupt),
    and ``main()`` called in this process meets Ctrl-C as a fresh interpreter does.
    Only the main thread may change handlers; elsewhere this does nothing.
    """
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    saved = signal.signal(signal.SIGINT, signal.default_int_handler)
    wakeup = signal.set_wakeup_fd(-1)
    try:
        yield
    finally:
        signal.set_wakeup_fd(wakeup)
        signal.signal(signal.SIGINT, saved if saved is not None else signal.SIG_DFL)


# ---------------------------------------------------------------------- a real process


def run_process(args: tuple[str, ...], input: str | bytes | None, env: dict[str, str], timeout: float) -> Result:
    """``python -m o4cli ARGS`` with exactly ``env``; stdin is ``input`` or /dev/null."""
    binary = isinstance(input, bytes)
    with default_sigint():
        proc = subprocess.run(
            [sys.executable, "-m", "o4cli", *args],
            input=input,
            capture_output=True,
            text=not binary,
            env=env,
            timeout=timeout,
            stdin=None if input is not None else subprocess.DEVNULL,
        )
    if binary:
        return Result(proc.returncode, as_text(proc.stdout), as_text(proc.stderr))
    return Result(proc.returncode, proc.stdout, proc.stderr)


# ---------------------------------------------------------------------- in this process


class _Stream(io.TextIOWrapper):
    """A text stream over ``BytesIO`` with a name, like ``sys.stdout`` when piped:
    ``.buffer`` is there, ``isatty()`` is False, ``fileno()`` raises."""

    def __init__(self, buffer: io.BytesIO, name: str, **kwargs) -> None:
        super().__init__(buffer, encoding="utf-8", **kwargs)
        self._stream_name = name

    @property
    def name(self) -> str:  # type: ignore[override]
        return self._stream_name

    def fileno(self) -> int:
        raise io.UnsupportedOperation(f"{self._stream_name} has no file descriptor in tests")


_live: dict[str, io.BytesIO] = {}


def live_stdout() -> bytes:
    """What the ``main()`` running in this process has written to stdout so far (for a
    test's other thread: e.g. Ctrl-C once an answer has started); b"" between calls."""
    buf = _live.get("stdout")
    return buf.getvalue() if buf is not None else b""


def reset_module_state() -> None:
    """Forget what o4cli keeps between calls in one process that a new process would not
    have. Nothing today: the vocabulary (``o4cli.core.tokens.encoding``) is the package's
    and depends on nothing a call changes, and the model catalog is cached per user file
    and its version (``o4cli.core.catalog.active``)."""


def run_in_process(args: tuple[str, ...], input: str | bytes | None, env: dict[str, str]) -> Result:
    """``o4cli.__main__.main(list(args))`` here, with the streams, environment and SIGINT
    handler a subprocess would have; everything swapped is put back, even on an error."""
    from o4cli.__main__ import main

    data = input.encode() if isinstance(input, str) else (input or b"")
    out, err = io.BytesIO(), io.BytesIO()
    stdin = _Stream(io.BytesIO(data), "<stdin>")
    stdout = _Stream(out, "<stdout>")
    stderr = _Stream(err, "<stderr>", errors="backslashreplace", line_buffering=True)
    saved_streams = sys.stdin, sys.stdout, sys.stderr
    saved_env = dict(os.environ)
    try:
        with default_sigint():
            os.environ.clear()
            os.environ.update(env)
            sys.stdin, sys.stdout, sys.stderr = stdin, stdout, stderr
            _live["stdout"] = out
            reset_module_state()
            try:
                code = main(list(args))
            except SystemExit as exc:  # what the interpreter makes of one
                code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
                if not isinstance(exc.code, int | None):
                    stderr.write(f"{exc.code}\n")
            except Exception:  # noqa: BLE001 - an uncaught error: a traceback and exit 1
                stderr.write(traceback.format_exc())
                code = 1
            for stream in (stdout, stderr):
                with contextlib.suppress(ValueError):  # o4 closed it
                    stream.flush()
    finally:
        _live.clear()
        sys.stdin, sys.stdout, sys.stderr = saved_streams
        os.environ.clear()
        os.environ.update(saved_env)
        reset_module_state()
    return Result(int(code), as_text(out.getvalue()), as_text(err.getvalue()))


def ctrl_c_when(ready: Callable[[], object], timeout: float = 20) -> threading.Thread:
    """Ctrl-C for the ``main()`` running in this process: a thread sends SIGINT to the
    main thread (interrupting a blocking read, as a terminal's Ctrl-C does) once
    ``ready()`` is true while a call is running; never, if that does not happen within
    ``timeout``. Start it just before the call and join it after."""
    main = threading.main_thread().ident
    assert main is not None

    def fire() -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if _live and ready():
                signal.pthread_kill(main, signal.SIGINT)
                return
            time.sleep(0.01)

    thread = threading.Thread(target=fire, name="ctrl-c", daemon=True)
    thread.start()
    return thread
