"""The generated bash completion script, sourced and run by bash against a real o4."""

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent.parent


@pytest.fixture
def shim(tmp_path, env):
    """An `o4` on PATH that runs this checkout's o4cli."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    o4 = bin_dir / "o4"
    o4.write_text(f"#!/bin/sh\nexec {sys.executable} -m o4cli \"$@\"\n")
    o4.chmod(0o755)
    return {**env, "PATH": f"{bin_dir}:{env['PATH']}"}


def complete(shim, words: list[str], cword: int) -> list[str]:
    script = (
        f"source {ROOT / 'completions' / 'o4.bash'}\n"
        f"COMP_WORDS=({' '.join(repr(w) for w in words)})\n"
        f"COMP_CWORD={cword}\n"
        "_o4_completion o4\n"
        'printf "%s\\n" "${COMPREPLY[@]}"\n'
    )
    out = subprocess.run(["bash", "-c", script], env=shim, capture_output=True, text=True, timeout=30)
    assert out.returncode == 0, out.stderr
    return [line for line in out.stdout.splitlines() if line]


def test_bash_completes_commands_choices_and_profiles(shim, o4):
    """In-process twin: tests/test_generated.py::test_completions_answer_commands_choices_and_profiles."""
    assert complete(shim, ["o4", "ba"], 1) == ["batch"]
    assert complete(shim, ["o4", "ask", "--effort", ""], 3) == ["none", "minimal", "low", "medium", "high", "xhigh"]
    assert complete(shim, ["o4", "batch", "submit", "--endpoint", ""], 4) == ["responses", "chat"]
    assert "results" in complete(shim, ["o4", "batch", ""], 2)
    assert complete(shim, ["o4", "finetune", "validate", "--method", ""], 4) == ["reinforcement", "supervised", "dpo"]
    assert complete(shim, ["o4", "ask", "--api", ""], 3) == ["responses", "chat"]
    assert "--max-cost" in complete(shim, ["o4", "ask", "--max-"], 2)
    o4("config", "set", "-p", "work", "tier", "2")
    o4("config", "set", "-p", "home", "tier", "1")
    assert sorted(complete(shim, ["o4", "models", "show", "-p", ""], 4)) == ["home", "work"]
    # a FILE argument gets nothing from o4, so bash falls back to file names (complete -o default)
    assert complete(shim, ["o4", "batch", "submit", ""], 3) == []
