"""The emulator's own controls that keep tests free of wall-clock races: its clock
(frozen, advanced, ticked per read), ``wait_idle()``, and delayed requests dropped by
``reset()`` instead of landing in the next test."""

import threading
import time

import httpx
import pytest

from tests.emulator import TEST_KEY, Clock

AUTH = {"Authorization": f"Bearer {TEST_KEY}"}


def test_the_clock_is_the_wall_clock_until_frozen_then_moves_only_when_told():
    clock = Clock()
    assert not clock.frozen and abs(clock() - time.monotonic()) < 0.5
    clock.freeze()
    t = clock()
    assert clock() == t and clock.frozen
    clock.advance(2.5)
    assert clock() == t + 2.5
    clock.read()  # no tick_on_read: a read changes nothing
    assert clock() == t + 2.5
    clock.tick_on_read = 0.5
    clock.read()
    assert clock() == t + 3.0
    ticking = Clock()
    ticking.tick_on_read = 1.0  # freezes it: only reads move it now
    start = ticking()
    assert ticking.frozen and ticking() == start
    ticking.read()
    assert ticking() == start + 1.0


def test_a_batch_on_a_frozen_clock_moves_only_with_it(emulator):
    emulator.clock.freeze()
    emulator.batch_timing = {"validating": 1, "in_progress": 1, "finalizing": 1}
    fid = emulator.put_file(b'{"custom_id": "a", "method": "POST", "url": "/v1/responses", "body": {"model": "o4-mini", "input": "x"}}\n')["id"]
    with httpx.Client(base_url=emulator.url, headers=AUTH) as api:
        bid = api.post("/batches", json={"input_file_id": fid, "endpoint": "/v1/responses", "completion_window": "24h"}).json()["id"]
        statuses = [api.get(f"/batches/{bid}").json()["status"]]
        for _ in range(3):
            emulator.clock.advance(1.01)
            statuses.append(api.get(f"/batches/{bid}").json()["status"])
    assert statuses == ["validating", "in_progress", "finalizing", "completed"]


def test_reset_drops_a_delayed_request_and_wait_idle_sees_it_gone(emulator):
    emulator.fault(delay=30, path="/v1/models")
    outcome: list[object] = []

    def call() -> None:
        try:
            outcome.append(httpx.get(f"{emulator.url}/models", headers=AUTH, timeout=10).status_code)
        except httpx.HTTPError as exc:
            outcome.append(type(exc))

    thread = threading.Thread(target=call)
    thread.start()
    deadline = time.monotonic() + 10
    while not emulator.log and time.monotonic() < deadline:
        time.sleep(0.01)
    assert emulator.in_flight == 1
    with pytest.raises(AssertionError, match="still answering 1 request"):
        emulator.wait_idle(timeout=0.1)
    started = time.monotonic()
    emulator.reset()  # what the next test's fixture does
    emulator.wait_idle(timeout=5)
    thread.join(timeout=5)
    assert time.monotonic() - started < 5  # not the 30 s of the delay
    assert outcome == [httpx.RemoteProtocolError]  # dropped unanswered
    assert emulator.log == []  # and nothing of it reached the fresh state
