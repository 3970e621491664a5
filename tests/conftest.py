"""Fixtures: an isolated config and data folder per test, the API emulator with
its contract check, and ``o4``, which runs the real command in a subprocess."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.contract import load_contract
from tests.emulator import TEST_KEY, Emulator

ROOT = Path(__file__).resolve().parent.parent

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


@pytest.fixture
def o4(env: dict[str, str], request: pytest.FixtureRequest):
    """Run the real ``o4`` (``python -m o4cli``) with the test's environment.

    When the test uses the ``emulator`` fixture, the key and base URL point at it.
    """
    if "emulator" in request.fixturenames:
        emu = request.getfixturevalue("emulator")
        env.setdefault("OPENAI_API_KEY", TEST_KEY)
        env.setdefault("OPENAI_BASE_URL", emu.url)

    def run(*args: str, input: str | None = None, extra_env: dict[str, str] | None = None, timeout: float = 60) -> Result:
        full_env = {**env, **(extra_env or {})}
        full_env = {k: v for k, v in full_env.items() if v is not None}
        proc = subprocess.run(
            [sys.executable, "-m", "o4cli", *args],
            input=input,
            capture_output=True,
            text=True,
            env=full_env,
            timeout=timeout,
            stdin=None if input is not None else subprocess.DEVNULL,
        )
        return Result(proc.returncode, proc.stdout, proc.stderr)

    return run
