"""JSON from outside (a user's file, a flag, the API): parsed with a depth bound.

Python's parser gives up near 1,000 levels with a RecursionError, and o4's own walkers
(schema checks, token counts) recurse too. No real request comes close to ``MAX_DEPTH``, so
a deeper document is refused as bad JSON with a clear reason, never a crash."""

from __future__ import annotations

import json
from typing import Any

MAX_DEPTH = 64  # structured outputs allow 10 levels of nesting; requests stay well under this


class TooDeep(json.JSONDecodeError):
    """A JSON document nested deeper than ``MAX_DEPTH`` (a ``JSONDecodeError``, so every
    handler of bad JSON reports it)."""

    def __init__(self, doc: str | bytes) -> None:
        text = doc.decode("utf-8", "replace") if isinstance(doc, bytes) else doc
        super().__init__(f"nested deeper than {MAX_DEPTH} levels, which no real request is", text, 0)


def depth(obj: Any) -> int:
    """How deeply ``obj`` nests (a scalar is 0), without recursion."""
    deepest, stack = 0, [(obj, 1)]
    while stack:
        node, level = stack.pop()
        if isinstance(node, dict):
            children: Any = node.values()
        elif isinstance(node, list):
            children = node
        else:
            continue
        deepest = max(deepest, level)
        if level > MAX_DEPTH:
            return level
        stack.extend((child, level + 1) for child in children if isinstance(child, (dict, list)))
    return deepest


def loads(doc: str | bytes) -> Any:
    """``json.loads`` that refuses documents nested deeper than ``MAX_DEPTH`` (``TooDeep``)."""
    try:
        obj = json.loads(doc)
    except RecursionError:
        raise TooDeep(doc) from None
    # Counting brackets is fast (C); only a document with enough of them can be too deep.
    opens = doc.count(b"[") + doc.count(b"{") if isinstance(doc, bytes) else doc.count("[") + doc.count("{")
    if opens > MAX_DEPTH and depth(obj) > MAX_DEPTH:
        raise TooDeep(doc)
    return obj
