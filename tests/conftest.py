"""Fixtures: an isolated config and data folder per test, the API emulator with
its contract check, and ``o4``, which runs the real command.

``o4(*args, input=None, extra_env=None, timeout=60)`` returns ``Result(code, stdout,
stderr)``. By default it calls ``o4cli.__main__.main(list(args))`` in this process:
stdin, stdout and stderr are text wrappers over ``BytesIO`` (``.buffer`` works,
``isatty()`` is False, ``fileno()`` raises ``io.UnsupportedOperation``), ``os.environ``
is, for the call, exactly the environment a subprocess would get (``env`` plus
``extra_env``), and the code is ``main()``'s return value (or a ``SystemExit``'s code).
That is the same program a subprocess runs, less the interpreter start-up.

``o4_process`` has the same signature and always launches ``python -m o4cli``: for
what only a real process shows (signals, ``| head`` pipes, several processes at once,
start-up imports, bash running ``o4``). Those tests live in ``tests/e2e/``.

Set ``O4_TESTS_PROCESS=1`` to make ``o4`` launch a real subprocess for every call too:
the whole suite end to end, as before in-process runs (slower, ~0.25 s a call)::

    O4_TESTS_PROCESS=1 python -m pytest -q
"""

from __future__ import annotations

import io
import os
import subprocess
import sys
import traceback
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.contract import load_contract
from tests.emulator import TEST_KEY, Emulator

ROOT = Path(__file__).resolve().parent.parent

#: ``O4_TESTS_PROCESS=1``: every ``o4`` call is a real ``python -m o4cli`` process.
PROCESS_MODE = os.environ.get("O4_TESTS_PROCESS", "") not in ("", "0")

# Variables of the user's shell that would leak into the tests' o4.
_SCRUB_PREFIXES = ("OPENAI_", "O4_")
_SCRUB = {"NO_COLOR", "FORCE_COLOR", "COLUMNS", "LINES"}


@dataclass
class Result:
    code: int
    stdout: str
    stderr: str

    @property
    def output(self) -> str:
        return self.stdout + self.stderr


Runner = Callable[..., Result]


@pytest.fixture(autouse=True)
def isolated(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Point config and data at tmp_path and drop the user's OpenAI variables."""
    for name in list(os.environ):
        if name.startswith(_SCRUB_PREFIXES) or name in _SCRUB:
            monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("O4_CONFIG", str(tmp_path / "config" / "config.toml"))
    monkeypatch.setenv("O4_DATA_DIR", str(tmp_path / "data"))
    return tmp_path


@pytest.fixture(scope="session")
def emulator_server() -> Iterator[Emulator]:
    """One emulator per test process (each xdist worker has its own, on its own port)."""
    emu = Emulator().start()
    yield emu
    emu.stop()


@pytest.fixture
def emulator(emulator_server: Emulator) -> Iterator[Emulator]:
    """The emulator, fresh for this test; afterwards every request it received
    must pass OpenAI's OpenAPI spec (a request the spec rejects fails the test)."""
    emulator_server.reset()
    yield emulator_server
    contract = load_contract()
    problems = [msg for req in emulator_server.log for msg in contract.errors(req)]
    assert not problems, "requests that break the OpenAI contract:\n" + "\n".join(problems)


@pytest.fixture
def env(isolated: Path) -> dict[str, str]:
    """The environment o4 runs in: isolated folders, no network but the emulator."""
    e = {k: v for k, v in os.environ.items()}
    e["PYTHONPATH"] = str(ROOT)
    e["HOME"] = str(isolated / "home")
    return e


def _o4_env(env: dict[str, str], request: pytest.FixtureRequest) -> dict[str, str]:
    """``env``, with the key and base URL of the emulator when the test uses it."""
    if "emulator" in request.fixturenames:
        emu = request.getfixturevalue("emulator")
        env.setdefault("OPENAI_API_KEY", TEST_KEY)
        env.setdefault("OPENAI_BASE_URL", emu.url)
    return env


def _full_env(env: Mapping[str, str], extra_env: Mapping[str, str | None] | None) -> dict[str, str]:
    full = {**env, **(extra_env or {})}
    return {k: v for k, v in full.items() if v is not None}


# ---------------------------------------------------------------------- a real process


def run_process(args: tuple[str, ...], input: str | bytes | None, env: dict[str, str], timeout: float) -> Result:
    """``python -m o4cli ARGS`` with ``env``; stdin is ``input`` or /dev/null."""
    binary = isinstance(input, bytes)
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
        out, err = (_as_text(b) for b in (proc.stdout, proc.stderr))
        return Result(proc.returncode, out, err)
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


def _as_text(data: bytes) -> str:
    """Bytes as ``subprocess.run(text=True)`` gives them: decoded, universal newlines."""
    return data.decode("utf-8").replace("\r\n", "\n").replace("\r", "\n")


def _reset_module_state() -> None:
    """Forget what o4cli keeps between calls in one process (a new process would not
    have it): today ``o4cli.core.tokens._encoding``, an ``lru_cache`` that depends on
    ``$TIKTOKEN_CACHE_DIR`` and on what is on disk."""
    tokens = sys.modules.get("o4cli.core.tokens")
    encoding = getattr(tokens, "_encoding", None)
    if encoding is not None and hasattr(encoding, "cache_clear"):
        encoding.cache_clear()


def run_in_process(args: tuple[str, ...], input: str | bytes | None, env: dict[str, str]) -> Result:
    """``o4cli.__main__.main(list(args))`` here, with the streams and environment a
    subprocess would have; everything swapped is put back, even on an error."""
    from o4cli.__main__ import main

    data = input.encode() if isinstance(input, str) else (input or b"")
    out, err = io.BytesIO(), io.BytesIO()
    stdin = _Stream(io.BytesIO(data), "<stdin>")
    stdout = _Stream(out, "<stdout>")
    stderr = _Stream(err, "<stderr>", errors="backslashreplace", line_buffering=True)
    saved_streams = sys.stdin, sys.stdout, sys.stderr
    saved_env = dict(os.environ)
    try:
        os.environ.clear()
        os.environ.update(env)
        sys.stdin, sys.stdout, sys.stderr = stdin, stdout, stderr
        _reset_module_state()
        try:
            code = main(list(args))
        except SystemExit as exc:
            code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
            if not isinstance(exc.code, int | None):
                stderr.write(f"{exc.code}\n")
        except Exception:  # noqa: BLE001 - what the interpreter does with an uncaught error
            stderr.write(traceback.format_exc())
            code = 1
        for stream in (stdout, stderr):
            try:
                stream.flush()
            except ValueError:  # o4 closed it
                pass
    finally:
        sys.stdin, sys.stdout, sys.stderr = saved_streams
        os.environ.clear()
        os.environ.update(saved_env)
        _reset_module_state()
    return Result(int(code), _as_text(out.getvalue()), _as_text(err.getvalue()))


# ---------------------------------------------------------------------- the fixtures


@pytest.fixture
def o4_process(env: dict[str, str], request: pytest.FixtureRequest) -> Runner:
    """Run the real ``o4`` (``python -m o4cli``) in a subprocess with the test's environment.

    When the test uses the ``emulator`` fixture, the key and base URL point at it.
    """
    base = _o4_env(env, request)

    def run(*args: str, input: str | bytes | None = None, extra_env: dict[str, str | None] | None = None, timeout: float = 60) -> Result:
        return run_process(args, input, _full_env(base, extra_env), timeout)

    return run


@pytest.fixture
def o4(env: dict[str, str], request: pytest.FixtureRequest) -> Runner:
    """Run ``o4 ARGS`` with the test's environment: in this process, or as a real
    subprocess with ``O4_TESTS_PROCESS=1`` (see the module docstring).

    When the test uses the ``emulator`` fixture, the key and base URL point at it.
    ``timeout`` bounds a subprocess; in-process it is not enforced.
    """
    base = _o4_env(env, request)

    def run(*args: str, input: str | bytes | None = None, extra_env: dict[str, str | None] | None = None, timeout: float = 60) -> Result:
        full = _full_env(base, extra_env)
        if PROCESS_MODE:
            return run_process(args, input, full, timeout)
        return run_in_process(args, input, full)

    return run
