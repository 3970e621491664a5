"""``batch run``'s ``Pacer`` (RPM and TPM buckets) on a fake clock, ``estimate_tokens``
and ``read_done`` (resuming an output file)."""

from __future__ import annotations

import json
from pathlib import Path

import httpx
import pytest

from o4cli.core.batch.runner import Pacer, estimate_tokens, read_done
from o4cli.core.errors import ExitCode, UsageError


class Clock:
    """A clock that moves only when told."""

    def __init__(self) -> None:
        self.t = [1000.0]

    def __call__(self) -> float:
        return self.t[0]

    def advance(self, seconds: float) -> None:
        self.t[0] += seconds


@pytest.fixture
def clock() -> Clock:
    return Clock()


def waited(p: Pacer, clock: Clock, tokens: int = 0) -> float:
    """Like a worker: ask, sleep what it says (on the fake clock), until the request goes;
    the total time it waited. Float rounding may add a 1 ms nudge, never more."""
    total = 0.0
    for _ in range(100):
        w = p.wait_time(tokens)
        if w == 0:
            return total
        clock.advance(w)
        total += w
    raise AssertionError("the request never went")


def drain(p: Pacer, tokens: int = 0) -> int:
    """Take requests until one must wait; how many went."""
    n = 0
    while p.wait_time(tokens) == 0:
        n += 1
        assert n < 10_000
    return n


# --------------------------------------------------------------------- Pacer


@pytest.mark.parametrize(("rpm", "tpm"), [(60, 6000), (600, 60_000), (1000, 100_000)])
def test_starts_a_second_short_of_full(clock, rpm, tpm):
    p = Pacer(rpm, tpm, clock=clock)
    assert (p.requests, p.tokens) == (pytest.approx(rpm * 59 / 60), pytest.approx(tpm * 59 / 60))
    # one a second at 60 rpm: 59 go at once, the 60th a second later
    assert drain(Pacer(60, 10**9, clock=clock)) == 59


def test_a_request_takes_one_request_and_its_tokens(clock):
    p = Pacer(600, 60_000, clock=clock)
    assert p.wait_time(1_000) == 0
    assert (p.requests, p.tokens) == (pytest.approx(589), pytest.approx(58_000))
    assert p.wait_time(8_000) == 0
    assert (p.requests, p.tokens) == (pytest.approx(588), pytest.approx(50_000))


def test_wait_time_says_how_long_until_the_next_fits(clock):
    p = Pacer(60, 600, clock=clock)  # 10 tokens a second
    assert p.wait_time(590) == 0  # the whole starting bucket
    assert p.wait_time(100) == pytest.approx(10.0)
    # asking again takes nothing: the answer only shrinks as time passes
    clock.advance(4)
    assert p.wait_time(100) == pytest.approx(6.0)
    clock.advance(6)
    assert p.wait_time(100) == 0
    assert p.tokens == pytest.approx(0)


def test_wait_time_for_requests(clock):
    p = Pacer(6, 10**9, clock=clock)  # one request every 10 s
    assert drain(p) == 5  # 6 x 59/60 = 5.9
    assert p.wait_time(0) == pytest.approx(1.0)  # 0.9 left, 0.1 more needed
    assert waited(p, clock) == pytest.approx(1.0, abs=0.002)
    assert waited(p, clock) == pytest.approx(10.0, abs=0.002)


def test_refill_is_continuous_and_capped(clock):
    p = Pacer(60, 600, clock=clock)
    assert p.wait_time(590) == 0
    clock.advance(2.5)
    assert p.wait_time(26) == pytest.approx(0.1)  # 25 tokens are back, not 20 nor 30
    assert p.wait_time(25) == 0
    clock.advance(10_000)  # idle for hours: the bucket holds a minute's worth, no more
    assert p.wait_time(600) == 0
    assert p.wait_time(1) == pytest.approx(0.1)
    assert p.requests == pytest.approx(59)  # 60 at most, one taken


def test_pause_blocks_until_its_time(clock):
    p = Pacer(60, 6000, clock=clock)
    p.pause(5)
    assert p.wait_time(1) == pytest.approx(5.0)
    clock.advance(3)
    assert p.wait_time(1) == pytest.approx(2.0)
    clock.advance(2)
    assert p.wait_time(1) == 0


def test_pause_zeroes_the_request_bucket(clock):
    p = Pacer(6, 10**9, clock=clock)  # one request every 10 s, 5.9 in the bucket
    p.pause(5)
    assert p.requests == 0
    clock.advance(5)
    # the pause is over, but half a request has come back: wait 5 s more
    assert p.wait_time(0) == pytest.approx(5.0)
    clock.advance(5)
    assert p.wait_time(0) == 0


def test_a_shorter_pause_does_not_cut_a_longer_one(clock):
    p = Pacer(60, 6000, clock=clock)
    p.pause(10)
    clock.advance(1)
    p.pause(2)
    assert p.wait_time(1) == pytest.approx(9.0)


def test_pause_keeps_the_tokens(clock):
    p = Pacer(60, 6000, clock=clock)
    p.pause(1)
    assert p.tokens == pytest.approx(5900)


@pytest.mark.parametrize(
    ("headers", "requests", "tokens"),
    [
        # the server says more room than we think: we keep our own count
        ({"x-ratelimit-remaining-requests": "1000", "x-ratelimit-remaining-tokens": "9999999"}, 59, 5900),
        # less: we follow it down
        ({"x-ratelimit-remaining-requests": "3", "x-ratelimit-remaining-tokens": "120"}, 3, 120),
        ({"x-ratelimit-remaining-tokens": "100"}, 59, 100),
        ({"X-RateLimit-Remaining-Requests": "0"}, 0, 5900),
        # garbled or missing: ignored
        ({"x-ratelimit-remaining-requests": "lots"}, 59, 5900),
        ({}, 59, 5900),
    ],
)
def test_follow_never_raises_the_buckets(clock, headers, requests, tokens):
    p = Pacer(60, 6000, clock=clock)
    p.follow(httpx.Headers(headers))
    assert (p.requests, p.tokens) == (pytest.approx(requests), pytest.approx(tokens))


def test_follow_slows_the_next_request(clock):
    p = Pacer(60, 6000, clock=clock)
    p.follow(httpx.Headers({"x-ratelimit-remaining-requests": "0"}))
    assert p.wait_time(1) == pytest.approx(1.0)


def test_a_request_bigger_than_the_bucket_waits_for_a_full_bucket(clock):
    p = Pacer(60, 600, clock=clock)
    w = p.wait_time(10_000)  # more than a minute's tokens: would never fit
    assert w == pytest.approx(1.0)  # 590 of 600: a second to a full bucket
    clock.advance(w)
    assert p.wait_time(10_000) == 0
    assert p.tokens == pytest.approx(0)
    # and then it waits a full minute for the next big one, not forever
    assert p.wait_time(10_000) == pytest.approx(60.0)


def test_settle_gives_back_what_was_overestimated(clock):
    p = Pacer(60, 6000, clock=clock)
    assert p.wait_time(5000) == 0
    p.settle(estimated=5000, actual=1200)
    assert p.tokens == pytest.approx(900 + 3800)
    p.settle(estimated=100, actual=9999)  # more than estimated: taken
    assert p.tokens == pytest.approx(4700 - 9899)
    p.settle(estimated=100_000, actual=0)  # never above a full bucket
    assert p.tokens == pytest.approx(6000)


# ----------------------------------------------------------- estimate_tokens


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ({"model": "o4-mini", "input": "x" * 400, "max_output_tokens": 100}, 200),
        ({"model": "o4-mini", "input": "x" * 403}, 100),
        (
            {"model": "o4-mini", "input": [{"role": "user", "content": "hi"}]},
            len(json.dumps([{"role": "user", "content": "hi"}])) // 4,
        ),
        (
            {
                "model": "o4-mini",
                "messages": [{"role": "user", "content": "x" * 1000}],
                "max_completion_tokens": 25_000,
            },
            len(json.dumps([{"role": "user", "content": "x" * 1000}])) // 4 + 25_000,
        ),
        ({"model": "o4-mini", "input": "", "max_output_tokens": 16}, 16),
    ],
    ids=["responses", "no-cap", "input-list", "chat", "empty"],
)
def test_estimate_tokens(body, expected):
    assert estimate_tokens(body) == expected


# ----------------------------------------------------------------- read_done


def out_line(cid: str) -> bytes:
    return (
        json.dumps(
            {"id": f"batch_req_{cid}", "custom_id": cid, "response": {"status_code": 200, "body": {}}, "error": None}
        )
        + "\n"
    ).encode()


def test_missing_or_empty_file_has_nothing_done(tmp_path):
    assert read_done(tmp_path / "nope.jsonl") == set()
    empty = tmp_path / "empty.jsonl"
    empty.write_bytes(b"")
    assert read_done(empty) == set()


def test_complete_lines_are_done_and_the_file_is_untouched(tmp_path):
    path = tmp_path / "out.jsonl"
    data = out_line("a") + out_line("b") + out_line("c")
    path.write_bytes(data)
    assert read_done(path) == {"a", "b", "c"}
    assert path.read_bytes() == data


def test_an_error_line_counts_as_done(tmp_path):
    path = tmp_path / "out.jsonl"
    path.write_bytes(out_line("a") + b'{"id":"x","custom_id":"b","response":null,"error":{"code":"c","message":"m"}}\n')
    assert read_done(path) == {"a", "b"}


def test_a_torn_last_line_is_cut_off(tmp_path):
    path = tmp_path / "out.jsonl"
    good = out_line("a") + out_line("b")
    path.write_bytes(good + out_line("c")[:25])  # a crash mid-write
    assert read_done(path) == {"a", "b"}
    assert path.read_bytes() == good  # appending resumes on a clean line


@pytest.mark.parametrize(
    ("content", "line"),
    [
        (b"hello world\nsecond line\n", 1),
        (b'{"name": "not a batch line"}\n', 1),
        (b"[1, 2, 3]\n", 1),
        (out_line("a") + b"my notes\n" + out_line("b"), 2),
        (out_line("a") + b'{"custom_id": 7, "response": {}}\n', 2),
        (out_line("a") + b'{"custom_id": "z"}\n' + b"torn", 2),
    ],
    ids=["text", "json-object", "json-array", "text-in-the-middle", "numeric-id", "no-response"],
)
def test_a_foreign_file_is_refused_and_left_untouched(tmp_path, content, line):
    path = tmp_path / "notes.jsonl"
    path.write_bytes(content)
    with pytest.raises(UsageError) as info:
        read_done(path)
    assert info.value.message == f"-o {path}: line {line} is not a batch output line; o4 appends to its own output only"
    assert info.value.hint == "give another -o FILE (the file was not changed)"
    assert info.value.exit_code == ExitCode.USAGE
    assert path.read_bytes() == content


def test_a_foreign_one_line_file_without_newline_is_left_untouched(tmp_path):
    path: Path = tmp_path / "notes.txt"
    path.write_bytes(b"my notes, no newline at the end")
    with pytest.raises(UsageError):
        read_done(path)
    assert path.read_bytes() == b"my notes, no newline at the end"
