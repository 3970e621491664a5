"""``batch run``'s in-flight choice (``in_flight``, ``Latency`` on a fake clock), the
dispatcher keeping that many requests in flight, and the two ways requests are sent
(the H1 pool, httpx when a proxy is set)."""

from __future__ import annotations

import asyncio
import io
import json
from contextlib import asynccontextmanager
from pathlib import Path

import httpx
import pytest

from o4cli.core.batch.runner import (
    HEADROOM,
    MAX_IN_FLIGHT,
    MIN_IN_FLIGHT,
    Item,
    Latency,
    Pacer,
    Runner,
    in_flight,
)
from o4cli.core.config import Settings
from o4cli.core.http.client import HttpxSender, async_sender, proxied
from o4cli.core.http.h1 import H1Pool, Reply
from tests.core.test_pacer import Clock

TIER4 = (10_000, 10_000_000)


@pytest.mark.parametrize(
    ("limits", "tokens", "latency", "cap", "expected"),
    [
        (TIER4, 240, 0.5, MAX_IN_FLIGHT, 125),  # 166.7 requests a second x 0.5 s x 1.5
        (TIER4, 240, 2.0, MAX_IN_FLIGHT, 500),
        (TIER4, 240, 5.0, MAX_IN_FLIGHT, MAX_IN_FLIGHT),  # bounded
        (TIER4, 240, 2.0, 64, 64),  # --concurrency 64
        (TIER4, 240, 0.002, MAX_IN_FLIGHT, MIN_IN_FLIGHT),  # answers in milliseconds
        (TIER4, 240, 0.0, MAX_IN_FLIGHT, MIN_IN_FLIGHT),  # nothing known yet
        (TIER4, 240, 0.0, 2, 2),  # --concurrency below the floor wins
        ((10_000, 120_000), 240, 2.0, MAX_IN_FLIGHT, 25),  # TPM binds: 500 requests a minute
        ((600, 10_000_000), 240, 2.0, MAX_IN_FLIGHT, 30),  # RPM binds: 10 a second
        ((600, 10_000_000), 0, 2.0, MAX_IN_FLIGHT, 30),  # a request of 0 tokens counts as 1
    ],
)
def test_in_flight_is_rate_times_latency_with_headroom(limits, tokens, latency, cap, expected):
    assert in_flight(*limits, tokens, latency, cap=cap) == expected


@pytest.mark.parametrize(
    ("limits", "room", "latency", "expected"),
    [
        ((1200, 120_000), 500, 0.5, 11),  # 0.5 s x (8.3 a second x 1.5 + 500 over a minute)
        ((1200, 120_000), 0, 0.5, MIN_IN_FLIGHT),  # the bucket spent: the sustained rate only
        (TIER4, 9_833, 0.5, 207),  # 0.5 s x (166.7 x 1.5 + 163.9)
        (TIER4, 9_833, 2.0, MAX_IN_FLIGHT),
        (TIER4, -50, 0.5, 125),  # a bucket in debt counts as empty
    ],
)
def test_room_in_the_buckets_is_spent_over_a_minute(limits, room, latency, expected):
    assert in_flight(*limits, 240, latency, room) == expected


def test_in_flight_grows_with_latency_and_never_shrinks_below_the_floor():
    counts = [in_flight(*TIER4, 240, s / 10) for s in range(0, 60)]
    assert counts == sorted(counts) and counts[0] == MIN_IN_FLIGHT and counts[-1] == MAX_IN_FLIGHT
    assert HEADROOM > 1  # some room for latency's spread


def test_latency_before_the_first_answer_is_the_wait_so_far():
    clock = Clock()
    lat = Latency(clock)
    assert lat.estimate() == 0.0
    lat.sent()
    clock.advance(0.3)
    assert lat.estimate() == pytest.approx(0.3)
    lat.sent()  # a later request does not restart the wait
    clock.advance(0.7)
    assert lat.estimate() == pytest.approx(1.0)


def test_latency_after_answers_is_their_moving_average():
    clock = Clock()
    lat = Latency(clock)
    lat.sent()
    lat.observe(2.0)
    assert lat.estimate() == 2.0
    clock.advance(100)  # time passing changes nothing once answers are known
    assert lat.estimate() == 2.0
    lat.observe(1.0)
    assert lat.estimate() == pytest.approx(1.9)
    for _ in range(100):
        lat.observe(0.5)
    assert lat.estimate() == pytest.approx(0.5, abs=0.01)


def test_the_runner_limit_follows_latency_and_the_room_on_a_fake_clock():
    clock = Clock()
    pacer = Pacer(*TIER4, clock=clock)
    r = runner(pacer, clock=clock)
    assert r.limit() == MIN_IN_FLIGHT
    r._sent, r._sent_tokens = 1, 240
    r.latency.sent()
    clock.advance(1.0)  # no answer after a second: at least a second's worth in flight
    assert r.limit() == 414  # 1 s x (166.7 x 1.5 + 9,833 in the bucket / 60)
    r.latency.observe(0.5)
    assert r.limit() == 207
    pacer.requests = 0  # the bucket spent: Little's law on the sustained rate
    assert r.limit() == 125
    r.concurrency = 16
    assert r.limit() == 16


# ------------------------------------------------------------------ dispatcher


class FakeSender:
    """Answers every POST after ``latency`` seconds; counts what is in flight."""

    host = "fake.test"

    def __init__(self, latency: float, status: int = 200) -> None:
        self.latency, self.status = latency, status
        self.now = self.peak = self.calls = 0

    def url(self, path: str) -> str:
        return f"http://fake.test/v1/{path}"

    async def post(self, path: str, body: bytes) -> Reply:
        self.calls += 1
        self.now += 1
        self.peak = max(self.peak, self.now)
        try:
            await asyncio.sleep(self.latency)
        finally:
            self.now -= 1
        answer = {"id": f"resp_{self.calls}", "usage": {"input_tokens": 1, "output_tokens": 1}}
        return Reply(self.status, {"x-request-id": "req_1"}, json.dumps(answer).encode(), self.url(path))


def runner(pacer: Pacer, sender: FakeSender | None = None, *, concurrency: int = MAX_IN_FLIGHT, **kw) -> Runner:
    @asynccontextmanager
    async def client(_n: int):
        yield sender

    return Runner(
        client=client, max_retries=2, concurrency=concurrency, pacer=pacer, out=io.BytesIO(), errors=None,
        on_result=lambda *a: None, **kw,
    )  # fmt: skip


def items(n: int) -> list[Item]:
    return [Item(f"c{i}", "/v1/responses", {"model": "o4-mini", "input": "hi"}, 240) for i in range(n)]


def test_the_dispatcher_keeps_more_in_flight_when_answers_are_slow():
    """6,000 requests a minute with answers in 0.2 s: 100 x 0.2 x 1.5 = 30 in flight,
    more than the 16 of a fixed default; every request done once."""
    sender = FakeSender(0.2)
    r = runner(Pacer(6000, 10**9), sender)
    tally = asyncio.run(r.run(iter(items(60))))
    assert tally.done == 60 and sender.calls == 60
    assert 16 < sender.peak <= in_flight(6000, 10**9, 240, 1.0)
    ids = [json.loads(line)["custom_id"] for line in r.out.getvalue().splitlines()]
    assert sorted(ids) == sorted(f"c{i}" for i in range(60))


def test_concurrency_caps_what_is_in_flight():
    sender = FakeSender(0.05)
    r = runner(Pacer(6000, 10**9), sender, concurrency=3)
    assert asyncio.run(r.run(iter(items(12)))).done == 12
    assert sender.peak == 3


def test_a_bug_in_a_request_task_is_raised_not_lost():
    class Broken(FakeSender):
        async def post(self, path: str, body: bytes) -> Reply:
            raise RuntimeError("boom")

    r = runner(Pacer(6000, 10**9), Broken(0))
    with pytest.raises(RuntimeError, match="boom"):
        asyncio.run(r.run(iter(items(5))))


# ---------------------------------------------------------------- the senders


def settings(tmp_path: Path, base_url: str = "https://api.openai.com/v1") -> Settings:
    return Settings(profile="default", config_path=tmp_path / "c.toml", data_dir=tmp_path, base_url=base_url, api_key="sk-x")


@pytest.mark.parametrize(
    ("env", "expected"),
    [({}, False), ({"HTTPS_PROXY": "http://proxy:3128"}, True), ({"all_proxy": "socks5://p"}, True), ({"HTTP_PROXY": ""}, False)],
)
def test_a_proxy_in_the_environment_means_httpx(tmp_path, env, expected):
    assert proxied(env) is expected
    sender = async_sender(settings(tmp_path), connections=8, env=env)
    assert isinstance(sender, HttpxSender if expected else H1Pool)


def test_the_httpx_sender_spreads_requests_over_clients_of_8_connections(tmp_path):
    seen = []

    async def handler(request: httpx.Request) -> httpx.Response:
        seen.append((request.url.path, request.headers["authorization"], json.loads(request.content)))
        await asyncio.sleep(0.01)
        return httpx.Response(200, json={"ok": True}, headers={"X-Request-Id": "req_7"})

    sender = HttpxSender(settings(tmp_path), connections=20, transport=httpx.MockTransport(handler))

    async def main():
        async with sender:
            return await asyncio.gather(*(sender.post("responses", b'{"n": %d}' % i) for i in range(20)))

    replies = asyncio.run(main())
    assert len(sender._clients) == 3  # 20 at once, 8 a client
    assert all(r.status == 200 and r.headers["x-request-id"] == "req_7" and r.json() == {"ok": True} for r in replies)
    assert replies[0].url == "https://api.openai.com/v1/responses"
    assert sorted(n["n"] for _p, _a, n in seen) == list(range(20))
    assert {(p, a) for p, a, _n in seen} == {("/v1/responses", "Bearer sk-x")}
