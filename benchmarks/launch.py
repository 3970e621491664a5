"""What the benchmarks share: running one command as a child of a tiny launcher, which
reports its wall time, CPU (user + sys) and its own peak RSS.

The launcher (``python -I -S``) starts the command and reads ``os.wait4``'s rusage: a child
forked from the benchmark directly would inherit the benchmark's RSS high-water mark.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

LAUNCHER = (
    "import json,os,subprocess,sys,time\n"
    "o,e=open(sys.argv[2],'wb'),open(sys.argv[3],'wb')\n"
    "t=time.perf_counter(); p=subprocess.Popen(sys.argv[4:],stdin=subprocess.DEVNULL,stdout=o,stderr=e)\n"
    "_,st,u=os.wait4(p.pid,0); w=time.perf_counter()-t\n"
    "open(sys.argv[1],'w').write(json.dumps({'rc':os.waitstatus_to_exitcode(st),'wall':w,"
    "'rss_kib':u.ru_maxrss,'cpu':u.ru_utime+u.ru_stime}))"
)


class StepFailed(Exception):
    """A command could not run, exited non-zero, or wrote the wrong thing."""


def launch(argv: list[str], env: dict[str, str], folder: Path, name: str, *, cwd: Path | None = None) -> dict[str, Any]:
    """Run ``argv``: ``wall_s``, ``cpu_s``, ``peak_mb``, ``rc``, ``stdout``, ``stderr``
    (its output kept in ``folder`` under ``name``). ``cwd`` defaults to ``folder``, so that
    ``python -m o4cli`` never imports the o4cli of the current directory."""
    stat, out, err = (folder / f"{name}.{ext}" for ext in ("stat.json", "out", "err"))
    try:
        launcher = [sys.executable, "-I", "-S", "-c", LAUNCHER, str(stat), str(out), str(err), *argv]
        subprocess.call(launcher, env=env, cwd=cwd or folder)
        m = json.loads(stat.read_text())
    except (OSError, ValueError) as exc:
        raise StepFailed(f"{name}: the launcher failed: {exc}") from exc
    return {
        "wall_s": m["wall"], "cpu_s": m["cpu"], "peak_mb": m["rss_kib"] / 1024, "rc": m["rc"],
        "stdout": out.read_text(errors="replace"), "stderr": err.read_text(errors="replace"),
    }  # fmt: skip


def run(argv: list[str], env: dict[str, str], folder: Path, name: str) -> dict[str, Any]:
    """``launch``, and a StepFailed with the end of its stderr when it exits non-zero."""
    res = launch(argv, env, folder, name)
    if res["rc"] != 0:
        raise StepFailed(f"{name}: exit {res['rc']}: {res['stderr'][-2000:]}")
    return res


def env_for(tmp: Path, **extra: str) -> dict[str, str]:
    """The caller's environment minus OPENAI_*/O4_*, with o4's config and data in ``tmp``."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("OPENAI_", "O4_"))}
    env.update(O4_CONFIG=str(tmp / "config.toml"), O4_DATA_DIR=str(tmp / "data"), **extra)
    return env
