"""Streaming benchmark for ``o4 stream``: client CPU and wall time for a ~20,000-token answer.

The test suite's emulator (tests/emulator.py) runs in this process and streams ~80,000
characters of markdown (headings, paragraphs, lists, a few fenced code blocks) in
4-character deltas (~1 token each), no delay: it sends as fast as the client reads.
Cases (one warm-up, then ``--runs`` runs; medians), all piped to a pipe this script drains
and checks byte for byte, except (c):

a. ``o4 stream`` (Responses API)     b. ``o4 stream --api chat``
c. ``o4 stream`` on a 50x120 pty (pexpect, drained continuously): live markdown
d. ``llm -m emu-o4-mini``: extra-openai-models.yaml (api_base = the emulator, key in
   keys.json) in a temporary LLM_USER_PATH; logging to logs.db left on (llm's default)
e. bare httpx: ``python -c`` POSTs the chat stream, parses each line, writes the text (floor)

Children get a user's plain environment (no OPENAI_*, PYTHONUNBUFFERED,
PYTHONDONTWRITEBYTECODE; bytecode cached in a temporary PYTHONPYCACHEPREFIX). CPU is user
+ sys of the command alone: a tiny launcher runs it and writes its RUSAGE_CHILDREN and
wall time to a file (works the same on a pipe and a pty).

Time profile: marker words end paragraphs at ~0/25/50/75/100% of the text; when this
script *reads* a marker from the pipe or pty, the client has processed (on the pty:
rendered) that far. Sender-side times would flatter a slow client: loopback socket
buffers hold megabytes, so the emulator can run far ahead of it.

Targets: piped o4 CPU <= 1/5 of llm's (both APIs); terminal CPU <= 3x piped (Responses);
on the terminal, last quarter's time per 1k tokens <= 1.5x the first quarter's.
Reproduce (llm lives in a scratch venv, never in o4's dependencies)::

    python3 -m venv /tmp/llm-venv && /tmp/llm-venv/bin/pip install llm
    /work/venv/bin/python benchmarks/stream.py [--runs 5] [--llm PATH] [--json] [--keep]

Exits 0 whatever the verdicts; 1 if a case fails to run or writes the wrong text.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import pexpect

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from tests.emulator import TEST_KEY, Emulator  # noqa: E402

MARKS = [f"MARKER{q:03d}" for q in (0, 25, 50, 75, 100)]
LAUNCHER = (
    "import json,resource,subprocess,sys,time\n"
    "t=time.perf_counter(); rc=subprocess.call(sys.argv[2:]); w=time.perf_counter()-t\n"
    "r=resource.getrusage(resource.RUSAGE_CHILDREN)\n"
    "open(sys.argv[1],'w').write(json.dumps({'rc':rc,'cpu':r.ru_utime+r.ru_stime,'user':r.ru_utime,'wall':w}))"
)
FLOOR = """import json, os, sys, httpx
body = {"model": "o4-mini", "stream": True, "stream_options": {"include_usage": True},
        "messages": [{"role": "user", "content": "Write the benchmark text."}]}
auth = {"Authorization": "Bearer " + os.environ["OPENAI_API_KEY"]}
with httpx.Client(timeout=60) as c, c.stream("POST", sys.argv[1] + "/chat/completions", json=body, headers=auth) as r:
    r.raise_for_status()
    for line in r.iter_lines():
        if line.startswith("data: {"):
            for ch in json.loads(line[6:])["choices"]:
                if ch["delta"].get("content"):
                    sys.stdout.write(ch["delta"]["content"]); sys.stdout.flush()
"""


class CaseFailed(Exception):
    """A case could not run, exited non-zero, or wrote the wrong thing."""


def make_text(target: int = 80_000, seed: int = 4) -> str:
    """Deterministic, realistic markdown; MARKS end paragraphs near 0/25/50/75/100%."""
    rnd = random.Random(seed)
    words = (
        "the client reads each delta as it arrives and the terminal shows finished blocks once while only the "
        "open block is rendered again so cost stays linear in length streaming tokens latency buffer socket "
        "parser markdown heading paragraph request response model"
    ).split()

    def sentence() -> str:
        ws = [rnd.choice(words) for _ in range(rnd.randint(8, 18))]
        if rnd.random() < 0.3:
            ws[rnd.randrange(len(ws))] = rnd.choice(["**important**", "`stream()`", "*often*", "`httpx`"])
        return " ".join(ws).capitalize() + "."

    def paragraph() -> str:
        return " ".join(sentence() for _ in range(rnd.randint(3, 6)))

    blocks, size, next_mark = [f"# Streaming report\n\nAn introduction. {MARKS[0]}"], 0, 1
    while size < target - 800:
        kind = rnd.random()
        if kind < 0.12:
            block = f"## {sentence()[:-1].title()}"
        elif kind < 0.3:
            block = "\n".join(f"- {sentence()}" for _ in range(rnd.randint(3, 6)))
        elif kind < 0.34:
            lines = [f"def step_{rnd.randint(1, 99)}(chunk: str) -> int:"]
            lines += [
                f"    total += len(chunk) * {rnd.randint(2, 9)}  # {rnd.choice(words)}"
                for _ in range(rnd.randint(3, 8))
            ]
            block = "```python\n" + "\n".join(lines) + "\n    return total\n```"
        else:
            block = paragraph()
            if next_mark < 4 and size >= target * next_mark / 4:
                block, next_mark = f"{block} {MARKS[next_mark]}", next_mark + 1
        blocks.append(block)
        size += len(block) + 2
    blocks.append(f"{paragraph()} {MARKS[4]}")
    return "\n\n".join(blocks) + "\n"


def drain(read: Callable[[], bytes]) -> tuple[bytes, dict[str, float]]:
    """Read until EOF; note when each marker first shows up in the output."""
    out, seen = bytearray(), {}
    while chunk := read():
        start = max(0, len(out) - 16)
        out += chunk
        now = time.monotonic()
        for m in MARKS:
            if m not in seen and out.find(m.encode(), start) >= 0:
                seen[m] = now
    return bytes(out), seen


def run_case(cmd: list[str], env: dict[str, str], tmp: Path, pty: bool) -> dict:
    """One run under the launcher: CPU, wall, output and marker times."""
    usage = tmp / "rusage.json"
    usage.unlink(missing_ok=True)
    argv = [sys.executable, "-c", LAUNCHER, str(usage), *cmd]
    if pty:
        child = pexpect.spawn(argv[0], argv[1:], env=env, dimensions=(50, 120), timeout=120)

        def read() -> bytes:
            try:
                return child.read_nonblocking(65536, timeout=120)
            except pexpect.EOF:
                return b""

        (out, seen), err = drain(read), b""
        child.close()
    else:
        with open(tmp / "stderr", "w+b") as errf:
            proc = subprocess.Popen(argv, env=env, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=errf)
            assert proc.stdout is not None
            out, seen = drain(lambda: os.read(proc.stdout.fileno(), 65536))  # type: ignore[union-attr]
            proc.wait()
            errf.seek(0)
            err = errf.read()
    if not usage.exists():
        raise CaseFailed(f"{' '.join(cmd)}: launcher wrote no usage\n{out[-500:]!r}")
    result = json.loads(usage.read_text())
    if result["rc"] != 0:
        raise CaseFailed(f"{' '.join(cmd)}: exit status {result['rc']}\n{err.decode(errors='replace')[-800:]}")
    return {**result, "out": out, "seen": seen, "stderr": err}


def profile(seen: dict[str, float], text: str) -> dict[str, float]:
    """Seconds per 1k tokens (4 chars each) in the first and last quarter of the text."""
    pos = {m: text.index(m) + len(m) for m in MARKS}
    if len(seen) < len(MARKS):
        raise CaseFailed(f"markers missing from the output: {sorted(set(MARKS) - set(seen))}")
    per_k = lambda a, b: (seen[b] - seen[a]) / ((pos[b] - pos[a]) / 4 / 1000)  # noqa: E731
    first, last = per_k(MARKS[0], MARKS[1]), per_k(MARKS[3], MARKS[4])
    return {"first_s_per_1k": first, "last_s_per_1k": last, "ratio": last / first if first > 0 else float("inf")}


def cases(args: argparse.Namespace, emu: Emulator, tmp: Path) -> dict[str, tuple[list[str], dict[str, str], bool]]:
    """Each case: argv, environment, on a pty?"""
    # A user's plain environment: buffered stdout, colour, and cached bytecode (kept in tmp).
    drop = ("OPENAI_", "O4_", "LLM_", "NO_COLOR", "PYTHONUNBUFFERED", "PYTHONDONTWRITEBYTECODE")
    base = {k: v for k, v in os.environ.items() if not k.startswith(drop)}
    base.update(TERM="xterm-256color", PYTHONPYCACHEPREFIX=str(tmp / "pycache"))
    o4_env = {
        **base,
        "OPENAI_API_KEY": TEST_KEY,
        "OPENAI_BASE_URL": emu.url,
        "O4_CONFIG": str(tmp / "config.toml"),
        "O4_DATA_DIR": str(tmp / "data"),
    }
    llm_dir = tmp / "llm"  # llm's own config: a chat model at the emulator, its key under "emu"
    llm_dir.mkdir()
    (llm_dir / "extra-openai-models.yaml").write_text(
        f"- model_id: emu-o4-mini\n  model_name: o4-mini\n  api_base: {emu.url}\n  api_key_name: emu\n"
    )
    (llm_dir / "keys.json").write_text(json.dumps({"emu": TEST_KEY}))
    prompt = "Write the benchmark text."
    o4 = [args.python, "-m", "o4cli", "stream", prompt]
    return {
        "o4 stream | pipe (responses)": (o4, o4_env, False),
        "o4 stream --api chat | pipe": ([*o4, "--api", "chat"], o4_env, False),
        "o4 stream on pty (markdown)": (o4, o4_env, True),
        "llm | pipe (chat)": ([args.llm, "-m", "emu-o4-mini", prompt], {**base, "LLM_USER_PATH": str(llm_dir)}, False),
        "bare httpx loop | pipe": ([args.python, "-c", FLOOR, emu.url], {**base, "OPENAI_API_KEY": TEST_KEY}, False),
    }


def measure(
    cmd: list[str], env: dict[str, str], pty: bool, text: str, emu: Emulator, tmp: Path, args: argparse.Namespace
) -> dict:
    """Warm-ups, then ``args.runs`` checked runs; medians."""
    runs = []
    for _i in range(args.warmups + args.runs):
        emu.answer(text=text, chunk=4)
        r = run_case(cmd, env, tmp, pty)
        if emu.scripts:
            raise CaseFailed(f"{cmd[0]}: the queued answer was never requested")
        body = r["out"].decode(errors="replace")
        if not pty and body not in (text, text + "\n"):  # llm adds a final newline
            raise CaseFailed(f"{' '.join(cmd)}: wrote {len(body):,} chars, not the {len(text):,} streamed")
        r.update(profile(r["seen"], text), exact=body == text)
        runs.append(r)
    runs = runs[args.warmups :]
    med = lambda key: statistics.median(x[key] for x in runs)  # noqa: E731
    return {
        "cpu_s": med("cpu"),
        "user_s": med("user"),
        "wall_s": med("wall"),
        "cpu_runs": [round(x["cpu"], 3) for x in runs],
        "out_bytes": len(runs[-1]["out"]),
        "byte_exact": runs[-1]["exact"],
        "first_s_per_1k": med("first_s_per_1k"),
        "last_s_per_1k": med("last_s_per_1k"),
        "last_first_ratio": med("ratio"),
    }


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--warmups", type=int, default=1)
    ap.add_argument("--python", default=sys.executable, help="the python that has o4cli and httpx")
    ap.add_argument("--llm", default="/tmp/llm-venv/bin/llm")
    ap.add_argument("--json", action="store_true")
    ap.add_argument("--keep", action="store_true", help="keep the temporary folder (llm's logs.db, o4's ledger)")
    args = ap.parse_args()

    text, load = make_text(), os.getloadavg()[0]
    emu = Emulator().start()
    tmp = Path(tempfile.mkdtemp(prefix="o4-bench-stream-"))
    try:
        results = {name: measure(*case, text, emu, tmp, args) for name, case in cases(args, emu, tmp).items()}
    except (CaseFailed, OSError, pexpect.ExceptionPexpect) as exc:
        print(f"stream benchmark: {exc}", file=sys.stderr)
        return 1
    finally:
        emu.stop()
        if args.keep:
            print(f"kept {tmp}", file=sys.stderr)
        else:
            shutil.rmtree(tmp, ignore_errors=True)

    pipe, chat, term, llm = list(results.values())[:4]
    worst = max(pipe["cpu_s"], chat["cpu_s"])
    verdicts = [  # (key, passed, explanation)
        (
            "piped_cpu_vs_llm",
            worst <= llm["cpu_s"] / 5,
            f"piped o4 CPU (worse API) {worst:.3f} s <= llm {llm['cpu_s']:.3f} s / 5 = {llm['cpu_s'] / 5:.3f} s",
        ),
        (
            "terminal_cpu_vs_piped",
            term["cpu_s"] <= 3 * pipe["cpu_s"],
            f"terminal CPU {term['cpu_s']:.3f} s <= 3 x piped {pipe['cpu_s']:.3f} s = {3 * pipe['cpu_s']:.3f} s",
        ),
        (
            "terminal_last_vs_first_quarter",
            term["last_first_ratio"] <= 1.5,
            f"terminal s/1k tokens: last quarter {term['last_s_per_1k']:.4f} <= 1.5 x first "
            f"{term['first_s_per_1k']:.4f} (x{term['last_first_ratio']:.2f})",
        ),
    ]
    if args.json:
        print(
            json.dumps(
                {
                    "chars": len(text),
                    "tokens_approx": len(text) // 4,
                    "runs": args.runs,
                    "load_before": load,
                    "load_after": os.getloadavg()[0],
                    "cases": results,
                    "verdicts": {k: ok for k, ok, _ in verdicts},
                },
                indent=2,
            )
        )
        return 0
    print(
        f"{len(text):,} chars (~{len(text) // 4:,} tokens) in 4-char deltas; median of {args.runs} runs; "
        f"load {load:.2f} before, {os.getloadavg()[0]:.2f} after, {os.cpu_count()} cores"
    )
    print(f"{'case':30} {'CPU s':>7} {'wall s':>7} {'s/1k first':>10} {'s/1k last':>10} {'last/first':>10}")
    for name, r in results.items():
        print(
            f"{name:30} {r['cpu_s']:7.3f} {r['wall_s']:7.3f} {r['first_s_per_1k']:10.4f} "
            f"{r['last_s_per_1k']:10.4f} {r['last_first_ratio']:10.2f}"
        )
    for _, passed, line in verdicts:
        print(("PASS  " if passed else "FAIL  ") + line)
    return 0


if __name__ == "__main__":
    sys.exit(main())
