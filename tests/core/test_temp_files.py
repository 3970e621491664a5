"""o4's temporary files: named for their process, swept once that process is gone."""

import os
import subprocess
import sys
import time

from o4cli.core.files import STALE_AFTER, TEMP_PREFIX, sweep, temp_dir, temp_file, write_atomic


def dead_pid() -> int:
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()
    return proc.pid


def test_a_dead_process_temp_files_are_swept_others_kept(tmp_path):
    gone = dead_pid()
    (tmp_path / f"{TEMP_PREFIX}{gone}-out.jsonl.abc").write_text("half")
    (tmp_path / f"{TEMP_PREFIX}{gone}-run.xyz").mkdir()
    (tmp_path / f"{TEMP_PREFIX}{gone}-run.xyz" / "shard-1.jsonl").write_text("{}")
    alive = tmp_path / f"{TEMP_PREFIX}{os.getppid()}-out.jsonl.def"  # our parent: running
    alive.write_text("in use")
    mine = tmp_path / "out.jsonl"
    mine.write_text("the user's")
    other = tmp_path / ".out.jsonl.tmp"
    other.write_text("not o4's")
    assert sweep(tmp_path) == 2
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted([alive.name, mine.name, other.name])


def test_a_live_owner_older_than_a_week_is_taken_as_gone(tmp_path):
    old = tmp_path / f"{TEMP_PREFIX}{os.getppid()}-x.abc"
    old.write_text("")
    assert sweep(tmp_path, now=time.time() + STALE_AFTER - 60) == 0
    assert sweep(tmp_path, now=time.time() + STALE_AFTER + 60) == 1
    assert not old.exists()


def test_making_a_temp_file_sweeps_the_folder_first_but_never_its_own(tmp_path):
    gone = dead_pid()
    stale = tmp_path / f"{TEMP_PREFIX}{gone}-config.toml.abc"
    stale.write_text("x")
    fd, path = temp_file(tmp_path, "a")
    os.close(fd)
    folder = temp_dir(tmp_path, "b")
    assert not stale.exists()
    write_atomic(tmp_path / "config.toml", b"ok")  # sweeps again: its own files stay
    assert path.exists() and folder.is_dir()
    assert (tmp_path / "config.toml").read_bytes() == b"ok"
