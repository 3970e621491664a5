"""Fine-tuning input, checked locally: training files per method, graders, hyperparameters.

Pure: paths and values in, reports out; nothing here talks to the API or prints. A
fine-tuning run costs hours and real money, so every mistake this machine can see is
found here, each with its line number (training files) or its JSON path (graders).

Rules (OpenAI's fine-tuning and graders guides, the OpenAPI spec's ``FineTune*`` and
``Grader*`` schemas; see shared/reference section 5):

* reinforcement (o4-mini): ``{"messages": [...], "tools"?: [...], <fields the grader
  reads>}``; roles developer/user/assistant/tool (no system); the last message is the
  user's; every ``{{item.X}}`` the grader uses exists on every line.
* supervised: ``messages`` with at least one assistant message, the last one included.
* dpo: ``input.messages`` plus non-empty ``preferred_output`` / ``non_preferred_output``
  lists of assistant messages.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

from o4cli.core import catalog, jsonload
from o4cli.core.errors import UsageError
from o4cli.core.finetune.graders import GraderReport, ItemPath, check_grader, load_grader  # noqa: F401 - re-exported
from o4cli.core.problems import BOM, JSON_ARRAY, Problem, looks_like_json_array
from o4cli.core.tokens import MESSAGE_OVERHEAD, count_text

METHODS = ("reinforcement", "supervised", "dpo")
DEFAULT_MODEL = "o4-mini-2025-04-16"  # the one model reinforcement fine-tuning takes
RFT_HOURLY_USD = Decimal("100")  # o4-mini RFT: $100 per training hour (pricing page, 2025-12)
MAX_FILE_BYTES = 512 * 1024 * 1024
TOO_BIG = "over the Files API's 512 MB limit"
MAX_EXAMPLES = {("reinforcement", "training"): 50_000, ("reinforcement", "validation"): 1_000}
MIN_EXAMPLES = {("supervised", "training"): 10, ("dpo", "training"): 10}
RFT_ROLES = frozenset({"developer", "user", "assistant", "tool"})
CHAT_ROLES = frozenset({"system", "developer", "user", "assistant", "tool", "function"})
TEXT_PARTS = frozenset({"text", "input_text", "output_text"})


@dataclass(frozen=True)
class Hp:
    kind: type
    lo: float
    hi: float | None
    lo_open: bool = False

    def describe(self) -> str:
        low = f"> {self.lo:g}" if self.lo_open else f">= {self.lo:g}"
        what = "an integer" if self.kind is int else "a number"
        return f"{what} {low}" + (f" and <= {self.hi:g}" if self.hi is not None else "") + ", or auto"


_COMMON = {
    "n_epochs": Hp(int, 1, 50),
    "batch_size": Hp(int, 1, 256),
    "learning_rate_multiplier": Hp(float, 0, None, True),
}
HYPERPARAMETERS: dict[str, dict[str, Hp]] = {
    "reinforcement": {
        **_COMMON,
        "compute_multiplier": Hp(float, 0.00001, 10, True),
        "eval_interval": Hp(int, 1, None),
        "eval_samples": Hp(int, 1, None),
    },
    "supervised": dict(_COMMON),
    "dpo": {**_COMMON, "beta": Hp(float, 0, 2, True)},
}


def parse_hyperparameters(items: list[str], method: str) -> dict[str, int | float | str]:
    """``--hp KEY=VALUE`` pairs, each checked for name, type and range."""
    specs = HYPERPARAMETERS[method]
    out: dict[str, int | float | str] = {}
    for item in items:
        key, sep, raw = item.partition("=")
        key, raw = key.strip(), raw.strip()
        if not sep or not key or not raw:
            raise UsageError(f"--hp {item!r}: expected KEY=VALUE, e.g. --hp n_epochs=2")
        if key == "reasoning_effort" and method == "reinforcement":
            raise UsageError("--hp reasoning_effort: use --effort (default, low, medium, high)")
        spec = specs.get(key)
        if spec is None:
            raise UsageError(f"--hp {key}: not a {method} hyperparameter", hint=f"{method} takes: {', '.join(specs)}")
        if key in out:
            raise UsageError(f"--hp {key}: given twice")
        if raw == "auto":
            out[key] = "auto"
            continue
        try:
            value = spec.kind(raw) if spec.kind is float else int(raw, 10)
        except ValueError:
            raise UsageError(f"--hp {key}={raw}: expected {spec.describe()}") from None
        if (
            not math.isfinite(value)
            or (value <= spec.lo if spec.lo_open else value < spec.lo)
            or (spec.hi is not None and value > spec.hi)
        ):
            raise UsageError(f"--hp {key}={raw}: out of range; expected {spec.describe()}")
        out[key] = value
    return out


def resolve_model(model: str | None) -> str:
    """The model to fine-tune: a catalog alias becomes its dated snapshot."""
    if not model:
        return DEFAULT_MODEL
    entry = catalog.find(model)
    if entry is None or not entry.snapshot or catalog.is_fine_tuned(model):
        return model
    return entry.snapshot if model in (entry.id, *entry.aliases) else model


def default_method(model: str) -> str:
    entry = catalog.find(model)
    return entry.fine_tuning_methods[0] if entry and entry.fine_tuning_methods else "supervised"


def check_method(model: str, method: str) -> None:
    entry = catalog.find(model)
    if entry and not entry.fine_tuning_methods:
        raise UsageError(
            f"{model} cannot be fine-tuned: o4's catalog lists no fine-tuning method for it",
            hint="o4-mini-2025-04-16 takes reinforcement; gpt-4.1-mini-2025-04-14 supervised and dpo (--model)",
        )
    if entry and method not in entry.fine_tuning_methods:
        raise UsageError(
            f"{model} is fine-tuned by {' or '.join(entry.fine_tuning_methods)} only, not {method}",
            hint="supervised and dpo jobs are for models such as gpt-4.1-mini-2025-04-14 (--model)",
        )


# ------------------------------------------------------------------ training files


@dataclass
class FileReport:
    """One training or validation file, checked: counts, token estimates, problems."""

    path: str
    method: str
    role: str = "training"
    examples: int = 0
    bytes: int = 0
    tokens: list[int] = field(default_factory=list)
    token_method: str = "heuristic"
    problems: list[Problem] = field(default_factory=list)
    warnings: list[Problem] = field(default_factory=list)

    def token_stats(self) -> dict[str, int]:
        t = sorted(self.tokens)
        if not t:
            return {"min": 0, "median": 0, "max": 0, "total": 0}
        return {
            "min": t[0],
            "median": t[len(t) // 2] if len(t) % 2 else (t[len(t) // 2 - 1] + t[len(t) // 2]) // 2,
            "max": t[-1],
            "total": sum(t),
        }


def check_file(path: Path, method: str, *, role: str = "training", grader: GraderReport | None = None) -> FileReport:
    """Read ``path`` line by line and check every line against the method's rules."""
    rep = FileReport(str(path), method, role)
    if method not in METHODS:
        raise UsageError(f"--method {method}: one of {', '.join(METHODS)}")
    line_check = {"reinforcement": _rft_line, "supervised": _sft_line, "dpo": _dpo_line}[method]
    paths = grader.item_paths if grader else []
    try:
        size = path.stat().st_size
        fh = path.open("rb")
    except OSError as exc:
        raise UsageError(f"{path}: cannot read it ({exc.strerror or exc})") from None
    rep.bytes = size
    if size > MAX_FILE_BYTES:
        rep.problems.append(Problem(0, f"{size / 1e6:,.0f} MB: the Files API takes at most 512 MB"))
    last_blank = None
    with fh:
        for n, raw in enumerate(fh, start=1):
            if n == 1 and raw.startswith(BOM):
                raw = raw[len(BOM) :]
                rep.warnings.append(
                    Problem(1, "starts with a UTF-8 byte-order mark: o4 reads past it; the file is uploaded as it is")
                )
            if rep.examples == 0 and raw.strip() and looks_like_json_array(raw):
                rep.problems.append(Problem(n, JSON_ARRAY))
                break
            if not raw.strip():
                last_blank = n
                continue
            if last_blank is not None:
                rep.warnings.append(Problem(last_blank, "blank line: remove it (the API may reject the file)"))
                last_blank = None
            try:
                obj = jsonload.loads(raw)
            except UnicodeDecodeError as exc:
                rep.problems.append(Problem(n, f"not UTF-8 (byte {exc.start + 1})"))
                continue
            except json.JSONDecodeError as exc:
                rep.problems.append(Problem(n, f"not JSON ({exc.msg} at column {exc.colno})"))
                continue
            if not isinstance(obj, dict):
                rep.problems.append(Problem(n, "not a JSON object"))
                continue
            rep.examples += 1
            texts: list[str] = []
            for reason in line_check(obj, texts):
                rep.problems.append(Problem(n, reason))
            for p in paths:
                if p.missing_in(obj):
                    rep.problems.append(Problem(n, f"no field {p.field!r}: the grader reads {{{{{p.text}}}}}"))
            est = count_text("\n".join(texts))
            rep.token_method = est.method
            rep.tokens.append(est.tokens + MESSAGE_OVERHEAD * (len(texts) + 1))
    high, low = MAX_EXAMPLES.get((method, role)), MIN_EXAMPLES.get((method, role))
    if rep.examples == 0 and not rep.problems:
        rep.problems.append(Problem(0, "no examples: the file is empty"))
    elif high and rep.examples > high:
        rep.problems.append(Problem(0, f"{rep.examples:,} examples: a {method} {role} file takes at most {high:,}"))
    elif low and 0 < rep.examples < low:
        rep.problems.append(Problem(0, f"{rep.examples} examples: a {method} {role} file needs at least {low}"))
    return rep


def _content(m: dict[str, Any], where: str, texts: list[str], *, optional: bool = False) -> Iterator[str]:
    c = m.get("content")
    if isinstance(c, str):
        if not c.strip() and not optional:
            yield f"{where}.content: empty"
        texts.append(c)
    elif isinstance(c, list) and c:
        for j, part in enumerate(c):
            if not isinstance(part, dict) or not isinstance(part.get("type"), str):
                yield f"{where}.content[{j}]: a content part with a type"
            elif part["type"] in TEXT_PARTS:
                if not isinstance(part.get("text"), str):
                    yield f"{where}.content[{j}].text: a string"
                else:
                    texts.append(part["text"])
    elif not (optional and c is None):
        yield f"{where}.content: a string or a list of content parts"


def _messages(
    msgs: Any, where: str, roles: frozenset[str], texts: list[str], *, system_hint: bool = False
) -> Iterator[str]:
    if not isinstance(msgs, list) or not msgs:
        yield f"{where}: missing or empty (a list of messages)"
        return
    for i, m in enumerate(msgs):
        w = f"{where}[{i}]"
        if not isinstance(m, dict):
            yield f"{w}: a message object"
            continue
        role = m.get("role")
        if role not in roles:
            yield (
                f"{w}.role: 'system' is not supported: use 'developer'"
                if role == "system" and system_hint
                else f"{w}.role: {role!r} is not one of {', '.join(sorted(roles))}"
            )
            continue
        tool_calls = role == "assistant" and bool(m.get("tool_calls") or m.get("function_call"))
        yield from _content(m, w, texts, optional=tool_calls)
        if "weight" in m and m["weight"] not in (0, 1):
            yield f"{w}.weight: 0 or 1"


def _tools(obj: dict[str, Any], texts: list[str]) -> Iterator[str]:
    tools = obj.get("tools")
    if tools is None:
        return
    if not isinstance(tools, list) or not all(isinstance(t, dict) for t in tools):
        yield "tools: a list of tool objects"
    else:
        texts.append(json.dumps(tools))


def _rft_line(obj: dict[str, Any], texts: list[str]) -> Iterator[str]:
    msgs = obj.get("messages")
    yield from _messages(msgs, "messages", RFT_ROLES, texts, system_hint=True)
    if isinstance(msgs, list) and msgs and isinstance(msgs[-1], dict) and msgs[-1].get("role") != "user":
        yield (
            f"messages: the last message must be the user's, not {msgs[-1].get('role')!r} "
            "(the model answers it and the grader scores the answer)"
        )
    yield from _tools(obj, texts)


def _sft_line(obj: dict[str, Any], texts: list[str]) -> Iterator[str]:
    msgs = obj.get("messages")
    yield from _messages(msgs, "messages", CHAT_ROLES, texts)
    if isinstance(msgs, list) and msgs:
        roles = [m.get("role") for m in msgs if isinstance(m, dict)]
        if "assistant" not in roles:
            yield "messages: no assistant message to learn from"
        elif roles and roles[-1] != "assistant":
            yield f"messages: the last message must be the assistant's, not {roles[-1]!r}"
    yield from _tools(obj, texts)


def _dpo_line(obj: dict[str, Any], texts: list[str]) -> Iterator[str]:
    inp = obj.get("input")
    if not isinstance(inp, dict):
        yield "input: an object with the prompt's messages"
    else:
        msgs = inp.get("messages")
        yield from _messages(msgs, "input.messages", CHAT_ROLES, texts)
        if isinstance(msgs, list) and msgs and isinstance(msgs[-1], dict) and msgs[-1].get("role") == "assistant":
            yield "input.messages: the last message must not be the assistant's (the outputs are the answers)"
        yield from _tools(inp, texts)
    outs = []
    for key in ("preferred_output", "non_preferred_output"):
        out = obj.get(key)
        if not isinstance(out, list) or not out:
            yield f"{key}: a non-empty list of assistant messages"
            continue
        yield from _messages(out, key, frozenset({"assistant"}), texts)
        outs.append(out)
    if len(outs) == 2 and outs[0] == outs[1]:
        yield "preferred_output and non_preferred_output are the same"


# ------------------------------------------------------------------ cost


@dataclass(frozen=True)
class TrainingCost:
    """What can be said of a job's training cost before it runs.

    o4 knows no training price per token, and reinforcement jobs bill training hours,
    which cannot be estimated from tokens: so ``usd`` is always ``None`` for now, and
    ``note`` says in a sentence what is known."""

    billing: str  # "per_training_hour" (reinforcement) or "per_trained_token"
    model: str
    epochs: int | str  # n_epochs, or "auto"
    hourly_usd: Decimal | None = None  # reinforcement: the price of a training hour, when o4 knows it
    trained_tokens_per_epoch: int | None = None  # supervised, dpo: the files' tokens
    trained_tokens: int | None = None  # ... times n_epochs, when n_epochs is given
    usd: Decimal | None = None

    @property
    def note(self) -> str:
        if self.billing == "per_training_hour":
            if self.hourly_usd is None:
                return "billed per training hour plus grader tokens; o4 knows no hourly price for this model"
            return (
                f"billed per training hour (${self.hourly_usd}/h for {self.model}) plus the grader model's tokens; "
                "the hours cannot be estimated from tokens"
            )
        per_epoch = self.trained_tokens_per_epoch or 0
        over = (
            f", ~{self.trained_tokens:,} over {self.epochs} epochs"
            if self.trained_tokens
            else " (n_epochs auto: the API picks the epochs)"
        )
        return f"~{per_epoch:,} tokens an epoch{over}; o4's catalog has no training price for {self.model}"


def training_cost(method: str, model: str, report: FileReport, hp: dict[str, Any]) -> TrainingCost:
    """What can be said of the training cost before the job runs."""
    epochs = hp.get("n_epochs", "auto")
    if method == "reinforcement":
        entry = catalog.find(model)
        rate = RFT_HOURLY_USD if entry is not None and entry.id == "o4-mini" else None
        return TrainingCost("per_training_hour", model, epochs, hourly_usd=rate)
    per_epoch = report.token_stats()["total"]
    trained = per_epoch * epochs if isinstance(epochs, int) else None
    return TrainingCost("per_trained_token", model, epochs, trained_tokens_per_epoch=per_epoch, trained_tokens=trained)
