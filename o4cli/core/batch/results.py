"""``o4 batch results``: download a batch's output and error files once, index them by
custom_id, merge the batch with its retries, and give the lines back in the order they
were submitted (atomically to a file, or to stdout). Each batch's usage is recorded once."""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

from o4cli.core import catalog, telemetry
from o4cli.core.ask.answer import unanswered
from o4cli.core.batch import remote
from o4cli.core.batch.remote import FINAL, KIND
from o4cli.core.batch.status import progress
from o4cli.core.cost import Usage, cost
from o4cli.core.errors import O4Error, UsageError
from o4cli.core.files import distinct, output_file, write_atomic_lines
from o4cli.core.http import files
from o4cli.core.http.api import Api
from o4cli.core.ledger import Job, record
from o4cli.core.runtime import Runtime


@dataclass
class Outcome:
    """Where each custom_id's result is, across a batch and its retries."""

    ok: dict[str, tuple[Path, int, int]] = field(default_factory=dict)  # custom_id -> (file, offset, length)
    failed: dict[str, tuple[Path, int, int]] = field(default_factory=dict)
    unanswered: dict[str, str] = field(default_factory=dict)  # failed ids whose 200 body had no answer: why
    usage: Usage = field(default_factory=Usage)  # every line billed: answers and paid non-answers


def scan(path: Path, outcome: Outcome, *, errors: bool) -> None:
    """Index a downloaded output or error file by custom_id; sum usage of successes."""
    total = outcome.usage
    with path.open("rb") as fh:
        offset = 0
        for raw in fh:
            length = len(raw)
            if raw.strip():
                try:
                    obj = json.loads(raw)
                except ValueError:
                    offset += length
                    continue
                cid = obj.get("custom_id")
                resp = obj.get("response") or {}
                body = resp.get("body") if isinstance(resp.get("body"), dict) else {}
                good = not errors and not obj.get("error") and 200 <= int(resp.get("status_code") or 0) < 300
                why = unanswered(body) if good else None
                if isinstance(cid, str):
                    if good and cid in outcome.ok:
                        pass  # already answered (an earlier attempt): keep the first, count it once
                    elif good and why is None:
                        outcome.ok[cid] = (path, offset, length)
                        outcome.failed.pop(cid, None)
                        outcome.unanswered.pop(cid, None)
                        total = total + Usage.from_api(body.get("usage"))
                    elif cid not in outcome.ok:
                        outcome.failed[cid] = (path, offset, length)
                        if why is not None:  # paid for, but no answer: counted, and retried
                            outcome.unanswered[cid] = why
                            total = total + Usage.from_api(body.get("usage"))
                        else:
                            outcome.unanswered.pop(cid, None)
            offset += length
    outcome.usage = total


def fetch(api: Api, batch: dict[str, Any], folder: Path, outcome: Outcome) -> None:
    """Download a batch's output and error files (once) and index them."""
    for key, errors in (("output_file_id", False), ("error_file_id", True)):
        file_id = batch.get(key)
        if not file_id:
            continue
        dest = folder / f"{file_id}.jsonl"
        if not dest.exists():
            files.download(api, file_id, dest)
        scan(dest, outcome, errors=errors)


def read_ids(job: Job | None) -> list[str] | None:
    if job is None or not job.state.get("ids"):
        return None
    path = Path(job.state["ids"])
    if not path.exists():
        return None
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line]


def ordered(ids: Iterable[str] | None, index: dict[str, tuple[Path, int, int]]) -> Iterator[bytes]:
    """The indexed lines in the submitted order (unknown order: as found)."""
    handles: dict[Path, Any] = {}
    try:
        keys = list(ids) if ids is not None else list(index)
        for cid in keys:
            where = index.get(cid)
            if where is None:
                continue
            path, offset, length = where
            fh = handles.get(path) or handles.setdefault(path, path.open("rb"))
            fh.seek(offset)
            line = fh.read(length)
            yield line if line.endswith(b"\n") else line + b"\n"
    finally:
        for fh in handles.values():
            fh.close()


def answer_text(line: bytes) -> str:
    """The answer in one output line (Responses or Chat body), or the error message; the
    tool calls the model asked for follow as ``[call NAME ARGUMENTS]``."""
    obj = json.loads(line)
    resp = obj.get("response") or {}
    body = resp.get("body") or {}
    if obj.get("error"):
        return f"ERROR {obj['error'].get('code')}: {obj['error'].get('message')}"
    if isinstance(body.get("error"), dict):
        e = body["error"]
        return f"ERROR {resp.get('status_code')} {e.get('code') or e.get('type')}: {e.get('message')}"
    if "choices" in body:
        msg = (body.get("choices") or [{}])[0].get("message") or {}
        calls = [c.get("function") or {} for c in msg.get("tool_calls") or [] if isinstance(c, dict)]
        return _with_calls(msg.get("content") or "", calls)
    parts, calls = [], []
    for item in body.get("output") or []:
        if item.get("type") == "message":
            for p in item.get("content") or []:
                if p.get("type") in ("output_text", "refusal"):
                    parts.append(p.get("text") or p.get("refusal") or "")
        elif item.get("type") == "function_call":
            calls.append(item)
    return _with_calls("".join(parts), calls)


def _with_calls(text: str, calls: list[dict]) -> str:
    shown = [f"[call {c.get('name') or '?'} {' '.join(str(c.get('arguments') or '{}').split())}]" for c in calls]
    return " ".join(x for x in (text, *shown) if x)


def error_entry(line: bytes) -> tuple[str, str, str]:
    """(custom_id, code, message) of an error line; the real error may sit in response.body,
    or the line may be a 200 without an answer (incomplete)."""
    obj = json.loads(line)
    err = obj.get("error")
    body = (obj.get("response") or {}).get("body")
    why = unanswered(body) if isinstance(body, dict) and not err and not body.get("error") else None
    if why is not None:  # "incomplete (max_output_tokens) with no answer text" -> incomplete: (…) …
        code, _, rest = why.partition(" ")
        return obj.get("custom_id", "?"), code.rstrip(":"), rest
    if isinstance(err, dict):
        return obj.get("custom_id", "?"), str(err.get("code")), str(err.get("message"))
    resp = obj.get("response") or {}
    body_err = (resp.get("body") or {}).get("error") or {}
    code = body_err.get("code") or body_err.get("type") or f"http_{resp.get('status_code')}"
    return obj.get("custom_id", "?"), str(code), str(body_err.get("message") or "")


def text_line(line: bytes, unanswered_ids: dict[str, str]) -> bytes:
    """One ``--text`` line: ``custom_id<TAB>answer``, or a flag where the answer is missing."""
    cid = json.loads(line)["custom_id"]
    why = unanswered_ids.get(cid)
    return f"{cid}\t{f'[no answer: {why}]' if why else one_line(answer_text(line))}\n".encode()


def one_line(text: str) -> str:
    """An answer on one TSV line: backslash, newline, carriage return and tab escaped."""
    return text.replace("\\", "\\\\").replace("\n", "\\n").replace("\r", "\\r").replace("\t", "\\t")


def retries_of(rt: Runtime, batch_id: str) -> list[Job]:
    """Every retry of a batch, oldest first, retries of retries included."""
    jobs = [j for j in reversed(rt.ledger.jobs(KIND)) if j.remote_id]
    chain, wanted = [], {batch_id}
    for job in jobs:  # oldest first: a retry always comes after what it retries
        if job.state.get("retry_of") in wanted:
            chain.append(job)
            wanted.add(job.remote_id)  # type: ignore[arg-type]
    return chain


def gather(
    rt: Runtime, batch_ids: list[str], seen: list[dict[str, Any]] | None
) -> tuple[Outcome, list[str] | None, list[dict[str, Any]]]:
    """Download and merge the results of batches (and their retries), recording each once."""
    merged = Outcome()
    ids: list[str] | None = []
    finals: list[dict[str, Any]] = []
    known = {b["id"]: b for b in seen or []}
    for bid in batch_ids:
        batch = known.get(bid) or remote.get_batch(rt.api, bid)
        if batch.get("status") not in FINAL:
            p = progress(batch)
            raise O4Error(
                f"batch {bid} is {batch.get('status')} ({p.done}/{p.total} done): results come when it ends",
                hint=f"o4 batch status --watch {bid}",
            )
        shard_ids = read_ids(rt.ledger.job_by_remote(bid))
        if ids is not None and shard_ids is not None:
            ids.extend(shard_ids)
        else:
            ids = None
        chain = [batch] + [remote.get_batch(rt.api, j.remote_id) for j in retries_of(rt, bid)]  # type: ignore[arg-type]
        for b in chain:
            finals.append(b)
            if b.get("status") not in FINAL:
                continue
            own = Outcome()
            fetch(rt.api, b, remote.results_dir(rt.settings.data_dir, b["id"]), own)
            _record(rt, b, own)
            for cid, where in own.ok.items():
                if cid not in merged.ok:
                    merged.ok[cid] = where
                    merged.failed.pop(cid, None)
                    merged.unanswered.pop(cid, None)
            for cid, where in own.failed.items():
                if cid not in merged.ok:
                    merged.failed[cid] = where
                    if cid in own.unanswered:
                        merged.unanswered[cid] = own.unanswered[cid]
                    else:
                        merged.unanswered.pop(cid, None)
            merged.usage = merged.usage + own.usage
    return merged, ids, finals


def _record(rt: Runtime, batch: dict[str, Any], outcome: Outcome) -> None:
    """One ledger row per batch's results, written once."""
    job = rt.ledger.job_by_remote(batch["id"])
    if (job is not None and job.state.get("recorded")) or rt.ledger.has_request("batch", batch["id"]):
        return
    model = batch.get("model") or (job.model if job else None) or "o4-mini"
    price = catalog.price_for(model, "batch")
    amount = cost(outcome.usage, price) if price else None

    def write(ledger: Any) -> None:
        ledger.record_request(
            command="batch", profile=rt.settings.profile, model=model, endpoint=batch.get("endpoint"),
            usage=outcome.usage, cost_usd=amount, pricing="batch", status=batch.get("status", "completed"),
            response_id=batch["id"], job_id=job.id if job else None,
            extra={"succeeded": len(outcome.ok), "failed": len(outcome.failed)},
            unpriced=amount is None and outcome.usage != Usage(),
        )  # fmt: skip
        if job is not None:
            ledger.update_job(job.id, status=batch.get("status"), cost_usd=amount, state={"recorded": True})

    record(rt, "results were", write)
    telemetry.note_batch(batch, model, outcome.usage, amount, rt.settings.base_url)  # a child of `batch results`


@dataclass(frozen=True)
class ResultsOptions:
    batch_ids: tuple[str, ...]
    output: str | None = None
    errors: str | None = None
    text: bool = False


@dataclass
class ResultsReport:
    """What ``results`` wrote, what is missing, what it cost; ``error`` is raised after it is shown."""

    finals: list[dict[str, Any]] = field(default_factory=list)
    succeeded: int = 0
    failed: int = 0
    never_ran: int = 0
    unanswered: int = 0  # of the failed: paid 200s with no answer text (incomplete)
    usage: Usage = field(default_factory=Usage)
    cost_usd: Decimal | None = None
    output: str | None = None
    errors: str | None = None
    stdout_lines: Iterable[bytes] | None = None  # when no -o: the lines for stdout, in order
    failed_preview: list[tuple[str, str, str]] = field(default_factory=list)  # (custom_id, code, message)
    failed_batch: dict[str, Any] | None = None  # a batch that failed validation (its errors are shown)
    error: O4Error | None = None


PREVIEW = 10  # failed requests named on stderr


def results(rt: Runtime, o: ResultsOptions, seen: list[dict[str, Any]] | None = None) -> ResultsReport:
    """Gather, order, write; the report says what to show and which error to end with."""
    distinct({"-o": o.output, "--errors": o.errors})
    out_path = output_file(o.output, "-o") if o.output else None
    err_path = output_file(o.errors, "--errors") if o.errors else None
    batch_ids = list(o.batch_ids)
    first = seen[0] if seen else remote.get_batch(rt.api, batch_ids[0])
    failure = remote.final_failure(first) if len(batch_ids) == 1 else None
    if failure is not None and first.get("status") == "failed":
        return ResultsReport(finals=[first], failed_batch=first, error=failure)
    with telemetry.group("batch results", **{"o4.command": "batch results"}):
        outcome, ids, finals = gather(rt, batch_ids, seen)
    ok_lines: Iterator[bytes] = ordered(ids, outcome.ok)
    if o.text:  # answers, and in their place the paid lines that hold none, flagged
        shown = {**outcome.ok, **{cid: outcome.failed[cid] for cid in outcome.unanswered}}
        ok_lines = (text_line(line, outcome.unanswered) for line in ordered(ids, shown))
    report = ResultsReport(finals=finals, output=o.output, errors=o.errors)
    if out_path:
        write_atomic_lines(out_path, ok_lines)
    else:
        report.stdout_lines = ok_lines
    if err_path:
        write_atomic_lines(err_path, ordered(ids, outcome.failed))
    never = max((len(ids) - len(outcome.ok) - len(outcome.failed)) if ids is not None else 0, 0)
    model = first.get("model") or "o4-mini"
    price = catalog.price_for(model, "batch")
    report.succeeded, report.failed, report.never_ran = len(outcome.ok), len(outcome.failed), never
    report.unanswered = len(outcome.unanswered)
    report.usage, report.cost_usd = outcome.usage, cost(outcome.usage, price) if price else None
    for cid, where in list(outcome.failed.items())[:PREVIEW]:
        report.failed_preview.append(error_entry(next(ordered([cid], {cid: where}))))
    if failure is not None and not outcome.ok:
        report.error = failure
    elif outcome.failed or never:
        missing = len(outcome.failed) + never
        report.error = O4Error(
            f"{missing:,} of {len(outcome.ok) + missing:,} requests have no answer",
            hint="`o4 batch retry " + batch_ids[0] + "` sends exactly those again",
        )
    return report


def check_json(o: ResultsOptions, json_wanted: bool) -> None:
    """``--json`` prints the summary, so the results themselves need -o."""
    if json_wanted and not o.output:
        raise UsageError("--json prints a summary: give -o FILE for the results themselves")
