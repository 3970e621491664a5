"""What only real processes show: a reader that goes away, several o4s at once, and
the two ways to start o4 agreeing."""

import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path

from o4cli import __version__
from tests.cli.helpers import ledger_rows
from tests.e2e.helpers import o4_env


def test_a_closed_pipe_still_records_the_call(env, emulator):
    emulator.answer(text="word " * 4000, chunk=4)
    cmd = f"{sys.executable} -m o4cli stream x | head -c 20"
    r = subprocess.run(cmd, shell=True, env=o4_env(env, emulator), capture_output=True, text=True, timeout=60)
    assert len(r.stdout) == 20 and "Traceback" not in r.stderr
    (row,) = ledger_rows(env)
    assert row["status"] == "reader closed" and row["command"] == "stream"


def test_many_processes_open_a_new_ledger_at_once(tmp_path):
    data = tmp_path / "fresh"
    code = "from pathlib import Path; from o4cli.core.ledger import Ledger; import sys; Ledger.open(Path(sys.argv[1]))"
    procs = [subprocess.Popen([sys.executable, "-c", code, str(data)], stderr=subprocess.PIPE, text=True) for _ in range(8)]
    for proc in procs:
        _, err = proc.communicate(timeout=60)
        assert proc.returncode == 0, err
    db = sqlite3.connect(data / "ledger.db")
    from o4cli.core.ledger import MIGRATIONS

    assert db.execute("SELECT count(*) FROM _migrations").fetchone()[0] == len(MIGRATIONS)  # each applied once


def test_python_m_and_console_script_agree(env):
    """`python -m o4cli` and the `o4` console script that pip installed next to this
    Python are one program: the same version, and the same help through typer."""
    script = shutil.which("o4", path=str(Path(sys.executable).parent))
    assert script, f"no `o4` console script next to {sys.executable}: pip install -e '.[test]'"
    for args in (["--version"], ["--help"]):
        via_m = subprocess.run([sys.executable, "-m", "o4cli", *args], env=env, capture_output=True, text=True, timeout=60)
        via_script = subprocess.run([script, *args], env=env, capture_output=True, text=True, timeout=60)
        assert via_m.returncode == via_script.returncode == 0, (via_m.stderr, via_script.stderr)
        assert via_m.stdout == via_script.stdout and via_m.stdout
    assert via_m.stdout.startswith("Usage: o4 ")
    version = subprocess.run([script, "--version"], env=env, capture_output=True, text=True, timeout=60)
    assert version.stdout == f"o4 {__version__}\n"


def test_a_closed_pipe_is_one_rule_for_every_command(env, emulator, tmp_path):
    """The reader going away (`| head`) is its choice: every command stops quietly, exit 0."""
    e = o4_env(env, emulator)
    cases = [
        ("stream x", lambda: emulator.answer(text="word " * 20000, chunk=4)),
        ("ask x", lambda: emulator.answer(text="word " * 40000)),
        ("models list --remote", lambda: None),
        ("config profiles", lambda: None),
    ]
    for args, prepare in cases:
        prepare()
        cmd = f"set -o pipefail; {sys.executable} -m o4cli {args} | head -c 10"
        r = subprocess.run(["bash", "-c", cmd], env=e, capture_output=True, text=True, timeout=60)
        assert r.returncode == 0 and r.stderr == "" or "o4-mini" in r.stderr, (args, r.returncode, r.stderr)
        assert "Traceback" not in r.stderr and len(r.stdout) == 10, args
