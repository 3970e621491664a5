"""The calls a model turn asked for, read from either API's answer, and the input items
that carry their outcomes back."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from o4cli.core import jsonload
from o4cli.core.ask.answer import Answer

# Responses output items a server-side tool leaves: already run by OpenAI in this turn.
SERVER_SIDE = {
    "mcp_call": "mcp",
    "code_interpreter_call": "code_interpreter",
    "file_search_call": "file_search",
    "web_search_call": "web_search",
    "mcp_list_tools": "mcp_list_tools",
}


@dataclass
class Call:
    """One call: ``function`` (a local tool), ``mcp_approval`` (an MCP call waiting for a
    yes), or a server-side kind (``mcp``, ``code_interpreter``, ``file_search``...)."""

    kind: str
    call_id: str
    name: str
    arguments_text: str
    arguments: dict[str, Any] | None = None
    arguments_error: str | None = None
    server: str | None = None  # an MCP server's label
    output: str | None = None  # server-side calls: what they returned
    error: str | None = None

    @property
    def local(self) -> bool:
        return self.kind in ("function", "mcp_approval")

    @property
    def label(self) -> str:
        return f"{self.server}.{self.name}" if self.server else self.name


def parse_arguments(text: str) -> tuple[dict[str, Any] | None, str | None]:
    """The model's argument string as an object, or why it is not one (never raises)."""
    if not text.strip():
        return {}, None
    try:
        value = jsonload.loads(text)
    except (ValueError, RecursionError) as exc:
        msg = exc.msg if isinstance(exc, json.JSONDecodeError) else str(exc)
        return None, f"the arguments are not valid JSON ({msg}): {text[:200]}"
    if not isinstance(value, dict):
        return None, f"the arguments must be a JSON object, not {type(value).__name__}"
    return value, None


def _call(kind: str, call_id: str, name: str, args: Any, **more: Any) -> Call:
    text = args if isinstance(args, str) else json.dumps(args or {})
    parsed, problem = parse_arguments(text)
    return Call(kind, call_id, name, text, parsed, problem, **more)


def from_answer(answer: Answer, api: str) -> list[Call]:
    """Every call of one turn, in the order the model gave them."""
    if api == "chat":
        return [
            _call("function", c.get("id") or "", (c.get("function") or {}).get("name") or "",
                  (c.get("function") or {}).get("arguments") or "")
            for c in answer.tool_calls
        ]  # fmt: skip
    calls: list[Call] = []
    for item in answer.items:
        kind = item.get("type")
        if kind == "function_call":
            calls.append(_call("function", item.get("call_id") or "", item.get("name") or "", item.get("arguments")))
        elif kind == "mcp_approval_request":
            calls.append(_call("mcp_approval", item.get("id") or "", item.get("name") or "", item.get("arguments"),
                               server=item.get("server_label")))  # fmt: skip
        elif kind in SERVER_SIDE:
            calls.append(_server_side(SERVER_SIDE[kind], item))
    return calls


def _server_side(kind: str, item: dict[str, Any]) -> Call:
    name = item.get("name") or kind
    args: Any = item.get("arguments")
    output = item.get("output")
    if kind == "code_interpreter":
        args = {"code": item.get("code") or ""}
        logs = [o.get("logs") or "" for o in item.get("outputs") or [] if isinstance(o, dict)]
        output = "\n".join(x for x in logs if x) or None
    elif kind == "file_search":
        args = {"queries": item.get("queries") or []}
        results = item.get("results") or []
        output = f"{len(results)} results" if isinstance(results, list) else None
    elif kind == "web_search":
        args = item.get("action") or {}
    elif kind == "mcp_list_tools":
        args = {}
        output = ", ".join(t.get("name", "?") for t in item.get("tools") or [] if isinstance(t, dict)) or None
    c = _call(kind, item.get("id") or "", name, args if args is not None else {}, server=item.get("server_label"))
    c.output = output if isinstance(output, str) else None
    err = item.get("error")
    c.error = err if isinstance(err, str) and err else (None if item.get("status") != "failed" else "failed")
    return c


# ------------------------------------------------------------ what goes back


def responses_output(call: Call, output: str) -> dict[str, Any]:
    return {"type": "function_call_output", "call_id": call.call_id, "output": output}


def approval(call: Call, approve: bool) -> dict[str, Any]:
    return {"type": "mcp_approval_response", "approval_request_id": call.call_id, "approve": approve}


def chat_assistant(answer: Answer) -> dict[str, Any]:
    """The assistant message that asked for the calls, as Chat wants it back."""
    calls = [
        {"id": c.get("id"), "type": "function", "function": {
            "name": (c.get("function") or {}).get("name") or "",
            "arguments": (c.get("function") or {}).get("arguments") or "",
        }}
        for c in answer.tool_calls
    ]  # fmt: skip
    return {"role": "assistant", "content": answer.text or None, "tool_calls": calls}


def chat_output(call: Call, output: str) -> dict[str, Any]:
    return {"role": "tool", "tool_call_id": call.call_id, "content": output}
