"""Two o4 processes on the same work, started together: nothing done twice, nothing lost
(real OS locks, released when a process ends)."""

import json
import subprocess
import sys

from tests.e2e.helpers import o4_env


def start(env, *args):
    return subprocess.Popen(
        [sys.executable, "-m", "o4cli", *args], env=env, stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip


def test_two_batch_runs_on_one_output_never_send_or_write_twice(env, emulator, tmp_path):
    p = tmp_path / "p.txt"
    p.write_text("".join(f"question {i}\n" for i in range(20)))
    out = tmp_path / "out.jsonl"
    emulator.fault(delay=0.2, path="/v1/responses", times=40)  # the first run is still running
    e = o4_env(env, emulator)
    procs = [start(e, "batch", "run", str(p), "-o", str(out), "--concurrency", "4") for _ in range(2)]
    results = [(proc.wait(timeout=60), proc.stderr.read()) for proc in procs]
    codes = sorted(code for code, _ in results)
    assert codes == [0, 1], results
    assert any("another o4 batch run is writing it now; nothing was sent" in err for _, err in results)
    ids = [json.loads(line)["custom_id"] for line in out.read_text().splitlines()]
    assert sorted(ids) == sorted(f"line-{i}" for i in range(1, 21))  # each once
    assert len([r for r in emulator.log if r.path == "/v1/responses"]) == 20  # each sent once


def test_concurrent_config_writers_lose_no_update(env):
    procs = [start(env, "config", "set", "-p", f"p{i}", "tier", "2") for i in range(8)]
    for proc in procs:
        assert proc.wait(timeout=60) == 0, proc.stderr.read()
    r = subprocess.run([sys.executable, "-m", "o4cli", "config", "profiles", "--json"], env=env, capture_output=True, text=True)
    names = {row["name"] for row in json.loads(r.stdout)}
    assert {f"p{i}" for i in range(8)} <= names
