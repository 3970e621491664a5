"""The paced async runner of ``o4 batch run``: items sent in parallel through the
synchronous API within the account's rate limits, written as Batch-format output lines.

One asyncio loop: a dispatcher sends each request as its own task when there is room in
flight and in the limits. How many may be in flight is chosen as it goes (``in_flight``,
Little's law: the rate the limits allow x how long answers take, observed by ``Latency``,
plus the buckets' room spread over a minute),
so the limits, not the wait for answers, set the pace at any latency. A ``Pacer``
holds two token buckets (requests and tokens a minute) that refill continuously like the
API's own; each request takes one request and its estimated tokens (characters / 4 plus its
output cap, what the API charges on admission) before it is sent, and the buckets follow the
``x-ratelimit-remaining-*`` headers down when the server knows better. A 429 pauses every
worker for what Retry-After says and puts the request back: nothing is lost, nothing is
written twice. Output lines are appended and flushed as requests finish.
"""

from __future__ import annotations

import asyncio
import json
import math
import os
import random
import re
import signal
import sys
import time
import uuid
from collections import deque
from collections.abc import Callable, Iterator, Mapping
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any, Protocol

import httpx

from o4cli.core import jsonload
from o4cli.core.ask.answer import unanswered
from o4cli.core.cost import Usage
from o4cli.core.errors import NetworkError, O4Error, UsageError
from o4cli.core.http.api import error_from_response, transport_error
from o4cli.core.http.h1 import Reply
from o4cli.core.http.retry import decide, hopeless_429, rate_limit_wait

FSYNC_EVERY = 2.0  # seconds
MAX_RATE_LIMIT_RETRIES = 20  # 429s a single request may meet before it is given up
MAX_PAUSE = 120.0  # seconds: the longest pause a 429 buys
START_MARGIN = 1.0  # seconds of refill the buckets start short of full
LINE_START = re.compile(rb'^\{\s*"id"\s*:\s*"batch_req_')  # how every output line o4 writes begins
MIN_IN_FLIGHT = 8  # requests in flight at least (answers in milliseconds: the CPU sets the pace)
MAX_IN_FLIGHT = 512  # at most, whatever the latency (each is a connection and a file descriptor)
HEADROOM = 1.5  # in flight over rate x mean latency: room for latency's spread
LATENCY_WEIGHT = 0.1  # of each new answer in the moving average of latency


@dataclass
class Item:
    custom_id: str
    url: str
    body: dict[str, Any]
    tokens: int
    attempts: int = 0
    rate_limited: int = 0


def estimate_tokens(body: dict[str, Any]) -> int:
    """What the API counts against TPM before answering: the input's characters / 4
    plus the output cap (``max_output_tokens`` / ``max_completion_tokens``)."""
    content = body.get("input") if "input" in body else body.get("messages")
    text = content if isinstance(content, str) else json.dumps(content)
    cap = body.get("max_output_tokens") or body.get("max_completion_tokens") or 0
    return len(text) // 4 + int(cap)


def read_done(path: Path) -> set[str]:
    """custom_ids already in an output file of ``batch run``.

    Only a torn last line (no newline: a crash mid-write) is cut off, and only when it
    starts like one of o4's lines. A file whose lines are not Batch-format output lines is
    someone else's: refused, untouched.
    """
    done: set[str] = set()
    if not path.exists() or path.stat().st_size == 0:
        return done
    good = 0
    with path.open("rb") as fh:
        for n, raw in enumerate(fh, start=1):
            if not raw.endswith(b"\n"):
                if LINE_START.match(raw):
                    break  # the torn last line of a crash mid-write
                raise UsageError(
                    f"-o {path}: line {n} is not a batch output line; o4 appends to its own output only",
                    hint="give another -o FILE (the file was not changed)",
                )
            try:
                obj = json.loads(raw)
            except ValueError:
                obj = None
            if not (isinstance(obj, dict) and isinstance(obj.get("custom_id"), str) and "response" in obj):
                raise UsageError(
                    f"-o {path}: line {n} is not a batch output line; o4 appends to its own output only",
                    hint="give another -o FILE (the file was not changed)",
                )
            done.add(obj["custom_id"])
            good += len(raw)
    if good != path.stat().st_size:
        with path.open("r+b") as fh:
            fh.truncate(good)
    return done


class Pacer:
    """Client-side RPM and TPM buckets, corrected by the server's headers and 429s."""

    def __init__(self, rpm: int, tpm: int, clock: Callable[[], float] = time.monotonic) -> None:
        self.rpm, self.tpm = rpm, tpm
        # A second short of full: the server's bucket stops refilling when full while our
        # first requests are on their way; ours would not.
        self.requests, self.tokens = rpm * (1 - START_MARGIN / 60), tpm * (1 - START_MARGIN / 60)
        self.clock = clock
        self.stamp = clock()
        self.paused_until = 0.0

    def _refill(self) -> None:
        now = self.clock()
        dt, self.stamp = now - self.stamp, now
        self.requests = min(self.rpm, self.requests + dt * self.rpm / 60)
        self.tokens = min(self.tpm, self.tokens + dt * self.tpm / 60)

    def wait_time(self, tokens: int) -> float:
        """0 when a request of ``tokens`` may go now (and takes it); else how long to wait."""
        self._refill()
        now = self.clock()
        if now < self.paused_until:
            return self.paused_until - now
        tokens = min(tokens, self.tpm)  # a request bigger than the bucket waits for a full one
        if self.requests >= 1 and self.tokens >= tokens:
            self.requests -= 1
            self.tokens -= tokens
            return 0.0
        need_r = (1 - self.requests) * 60 / self.rpm if self.requests < 1 else 0.0
        need_t = (tokens - self.tokens) * 60 / self.tpm if self.tokens < tokens else 0.0
        return max(need_r, need_t, 0.001)

    def settle(self, estimated: int, actual: int) -> None:
        """Give back (or take) the difference between the estimate and the real usage."""
        self._refill()
        self.tokens = min(self.tpm, self.tokens + estimated - actual)

    def follow(self, headers: Mapping[str, str]) -> None:
        """Never believe in more room than the server says it has."""
        self._refill()
        for key, attr in (("x-ratelimit-remaining-requests", "requests"), ("x-ratelimit-remaining-tokens", "tokens")):
            value = headers.get(key)
            if value is not None:
                try:
                    setattr(self, attr, min(getattr(self, attr), float(value)))
                except ValueError:
                    pass

    def pause(self, seconds: float) -> None:
        self.paused_until = max(self.paused_until, self.clock() + seconds)
        self._refill()
        self.requests = min(self.requests, 0.0)  # start slowly after a 429


def in_flight(
    rpm: float, tpm: float, tokens: float, latency: float, room: float = 0.0, *, cap: int = MAX_IN_FLIGHT
) -> int:
    """How many requests to keep in flight so that the limits, not the wait for answers,
    set the pace.

    Little's law: in flight = rate x latency. The rate is what the limits allow: requests a
    second, or tokens a second over the tokens a request takes, whichever is less (HEADROOM
    over it covers the spread of latency), plus the ``room`` the buckets hold now (in
    requests) spread over the minute the limits are counted in, so a full bucket at the
    start is spent within about a minute, never faster. Never fewer than MIN_IN_FLIGHT,
    never more than ``cap``.
    """
    rate = min(rpm, tpm / max(tokens, 1.0)) / 60
    want = math.ceil(max(latency, 0.0) * (rate * HEADROOM + max(room, 0.0) / 60))
    return max(min(MIN_IN_FLIGHT, cap), min(cap, want))


class Latency:
    """How long answers take: a moving average of the answers so far; until the first one
    arrives, how long the first request has been waiting (it takes at least that long)."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self.clock = clock
        self.mean: float | None = None
        self.first_sent: float | None = None

    def sent(self) -> None:
        if self.first_sent is None:
            self.first_sent = self.clock()

    def observe(self, seconds: float) -> None:
        self.mean = seconds if self.mean is None else self.mean + LATENCY_WEIGHT * (seconds - self.mean)

    def estimate(self) -> float:
        if self.mean is not None:
            return self.mean
        return 0.0 if self.first_sent is None else self.clock() - self.first_sent


class Sender(Protocol):
    """What the runner sends with (``http.client.async_sender``): the H1 pool or httpx."""

    host: str

    def url(self, path: str) -> str: ...

    async def post(self, path: str, body: bytes) -> Reply: ...


@dataclass
class Tally:
    total: int = 0
    done: int = 0
    failed: int = 0
    unanswered: int = 0  # of the failed: paid 200s with no answer text (incomplete)
    rate_limited: int = 0
    retried: int = 0
    usage: Usage = field(default_factory=Usage)
    failed_status: dict[int, int] = field(default_factory=dict)  # HTTP status (0: network) -> count
    started: float = field(default_factory=time.monotonic)
    interrupted: bool = False
    fatal: O4Error | None = None  # the error that stopped every request (401, quota)
    reader_gone: bool = False  # stdout's reader closed the pipe

    @property
    def elapsed(self) -> float:
        return time.monotonic() - self.started


class Runner:
    """Runs items through the API; calls ``on_result`` for every finished one."""

    def __init__(
        self,
        *,
        client: Callable[[int], AbstractAsyncContextManager[Sender]],
        max_retries: int,
        concurrency: int,
        pacer: Pacer,
        out: IO[bytes],
        errors: IO[bytes] | None,
        on_result: Callable[[Item, int, dict[str, Any] | None, float], None],
        log: Callable[[str], None] = lambda _m: None,
        secret: str | None = None,
        rand: Callable[[], float] = random.random,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        """``client(connections)`` opens what the requests go through
        (``http.client.async_sender``); ``concurrency`` caps the requests in flight."""
        self.secret = secret
        self.client = client
        self.rand = rand
        self.max_retries = max_retries
        self.concurrency = concurrency
        self.pacer = pacer
        self.out, self.errors = out, errors
        self.on_result = on_result
        self.log = log
        self.tally = Tally()
        self.retry: deque[Item] = deque()
        self.stop = False
        self.latency = Latency(clock)
        self._last_sync = time.monotonic()
        self._active: set[asyncio.Task[None]] = set()
        self._settled_event: asyncio.Event | None = None
        self._sent = self._sent_tokens = 0
        self._crash: BaseException | None = None

    def limit(self) -> int:
        """Requests in flight allowed now (``in_flight`` with what was seen so far)."""
        tokens = self._sent_tokens / self._sent if self._sent else 1.0
        p = self.pacer
        room = min(p.requests, p.tokens / max(tokens, 1.0))
        return in_flight(p.rpm, p.tpm, tokens, self.latency.estimate(), room, cap=self.concurrency)

    # ------------------------------------------------------------- writing

    def _write(self, fh: IO[bytes], obj: dict[str, Any]) -> None:
        if self.tally.reader_gone and fh is self.out:
            return
        try:
            fh.write(json.dumps(obj, ensure_ascii=False, separators=(",", ":")).encode() + b"\n")
            fh.flush()
        except BrokenPipeError:
            # stdout's reader went away (`| head`): send nothing more, let what is in flight
            # finish (its ledger rows are still written), then stop quietly.
            self.tally.reader_gone, self.stop = True, True
            return
        now = time.monotonic()
        if now - self._last_sync >= FSYNC_EVERY:
            self._last_sync = now
            self.sync()

    def sync(self) -> None:
        for fh in (self.out, self.errors):
            if fh is not None and not (self.tally.reader_gone and fh is self.out):
                fh.flush()
                try:
                    os.fsync(fh.fileno())
                except (OSError, ValueError, AttributeError):
                    pass

    def _line(
        self, item: Item, status: int, body: Any, request_id: str | None, error: dict[str, Any] | None = None
    ) -> dict[str, Any]:
        return {
            "id": f"batch_req_{uuid.uuid4().hex[:24]}",
            "custom_id": item.custom_id,
            "response": None if status == 0 else {"status_code": status, "request_id": request_id, "body": body},
            "error": error,
        }

    # ----------------------------------------------------------- requests

    def _next(self, items: Iterator[Item]) -> Item | None:
        if self.retry:
            return self.retry.popleft()
        return next(items, None)

    async def _settled(self, timeout: float | None = None) -> None:
        """Until a request in flight finishes (or ``timeout`` seconds pass)."""
        assert self._settled_event is not None
        self._settled_event.clear()
        try:
            async with asyncio.timeout(timeout):
                await self._settled_event.wait()
        except TimeoutError:
            pass

    def _finished(self, task: asyncio.Task[None]) -> None:
        self._active.discard(task)
        if not task.cancelled() and task.exception() is not None and self._crash is None:
            self._crash, self.stop = task.exception(), True  # a bug: stop sending, then raise it
        if self._settled_event is not None:
            self._settled_event.set()

    async def _dispatch(self, send: Sender, items: Iterator[Item]) -> None:
        """Send each item as its own task when there is room in flight and in the limits;
        then let what is in flight finish."""
        self._settled_event = asyncio.Event()
        while not self.stop:
            item = self._next(items)
            if item is None:
                if not self._active:
                    break  # nothing left, and nothing in flight that could put one back
                await self._settled()
                continue
            while len(self._active) >= self.limit() and not self.stop:
                # before the first answer the limit grows with the wait: look again soon
                await self._settled(0.01 if self.latency.mean is None else None)
            wait = 0.0 if self.stop else self.pacer.wait_time(item.tokens)
            while wait > 0 and not self.stop:
                await asyncio.sleep(min(wait, 1.0))
                wait = self.pacer.wait_time(item.tokens)
            if self.stop:
                self.retry.appendleft(item)  # not sent: a re-run does it
                break
            self._sent += 1
            self._sent_tokens += item.tokens
            self.latency.sent()
            task = asyncio.create_task(self._one(send, item))
            self._active.add(task)
            task.add_done_callback(self._finished)
        while self._active:
            await asyncio.gather(*self._active, return_exceptions=True)

    async def _one(self, send: Sender, item: Item) -> None:
        started = time.monotonic()
        item.attempts += 1
        path = item.url.removeprefix("/v1/")
        try:
            body = json.dumps(item.body, ensure_ascii=False, separators=(",", ":"), allow_nan=False).encode()
            resp = await send.post(path, body)
        except httpx.TransportError as exc:
            self.pacer.settle(item.tokens, 0)
            error = transport_error(exc, send.host, self.secret)
            self.log(f"POST {send.url(path)} ({item.custom_id}) -> {error.message}")
            return self._retry_or_fail(item, 0, {"code": "network_error", "message": error.message}, None, error)
        seconds = time.monotonic() - started
        if resp.status != 429:
            self.pacer.follow(resp.headers)
        rid = resp.headers.get("x-request-id")
        self.log(
            f"POST {resp.url} ({item.custom_id}) -> {resp.status} in {seconds:.2f} s"
            + (f" (request {rid})" if rid else "")
        )
        if resp.status == 200:
            try:
                body = jsonload.loads(resp.content)
            except ValueError:
                message = "the API answered 200 with a body that is not JSON"
                return self._retry_or_fail(
                    item, 0, {"code": "invalid_json", "message": message}, None, NetworkError(message)
                )
            self.latency.observe(seconds)
            usage = Usage.from_api(body.get("usage"))
            # No settling against usage: the limit is charged what the request asked for
            # (its characters and its output cap) when it is admitted, as estimated here.
            self.tally.usage = self.tally.usage + usage
            if unanswered(body) is not None:
                # Paid for, but no answer (incomplete, no text): failed, kept out of -o so a
                # re-run sends it again; its ledger row first, then the --errors line.
                self.tally.failed += 1
                self.tally.unanswered += 1
                self.tally.failed_status[200] = self.tally.failed_status.get(200, 0) + 1
                self.on_result(item, 200, body, seconds)
                if self.errors is not None:
                    self._write(self.errors, self._line(item, 200, body, rid))
                return
            self.tally.done += 1
            self._write(self.out, self._line(item, 200, body, rid))
            self.on_result(item, 200, body, seconds)
            return
        error = error_from_response(resp.response(), self.secret)
        hopeless = hopeless_429(error) if resp.status == 429 else None
        if resp.status in (401, 403) or hopeless:
            # Every other request would meet the same wall: stop, keep this one for a re-run.
            self.pacer.settle(item.tokens, 0)
            if self.tally.fatal is None:
                self.tally.fatal = error
                error.hint = error.hint or hopeless
            self.stop = True
            self.retry.appendleft(item)
            return
        try:
            err_body = jsonload.loads(resp.content)
        except ValueError:
            err_body = {"error": {"message": error.message, "type": None, "param": None, "code": None}}
        if resp.status == 429 and not hopeless:
            self.tally.rate_limited += 1
            item.rate_limited += 1
            wait = min(
                rate_limit_wait(resp.headers, error.message, item.rate_limited, self.rand()), MAX_PAUSE
            )  # a server asking for hours is asked again sooner
            self.pacer.pause(wait)
            self.pacer.settle(item.tokens, 0)  # a refused request used nothing
            self.pacer.follow(resp.headers)  # after the refund: the header already leaves it out
            if item.rate_limited <= MAX_RATE_LIMIT_RETRIES:
                item.attempts -= 1  # waiting for room is not a failed attempt
                self.tally.retried += 1
                self.retry.append(item)
                return
        self._retry_or_fail(item, resp.status, err_body, rid, error, resp.headers)

    async def _tick(self, tick: Callable[[Tally], None], every: float) -> None:
        while True:
            await asyncio.sleep(every)
            tick(self.tally)

    def _retry_or_fail(
        self,
        item: Item,
        status: int,
        body: dict[str, Any],
        rid: str | None,
        error: O4Error,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        # The same rules as every other request (http.retry); a 429 that reaches here has
        # used up its waits.
        d = decide(error, item.attempts - 1, self.max_retries, headers, self.rand())
        if d.retry and status != 429 and not self.stop:
            self.log(f"{item.custom_id}: retrying in {d.delay:.2f} s ({d.why})")
            self.tally.retried += 1
            self.pacer.pause(d.delay)
            self.retry.append(item)
            return
        self.tally.failed += 1
        self.tally.failed_status[status] = self.tally.failed_status.get(status, 0) + 1
        line = self._line(item, status, body, rid, None if status else body)
        if self.errors is not None:
            self._write(self.errors, line)
        self.on_result(item, status, None, 0.0)

    async def run(
        self, items: Iterator[Item], *, tick: Callable[[Tally], None] | None = None, every: float = 1.0
    ) -> Tally:
        """Run until every item is done or failed, or a first Ctrl-C (then finish in-flight);
        ``tick`` is called every ``every`` seconds meanwhile (progress, ledger flushes)."""
        loop = asyncio.get_running_loop()
        interrupts = [0]
        tasks: list[asyncio.Task[None]] = []

        def on_sigint() -> None:
            interrupts[0] += 1
            self.stop = True
            self.tally.interrupted = True
            if interrupts[0] > 1:
                for task in [*tasks, *self._active]:
                    task.cancel()

        # POSIX event loops take signal handlers; elsewhere Ctrl-C stops at once.
        handles_signals = sys.platform != "win32"
        if handles_signals:
            previous = signal.getsignal(signal.SIGINT)
            loop.add_signal_handler(signal.SIGINT, on_sigint)
        async with self.client(self.concurrency) as send:
            tasks.append(asyncio.create_task(self._dispatch(send, items)))
            ticker = asyncio.create_task(self._tick(tick, every)) if tick else None
            try:
                await tasks[0]
            except asyncio.CancelledError:
                pass
            finally:
                if ticker:
                    ticker.cancel()
                if handles_signals:
                    loop.remove_signal_handler(signal.SIGINT)
                    signal.signal(signal.SIGINT, previous)  # not Python's default: what was there before
        self.sync()
        if self._crash is not None:
            raise self._crash
        return self.tally
