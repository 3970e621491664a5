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

import ast
import json
import math
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

from o4cli.core import catalog
from o4cli.core.batch_input import Problem
from o4cli.core.errors import UsageError
from o4cli.core.tokens import MESSAGE_OVERHEAD, count_text

METHODS = ("reinforcement", "supervised", "dpo")
DEFAULT_MODEL = catalog.O4_MINI.snapshot
RFT_EFFORTS = ("default", "low", "medium", "high")
RFT_HOURLY_USD = Decimal("100")  # o4-mini RFT: $100 per training hour (pricing page, 2025-12)
MAX_FILE_BYTES = 512 * 1024 * 1024
MAX_EXAMPLES = {("reinforcement", "training"): 50_000, ("reinforcement", "validation"): 1_000}
MIN_EXAMPLES = {("supervised", "training"): 10, ("dpo", "training"): 10}
RFT_ROLES = frozenset({"developer", "user", "assistant", "tool"})
CHAT_ROLES = frozenset({"system", "developer", "user", "assistant", "tool", "function"})
TEXT_PARTS = frozenset({"text", "input_text", "output_text"})

# ------------------------------------------------------------------ graders

GRADER_TYPES = ("string_check", "text_similarity", "score_model", "python", "multi")
STRING_OPERATIONS = ("eq", "ne", "like", "ilike")
SIMILARITY_METRICS = ("cosine", "fuzzy_match", "bleu", "gleu", "meteor", "rouge_1", "rouge_2",
                      "rouge_3", "rouge_4", "rouge_5", "rouge_l")  # fmt: skip
GRADER_MODELS = ("gpt-4o-2024-08-06", "gpt-4o-mini-2024-07-18", "gpt-4.1-2025-04-14", "gpt-4.1-mini-2025-04-14",
                 "gpt-4.1-nano-2025-04-14", "o1-2024-12-17", "o3-mini-2025-01-31", "o3-2025-04-16",
                 "o4-mini-2025-04-16")  # fmt: skip
SAMPLING_PARAMS = ("seed", "top_p", "temperature", "max_completions_tokens", "reasoning_effort")
GRADER_EFFORTS = ("none", "minimal", "low", "medium", "high", "xhigh")
EVAL_ROLES = ("user", "assistant", "system", "developer")
EVAL_PARTS = {"input_text": "text", "output_text": "text", "input_image": "image_url", "input_audio": "input_audio"}
PYTHON_IMAGE_TAGS = ("2025-05-08",)
PYTHON_MAX_SOURCE = 256 * 1024
FORMULA_FUNCTIONS = ("min", "max", "abs", "floor", "ceil", "exp", "sqrt", "log")
SAMPLE_FIELDS = ("output_text", "output_json", "output_tools", "choices")
FIELDS = {
    "string_check": ("type", "name", "input", "reference", "operation"),
    "text_similarity": ("type", "name", "input", "reference", "evaluation_metric", "pass_threshold"),
    "score_model": ("type", "name", "model", "input", "range", "sampling_params", "pass_threshold"),
    "python": ("type", "name", "source", "image_tag", "pass_threshold"),
    "multi": ("type", "name", "graders", "calculate_output"),
    "label_model": ("type", "name", "model", "input", "labels", "passing_labels"),
}
REQUIRED = {
    "string_check": ("name", "input", "reference", "operation"),
    "text_similarity": ("name", "input", "reference", "evaluation_metric"),
    "score_model": ("name", "model", "input"),
    "python": ("name", "source"),
    "multi": ("name", "graders", "calculate_output"),
    "label_model": ("name", "model", "input", "labels", "passing_labels"),
}
_TEMPLATE = re.compile(r"\{\{\s*(.*?)\s*\}\}")
_SEGMENT = re.compile(r"\.([A-Za-z_][\w-]*)|\[(\d+)\]|\[[\"']([^\"'\]]+)[\"']\]")
_FORMULA_TOKEN = re.compile(r"\s*(?:(\d+(?:\.\d*)?|\.\d+)|([A-Za-z_]\w*)|(\*\*|[-+*/^(),]))")


@dataclass(frozen=True)
class ItemPath:
    """A field of the training line a grader reads: ``item.answer`` -> ("answer",)."""

    text: str
    segments: tuple[str | int, ...]

    def missing_in(self, obj: Any) -> bool:
        for seg in self.segments:
            if isinstance(seg, int):
                if not isinstance(obj, list) or seg >= len(obj):
                    return True
            elif not isinstance(obj, dict) or seg not in obj:
                return True
            obj = obj[seg]
        return False


@dataclass
class GraderReport:
    grader: dict[str, Any]
    problems: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    item_paths: list[ItemPath] = field(default_factory=list)

    def summary(self) -> str:
        kind = self.grader.get("type", "?")
        if kind == "multi" and isinstance(self.grader.get("graders"), dict):
            kind += " (" + ", ".join(f"{k}: {v.get('type', '?')}" for k, v in self.grader["graders"].items() if isinstance(v, dict)) + ")"
        return f"{self.grader.get('name', '?')}: {kind}"


def load_grader(path: Path) -> dict[str, Any]:
    """A grader JSON file: the grader itself, or ``{"grader": {...}}``."""
    try:
        obj = json.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise UsageError(f"--grader {path}: cannot read it ({exc.strerror or exc})") from None
    except ValueError as exc:
        raise UsageError(f"--grader {path}: not JSON ({exc})") from None
    if isinstance(obj, dict) and "type" not in obj and isinstance(obj.get("grader"), dict):
        obj = obj["grader"]
    if not isinstance(obj, dict):
        raise UsageError(f"--grader {path}: a grader is a JSON object with a 'type'")
    return obj


def check_grader(grader: dict[str, Any]) -> GraderReport:
    """Every problem of a grader (types, required fields, enums, templates, formula)."""
    report = GraderReport(grader)
    _grader(grader, "grader", report, top=True)
    seen: set[str] = set()
    report.item_paths = [p for p in report.item_paths if not (p.text in seen or seen.add(p.text))]
    return report


def _grader(g: Any, where: str, r: GraderReport, *, top: bool = False, in_multi: bool = False) -> None:
    if not isinstance(g, dict):
        r.problems.append(f"{where}: a grader is a JSON object, not {type(g).__name__}")
        return
    kind = g.get("type")
    allowed = GRADER_TYPES + (("label_model",) if in_multi else ())
    if kind not in allowed:
        extra = " (label_model only inside a multi grader)" if kind == "label_model" else ""
        r.problems.append(f"{where}.type: {kind!r} is not one of {', '.join(allowed)}{extra}")
        return
    if kind == "multi" and in_multi:
        r.problems.append(f"{where}: a multi grader cannot contain another multi grader")
        return
    for key in REQUIRED[kind]:
        if key not in g:
            r.problems.append(f"{where}.{key}: required for {kind} graders")
    for key in g:
        if key not in FIELDS[kind]:
            r.warnings.append(f"{where}.{key}: not a field of {kind} graders; the API may reject it")
    if "name" in g and (not isinstance(g["name"], str) or not g["name"]):
        r.problems.append(f"{where}.name: a non-empty string")
    if "pass_threshold" in g and not _number(g["pass_threshold"]):
        r.problems.append(f"{where}.pass_threshold: a number")
    if kind in ("string_check", "text_similarity"):
        for key in ("input", "reference"):
            if key in g:
                _template_string(g[key], f"{where}.{key}", r)
        enum_key, values = ("operation", STRING_OPERATIONS) if kind == "string_check" else ("evaluation_metric", SIMILARITY_METRICS)
        if enum_key in g and g[enum_key] not in values:
            r.problems.append(f"{where}.{enum_key}: {g[enum_key]!r} is not one of {', '.join(values)}")
    elif kind in ("score_model", "label_model"):
        _model_grader(g, where, r, kind)
    elif kind == "python":
        _python_grader(g, where, r)
    elif kind == "multi":
        _multi_grader(g, where, r)


def _number(v: Any) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v)


def _template_string(value: Any, where: str, r: GraderReport) -> None:
    if not isinstance(value, str):
        r.problems.append(f"{where}: a string (a template such as '{{{{item.answer}}}}')")
        return
    for expr in _TEMPLATE.findall(value):
        head = re.match(r"[A-Za-z_]*", expr).group(0)  # type: ignore[union-attr]
        rest = expr[len(head):]
        segments: list[str | int] = []
        pos = 0
        for m in _SEGMENT.finditer(rest):
            if m.start() != pos:
                break
            segments.append(m.group(1) if m.group(1) is not None else int(m.group(2)) if m.group(2) is not None else m.group(3))
            pos = m.end()
        if pos != len(rest) or (head in ("item", "sample") and not segments):
            r.problems.append(f"{where}: cannot read the template {{{{{expr}}}}}")
        elif head == "item":
            r.item_paths.append(ItemPath(expr, tuple(segments)))
        elif head == "sample":
            if segments[0] not in SAMPLE_FIELDS:
                r.warnings.append(f"{where}: {{{{{expr}}}}}: a sample has {', '.join(SAMPLE_FIELDS)}")
            elif segments[0] == "output_json":
                r.warnings.append(f"{where}: {{{{{expr}}}}} is filled only when the answer parses as JSON")
        else:
            r.problems.append(f"{where}: {{{{{expr}}}}}: templates read item.<field> or sample.<field>")


def _model_grader(g: dict[str, Any], where: str, r: GraderReport, kind: str) -> None:
    model = g.get("model")
    if "model" in g and not isinstance(model, str):
        r.problems.append(f"{where}.model: a model id string")
    elif isinstance(model, str) and model not in GRADER_MODELS:
        r.warnings.append(f"{where}.model: {model!r} is not among the grader models OpenAI lists ({', '.join(GRADER_MODELS)})")
    msgs = g.get("input")
    if "input" in g and (not isinstance(msgs, list) or not msgs):
        r.problems.append(f"{where}.input: a non-empty list of messages")
        msgs = []
    for i, m in enumerate(msgs or []):
        w = f"{where}.input[{i}]"
        if not isinstance(m, dict):
            r.problems.append(f"{w}: a message object with role and content")
            continue
        if m.get("role") not in EVAL_ROLES:
            r.problems.append(f"{w}.role: {m.get('role')!r} is not one of {', '.join(EVAL_ROLES)}")
        if "type" in m and m["type"] != "message":
            r.problems.append(f"{w}.type: only 'message'")
        content = m.get("content")
        if isinstance(content, (str, dict)):
            content = [content]
        if not isinstance(content, list) or not content:
            r.problems.append(f"{w}.content: a string or a list of content parts")
            continue
        for j, part in enumerate(content):
            pw = f"{w}.content" + (f"[{j}]" if isinstance(m.get("content"), list) else "")
            if isinstance(part, str):
                _template_string(part, pw, r)
            elif isinstance(part, dict) and part.get("type") in EVAL_PARTS:
                need = EVAL_PARTS[part["type"]]
                if need not in part:
                    r.problems.append(f"{pw}.{need}: required for {part['type']} parts")
                elif need == "text" or need == "image_url":
                    _template_string(part[need], f"{pw}.{need}", r)
            else:
                r.problems.append(f"{pw}: a string or a part of type {', '.join(EVAL_PARTS)}")
    if kind == "label_model":
        labels, passing = g.get("labels"), g.get("passing_labels")
        for key, val in (("labels", labels), ("passing_labels", passing)):
            if key in g and (not isinstance(val, list) or not val or not all(isinstance(x, str) for x in val)):
                r.problems.append(f"{where}.{key}: a non-empty list of strings")
        if isinstance(labels, list) and isinstance(passing, list):
            extra = [x for x in passing if x not in labels]
            if extra:
                r.problems.append(f"{where}.passing_labels: {extra!r} are not in labels")
        return
    rng = g.get("range")
    if "range" in g and not (isinstance(rng, list) and len(rng) == 2 and all(_number(x) for x in rng) and rng[0] < rng[1]):
        r.problems.append(f"{where}.range: two numbers [low, high] with low < high")
    params = g.get("sampling_params")
    if params is None:
        return
    if not isinstance(params, dict):
        r.problems.append(f"{where}.sampling_params: an object")
        return
    for key, val in params.items():
        pw = f"{where}.sampling_params.{key}"
        if key == "max_completion_tokens":
            r.problems.append(f"{pw}: the API spells it max_completions_tokens")
        elif key not in SAMPLING_PARAMS:
            r.problems.append(f"{pw}: not a sampling parameter ({', '.join(SAMPLING_PARAMS)})")
        elif val is None:
            continue
        elif key == "reasoning_effort" and val not in GRADER_EFFORTS:
            r.problems.append(f"{pw}: {val!r} is not one of {', '.join(GRADER_EFFORTS)}")
        elif key in ("seed", "max_completions_tokens") and (not isinstance(val, int) or isinstance(val, bool) or (key != "seed" and val < 1)):
            r.problems.append(f"{pw}: a{' positive' if key != 'seed' else 'n'} integer")
        elif key in ("top_p", "temperature") and not _number(val):
            r.problems.append(f"{pw}: a number")
    reasoning = isinstance(model, str) and model.startswith(("o1", "o3", "o4"))
    if reasoning and any(params.get(k) not in (None, 1, 1.0) for k in ("temperature", "top_p")):
        r.problems.append(f"{where}.sampling_params: {model} is a reasoning model: leave temperature and top_p at their defaults")
    if isinstance(model, str) and not reasoning and params.get("reasoning_effort") is not None:
        r.problems.append(f"{where}.sampling_params.reasoning_effort: {model} is not a reasoning model")


def _python_grader(g: dict[str, Any], where: str, r: GraderReport) -> None:
    src = g.get("source")
    if "image_tag" in g and g["image_tag"] not in PYTHON_IMAGE_TAGS:
        r.warnings.append(f"{where}.image_tag: {g['image_tag']!r} is not a known image ({', '.join(PYTHON_IMAGE_TAGS)})")
    if not isinstance(src, str):
        if "source" in g:
            r.problems.append(f"{where}.source: Python source as a string")
        return
    if len(src.encode("utf-8")) >= PYTHON_MAX_SOURCE:
        r.problems.append(f"{where}.source: {len(src.encode()):,} bytes; the limit is under 256 kB")
    try:
        tree = ast.parse(src)
    except SyntaxError as exc:
        r.problems.append(f"{where}.source line {exc.lineno}: {exc.msg}")
        return
    grade = next((n for n in tree.body if isinstance(n, ast.FunctionDef) and n.name == "grade"), None)
    if grade is None:
        r.problems.append(f"{where}.source: defines no top-level grade(sample, item) function")
        return
    params = [a.arg for a in grade.args.posonlyargs + grade.args.args]
    if len(params) < 2 and not grade.args.vararg:
        r.problems.append(f"{where}.source line {grade.lineno}: grade() must take (sample, item)")
        return
    item = params[1] if len(params) >= 2 else None
    for node in ast.walk(grade):  # item["x"] fails on a line without x: the field is required
        if isinstance(node, ast.Subscript) and isinstance(node.value, ast.Name) and node.value.id == item:
            key = node.slice
            if isinstance(key, ast.Constant) and isinstance(key.value, str):
                r.item_paths.append(ItemPath(f"item.{key.value}", (key.value,)))


def _multi_grader(g: dict[str, Any], where: str, r: GraderReport) -> None:
    subs = g.get("graders")
    names: set[str] = set()
    if isinstance(subs, dict) and "type" not in subs:  # the guides' form: {"key": grader, ...}
        if not subs:
            r.problems.append(f"{where}.graders: at least one grader")
        for key, sub in subs.items():
            if not re.fullmatch(r"[A-Za-z_]\w*", key):
                r.problems.append(f"{where}.graders.{key}: a key calculate_output can name (letters, digits, _)")
            names.add(key)
            _grader(sub, f"{where}.graders.{key}", r, in_multi=True)
    elif isinstance(subs, dict):  # the spec's form: one grader, named by its name
        names.add(str(subs.get("name")))
        _grader(subs, f"{where}.graders", r, in_multi=True)
    elif "graders" in g:
        r.problems.append(f"{where}.graders: an object of named graders")
    formula = g.get("calculate_output")
    if formula is None:
        return
    if not isinstance(formula, str) or not formula.strip():
        r.problems.append(f"{where}.calculate_output: a formula such as '0.5 * a + 0.5 * b'")
        return
    problem = _formula_problem(formula, names)
    if problem:
        r.problems.append(f"{where}.calculate_output: {problem}")


def _formula_problem(formula: str, names: set[str]) -> str | None:
    pos, out = 0, []
    while pos < len(formula.rstrip()):
        m = _FORMULA_TOKEN.match(formula, pos)
        if not m:
            return f"unexpected {formula[pos:].strip()[:10]!r} (operators + - * / ^, functions {', '.join(FORMULA_FUNCTIONS)})"
        word = m.group(2)
        if word and word not in names and word not in FORMULA_FUNCTIONS:
            return f"{word!r} is neither a grader ({', '.join(sorted(names)) or 'none'}) nor a function ({', '.join(FORMULA_FUNCTIONS)})"
        out.append("**" if m.group(3) == "^" else m.group(0))
        pos = m.end()
    try:
        ast.parse("".join(out).strip(), mode="eval")
    except SyntaxError:
        return f"{formula!r} is not a well-formed formula"
    return None


# ------------------------------------------------------------- hyperparameters


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


_COMMON = {"n_epochs": Hp(int, 1, 50), "batch_size": Hp(int, 1, 256), "learning_rate_multiplier": Hp(float, 0, None, True)}
HYPERPARAMETERS: dict[str, dict[str, Hp]] = {
    "reinforcement": {**_COMMON, "compute_multiplier": Hp(float, 0.00001, 10, True), "eval_interval": Hp(int, 1, None), "eval_samples": Hp(int, 1, None)},
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
        if not math.isfinite(value) or (value <= spec.lo if spec.lo_open else value < spec.lo) or (spec.hi is not None and value > spec.hi):
            raise UsageError(f"--hp {key}={raw}: out of range; expected {spec.describe()}")
        out[key] = value
    return out


def resolve_model(model: str | None) -> str:
    """The model to fine-tune: a catalog alias becomes its dated snapshot."""
    if not model:
        return DEFAULT_MODEL
    entry = catalog.find(model)
    return entry.snapshot if entry and not catalog.is_fine_tuned(model) and model in entry.aliases else model


def default_method(model: str) -> str:
    entry = catalog.find(model)
    return entry.fine_tuning_methods[0] if entry and entry.fine_tuning_methods else "supervised"


def check_method(model: str, method: str) -> None:
    entry = catalog.find(model)
    if entry and entry.fine_tuning_methods and method not in entry.fine_tuning_methods:
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
        return {"min": t[0], "median": t[len(t) // 2] if len(t) % 2 else (t[len(t) // 2 - 1] + t[len(t) // 2]) // 2, "max": t[-1], "total": sum(t)}


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
            if not raw.strip():
                last_blank = n
                continue
            if last_blank is not None:
                rep.warnings.append(Problem(last_blank, "blank line: remove it (the API may reject the file)"))
                last_blank = None
            try:
                obj = json.loads(raw)
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
                    rep.problems.append(Problem(n, f"no field {p.text[5:]!r}: the grader reads {{{{{p.text}}}}}"))
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


def _messages(msgs: Any, where: str, roles: frozenset[str], texts: list[str], *, system_hint: bool = False) -> Iterator[str]:
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
            yield f"{w}.role: 'system' is not supported: use 'developer'" if role == "system" and system_hint else f"{w}.role: {role!r} is not one of {', '.join(sorted(roles))}"
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
        yield f"messages: the last message must be the user's, not {msgs[-1].get('role')!r} (the model answers it and the grader scores the answer)"
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


def training_cost(method: str, model: str, report: FileReport, hp: dict[str, Any]) -> dict[str, Any]:
    """What can be said of the training cost before the job runs."""
    epochs = hp.get("n_epochs", "auto")
    per_epoch = report.token_stats()["total"]
    if method == "reinforcement":
        rate = RFT_HOURLY_USD if catalog.find(model) is catalog.O4_MINI else None
        return {
            "billing": "per_training_hour",
            "usd": None,
            "hourly_usd": str(rate) if rate else None,
            "trained_tokens_per_epoch": None,
            "epochs": epochs,
            "note": (f"billed per training hour (${rate}/h for {model}) plus the grader model's tokens; "
                     "the hours cannot be estimated from tokens" if rate else
                     "billed per training hour plus grader tokens; o4 knows no hourly price for this model"),
        }  # fmt: skip
    trained = per_epoch * epochs if isinstance(epochs, int) else None
    return {
        "billing": "per_trained_token",
        "usd": None,
        "hourly_usd": None,
        "trained_tokens_per_epoch": per_epoch,
        "trained_tokens": trained,
        "epochs": epochs,
        "note": f"~{per_epoch:,} tokens an epoch"
        + (f", ~{trained:,} over {epochs} epochs" if trained else " (n_epochs auto: the API picks the epochs)")
        + f"; o4's catalog has no training price for {model}",
    }
