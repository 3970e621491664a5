"""Streaming benchmark for ``o4 stream``: client CPU and wall time, piped and on a terminal.

Three parts (``--part``; all by default). The test suite's emulator (tests/emulator.py)
runs in this process and streams markdown in 4-character deltas (~1 token each).

**peers**: a ~20,000-token answer of realistic markdown (headings, paragraphs, lists, a few
fenced code blocks), sent as fast as the client reads. Cases (one warm-up, then ``--runs``
runs; medians), all piped to a pipe this script drains and checks byte for byte, except (c):

a. ``o4 stream`` (Responses API)     b. ``o4 stream --api chat``
c. ``o4 stream`` on a 50x120 pty (pexpect, drained continuously): live markdown
d. ``llm -m emu-o4-mini``: extra-openai-models.yaml (api_base = the emulator, key in
   keys.json) in a temporary LLM_USER_PATH; logging to logs.db left on (llm's default)
e. bare httpx: ``python -c`` POSTs the chat stream, parses each line, writes the text (floor)

**shapes**: the documents that make a live markdown view quadratic if it re-renders an open
block, each at two sizes (N and 2N), streamed at ``--rate`` deltas a second (2,000 tok/s)
through the pty and, side by side, through a pipe: many paragraphs (100 of ~60 words),
one paragraph (10,000 words), a list (1,000 items), a fenced code block (1,000 lines), a
table (500 rows). Per shape: pipe N, pty N, pipe 2N, pty 2N, interleaved, ``--shape-runs``
times (medians). The emulator paces by sleeping after each event; the rate reached is
measured on the pipe (markers at 0% and 100%) and printed.

**paced**: what a person waiting for a 300-line code block sees, at ``--paced-rate`` tok/s:
how long after the emulator sent each marker line (0/25/50/75/100% of the block) it shows
on the pty, and, for comparison, on a pipe (``SendClock`` notes the send times).

Children get a user's plain environment (no OPENAI_*, PYTHONUNBUFFERED,
PYTHONDONTWRITEBYTECODE; bytecode cached in a temporary PYTHONPYCACHEPREFIX). CPU is user
+ sys of the command alone: a tiny launcher runs it and writes its RUSAGE_CHILDREN and
wall time to a file (works the same on a pipe and a pty); after ``--timeout`` seconds it
kills the command and reports what it had used (shown as ">").

Time profile: marker words end paragraphs (or sit in code lines, items, rows) at
~0/25/50/75/100% of the text; when this script *reads* a marker from the pipe or pty, the
client has processed (on the pty: rendered) that far. Sender-side times would flatter a
slow client: loopback socket buffers hold megabytes, so the emulator can run far ahead.

Targets: piped o4 CPU <= 1/5 of llm's (both APIs); terminal CPU <= 3x piped (Responses);
on the terminal, last quarter's time per 1k tokens <= 1.5x the first quarter's. Shapes:
every shape's terminal CPU at 2N <= 2.3x its CPU at N, and <= 2x the piped CPU of the same
stream. Paced: every marker line shows on the pty at most 0.5 s after it is sent (the first
one also waits for the renderer's imports).
Reproduce (llm lives in a scratch venv, never in o4's dependencies)::

    python3 -m venv /tmp/llm-venv && /tmp/llm-venv/bin/pip install llm
    /work/venv/bin/python benchmarks/stream.py [--runs 5] [--llm PATH] [--json] [--keep]
    # the code before a change, for comparison: a checkout of it, ahead on PYTHONPATH
    git worktree add /tmp/o4-before <commit>
    python benchmarks/stream.py --part shapes --part paced --o4-src /tmp/o4-before

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
LAUNCHER = (  # argv: usage file, timeout (0: none), command...
    "import json,resource,subprocess,sys,time\n"
    "t=time.perf_counter(); p=subprocess.Popen(sys.argv[3:])\n"
    "try: rc=p.wait(timeout=float(sys.argv[2]) or None)\n"
    "except subprocess.TimeoutExpired: p.kill(); p.wait(); rc='timeout'\n"
    "w=time.perf_counter()-t; r=resource.getrusage(resource.RUSAGE_CHILDREN)\n"
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


def run_case(cmd: list[str], env: dict[str, str], tmp: Path, pty: bool, timeout: float = 0) -> dict:
    """One run under the launcher: CPU, wall, output and marker times (``timed_out``: the
    launcher killed the command after ``timeout`` seconds)."""
    usage = tmp / "rusage.json"
    usage.unlink(missing_ok=True)
    argv = [sys.executable, "-c", LAUNCHER, str(usage), str(timeout), *cmd]
    t0 = time.monotonic()
    if pty:
        child = pexpect.spawn(argv[0], argv[1:], env=env, cwd=tmp, dimensions=(50, 120), timeout=120)

        def read() -> bytes:
            try:
                return child.read_nonblocking(65536, timeout=120)
            except pexpect.EOF:
                return b""

        (out, seen), err = drain(read), b""
        child.close()
    else:
        with open(tmp / "stderr", "w+b") as errf:
            proc = subprocess.Popen(
                argv, env=env, cwd=tmp, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=errf
            )  # (in tmp: ``python -m o4cli`` imports from the current folder first)
            assert proc.stdout is not None
            out, seen = drain(lambda: os.read(proc.stdout.fileno(), 65536))  # type: ignore[union-attr]
            proc.wait()
            errf.seek(0)
            err = errf.read()
    if not usage.exists():
        raise CaseFailed(f"{' '.join(cmd)}: launcher wrote no usage\n{out[-500:]!r}")
    result = json.loads(usage.read_text())
    result["timed_out"] = result["rc"] == "timeout"
    if result["rc"] not in (0, "timeout"):
        raise CaseFailed(f"{' '.join(cmd)}: exit status {result['rc']}\n{err.decode(errors='replace')[-800:]}")
    return {**result, "out": out, "seen": seen, "since": {m: t - t0 for m, t in seen.items()}, "stderr": err}


def profile(seen: dict[str, float], text: str) -> dict[str, float]:
    """Seconds per 1k tokens (4 chars each) in the first and last quarter of the text."""
    pos = {m: text.index(m) + len(m) for m in MARKS}
    if len(seen) < len(MARKS):
        raise CaseFailed(f"markers missing from the output: {sorted(set(MARKS) - set(seen))}")
    per_k = lambda a, b: (seen[b] - seen[a]) / ((pos[b] - pos[a]) / 4 / 1000)  # noqa: E731
    first, last = per_k(MARKS[0], MARKS[1]), per_k(MARKS[3], MARKS[4])
    return {"first_s_per_1k": first, "last_s_per_1k": last, "ratio": last / first if first > 0 else float("inf")}


def base_env(tmp: Path) -> dict[str, str]:
    """A user's plain environment: buffered stdout, colour, and cached bytecode (kept in tmp)."""
    drop = ("OPENAI_", "O4_", "LLM_", "NO_COLOR", "PYTHONUNBUFFERED", "PYTHONDONTWRITEBYTECODE", "PYTHONPATH")
    base = {k: v for k, v in os.environ.items() if not k.startswith(drop)}
    base.update(TERM="xterm-256color", PYTHONPYCACHEPREFIX=str(tmp / "pycache"))
    return base


def o4_env(args: argparse.Namespace, emu: Emulator, tmp: Path) -> dict[str, str]:
    env = {
        **base_env(tmp),
        "OPENAI_API_KEY": TEST_KEY,
        "OPENAI_BASE_URL": emu.url,
        "O4_CONFIG": str(tmp / "config.toml"),
        "O4_DATA_DIR": str(tmp / "data"),
    }
    if args.o4_src:  # another checkout's o4cli, ahead of the installed one
        env["PYTHONPATH"] = str(Path(args.o4_src).resolve())
    return env


def cases(args: argparse.Namespace, emu: Emulator, tmp: Path) -> dict[str, tuple[list[str], dict[str, str], bool]]:
    """Each case: argv, environment, on a pty?"""
    base, env = base_env(tmp), o4_env(args, emu, tmp)
    llm_dir = tmp / "llm"  # llm's own config: a chat model at the emulator, its key under "emu"
    llm_dir.mkdir()
    (llm_dir / "extra-openai-models.yaml").write_text(
        f"- model_id: emu-o4-mini\n  model_name: o4-mini\n  api_base: {emu.url}\n  api_key_name: emu\n"
    )
    (llm_dir / "keys.json").write_text(json.dumps({"emu": TEST_KEY}))
    prompt = "Write the benchmark text."
    o4 = [args.python, "-m", "o4cli", "stream", prompt]
    return {
        "o4 stream | pipe (responses)": (o4, env, False),
        "o4 stream --api chat | pipe": ([*o4, "--api", "chat"], env, False),
        "o4 stream on pty (markdown)": (o4, env, True),
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


# ---------------------------------------------------------------------- shapes

WORDS = (
    "the client reads each delta as it arrives and the terminal shows finished lines once while only the "
    "live tail is drawn again so cost stays linear in length streaming tokens latency buffer socket parser"
).split()
SHAPES = {  # name: (units at N, what N counts, units per counted thing); 2N is twice as many
    "paragraphs": (100, "paragraphs", 1),
    "one paragraph": (1000, "words", 1 / 10),  # units of 10 words
    "list": (1000, "items", 1),
    "code block": (1000, "lines", 1),
    "table": (500, "rows", 1),
}


def shape_text(shape: str, n: int, seed: int = 7) -> str:
    """``n`` units of one shape, markers in the units at 0/25/50/75/100% of them."""
    rnd = random.Random(seed)
    ws = lambda k: " ".join(rnd.choice(WORDS) for _ in range(k))  # noqa: E731
    marked = {round(q * (n - 1) / 4): m for q, m in enumerate(MARKS)}
    units = []
    for i in range(n):
        mark = f" {marked[i]}" if i in marked else ""
        if shape == "paragraphs":
            units.append(". ".join(ws(12).capitalize() for _ in range(5)) + mark + ".")
        elif shape == "one paragraph":
            units.append(ws(10).capitalize() + mark + ".")
        elif shape == "list":
            units.append(f"- {ws(6)}{mark}")
        elif shape == "code block":
            units.append(f"    total += step({i}, chunk)  # {ws(3)}{mark}")
        elif shape == "table":
            units.append(f"| {i} | {ws(4)}{mark} | {ws(3)} |")
    if shape == "paragraphs":
        return "\n\n".join(units) + "\n"
    if shape == "one paragraph":
        return " ".join(units) + "\n"
    if shape == "code block":
        return "```python\ndef run(chunk):\n    total = 0\n" + "\n".join(units) + "\n    return total\n```\n"
    if shape == "table":
        return "| n | what | more |\n| --- | --- | --- |\n" + "\n".join(units) + "\n"
    return "\n".join(units) + "\n"


def paced_run(
    cmd: list[str], env: dict[str, str], pty: bool, text: str, delay: float, emu: Emulator, tmp: Path, timeout: float
) -> dict:
    """One run of ``text`` sent at one delta per ``delay`` seconds; checked when piped."""
    emu.answer(text=text, chunk=4, delay=delay)
    r = run_case(cmd, env, tmp, pty, timeout)
    if emu.scripts:
        raise CaseFailed(f"{cmd[0]}: the queued answer was never requested")
    if not pty and not r["timed_out"] and r["out"].decode(errors="replace") != text:
        raise CaseFailed(f"{' '.join(cmd)}: piped output is not the {len(text):,} characters streamed")
    if not r["timed_out"] and len(r["seen"]) < len(MARKS):
        raise CaseFailed(f"{' '.join(cmd)}: markers missing: {sorted(set(MARKS) - set(r['seen']))}")
    return r


def sleep_overshoot(delay: float) -> float:
    """How much longer than asked ``time.sleep(delay)`` takes here (median of 200)."""
    took = []
    for _ in range(200):
        t = time.perf_counter()
        time.sleep(delay)
        took.append(time.perf_counter() - t - delay)
    return statistics.median(took)


def rate_of(r: dict, text: str) -> float:
    """Tokens (4 characters) a second between the first and last marker, as read."""
    pos = {m: text.index(m) for m in MARKS}
    dt = r["seen"][MARKS[-1]] - r["seen"][MARKS[0]]
    return (pos[MARKS[-1]] - pos[MARKS[0]]) / 4 / dt if dt > 0 else float("inf")


def measure_shapes(args: argparse.Namespace, emu: Emulator, tmp: Path) -> dict:
    """Each shape at N and 2N, pipe and pty, interleaved; medians of ``--shape-runs``."""
    env = o4_env(args, emu, tmp)
    cmd = [args.python, "-m", "o4cli", "stream", "Write the benchmark text."]
    delay = max(0.0, 1 / args.rate - sleep_overshoot(1 / args.rate))
    for pty in (False, True):  # warm-up: bytecode compiled and cached, the page cache warm
        paced_run(cmd, env, pty, shape_text("list", 20), delay, emu, tmp, args.timeout)
    out = {}
    for shape, (units, _, _) in SHAPES.items():
        if args.shape and shape not in args.shape:
            continue
        n = max(8, round(units * args.scale))
        texts = {"N": shape_text(shape, n), "2N": shape_text(shape, 2 * n)}
        runs: dict[tuple[str, str], list[dict]] = {}
        for _ in range(args.shape_runs):
            for size, text in texts.items():
                for mode in ("pipe", "pty"):
                    r = paced_run(cmd, env, mode == "pty", text, delay, emu, tmp, args.timeout)
                    runs.setdefault((size, mode), []).append(r)
                    print(
                        f"  {shape} {size} {mode}: {r['cpu']:.2f} s CPU{' (killed)' if r['timed_out'] else ''}",
                        file=sys.stderr,
                    )
        res = {"units": {"N": n, "2N": 2 * n}, "chars": {k: len(t) for k, t in texts.items()}}
        for (size, mode), rs in runs.items():
            res[f"{mode}_{size}"] = {
                "cpu_s": statistics.median(x["cpu"] for x in rs),
                "wall_s": statistics.median(x["wall"] for x in rs),
                "killed": any(x["timed_out"] for x in rs),
            }
            if mode == "pipe":
                res[f"rate_{size}"] = statistics.median(rate_of(x, texts[size]) for x in rs)
        out[shape] = res
    return out


def quiet_resets(emu: Emulator) -> None:
    """A client that exits once it has the last event resets its kept-alive connection:
    not an error here (the server thread would print a traceback for each)."""
    server = emu.server
    assert server is not None
    default = server.handle_error

    def handle_error(request, client_address) -> None:  # noqa: ANN001
        if not isinstance(sys.exc_info()[1], ConnectionResetError):
            default(request, client_address)

    server.handle_error = handle_error  # type: ignore[method-assign]


class SendClock:
    """Stands in for the emulator module's ``time``: notes when each paced event went out.

    The emulator writes an event, flushes it, then sleeps ``delay``: the time a sleep
    starts is when that event was sent. A Responses stream without a summary is 6 events,
    one a text delta (``chunk`` characters each), then 3 (tests/fake_llm.response_events):
    so the text up to character ``p`` was sent with event ``6 + p // chunk``."""

    LEAD, TAIL = 6, 3

    def __init__(self) -> None:
        self.sent: list[float] = []

    def __getattr__(self, name: str):  # noqa: ANN204 - everything else is time's
        return getattr(time, name)

    def sleep(self, seconds: float) -> None:
        self.sent.append(time.monotonic())
        time.sleep(seconds)

    def sent_at(self, text: str, chunk: int = 4) -> dict[str, float]:
        """When each marker had been sent (its last character), for the run just done."""
        deltas = -(-len(text) // chunk)
        if len(self.sent) != self.LEAD + deltas + self.TAIL:
            raise CaseFailed(f"the emulator paced {len(self.sent)} events, not {self.LEAD + deltas + self.TAIL}")
        return {m: self.sent[self.LEAD + (text.index(m) + len(m) - 1) // chunk] for m in MARKS}


def measure_paced(args: argparse.Namespace, emu: Emulator, tmp: Path) -> dict:
    """A 300-line code block at ``--paced-rate``: when each marker line shows, on a pipe
    and on the pty, after the emulator sent it."""
    import tests.emulator

    env = o4_env(args, emu, tmp)
    cmd = [args.python, "-m", "o4cli", "stream", "Write the benchmark text."]
    text = shape_text("code block", 300, seed=11)
    delay = max(0.0, 1 / args.paced_rate - sleep_overshoot(1 / args.paced_rate))
    clock, real = SendClock(), tests.emulator.time
    tests.emulator.time = clock  # type: ignore[assignment]
    try:
        out = {"lines": 300, "chars": len(text)}
        for mode in ("pipe", "pty"):
            clock.sent.clear()
            r = paced_run(cmd, env, mode == "pty", text, delay, emu, tmp, args.timeout)
            sent = clock.sent_at(text)
            out[mode] = {
                "cpu_s": r["cpu"],
                "wall_s": r["wall"],
                "killed": r["timed_out"],
                "sent_s": sent[MARKS[-1]] - sent[MARKS[0]],  # the block, from its first line to its last
                "lag_s": {m: r["seen"][m] - sent[m] if m in r["seen"] else None for m in MARKS},
            }
            if mode == "pipe":
                out["rate"] = rate_of(r, text)
    finally:
        tests.emulator.time = real
    return out


# ---------------------------------------------------------------------- report


def cpu(r: dict) -> str:
    return (">" if r.get("killed") else "") + f"{r['cpu_s']:.2f}"


def report_peers(results: dict, text: str, args: argparse.Namespace, verdicts: list) -> None:
    print(
        f"{len(text):,} chars (~{len(text) // 4:,} tokens) in 4-char deltas, as fast as read; median of {args.runs} runs"
    )
    print(f"{'case':30} {'CPU s':>7} {'wall s':>7} {'s/1k first':>10} {'s/1k last':>10} {'last/first':>10}")
    for name, r in results.items():
        print(
            f"{name:30} {r['cpu_s']:7.3f} {r['wall_s']:7.3f} {r['first_s_per_1k']:10.4f} "
            f"{r['last_s_per_1k']:10.4f} {r['last_first_ratio']:10.2f}"
        )
    pipe, chat, term, llm = list(results.values())[:4]
    worst = max(pipe["cpu_s"], chat["cpu_s"])
    verdicts += [
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


def report_shapes(shapes: dict, args: argparse.Namespace, verdicts: list) -> None:
    print(
        f"\nshapes at {args.rate:,.0f} deltas/s (4 chars, ~1 token each) nominal; CPU s of o4, "
        f"median of {args.shape_runs}; pty 50x120"
    )
    print(
        f"{'shape':14} {'N':>17} {'tok/s':>6} {'pipe N':>7} {'pty N':>7} {'pipe 2N':>8} {'pty 2N':>8} "
        f"{'2N/N':>6} {'pty/pipe N':>10} {'2N':>6}"
    )
    for shape, r in shapes.items():
        growth = r["pty_2N"]["cpu_s"] / r["pty_N"]["cpu_s"]
        vs_n, vs_2n = (r[f"pty_{k}"]["cpu_s"] / r[f"pipe_{k}"]["cpu_s"] for k in ("N", "2N"))
        print(
            f"{shape:14} {round(r['units']['N'] / SHAPES[shape][2]):>11,} {SHAPES[shape][1]:<5} "
            f"{r['rate_N']:6.0f} {cpu(r['pipe_N']):>7} {cpu(r['pty_N']):>7} {cpu(r['pipe_2N']):>8} "
            f"{cpu(r['pty_2N']):>8} {growth:6.2f} {vs_n:10.2f} {vs_2n:6.2f}"
        )
        killed = r["pty_N"]["killed"] or r["pty_2N"]["killed"]
        verdicts.append(
            (f"{shape}: 2N vs N", not killed and growth <= 2.3, f"{shape}: pty CPU at 2N {growth:.2f}x N <= 2.3x")
        )
        verdicts.append(
            (
                f"{shape}: pty vs pipe",
                not killed and max(vs_n, vs_2n) <= 2,
                f"{shape}: pty CPU {vs_n:.2f}x (N) and {vs_2n:.2f}x (2N) the piped CPU <= 2x",
            )
        )


def report_paced(paced: dict, args: argparse.Namespace, verdicts: list) -> None:
    print(
        f"\npaced: a {paced['lines']}-line code block ({paced['chars']:,} chars) at {paced['rate']:.0f} tok/s, "
        f"sent in {paced['pty']['sent_s']:.2f} s; seconds from sending each marker line to reading it"
    )
    print(f"{'':6} {'CPU s':>6} " + " ".join(f"{m[-3:] + '%':>7}" for m in MARKS))
    for mode in ("pipe", "pty"):
        r = paced[mode]
        lags = " ".join(f"{'never' if v is None else f'{v:.2f}':>7}" for v in r["lag_s"].values())
        print(f"{mode:6} {cpu(r):>6} {lags}")
    lags = list(paced["pty"]["lag_s"].values())
    worst = max((v for v in lags if v is not None), default=float("inf"))
    ok = None not in lags and worst <= 0.5
    verdicts.append(
        (
            "paced: display lag",
            ok,
            f"paced: the pty shows each marker line at most {worst:.2f} s after it is sent <= 0.5 s",
        )
    )


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--part", action="append", choices=["peers", "shapes", "paced"], help="(repeat) default: all")
    ap.add_argument("--runs", type=int, default=3, help="peers: runs per case (after --warmups)")
    ap.add_argument("--warmups", type=int, default=1)
    ap.add_argument("--shape-runs", type=int, default=1, help="shapes: runs per shape, size and mode")
    ap.add_argument("--shape", action="append", choices=list(SHAPES), help="shapes: (repeat) default: all")
    ap.add_argument("--scale", type=float, default=1.0, help="shapes: N = this times the default sizes")
    ap.add_argument("--rate", type=float, default=2000, help="shapes: deltas (~tokens) a second")
    ap.add_argument("--paced-rate", type=float, default=500, help="paced: deltas (~tokens) a second")
    ap.add_argument("--timeout", type=float, default=90, help="shapes, paced: kill a run after this many seconds")
    ap.add_argument("--o4-src", help="run this checkout's o4cli (PYTHONPATH) instead of the installed one")
    ap.add_argument("--python", default=sys.executable, help="the python that has o4cli and httpx")
    ap.add_argument("--llm", default="/tmp/llm-venv/bin/llm")
    ap.add_argument("--json", action="store_true")
    ap.add_argument("--keep", action="store_true", help="keep the temporary folder (llm's logs.db, o4's ledger)")
    args = ap.parse_args()
    parts = args.part or ["peers", "shapes", "paced"]

    text, load = make_text(), os.getloadavg()[0]
    emu = Emulator().start()
    quiet_resets(emu)
    tmp = Path(tempfile.mkdtemp(prefix="o4-bench-stream-"))
    doc: dict = {"load_before": load, "cores": os.cpu_count(), "o4_src": args.o4_src}
    try:
        if "peers" in parts:
            doc["peers"] = {name: measure(*case, text, emu, tmp, args) for name, case in cases(args, emu, tmp).items()}
        if "shapes" in parts:
            doc["shapes"] = measure_shapes(args, emu, tmp)
        if "paced" in parts:
            doc["paced"] = measure_paced(args, emu, tmp)
    except (CaseFailed, OSError, pexpect.ExceptionPexpect) as exc:
        print(f"stream benchmark: {exc}", file=sys.stderr)
        return 1
    finally:
        emu.stop()
        if args.keep:
            print(f"kept {tmp}", file=sys.stderr)
        else:
            shutil.rmtree(tmp, ignore_errors=True)
    doc["load_after"] = os.getloadavg()[0]

    verdicts: list[tuple[str, bool, str]] = []  # (key, passed, explanation)
    if args.json:
        import contextlib
        import io

        with contextlib.redirect_stdout(io.StringIO()):  # the same verdicts, not printed
            _report(doc, text, args, verdicts)
        doc["verdicts"] = {k: ok for k, ok, _ in verdicts}
        print(json.dumps(doc, indent=2))
        return 0
    print(
        f"load {load:.2f} before, {doc['load_after']:.2f} after, {os.cpu_count()} cores"
        + (f"; o4cli from {args.o4_src}" if args.o4_src else "")
    )
    _report(doc, text, args, verdicts)
    print()
    for _, passed, line in verdicts:
        print(("PASS  " if passed else "FAIL  ") + line)
    return 0


def _report(doc: dict, text: str, args: argparse.Namespace, verdicts: list) -> None:
    if "peers" in doc:
        report_peers(doc["peers"], text, args, verdicts)
    if "shapes" in doc:
        report_shapes(doc["shapes"], args, verdicts)
    if "paced" in doc:
        report_paced(doc["paced"], args, verdicts)


if __name__ == "__main__":
    sys.exit(main())
