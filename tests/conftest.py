"""Fixtures: an isolated config and data folder per test, the API emulator with
its contract check, and ``o4``, which runs the real command.

``o4(*args, input=None, extra_env=None, timeout=60)`` returns ``Result(code, stdout,
stderr)``. By default it calls ``o4cli.__main__.main(list(args))`` in this process:
stdin, stdout and stderr are text wrappers over ``BytesIO`` (``.buffer`` works,
``isatty()`` is False, ``fileno()`` raises ``io.UnsupportedOperation``), ``os.environ``
is, for the call, exactly the environment a subprocess would get (``env`` plus
``extra_env``), and the code is ``main()``'s return value (or a ``SystemExit``'s code).
SIGINT has Python's own handler for the call, as in a fresh interpreter. That is the
same program a subprocess runs, less the interpreter start-up (``tests/runner.py``).

``o4_process`` has the same signature and always launches ``python -m o4cli``: for
what only a real process shows (signals, ``| head`` pipes, several processes at once,
start-up imports, bash running ``o4``). Those tests live in ``tests/e2e/``.

Set ``O4_TESTS_PROCESS=1`` to make ``o4`` launch a real subprocess for every call too:
the whole suite end to end, as before in-process runs (slower, ~0.25 s a call)::

    O4_TESTS_PROCESS=1 python -m pytest -q
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path

import pytest

from tests.contract import load_contract
from tests.emulator import TEST_KEY, Emulator
from tests.runner import PROCESS_MODE, Result, run_in_process, run_process

ROOT = Path(__file__).resolve().parent.parent

# Variables of the user's shell that would leak into the tests' o4.
_SCRUB_PREFIXES = ("OPENAI_", "O4_")
_SCRUB = {"NO_COLOR", "FORCE_COLOR", "COLUMNS", "LINES"}


Runner = Callable[..., Result]


@pytest.fixture(autouse=True)
def isolated(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Point config and data at tmp_path and drop the user's OpenAI variables."""
    for name in list(os.environ):
        if name.startswith(_SCRUB_PREFIXES) or name in _SCRUB:
            monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("O4_CONFIG", str(tmp_path / "config" / "config.toml"))
    monkeypatch.setenv("O4_DATA_DIR", str(tmp_path / "data"))
    # Lifecycles are judged on a fixed day, before any model in the catalog was deprecated:
    # no test depends on today's date (tests/cli/test_lifecycle.py sets its own days).
    monkeypatch.setenv("O4_TODAY", "2026-03-01")
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
