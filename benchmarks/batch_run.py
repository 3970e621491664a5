"""Rate-limit benchmark for ``o4 batch run``, side by side with the OpenAI Cookbook's
``api_request_parallel_processor.py``: 2,000 Chat Completions requests against the test
emulator at o4-mini's tier-4 limits (10,000 requests and 10,000,000 tokens a minute), with
0, 0.5 and 2 s of model latency; o4 with its default options.

Figures per tool and latency: RPM (requests / the tool's wall time x 60, start-up
included), CPU ms per request (the tool's user + sys / requests), peak RSS, 429s, and the
output checked line by line. At tier 4 the buckets (a minute's worth, full at the start)
hold all 2,000 requests, so the limits never bind: what sets the pace is how many
requests a tool keeps in flight and what each costs it. "achievable" is the rate the
limits allow sustained (min(RPM, TPM / tokens a request)).

Targets (issue 12): o4's RPM >= 95% of the achievable rate with latency (0.5 s, 2 s) and
>= 90% of the cookbook's at 0.5 s; o4's CPU per request <= the cookbook's at every
latency; o4's peak RSS < the cookbook's; no more 429s. ``--rpm 1200 --tpm 120000
--requests 1000 --latency 0.5`` is the earlier paced scenario (the limits bind after the
first bucket), whose sustained-rate figures are in ``--json``.

What runs
---------
Each tool gets its own fresh emulator (tests/emulator.py) in this process, with
``rate_limit(RPM, TPM)``: buckets of a minute's worth that START FULL and refill
continuously; a request costs ``len(json.dumps(messages)) // 4`` tokens (no output cap is
set in any body, so only the input counts, for the emulator and both tools alike).
The emulator's limiter is wrapped here to record the time, cost and bucket level of every
request it serves or refuses (429); each answer is held ``--latency`` seconds after it is
admitted, as a stand-in for the model's think time (the real API admits a request when it
arrives and answers later).

* o4: ``o4 batch run IN.jsonl -o OUT --rpm RPM --tpm TPM [--concurrency N] --json``
  (Batch-format lines, ``url`` /v1/chat/completions), O4_CONFIG/O4_DATA_DIR in a temp
  folder, OPENAI_API_KEY = the emulator's key, OPENAI_BASE_URL = its url; one run per
  ``--concurrency`` value.
* cookbook: ``api_request_parallel_processor.py --request_url EMU/chat/completions
  --max_requests_per_minute RPM --max_tokens_per_minute TPM --max_attempts 5
  --logging_level 30`` on the same bodies (plus ``"metadata": {"custom_id": ...}``, which
  it strips before sending and writes back with the result). The full limits, no
  headroom, for both tools. Two things are done to the cookbook, both at run time and
  outside this repository (its code is never in it):
  - a stand-in ``tiktoken`` module, on its PYTHONPATH ahead of the real one, whose
    ``get_encoding(name).encode(text)`` returns ``len(text) // 4`` items (the real one
    downloads its BPE file on first use, which fails offline; chars/4 is also the
    emulator's own estimate). The cookbook then estimates a chat request as
    content/4 + 4 per message + 1 for the role + 2 + 15 (``max_tokens`` defaults to 15
    in its ``num_tokens_consumed_from_request``), i.e. ~14 tokens a request more than
    the emulator counts;
  - its ``api_endpoint_from_url`` only matches ``https://`` URLs and the emulator is
    plain http on 127.0.0.1: a tiny runner execs the script with ``^https://`` read as
    ``^https?://`` (the only change).
  Note that the cookbook's 15-second cool-down only triggers on an error whose code is
  the string ``'429'``; the API (and the emulator) say ``rate_limit_exceeded``, so it
  just retries, up to ``--max_attempts``, without pausing.

Each tool is a child process started by a tiny launcher (``python -I -S``) that reports
its wall time, CPU (user+sys) and its own peak RSS (``os.wait4`` ru_maxrss): a child
forked from this process directly would inherit this process's RSS high-water mark.

Figures
-------
* wall: the tool's process, start to exit (interpreter start-up included).
* overall: 1,000 requests / wall, and the emulator's served tokens / wall. Both buckets
  start full, so this includes the initial burst and can exceed the limits.
* sustained: the emulator's view after the initial burst. The window opens at the
  served request that brings the tokens served so far to the initial bucket (120,000:
  a minute's worth, given away at the start) and closes at the last served request.
  Sustained tokens/min = tokens of the requests served after the opening one / window
  length x 60 (requests/min likewise); "% TPM" is that over the limit. As the emulator
  may still hold some tokens when the window opens (its refill during the burst, or
  what a cautious client left), "util %" divides the tokens served in the window by
  what the emulator could have served in it (its bucket level at the opening + TPM x
  window), the larger of the tokens and requests ratios: 100 % means every token the
  limiter would allow was used. util % <= % TPM; the 95 % target is checked on util %.
  With a run that fits in the initial bucket there is no sustained phase (noted, and
  the throughput target is N/A).
* ideal wall: (total tokens - the initial bucket) / TPM, the least any client could
  take (ignoring latency and start-up).
* 429s: the emulator's ``refused``; served: its ``served`` (served > 1,000 means a
  request was run twice).
* output: o4's OUT must hold 1,000 lines, status 200, each custom_id once; the
  cookbook's save file must hold 1,000 result lines, each with a response (not an
  error list) and each custom_id once.

Without the cookbook its comparisons are left out. Input: ``--input-tokens 240`` a
request on average (0.8-1.2x that, ASCII prose, so chars/4 means the same to every counter).

Reproduce
---------
The cookbook script is public (github.com/openai/openai-cookbook,
``examples/api_request_parallel_processor.py``); keep it OUTSIDE this repository::

    mkdir -p /tmp/cookbook && curl -fsSL -o /tmp/cookbook/api_request_parallel_processor.py \\
      https://raw.githubusercontent.com/openai/openai-cookbook/main/examples/api_request_parallel_processor.py
    python3 -m venv /tmp/cookbook-venv && /tmp/cookbook-venv/bin/pip install aiohttp tiktoken
    /work/venv/bin/python benchmarks/batch_run.py \\
      --cookbook /tmp/cookbook/api_request_parallel_processor.py \\
      --cookbook-python /tmp/cookbook-venv/bin/python \\
      [--latency 0,0.5,2] [--requests 2000] [--concurrency default,64] [--rpm N --tpm N] [--json] [--keep]

(tiktoken itself is never used: the stand-in above replaces it; aiohttp is what the
cookbook needs.) Without ``--cookbook``/``--cookbook-python`` (or if they don't exist) the
cookbook side is skipped with a note. The default run takes about 2 minutes (the
cookbook at 2 s latency alone ~40 s: aiohttp's 100 connections a session). Exits 0 whatever the verdicts (a tool that exits non-zero is
noted and its output checked as it is); 1 if the launcher itself fails.

The emulator's HTTP server runs in this process; its listen backlog is raised from
socketserver's 5 to 256 here, so a burst of new connections is not held up by SYN
retries (an artefact of the emulator, not of either tool).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from http.server import ThreadingHTTPServer
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from launch import StepFailed  # noqa: E402 - benchmarks/launch.py
from launch import launch as launched  # noqa: E402

from tests.emulator import TEST_KEY, Emulator, RateLimiter  # noqa: E402

RPM, TPM = 10_000, 10_000_000  # o4-mini at usage tier 4 (--rpm/--tpm change them)
TARGET_PCT = 95.0
RPM_VS_COOKBOOK = 90.0  # % of the cookbook's requests a minute, with latency 0.5 s
O4 = [sys.executable, "-m", "o4cli"]
# The stand-in tiktoken: chars/4, the emulator's own estimate (the real one downloads a file).
FAKE_TIKTOKEN = (
    '"""Stand-in for tiktoken in the o4 batch-run benchmark: encode(text) has len(text)//4 items."""\n'
    "class _Encoding:\n"
    "    def __init__(self, name):\n"
    "        self.name = name\n"
    "    def encode(self, text, *args, **kwargs):\n"
    "        return [0] * (len(text) // 4)\n"
    "def get_encoding(name):\n"
    "    return _Encoding(name)\n"
    "def encoding_for_model(model):\n"
    "    return _Encoding(model)\n"
)
# Runs the cookbook script as __main__ with its URL pattern accepting http:// (the emulator).
COOKBOOK_RUNNER = (
    "import sys\n"
    "path = sys.argv.pop(1)\n"
    "src = open(path, encoding='utf-8').read()\n"
    "patched = src.replace('\"^https://', '\"^https?://').replace('r\"^https://', 'r\"^https?://')\n"
    "if patched == src:\n"
    "    sys.exit('cookbook runner: the https:// URL pattern was not found; cannot point it at http')\n"
    "sys.argv[0] = path\n"
    "exec(compile(patched, path, 'exec'), {'__name__': '__main__', '__file__': path})\n"
)
WORDS = (
    "the customer said that our order arrived late and the package was damaged but support replied "
    "quickly with a refund please summarize this review in two sentences explain why the function "
    "returns None when the list is empty classify sentiment as positive negative or neutral a database "
    "migration failed during deployment because of a missing index on the users table what are the "
    "trade-offs between caching and recomputing write a short product description for a waterproof "
    "hiking boot meeting notes from Tuesday budget review quarterly revenue grew eight percent while "
    "costs stayed flat invoice 4821 due 2025-07-01 total 1249.99 dollars"
).split()




class RecordingLimiter(RateLimiter):
    """The emulator's limiter, recording (time, cost, served?, token level after) per request."""

    def __init__(self, rpm: int, tpm: int) -> None:
        super().__init__(rpm, tpm)
        self.lock = threading.RLock()  # held around the parent's take, which takes it too
        self.events: list[tuple[float, int, bool, float, float]] = []

    def take(self, cost: int):  # type: ignore[no-untyped-def]
        with self.lock:
            reply = super().take(cost)
            self.events.append((time.monotonic(), cost, reply is None, self.tokens, self.requests))
            return reply


def emulator(latency: float) -> tuple[Emulator, RecordingLimiter]:
    emu = Emulator()
    create_chat = emu.create_chat

    def slow_chat(**kw: Any):  # type: ignore[no-untyped-def]
        reply = create_chat(**kw)
        if latency and getattr(reply, "status", 0) == 200:
            time.sleep(latency)  # admitted at arrival, answered later
        return reply

    emu.routes = [(m, p, slow_chat if h == create_chat else h) for m, p, h in emu.routes]
    # socketserver listens with a backlog of 5: a burst of new connections would wait for
    # SYN retries (1 s and more), an artefact of the emulator, not of either tool
    ThreadingHTTPServer.request_queue_size = 256
    emu.start()
    limiter = RecordingLimiter(RPM, TPM)
    emu.limiter = limiter
    return emu, limiter


# ------------------------------------------------------------------ inputs


def contents(n: int, tokens: int, seed: int) -> list[str]:
    """``n`` ASCII prompts whose emulator cost is ~0.8-1.2 x ``tokens`` each."""
    rng = random.Random(seed)
    out = []
    for i in range(n):
        chars = max(8, int(rng.uniform(0.8, 1.2) * tokens) - 8) * 4  # 8: the json wrapping /4
        tag = f"Request {i + 1}: "
        words, size = [tag], len(tag)
        while size < chars:
            w = rng.choice(WORDS)
            words.append(w)
            size += len(w) + 1
        out.append(" ".join(words)[:chars])
    return out


def write_inputs(folder: Path, texts: list[str]) -> tuple[Path, Path, int]:
    """The o4 (Batch format) and cookbook (bare body + metadata) inputs; the emulator's total cost."""
    o4_in, cb_in = folder / "o4-input.jsonl", folder / "cookbook-input.jsonl"
    total = 0
    with o4_in.open("w") as fo, cb_in.open("w") as fc:
        for i, text in enumerate(texts):
            cid = f"req-{i + 1}"
            body = {"model": "o4-mini", "messages": [{"role": "user", "content": text}]}
            total += len(json.dumps(body["messages"])) // 4
            fo.write(
                json.dumps({"custom_id": cid, "method": "POST", "url": "/v1/chat/completions", "body": body}) + "\n"
            )
            fc.write(json.dumps({**body, "metadata": {"custom_id": cid}}) + "\n")
    return o4_in, cb_in, total


# ----------------------------------------------------------------- running


def launch(argv: list[str], env: dict[str, str], folder: Path, name: str) -> dict[str, Any]:
    res = launched(argv, env, folder, name, cwd=ROOT)
    res.update(wall_s=round(res["wall_s"], 2), peak_mb=round(res["peak_mb"], 1), cpu_s=round(res["cpu_s"], 2))
    if res["rc"] != 0:
        res["note"] = f"exit {res['rc']}: {res['stderr'][-600:]}"
    return res


def base_env() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if not k.startswith(("OPENAI_", "O4_", "PYTHON"))}


def rate_figures(limiter: RecordingLimiter, wall: float, total_tokens: int) -> dict[str, Any]:
    """Overall and sustained rates from the emulator's record (see the module docstring)."""
    served = [(t, c, tok, req) for t, c, ok, tok, req in limiter.events if ok]
    refused = [t for t, _c, ok, _t, _r in limiter.events if not ok]
    res: dict[str, Any] = {"served": limiter.served, "429s": limiter.refused}
    if not served:
        return res
    first = limiter.events[0][0]
    cum, i0 = 0, None
    for i, (_t, c, _tok, _req) in enumerate(served):
        cum += c
        if cum >= limiter.cap_tokens:
            i0 = i
            break
    res.update(
        overall_req_min=round(len(served) / wall * 60, 1),
        overall_tok_min=round(sum(c for _t, c, _a, _b in served) / wall * 60),
        first_to_last_served_s=round(served[-1][0] - first, 2),
        ideal_s=round(max(0.0, total_tokens - limiter.cap_tokens) / TPM * 60, 1),
        refused_at_s=[round(t - first, 2) for t in refused[:50]],
        timeline_tokens_5s=_timeline(served, first, 5.0),
    )
    if i0 is None or i0 == len(served) - 1 or served[-1][0] <= served[i0][0]:
        res["sustained_note"] = "the whole run fit in the initial bucket: no sustained phase"
        return res
    t0, tok0, req0 = served[i0][0], served[i0][2], served[i0][3]
    after = served[i0 + 1 :]
    span = served[-1][0] - t0
    tokens_after = sum(c for _t, c, _a, _b in after)
    could_tok = tok0 + TPM / 60 * span  # what the emulator held at t0 plus its refill since
    could_req = req0 + RPM / 60 * span
    tok_min, req_min = tokens_after / span * 60, len(after) / span * 60
    res.update(
        burst_s=round(t0 - first, 2),
        burst_requests=i0 + 1,
        left_in_bucket_at_burst_end=round(tok0),
        window_s=round(span, 2),
        sustained_req_min=round(req_min, 1),
        sustained_tok_min=round(tok_min),
        sustained_pct_of_limit=round(max(tok_min / TPM, req_min / RPM) * 100, 1),
        utilization_pct=round(max(tokens_after / could_tok, len(after) / could_req) * 100, 1),
    )
    return res


def per_request(res: dict[str, Any], n: int) -> dict[str, Any]:
    """Requests a minute over the whole run (start-up included) and CPU per request."""
    return {"rpm": round(n / res["wall_s"] * 60), "cpu_ms_per_request": round(res["cpu_s"] / n * 1000, 2)}


def _timeline(served: list[tuple[float, int, float, float]], first: float, step: float) -> list[int]:
    slots: list[int] = []
    for t, c, _a, _b in served:
        k = int((t - first) / step)
        slots.extend([0] * (k + 1 - len(slots)))
        slots[k] += c
    return slots


def run_o4(
    folder: Path, o4_in: Path, n: int, total_tokens: int, concurrency: int | None, latency: float
) -> dict[str, Any]:
    work = folder / f"o4-c{concurrency or 'default'}-l{latency}"
    work.mkdir()
    emu, limiter = emulator(latency)
    try:
        env = base_env()
        env.update(
            O4_CONFIG=str(work / "config.toml"),
            O4_DATA_DIR=str(work / "data"),
            OPENAI_API_KEY=TEST_KEY,
            OPENAI_BASE_URL=emu.url,
        )
        out = work / "out.jsonl"
        argv = [
            *O4,
            "batch",
            "run",
            str(o4_in),
            "-o",
            str(out),
            "--rpm",
            str(RPM),
            "--tpm",
            str(TPM),
            *(["--concurrency", str(concurrency)] if concurrency else []),
            "--json",
            "--plain",
        ]
        res = launch(argv, env, work, "o4")
    finally:
        emu.stop()
    res.update(rate_figures(limiter, res["wall_s"], total_tokens))
    res.update(per_request(res, n))
    try:
        summary = json.loads(res["stdout"])
        res["o4_rate_limited"] = summary.get("rate_limited")
        res["o4_failed"] = summary.get("failed")
    except ValueError:
        pass
    res["output"] = check_o4(out, n)
    return res


def check_o4(out: Path, n: int) -> dict[str, Any]:
    ids, ok, bad = [], 0, 0
    if out.exists():
        with out.open("rb") as fh:
            for raw in fh:
                line = json.loads(raw)
                ids.append(line.get("custom_id"))
                status = (line.get("response") or {}).get("status_code")
                ok += status == 200
                bad += status != 200
    want = {f"req-{i + 1}" for i in range(n)}
    got = set(ids)
    return {
        "lines": len(ids),
        "ok": ok,
        "errors": bad,
        "duplicates": len(ids) - len(got),
        "missing": len(want - got),
        "correct": len(ids) == n and ok == n and got == want,
    }


def run_cookbook(
    folder: Path, cb_in: Path, n: int, total_tokens: int, script: Path, python: str, latency: float
) -> dict[str, Any]:
    work = folder / f"cookbook-l{latency}"
    work.mkdir()
    shim = work / "shim"
    shim.mkdir()
    (shim / "tiktoken.py").write_text(FAKE_TIKTOKEN)
    runner = work / "run_cookbook.py"
    runner.write_text(COOKBOOK_RUNNER)
    emu, limiter = emulator(latency)
    try:
        env = base_env()
        env.update(PYTHONPATH=str(shim), OPENAI_API_KEY=TEST_KEY)
        out = work / "results.jsonl"
        argv = [
            python,
            str(runner),
            str(script),
            "--requests_filepath",
            str(cb_in),
            "--save_filepath",
            str(out),
            "--request_url",
            emu.url + "/chat/completions",
            "--max_requests_per_minute",
            str(RPM),
            "--max_tokens_per_minute",
            str(TPM),
            "--max_attempts",
            "5",
            "--logging_level",
            "30",
        ]
        res = launch(argv, env, work, "cookbook")
    finally:
        emu.stop()
    res.update(rate_figures(limiter, res["wall_s"], total_tokens))
    res.update(per_request(res, n))
    res["output"] = check_cookbook(out, n)
    return res


def check_cookbook(out: Path, n: int) -> dict[str, Any]:
    ids, ok, bad = [], 0, 0
    if out.exists():
        with out.open("rb") as fh:
            for raw in fh:
                line = json.loads(raw)
                meta = line[2] if len(line) > 2 else {}
                ids.append((meta or {}).get("custom_id"))
                good = isinstance(line[1], dict) and "choices" in line[1]
                ok += good
                bad += not good
    want = {f"req-{i + 1}" for i in range(n)}
    got = set(ids)
    return {
        "lines": len(ids),
        "ok": ok,
        "errors": bad,
        "duplicates": len(ids) - len(got),
        "missing": len(want - got),
        "correct": len(ids) == n and ok == n and got == want,
    }


def cookbook_usable(script: str | None, python: str | None) -> str | None:
    """None when the cookbook side can run, else why not."""
    if not script or not python:
        return "no --cookbook/--cookbook-python given"
    if not Path(script).is_file():
        return f"{script}: no such file"
    if not shutil.which(python) and not Path(python).is_file():
        return f"{python}: no such interpreter"
    try:
        subprocess.run([python, "-c", "import aiohttp"], check=True, capture_output=True, timeout=60)
    except (OSError, subprocess.SubprocessError):
        return f"{python} cannot import aiohttp (pip install aiohttp into its venv)"
    return None


# -------------------------------------------------------------------- main


def main() -> int:
    global RPM, TPM
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--cookbook", metavar="PATH", help="api_request_parallel_processor.py (kept outside this repo)")
    ap.add_argument("--cookbook-python", metavar="PATH", help="a Python with aiohttp for the cookbook script")
    ap.add_argument(
        "--concurrency",
        default="default",
        help="o4's --concurrency; a comma list runs o4 once per value; 'default' runs it without the flag",
    )
    ap.add_argument("--requests", type=int, default=2000)
    ap.add_argument("--input-tokens", type=int, default=240, help="average emulator cost of a request (default 240)")
    ap.add_argument("--latency", default="0,0.5,2", help="seconds the emulator holds each answer; a comma list")
    ap.add_argument("--rpm", type=int, default=RPM, help=f"the limits, for the emulator and both tools (default {RPM:,})")
    ap.add_argument("--tpm", type=int, default=TPM, help=f"(default {TPM:,})")
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--json", action="store_true", help="print one JSON document")
    ap.add_argument("--keep", action="store_true", help="keep the temporary folder (path on stderr)")
    args = ap.parse_args()
    RPM, TPM = args.rpm, args.tpm
    levels = [None if c.strip() == "default" else int(c) for c in args.concurrency.split(",") if c.strip()]
    latencies = [float(x) for x in args.latency.split(",") if x.strip()]
    why_not = cookbook_usable(args.cookbook, args.cookbook_python)
    tmp = Path(tempfile.mkdtemp(prefix="o4-batch-run-bench-"))
    texts = contents(args.requests, args.input_tokens, args.seed)
    o4_in, cb_in, total_tokens = write_inputs(tmp, texts)
    achievable = min(RPM, TPM / (total_tokens / args.requests))  # requests a minute the limits allow
    report: dict[str, Any] = {
        "python": sys.version.split()[0],
        "cpus": os.cpu_count(),
        "load_before": round(os.getloadavg()[0], 2),
        "requests": args.requests,
        "total_tokens": total_tokens,
        "rpm": RPM,
        "tpm": TPM,
        "achievable_rpm": round(achievable),
        "runs": [],
        "cookbook_note": why_not,
    }
    try:
        for latency in latencies:  # per latency: the cookbook, then o4, one right after the other
            if why_not is None:
                cb = run_cookbook(
                    tmp, cb_in, args.requests, total_tokens, Path(args.cookbook), args.cookbook_python, latency
                )
                report["runs"].append({"tool": "cookbook", "latency_s": latency, **cb})
            for c in levels:
                r = run_o4(tmp, o4_in, args.requests, total_tokens, c, latency)
                report["runs"].append({"tool": f"o4 c={c or 'default'}", "latency_s": latency, **r})
    except StepFailed as exc:
        print(f"step failed: {exc}", file=sys.stderr)
        return 1
    finally:
        report["load_after"] = round(os.getloadavg()[0], 2)
        if args.keep:
            print(f"kept {tmp}", file=sys.stderr)
        else:
            shutil.rmtree(tmp, ignore_errors=True)
    report["verdicts"] = verdicts(report["runs"], args.requests, achievable)
    for r in report["runs"]:
        r.pop("stdout", None)
        r["stderr_tail"] = r.pop("stderr", "")[-400:]
    if args.json:
        print(json.dumps(report, indent=2))
        return 0
    print(
        f"{args.requests:,} requests, {total_tokens:,} tokens (emulator count), limits {RPM:,} RPM / {TPM:,} TPM "
        f"(buckets start full): at most {achievable:,.0f} requests a minute sustained"
    )
    head = (
        f"{'tool':<16} {'latency':>7} {'wall s':>7} {'RPM':>7} {'CPU ms/req':>10} {'peak MB':>8} {'429s':>5} "
        f"{'served':>6} {'output':>12} {'cpu s':>6} {'util %':>6}"
    )
    print(head)
    for r in report["runs"]:
        o = r["output"]
        out = f"{o['ok']}/{args.requests}" + (" ok" if o["correct"] else f" d{o['duplicates']} m{o['missing']}")
        print(
            f"{r['tool']:<16} {r['latency_s']:>6g}s {r['wall_s']:>7.1f} {r['rpm']:>7,} {r['cpu_ms_per_request']:>10.2f} "
            f"{r['peak_mb']:>8.1f} {r['429s']:>5} {r['served']:>6} {out:>12} {r['cpu_s']:>6.2f} "
            f"{r.get('utilization_pct') or '-':>6}"
        )
        if r.get("note"):
            print(f"    {r['tool']}: {r['note']}")
    if why_not:
        print(f"cookbook skipped: {why_not}")
    print("RPM: requests / the tool's wall time (start-up included) x 60; CPU: the tool's user + sys")
    print(
        "util %: tokens served after the initial bucket over what the emulator could have served then "
        "('-': the run fit in the initial bucket)"
    )
    print(
        f"python {report['python']}, {report['cpus']} CPUs, "
        f"load {report['load_before']:.2f} -> {report['load_after']:.2f}"
    )
    for name, verdict in report["verdicts"].items():
        print(f"{verdict}  {name}")
    return 0


def verdicts(runs: list[dict[str, Any]], n: int, achievable: float) -> dict[str, str]:
    """Issue 12's targets, checked per latency against the cookbook run at the same latency."""
    out: dict[str, str] = {}
    cookbook = {r["latency_s"]: r for r in runs if r["tool"] == "cookbook"}
    for r in runs:
        if r["tool"] == "cookbook":
            continue
        name, lat, cb = r["tool"], r["latency_s"], cookbook.get(r["latency_s"])
        out[f"{name} {lat:g}s: output correct ({n:,} results, no duplicates, none lost)"] = (
            "PASS" if r["output"]["correct"] else "FAIL"
        )
        if lat > 0:
            ok = r["rpm"] >= TARGET_PCT / 100 * achievable
            out[f"{name} {lat:g}s: RPM >= {TARGET_PCT:.0f}% of the {achievable:,.0f} the limits allow"] = (
                "PASS" if ok else "FAIL"
            )
        if cb is None:
            continue
        if lat == 0.5:
            ok = r["rpm"] >= RPM_VS_COOKBOOK / 100 * cb["rpm"]
            out[f"{name} {lat:g}s: RPM >= {RPM_VS_COOKBOOK:.0f}% of the cookbook's"] = "PASS" if ok else "FAIL"
        out[f"{name} {lat:g}s: CPU per request <= the cookbook's"] = (
            "PASS" if r["cpu_ms_per_request"] <= cb["cpu_ms_per_request"] else "FAIL"
        )
        out[f"{name} {lat:g}s: peak RSS < the cookbook's"] = "PASS" if r["peak_mb"] < cb["peak_mb"] else "FAIL"
        out[f"{name} {lat:g}s: 429s <= the cookbook's"] = "PASS" if r["429s"] <= cb["429s"] else "FAIL"
    return out


if __name__ == "__main__":
    sys.exit(main())
