"""Graders for reinforcement fine-tuning, checked locally: every type's required fields,
enum values, templates (``{{item.X}}`` / ``{{sample.Y}}``), model-grader sampling rules,
python grader source and multi-grader formulas. Pure: values in, a report out.

Shapes: OpenAI's graders guide and the OpenAPI spec's ``Grader*`` schemas (shared/reference
section 5.4). A multi grader's ``graders`` is a map of named graders, as the guides show; the
spec types it as one grader, and both are accepted.
"""

from __future__ import annotations

import ast
import json
import math
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from o4cli.core import jsonload
from o4cli.core.errors import UsageError
from o4cli.core.files import read_capped

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

    @property
    def field(self) -> str:
        return self.text[5:] if self.text.startswith("item.") else self.text[4:]

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
            kind += (
                " ("
                + ", ".join(
                    f"{k}: {v.get('type', '?')}" for k, v in self.grader["graders"].items() if isinstance(v, dict)
                )
                + ")"
            )
        return f"{self.grader.get('name', '?')}: {kind}"


MAX_GRADER_FILE = 16 * 1024 * 1024  # a python grader's source is at most 256 kB; a whole multi-grader far less


def load_grader(path: Path) -> dict[str, Any]:
    """A grader JSON file: the grader itself, or ``{"grader": {...}}``."""
    data = read_capped(f"--grader {path}", path, MAX_GRADER_FILE, "too large for a grader")
    try:
        obj = jsonload.loads(data.decode("utf-8-sig"))
    except UnicodeDecodeError as exc:
        raise UsageError(f"--grader {path}: not UTF-8 (byte {exc.start + 1})") from None
    except json.JSONDecodeError as exc:
        raise UsageError(f"--grader {path}: not JSON ({exc.msg} at line {exc.lineno}, column {exc.colno})") from None
    if isinstance(obj, dict) and "type" not in obj and isinstance(obj.get("grader"), dict):
        obj = obj["grader"]
    if not isinstance(obj, dict):
        raise UsageError(f"--grader {path}: a grader is a JSON object with a 'type'")
    return obj


def check_grader(grader: dict[str, Any]) -> GraderReport:
    """Every problem of a grader (types, required fields, enums, templates, formula)."""
    report = GraderReport(grader)
    _grader(grader, "grader", report)
    seen: set[str] = set()
    report.item_paths = [p for p in report.item_paths if not (p.text in seen or seen.add(p.text))]
    return report


def _grader(g: Any, where: str, r: GraderReport, *, in_multi: bool = False) -> None:
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
        enum_key, values = (
            ("operation", STRING_OPERATIONS) if kind == "string_check" else ("evaluation_metric", SIMILARITY_METRICS)
        )
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
        rest = expr[len(head) :]
        segments: list[str | int] = []
        pos = 0
        for m in _SEGMENT.finditer(rest):
            if m.start() != pos:
                break
            segments.append(
                m.group(1) if m.group(1) is not None else int(m.group(2)) if m.group(2) is not None else m.group(3)
            )
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
        r.warnings.append(
            f"{where}.model: {model!r} is not among the grader models OpenAI lists ({', '.join(GRADER_MODELS)})"
        )
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
    if "range" in g and not (
        isinstance(rng, list) and len(rng) == 2 and all(_number(x) for x in rng) and rng[0] < rng[1]
    ):
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
        elif key in ("seed", "max_completions_tokens") and (
            not isinstance(val, int) or isinstance(val, bool) or (key != "seed" and val < 1)
        ):
            r.problems.append(f"{pw}: a{' positive' if key != 'seed' else 'n'} integer")
        elif key in ("top_p", "temperature") and not _number(val):
            r.problems.append(f"{pw}: a number")
    reasoning = isinstance(model, str) and model.startswith(("o1", "o3", "o4"))
    if reasoning and any(params.get(k) not in (None, 1, 1.0) for k in ("temperature", "top_p")):
        r.problems.append(
            f"{where}.sampling_params: {model} is a reasoning model: leave temperature and top_p at their defaults"
        )
    if isinstance(model, str) and not reasoning and params.get("reasoning_effort") is not None:
        r.problems.append(f"{where}.sampling_params.reasoning_effort: {model} is not a reasoning model")


def _python_grader(g: dict[str, Any], where: str, r: GraderReport) -> None:
    src = g.get("source")
    if "image_tag" in g and g["image_tag"] not in PYTHON_IMAGE_TAGS:
        r.warnings.append(
            f"{where}.image_tag: {g['image_tag']!r} is not a known image ({', '.join(PYTHON_IMAGE_TAGS)})"
        )
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
            functions = ", ".join(FORMULA_FUNCTIONS)
            return f"unexpected {formula[pos:].strip()[:10]!r} (operators + - * / ^, functions {functions})"
        word = m.group(2)
        if word and word not in names and word not in FORMULA_FUNCTIONS:
            graders, functions = ", ".join(sorted(names)) or "none", ", ".join(FORMULA_FUNCTIONS)
            return f"{word!r} is neither a grader ({graders}) nor a function ({functions})"
        out.append("**" if m.group(3) == "^" else m.group(0))
        pos = m.end()
    try:
        ast.parse("".join(out).strip(), mode="eval")
    except SyntaxError:
        return f"{formula!r} is not a well-formed formula"
    return None


# ------------------------------------------------------------- hyperparameters
