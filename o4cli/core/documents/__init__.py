"""Every ``--json`` document o4 prints, built in this package and nowhere else: one
module per command group (``ask``, ``batch``, ``finetune``, ``meta`` for config, models
and usage), the shared pieces here.

Conventions, the same in every document (the README's "JSON documents" tables list each
command's keys):

- **Money** is a JSON number of US dollars, written exactly from the ``Decimal`` o4
  computed: costs rounded to the micro-dollar (``0.003987``), prices as published
  (``1.10`` per million tokens). ``jq`` compares and adds them as numbers; a program that
  needs exactness parses them as decimals (Python: ``json.loads(s, parse_float=Decimal)``).
  An unknown cost or price is ``null``.
- **Token counts** are an object ``usage`` with ``input_tokens``, ``cached_tokens``,
  ``output_tokens``, ``reasoning_tokens`` (cached is part of input, reasoning part of
  output, as the API counts them).
- **Failures**: with ``--json``, an error prints ``{"error": {...}}`` on stdout too (see
  ``error``), so a CI step's ``> out.json`` always holds a document.
- A stream of items (``finetune events --json``) is JSON Lines, one document a line.
"""

from __future__ import annotations

import json
import os
import re
from decimal import Decimal
from typing import Any

from o4cli.core.cost import Usage, micro
from o4cli.core.errors import ApiError, O4Error

_NONCE = os.urandom(8).hex()  # marks Decimals while dumping (os.urandom: cheaper to import than secrets)
_MARK = re.compile('"\\\\u0000' + _NONCE + ':(-?[0-9.]+)"')


def money(amount: Decimal | None) -> Decimal | None:
    """A cost, rounded to the micro-dollar (``None`` when unknown)."""
    return None if amount is None else micro(amount)


def usage(u: Usage, **extra: Any) -> dict[str, Any]:
    return {
        "input_tokens": u.input_tokens,
        "cached_tokens": u.cached_tokens,
        "output_tokens": u.output_tokens,
        "reasoning_tokens": u.reasoning_tokens,
        **extra,
    }


def price(p: Any) -> dict[str, Any]:
    """A catalog price per 1M tokens (input, cached input, output; and the long-context
    rates above a threshold of input tokens, where the model has them)."""
    doc: dict[str, Any] = {"input": p.input, "cached_input": p.cached_input, "output": p.output}
    if getattr(p, "long", None) is not None:
        doc["long_context"] = {"above_input_tokens": p.long_above, **price(p.long)}
    return doc


def error(exc: O4Error) -> dict[str, Any]:
    """``{"error": {...}}``: what failed, the hint, the exit code, and what the API said."""
    doc: dict[str, Any] = {"message": exc.message, "hint": exc.hint, "exit_code": int(exc.exit_code)}
    if isinstance(exc, ApiError):
        doc.update(status=exc.status, type=exc.type, code=exc.code, param=exc.param, request_id=exc.request_id)
    problems = getattr(exc, "problems", None)
    if problems is not None:
        doc["problems"] = [{"file": p.file, "line": p.line or None, "reason": p.reason} for p in problems]
    return {"error": doc}


def dumps(doc: Any, *, indent: int | None = 2) -> str:
    """The document as JSON text, Decimals as exact numbers."""
    text = json.dumps(_marked(doc), indent=indent, ensure_ascii=False, default=str)
    return _MARK.sub(r"\1", text)


def _marked(obj: Any) -> Any:
    if isinstance(obj, Decimal):
        return f"\x00{_NONCE}:{obj:f}" if obj.is_finite() else None
    if isinstance(obj, dict):
        return {k: _marked(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_marked(v) for v in obj]
    return obj
