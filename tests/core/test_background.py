"""The rules of background calls, in-process: the polling backoff, the wait with a fake
clock, the resume delay, the cost recorded once under a race, Ctrl-C held until the id
is known, and a resumed stream that takes each event once even when the server sends
some again."""

from __future__ import annotations

import json
import signal
import threading
from decimal import Decimal

import httpx
import pytest

from o4cli.core import config
from o4cli.core.background import poll
from o4cli.core.background.hold import HeldInterrupt
from o4cli.core.background.resume import Resumable, resume_delay
from o4cli.core.cost import Usage
from o4cli.core.errors import WaitTimeout
from o4cli.core.http.api import Api
from o4cli.core.ledger import Ledger


@pytest.mark.parametrize(
    ("first", "polls", "expected"),
    [(1.0, 0, 1.0), (1.0, 1, 1.5), (1.0, 2, 2.25), (1.0, 20, 15.0), (2.0, 3, 6.75), (30.0, 0, 30.0)],
)
def test_poll_delay_grows_by_half_to_a_cap(first, polls, expected):
    assert poll.delay(first, polls) == pytest.approx(expected)


@pytest.mark.parametrize(
    ("wait", "now", "deadline", "expected"),
    [(2.0, 10.0, None, 2.0), (2.0, 10.0, 20.0, 2.0), (2.0, 19.5, 20.0, 0.5), (2.0, 20.0, 20.0, None), (2.0, 25.0, 20.0, None)],
)
def test_next_sleep_is_cut_to_the_deadline(wait, now, deadline, expected):
    assert poll.next_sleep(wait, now, deadline) == expected


class FakeTime:
    def __init__(self) -> None:
        self.now = 100.0
        self.slept: list[float] = []

    def clock(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds


def test_until_final_polls_with_backoff_until_the_end():
    t = FakeTime()
    statuses = iter(["queued", "queued", "in_progress", "in_progress", "completed"])
    seen = []
    body = poll.until_final(
        lambda: {"id": "resp_1", "status": next(statuses)}, interval=1.0, deadline=None,
        on_update=lambda r: seen.append(r["status"]), clock=t.clock, sleep=t.sleep,
    )  # fmt: skip
    assert body["status"] == "completed"
    assert seen == ["queued", "queued", "in_progress", "in_progress", "completed"]
    assert t.slept == pytest.approx([1.0, 1.5, 2.25, 3.375])


def test_until_final_gives_up_at_the_deadline_and_says_the_call_goes_on():
    t = FakeTime()
    with pytest.raises(WaitTimeout) as info:
        poll.until_final(
            lambda: {"id": "resp_9", "status": "in_progress"}, interval=1.0, deadline=t.now + 3.0, timeout=3.0,
            clock=t.clock, sleep=t.sleep,
        )  # fmt: skip
    assert t.slept == pytest.approx([1.0, 1.5, 0.5])  # the last pause cut to the deadline
    assert info.value.exit_code == 124
    assert "resp_9 is still in_progress after --timeout 3 s; it goes on running" == info.value.message
    assert "o4 wait resp_9" in info.value.hint


@pytest.mark.parametrize(("idle", "expected"), [(0, 0.0), (1, 0.5), (2, 1.0), (3, 2.0), (5, 8.0), (9, 8.0)])
def test_resume_delay(idle, expected):
    assert resume_delay(idle) == expected


# ------------------------------------------------------------------ the ledger


def _job(ledger: Ledger) -> int:
    return ledger.add_job(kind="response", status="in_progress", profile="default", remote_id="resp_1")


def _row(cost: str) -> dict:
    return {
        "command": "ask", "profile": "default", "model": "o4-mini", "endpoint": "/v1/responses",
        "usage": Usage(10, 0, 5), "cost_usd": Decimal(cost), "response_id": "resp_1",
    }  # fmt: skip


def test_finish_job_records_the_end_once_when_two_saw_it_pending(tmp_path):
    a, b = Ledger.open(tmp_path), Ledger.open(tmp_path)
    job_id = _job(a)
    assert a.job(job_id).status == b.job(job_id).status == "in_progress"  # both read it pending
    pending = ("queued", "in_progress")
    won_b = b.finish_job(job_id, status="completed", pending=pending, cost_usd=Decimal("0.5"), request=_row("0.5"))
    won_a = a.finish_job(job_id, status="completed", pending=pending, cost_usd=Decimal("0.5"), request=_row("0.5"))
    assert (won_a, won_b) == (False, True)
    rows = list(a.requests())
    assert len(rows) == 1 and rows[0]["job_id"] == job_id and Decimal(rows[0]["cost_usd"]) == Decimal("0.5")
    assert a.job(job_id).status == "completed" and a.job(job_id).cost_usd == Decimal("0.5")


def test_finish_job_under_a_real_race_of_threads(tmp_path):
    first = Ledger.open(tmp_path)
    job_id = _job(first)
    start = threading.Barrier(8)
    wins = []

    def settle() -> None:
        ledger = Ledger.open(tmp_path)  # a connection of its own, as another process has
        start.wait()
        wins.append(ledger.finish_job(
            job_id, status="completed", pending=("in_progress",), cost_usd=Decimal("1"), request=_row("1")
        ))  # fmt: skip
        ledger.close()

    threads = [threading.Thread(target=settle) for _ in range(8)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    assert sorted(wins) == [False] * 7 + [True]
    assert len(list(first.requests())) == 1


# ------------------------------------------------------------------ Ctrl-C


def test_ctrl_c_is_held_until_release_then_raised():
    notices = []
    with HeldInterrupt(notices.append) as hold:
        signal.raise_signal(signal.SIGINT)  # as a terminal's Ctrl-C, while the id is on its way
        assert notices and "waiting for the call's id" in notices[0]
        with pytest.raises(KeyboardInterrupt):
            hold.release()
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler


def test_a_second_ctrl_c_stops_at_once():
    with HeldInterrupt(lambda _m: None), pytest.raises(KeyboardInterrupt):
        signal.raise_signal(signal.SIGINT)
        signal.raise_signal(signal.SIGINT)
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler


# ------------------------------------------------------------------ resuming


def _sse(events: list[dict]) -> bytes:
    return b"".join(f"event: {e['type']}\ndata: {json.dumps(e)}\n\n".encode() for e in events)


SSE = {"content-type": "text/event-stream"}


class Cut(httpx.SyncByteStream):
    """Bytes, then the connection drops."""

    def __init__(self, data: bytes) -> None:
        self.data = data

    def __iter__(self):
        yield self.data
        raise httpx.RemoteProtocolError("peer closed connection without sending complete message body")


def _events(text: str) -> list[dict]:
    shell = {"id": "resp_7", "object": "response", "status": "queued", "model": "o4-mini"}
    evs = [{"type": "response.created", "response": shell}, {"type": "response.queued", "response": shell}]
    evs += [{"type": "response.output_text.delta", "delta": text[i : i + 3]} for i in range(0, len(text), 3)]
    usage = {"input_tokens": 5, "output_tokens": 9, "input_tokens_details": {"cached_tokens": 0}, "output_tokens_details": {"reasoning_tokens": 2}}
    done = {**shell, "status": "completed", "usage": usage, "output": []}
    evs.append({"type": "response.completed", "response": done})
    return [{**e, "sequence_number": n} for n, e in enumerate(evs)]


def test_a_resumed_stream_takes_each_event_once_even_when_the_server_repeats_some(tmp_path):
    text = "abcdefghijklmnopqrstuvwxyz"
    events = _events(text)
    requests: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        requests.append(request)
        if request.method == "POST":
            return httpx.Response(200, stream=Cut(_sse(events[:6])), headers=SSE)  # created, queued, 4 deltas
        # the resume replays from an earlier event than asked: the client must skip those
        return httpx.Response(200, content=_sse(events[3:]), headers=SSE)

    settings = config.Settings(profile="default", config_path=tmp_path / "c", data_dir=tmp_path, api_key="sk-test")
    client = httpx.Client(base_url="https://api.test/v1", transport=httpx.MockTransport(handler))
    ids, notices = [], []
    stream = Resumable(
        Api(client, settings), {"model": "o4-mini", "input": "x", "background": True, "stream": True, "store": True},
        on_id=lambda a, status: ids.append((a.response_id, status)), notice=notices.append, sleep=lambda _s: None,
    )  # fmt: skip
    shown = "".join(d for kind, d in stream.deltas() if kind == "text")
    assert shown == text and stream.answer.text == text
    assert ids == [("resp_7", "queued")]  # recorded at the first event, before any text
    assert stream.answer.status == "completed" and stream.answer.usage.output_tokens == 9
    assert [r.method for r in requests] == ["POST", "GET"]
    assert dict(requests[1].url.params) == {"stream": "true", "starting_after": "5"}
    assert requests[1].url.path == "/v1/responses/resp_7"
    assert len(notices) == 1 and "resuming after event 5" in notices[0]
