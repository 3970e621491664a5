"""core.finetune.jobs and track, in process: new events in order (a fake API that pages
newest first, as OpenAI's does), the watch loop's waits (a fake sleep), the latest
metrics, and the rules of the use cases (how a job ended, what an action refuses)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pytest

from o4cli.core.errors import Interrupted, O4Error
from o4cli.core.finetune import jobs, track


def ev(n: int, at: int | None = None, **extra: Any) -> dict[str, Any]:
    return {"object": "fine_tuning.job.event", "id": f"ev-{n}", "created_at": at if at is not None else n, "level": "info", "message": f"event {n}", **extra}


class FakeApi:
    """The events and job endpoints over lists: events newest first, ``after``/``limit``
    paging, a job whose status follows a script (one entry per GET)."""

    def __init__(self, events: list[dict[str, Any]] | None = None, statuses: list[str] | None = None) -> None:
        self.events = list(events or [])  # oldest first; the API lists them newest first
        self.statuses = list(statuses or ["running"])
        self.calls: list[tuple[str, str, dict[str, Any]]] = []
        self.on_get_job: list[Any] = []  # callables run at each GET of the job (to add events)

    def request_json(self, method: str, path: str, *, params: dict[str, Any] | None = None, **_: Any) -> Any:
        params = dict(params or {})
        self.calls.append((method, path, params))
        if path.endswith("/events"):
            newest_first = list(reversed(self.events))
            if params.get("after"):
                ids = [e["id"] for e in newest_first]
                newest_first = newest_first[ids.index(params["after"]) + 1 :]
            limit = params.get("limit", 20)
            return {"object": "list", "data": newest_first[:limit], "has_more": len(newest_first) > limit}
        if method == "GET" and path.startswith("fine_tuning/jobs/"):
            if self.on_get_job:
                self.on_get_job.pop(0)(self)
            status = self.statuses.pop(0) if len(self.statuses) > 1 else self.statuses[0]
            return {"id": path.rsplit("/", 1)[1], "status": status, "model": "o4-mini-2025-04-16"}
        raise AssertionError(f"unexpected {method} {path}")


# ------------------------------------------------------------------ new_events


def test_new_events_come_oldest_first_and_each_once():
    api = FakeApi([ev(i) for i in range(1, 251)])
    seen: set[str] = set()
    first = jobs.new_events(api, "ftjob-1", seen)
    assert [e["id"] for e in first] == [f"ev-{i}" for i in range(1, 251)]
    assert sum(1 for c in api.calls if c[2].get("after")) == 2  # 100 a page: three pages
    api.events += [ev(251), ev(252)]
    api.calls.clear()
    assert [e["id"] for e in jobs.new_events(api, "ftjob-1", seen)] == ["ev-251", "ev-252"]
    assert len(api.calls) == 1  # the first page already held a seen event: no more paging
    assert jobs.new_events(api, "ftjob-1", seen) == []


def test_new_events_with_equal_timestamps_keep_the_apis_order():
    # the API lists newest first; three events in the same second keep that order reversed
    api = FakeApi([ev(1, at=10), ev(2, at=20), ev(3, at=20), ev(4, at=20), ev(5, at=15)])
    got = [e["id"] for e in jobs.new_events(api, "ftjob-1", set())]
    assert got == ["ev-1", "ev-5", "ev-2", "ev-3", "ev-4"]


def test_latest_metrics_is_the_newest_metrics_event():
    api = FakeApi([
        ev(1, type="metrics", data={"step": 1, "train_loss": 2.0}),
        ev(2, type="metrics", data={"step": 2, "train_loss": 1.5, "scores": {"train_reward_mean": 0.4}}),
        ev(3, type="message"),
    ])  # fmt: skip
    assert jobs.latest_metrics(api, "ftjob-1") == {"step": 2, "train_loss": 1.5, "train_reward_mean": 0.4}
    assert jobs.latest_metrics(FakeApi([ev(1)]), "ftjob-1") is None


# ------------------------------------------------------------------ watch


@dataclass
class Sleeps:
    waits: list[float] = field(default_factory=list)

    def __call__(self, seconds: float) -> None:
        self.waits.append(seconds)


def test_watch_waits_longer_while_nothing_changes_and_returns_at_the_end():
    statuses = ["queued", "queued", "queued", "queued", "queued", "queued", "running", "running", "succeeded"]
    api = FakeApi([ev(1)], statuses=statuses)
    api.on_get_job = [lambda a: None] * 7 + [lambda a: a.events.append(ev(2))]
    updates: list[tuple[str, list[str]]] = []
    sleep = Sleeps()
    job = jobs.watch(api, "ftjob-1", interval=8, on_update=lambda j, e: updates.append((j["status"], [x["id"] for x in e])), sleep=sleep)
    assert job["status"] == "succeeded"
    assert [u[0] for u in updates] == statuses  # one update a poll, the last one final
    assert updates[0][1] == ["ev-1"] and updates[7][1] == ["ev-2"] and all(not u[1] for u in updates[1:7])
    # changed (first poll) -> 8; then 16, 30 (the cap), 30...; running (a change) -> 8; an event -> 8
    assert sleep.waits == [8, 16, 30, 30, 30, 30, 8, 8]


def test_watch_cap_is_the_interval_when_it_is_longer_than_30_s():
    api = FakeApi(statuses=["running", "running", "running", "failed"])
    sleep = Sleeps()
    jobs.watch(api, "ftjob-1", interval=45, on_update=lambda j, e: None, sleep=sleep)
    assert sleep.waits == [45, 45, 45]


class FakeRuntime:
    def __init__(self, api: Any) -> None:
        self.api = api
        self.notices: list[str] = []
        self.warnings: list[str] = []

    @property
    def ledger(self):  # noqa: ANN201 - no ledger in these tests: sync warns
        from o4cli.core.errors import LedgerError

        raise LedgerError("no ledger here")

    def notice(self, m: str) -> None:
        self.notices.append(m)

    def warn(self, m: str) -> None:
        self.warnings.append(m)

    def log(self, m: str) -> None:
        pass


def test_follow_turns_ctrl_c_into_a_hint_and_a_ledger_failure_into_a_warning():
    api = FakeApi(statuses=["running"])
    rt = FakeRuntime(api)

    def interrupt(_seconds: float) -> None:
        raise KeyboardInterrupt

    with pytest.raises(Interrupted) as info:
        track.follow(rt, "ftjob-1", interval=1, on_update=lambda j, e: None, sleep=interrupt)  # type: ignore[arg-type]
    assert info.value.message == "stopped watching; ftjob-1 goes on" and info.value.hint == "o4 finetune status ftjob-1 --watch"
    assert rt.warnings == ["the status of ftjob-1 not recorded in the ledger: no ledger here"]


# ------------------------------------------------------------------ rules


@pytest.mark.parametrize(
    "job, message",
    [
        ({"id": "j", "status": "succeeded"}, None),
        ({"id": "j", "status": "cancelled"}, "fine-tuning job j cancelled"),
        ({"id": "j", "status": "failed", "error": {"code": "grader_error", "message": "The grader failed."}}, "fine-tuning job j failed: grader_error: The grader failed."),
    ],
)
def test_outcome_error(job, message):
    err = track.outcome_error(job)
    assert (err.message if isinstance(err, O4Error) else None) == message
    if err:
        assert err.hint == "o4 finetune events j tells the story" and err.exit_code == 1


@pytest.mark.parametrize(
    "action, state, message, hint",
    [
        ("pause", "validating_files", "cannot pause j: it is validating_files, and only a running job can be paused", "wait until it runs"),
        ("pause", "paused", "cannot pause j: it is paused, and only a running job can be paused", "o4 finetune resume j"),
        ("resume", "running", "cannot resume j: it is running, and only a paused job can be resumed", "it is running already"),
        ("cancel", "succeeded", "j has already succeeded: there is nothing to cancel", None),
    ],
)
def test_refusals(action, state, message, hint):
    assert state not in jobs.ALLOWED[action]
    assert track.refusal(action, "j", state) == message
    got = track.refusal_hint(action, "j", state)
    assert (got is None) if hint is None else (hint in got)
