"""render.finetune into StringIO streams: the watch panel on a (fake) terminal, one line
per change when piped, nothing under -q; event lines, metrics, and tables whose ids and
model names are never cut."""

from __future__ import annotations

import io
from typing import Any

import pytest

from o4cli.render import Out, progress
from o4cli.render import finetune as view


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


JOB = {"id": "ftjob-abc123", "status": "running", "model": "o4-mini-2025-04-16", "created_at": 1_000}


def event(n: int, message: str, *, level: str = "info", at: int = 1_010, **extra: Any) -> dict[str, Any]:
    return {"object": "fine_tuning.job.event", "id": f"ev-{n}", "created_at": at, "level": level, "message": message, **extra}


def metrics(step: int, reward: float) -> dict[str, Any]:
    return event(step, f"Step {step}/6", type="metrics", data={"step": step, "total_steps": 6, "train_reward_mean": reward})


@pytest.fixture
def narrow(monkeypatch):
    monkeypatch.setattr(progress, "width", lambda _stream: 61)


def test_the_panel_redraws_in_place_and_fits_the_width(narrow):
    err = Terminal()
    out = Out(io.StringIO(), err, {"NO_COLOR": "1"})
    w = view.Watcher(out, clock=lambda: 1_065)
    w.update(JOB, [metrics(1, 0.5), event(9, "x" * 100)])
    first = err.getvalue()
    assert first.splitlines() == [
        "ftjob-abc123 · running · o4-mini-2025-04-16 · 1m 05s",
        "  step 1/6 · train_reward_mean 0.5",
        "  " + view.event_line(metrics(1, 0.5)),
        ("  " + view.event_line(event(9, "x" * 100)))[:60],  # cut to the width
    ]
    w.update({**JOB, "status": "succeeded", "finished_at": 1_200}, [metrics(6, 0.8)])
    second = err.getvalue()[len(first) :]
    assert second.startswith("\x1b[4F\x1b[J")  # up over the 4 lines drawn, clear, redraw
    lines = second.removeprefix("\x1b[4F\x1b[J").splitlines()
    assert lines[0] == "ftjob-abc123 · succeeded · o4-mini-2025-04-16 · 3m 20s" and lines[1] == "  step 6/6 · train_reward_mean 0.8"
    assert len(lines) == 5  # head, metrics, three recent events


def test_the_panel_keeps_the_id_when_the_terminal_is_narrow(monkeypatch):
    monkeypatch.setattr(progress, "width", lambda _stream: 30)
    err = Terminal()
    view.Watcher(Out(io.StringIO(), err, {"NO_COLOR": "1"}), clock=lambda: 1_065).update(JOB, [])
    assert err.getvalue().splitlines()[0] == "ftjob-abc123 · running"  # later parts dropped first


def test_the_panel_is_bold_and_dim_in_colour(narrow):
    err = Terminal()
    view.Watcher(Out(io.StringIO(), err, {}), clock=lambda: 1_065).update(JOB, [metrics(1, 0.5), event(2, "hello")])
    text = err.getvalue()
    assert text.startswith("\x1b[1mftjob-abc123 · running") and "\x1b[2m  " in text


def test_piped_one_line_per_change_and_warnings_on_their_own():
    err = io.StringIO()
    w = view.Watcher(Out(io.StringIO(), err, {}))
    w.update({**JOB, "status": "queued"}, [event(1, "Created fine-tuning job")])
    w.update({**JOB, "status": "queued"}, [])
    w.update(JOB, [metrics(1, 0.5), event(2, "grader slow", level="warn")])
    w.update(JOB, [])
    w.update({**JOB, "status": "succeeded"}, [metrics(6, 0.8)])
    assert err.getvalue().splitlines() == [
        "o4: ftjob-abc123: queued",
        "o4: ftjob-abc123: warn: grader slow",
        "o4: ftjob-abc123: running · step 1/6 · train_reward_mean 0.5",
        "o4: ftjob-abc123: succeeded · step 6/6 · train_reward_mean 0.8",
    ]


def test_quiet_watch_shows_nothing():
    for err in (io.StringIO(), Terminal()):
        w = view.Watcher(Out(io.StringIO(), err, {}, quiet=True))
        w.update(JOB, [metrics(1, 0.5), event(2, "bad", level="error")])
        assert err.getvalue() == ""


def test_event_line_and_metric_text():
    line = view.event_line(event(1, "Step 3/6: reward 0.61", at=0))
    assert line.endswith("  info   Step 3/6: reward 0.61") and len(line.split("  ")[0]) == 19
    assert view.event_line({"message": "no time"}) == "-  info   no time"
    m = {"step": 3, "total_steps": 10, "zeta": 1.0, "valid_loss": 0.123456, "train_reward_mean": 0.5}
    assert view.metric_text(m) == "step 3/10 · train_reward_mean 0.5 · valid_loss 0.1235"
    assert view.metric_text({"step": 1, "zeta": 2.0}) == "step 1 · zeta 2"
    assert view.metric_text(None) == "-"


def test_warnings_are_compiler_style_and_capped(tmp_path):
    from o4cli.core.problems import Problem

    err = io.StringIO()
    items = [Problem(0, "no --valid: ...")] + [Problem(i, "blank line", "t.jsonl") for i in range(1, 13)]
    view.warnings(Out(io.StringIO(), err, {}), items)
    lines = err.getvalue().splitlines()
    assert lines[0] == "o4: warning: no --valid: ..." and lines[1] == "t.jsonl:1: warning: blank line"
    assert len(lines) == 11 and lines[-1] == "o4: ... and 3 more warnings"
    quiet = io.StringIO()
    view.warnings(Out(io.StringIO(), quiet, {}, quiet=True), items)
    assert quiet.getvalue() == ""


@pytest.mark.parametrize("columns", [120, 200])
def test_tables_never_cut_ids_or_model_names(monkeypatch, columns):
    from o4cli.core.finetune.track import Listed

    monkeypatch.setenv("COLUMNS", str(columns))
    jid, ft_model = "ftjob-AbCdEf1234567890abcdEFGH", "ft:o4-mini-2025-04-16:org-test:adder:AbCdEf12"
    job = {**JOB, "id": jid, "status": "succeeded", "method": {"type": "reinforcement"}, "trained_tokens": 123456, "fine_tuned_model": ft_model}
    stdout = Terminal()
    view.jobs_table(Out(stdout, io.StringIO(), {"NO_COLOR": "1"}), [Listed(job, "a label that may wrap", True)])
    lines = stdout.getvalue().splitlines()
    for value in (jid, ft_model, "o4-mini-2025-04-16", "succeeded", "reinforcement", "123,456"):
        assert any(value in line for line in lines), value  # whole, whatever the width
    if columns == 200:  # wide enough: one row, side by side
        row = next(line for line in lines if jid in line)
        assert ft_model in row and "succeeded" in row and "reinforcement" in row and "123,456" in row
    else:  # too narrow for a whole row: one block a job, every value whole
        assert any(line.startswith("fine-tuned model") and ft_model in line for line in lines)

    points = [{"step_number": 6, "fine_tuned_model_checkpoint": ft_model + ":ckpt-step-6", "created_at": 1_000,
               "metrics": {"train_reward_mean": 0.8, "valid_reward_mean": 0.75, "full_valid_mean_reward": 0.7}}]  # fmt: skip
    stdout = Terminal()
    view.checkpoints_table(Out(stdout, io.StringIO(), {"NO_COLOR": "1"}), jid, points)
    assert ft_model + ":ckpt-step-6" in stdout.getvalue()


def test_piped_tables_and_fields():
    stdout = io.StringIO()
    points = [{"step_number": 2, "fine_tuned_model_checkpoint": "ckpt-2", "created_at": None, "metrics": {"train_loss": 1.5}}]
    view.checkpoints_table(Out(stdout, io.StringIO(), {}), "j", points)
    assert stdout.getvalue().splitlines() == ["step\tcheckpoint\tcreated\ttrain_loss", "2\tckpt-2\t-\t1.5000"]
    err = io.StringIO()
    view.checkpoints_table(Out(io.StringIO(), err, {}), "j", [])
    assert err.getvalue() == "o4: j has no checkpoints yet (they come at evaluation steps)\n"
    stdout = io.StringIO()
    failed = {**JOB, "status": "failed", "error": {"code": "grader_error", "message": "The grader failed."}}
    view.status(Out(stdout, io.StringIO(), {}), failed, {"step": 2, "train_reward_mean": 0.1})
    lines = stdout.getvalue().splitlines()
    assert lines[0] == "job: ftjob-abc123" and "latest metrics: step 2 · train_reward_mean 0.1" in lines
    assert lines[-1] == "error: grader_error: The grader failed."
