"""Polling a background call until it ends: the backoff is pure, the clock and the sleep
are handed in (tests pass fakes; nothing races the wall clock)."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from o4cli.core.background import PENDING
from o4cli.core.errors import WaitTimeout

GROWTH = 1.5
CAP = 15.0  # seconds: a call that ends is noticed within this


def delay(first: float, polls: int, *, growth: float = GROWTH, cap: float = CAP) -> float:
    """The wait before the next poll after ``polls`` polls: ``first``, growing by
    ``growth`` each time, never above ``cap`` (nor below ``first``)."""
    return max(first, min(cap, first * growth**polls))


def next_sleep(wait: float, now: float, deadline: float | None) -> float | None:
    """How long to sleep before the next poll, cut to the deadline; None when the deadline
    has passed (time to give up)."""
    if deadline is None:
        return wait
    left = deadline - now
    return None if left <= 0 else min(wait, left)


def until_final(
    fetch: Callable[[], dict[str, Any]],
    *,
    interval: float,
    deadline: float | None,
    timeout: float | None = None,
    on_update: Callable[[dict[str, Any]], None] = lambda _r: None,
    clock: Callable[[], float] = time.monotonic,
    sleep: Callable[[float], None] = time.sleep,
) -> dict[str, Any]:
    """``fetch()`` until the response is no longer queued or in progress; past ``deadline``
    (on ``clock``; ``timeout`` is how the user gave it) ``WaitTimeout``: the call goes on."""
    polls = 0
    while True:
        response = fetch()
        on_update(response)
        status = response.get("status")
        if status not in PENDING:
            return response
        pause = next_sleep(delay(interval, polls), clock(), deadline)
        if pause is None:
            rid = response.get("id", "the call")
            waited = f" after --timeout {timeout:g} s" if timeout is not None else ""
            raise WaitTimeout(
                f"{rid} is still {status}{waited}; it goes on running",
                hint=f"o4 wait {rid} later (or o4 cancel {rid})",
            )
        sleep(pause)
        polls += 1
