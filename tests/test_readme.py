"""The README's runnable examples run as written, against the emulator.

A block is runnable when the line before its ```sh fence is `<!-- runnable -->`. Each block
runs in bash (`set -euo pipefail`) in a folder with the files the examples mention, with an
`o4` on PATH that runs this checkout against the emulator.
"""

import re
import subprocess
import sys
from pathlib import Path

import pytest

from tests.cli.helpers import PNG
from tests.emulator import TEST_KEY
from tests.emulator_usage import ADMIN_KEY

ROOT = Path(__file__).resolve().parent.parent
BLOCK = re.compile(r"<!-- runnable -->\n```sh\n(.*?)```", re.S)


def blocks() -> list[str]:
    return BLOCK.findall((ROOT / "README.md").read_text())


def test_the_readme_has_runnable_examples():
    assert len(blocks()) >= 5


@pytest.fixture
def workdir(tmp_path, env):
    d = tmp_path / "work"
    d.mkdir()
    (d / "a.py").write_text("def add(a, b):\n    return a + b\n")
    (d / "b.py").write_text("def sub(a, b):\n    return a - b\n")
    (d / "photo.png").write_bytes(PNG)
    (d / "bio.txt").write_text("Ada Lovelace, 36, mathematician and writer.\n")
    (d / "big.log").write_text("INFO started\nWARN disk at 91%\nINFO done\n" * 50)
    git = {**env, "GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@example.com", "GIT_COMMITTER_NAME": "t", "GIT_COMMITTER_EMAIL": "t@example.com"}
    for cmd in (["git", "init", "-q"], ["git", "add", "a.py"], ["git", "commit", "-qm", "init"]):
        subprocess.run(cmd, cwd=d, env=git, check=True)
    (d / "a.py").write_text("def add(a, b):\n    return a + b + 0\n")
    return d


@pytest.mark.parametrize("index", range(len(blocks())))
def test_runnable_block(index, workdir, env, emulator, tmp_path):
    emulator.batch_timing = {"validating": 0.05, "in_progress": 0.2, "finalizing": 0.05}
    emulator.ft_timing = {"validating_files": 0.05, "queued": 0.05, "step": 0.05}
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    shim = bin_dir / "o4"
    shim.write_text(f'#!/bin/sh\nexec {sys.executable} -m o4cli "$@"\n')
    shim.chmod(0o755)
    run_env = {**env, "PATH": f"{bin_dir}:{env['PATH']}", "OPENAI_API_KEY": TEST_KEY, "OPENAI_BASE_URL": emulator.url,
               "OPENAI_ADMIN_KEY": ADMIN_KEY}  # fmt: skip
    script = "set -euo pipefail\n" + blocks()[index]
    r = subprocess.run(["bash", "-c", script], cwd=workdir, env=run_env, capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, f"README block {index} failed:\n{blocks()[index]}\n--- stdout\n{r.stdout}\n--- stderr\n{r.stderr}"
