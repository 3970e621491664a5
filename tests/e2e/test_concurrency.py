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


def _posts(emulator, path):
    return [r for r in emulator.log if r.method == "POST" and r.path.split("?")[0] == path]


def test_identical_batch_submits_started_together_make_one_upload_and_one_batch(env, emulator, tmp_path):
    p = tmp_path / "p.txt"
    p.write_text("".join(f"question {i}\n" for i in range(10)))
    emulator.fault(delay=0.5, method="POST", path="/v1/files", times=1)  # the first is mid-upload
    e = o4_env(env, emulator)
    procs = [start(e, "batch", "submit", str(p)) for _ in range(3)]
    results = [(proc.wait(timeout=60), proc.stdout.read(), proc.stderr.read()) for proc in procs]
    assert [code for code, _, _ in results] == [0, 0, 0], results
    assert len(_posts(emulator, "/v1/files")) == 1
    assert len(_posts(emulator, "/v1/batches")) == 1
    ids = {out.strip() for _, out, _ in results}
    assert len(ids) == 1 and ids.pop().startswith("batch_")  # every one prints the one batch
    assert sum("this input was submitted before" in err for _, _, err in results) == 2


def test_identical_finetune_creates_started_together_make_one_job(env, emulator, tmp_path):
    from tests.cli.test_finetune import rft_files

    train, valid, g = rft_files(tmp_path)
    emulator.fault(delay=0.5, method="POST", path="/v1/files", times=1)
    e = o4_env(env, emulator)
    args = ("finetune", "create", "--train", str(train), "--valid", str(valid), "--grader", str(g))
    procs = [start(e, *args) for _ in range(2)]
    results = [(proc.wait(timeout=60), proc.stdout.read(), proc.stderr.read()) for proc in procs]
    assert [code for code, _, _ in results] == [0, 0], results
    assert len(_posts(emulator, "/v1/files")) == 2  # training + validation, once each
    assert len(_posts(emulator, "/v1/fine_tuning/jobs")) == 1
    assert len({out.strip() for _, out, _ in results}) == 1
