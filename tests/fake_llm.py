"""What the emulator's o4-mini says: Responses and Chat Completions bodies and streams.

A ``Script`` describes one answer (text, reasoning summary, token counts, how it
ends, how its stream misbehaves). Queue scripts with ``emulator.answer(...)``; with
none queued the model answers ``"Echo: <the prompt's text>"``.

Function calling: when the request has ``tools``, each prompt line holding ``CALL name
ARGS`` markers is one model turn that calls those tools (several markers on one line:
several calls in that turn), ARGS sent as written (``{}`` when left out; invalid JSON
stays invalid). Turn N (after N rounds of tool outputs) makes the calls of the N-th such
line; past the last one the model answers ``"Tool said: <outputs>"`` with the outputs it
was just given. A dotted name ``label.tool`` is a call on the MCP server ``label``: an
``mcp_approval_request`` unless its ``require_approval`` is ``never`` (then an
``mcp_call`` ran); ``CALL code_interpreter {"code": ...}`` leaves a code interpreter call.
"""

from __future__ import annotations

import json
import re
import time
from dataclasses import dataclass
from typing import Any


@dataclass
class Script:
    text: str | None = None
    summary: str | None = None
    reasoning_tokens: int = 64
    input_tokens: int | None = None
    cached_tokens: int = 0
    output_tokens: int | None = None
    status: str = "completed"  # completed | incomplete | failed
    incomplete_reason: str = "max_output_tokens"
    error: dict[str, Any] | None = None  # for status failed
    error_event_after: int | None = None  # send an `error` event after N text deltas
    cut_after: int | None = None  # close the connection after N text deltas
    end_after: int | None = None  # end the stream cleanly after N text deltas, before the final event
    delay: float = 0.0  # seconds between stream events
    chunk: int = 4  # characters per text delta
    service_tier: str | None = None  # what the "server" says it used


def prompt_text(body: dict[str, Any], chat: bool) -> str:
    """The user's text from a request body (for the echo answer and token counts)."""
    parts: list[str] = []
    items = body.get("messages") if chat else body.get("input")
    if isinstance(items, str):
        return items
    for item in items or []:
        if not isinstance(item, dict) or item.get("role") not in ("user", None):
            continue
        content = item.get("content")
        if isinstance(content, str):
            parts.append(content)
        elif isinstance(content, list):
            parts.extend(p.get("text", "") for p in content if isinstance(p, dict))
    return "\n".join(parts)


def _counts(script: Script, body: dict[str, Any], text: str, chat: bool) -> dict[str, int]:
    inp = script.input_tokens if script.input_tokens is not None else max(1, len(json.dumps(body)) // 4)
    visible = 0 if script.status == "incomplete" and not text else max(1, len(text) // 4)
    out = script.output_tokens if script.output_tokens is not None else visible + script.reasoning_tokens
    return {"input": inp, "cached": min(script.cached_tokens, inp), "output": out, "reasoning": min(script.reasoning_tokens, out)}


def responses_usage(c: dict[str, int]) -> dict[str, Any]:
    return {
        "input_tokens": c["input"],
        "input_tokens_details": {"cached_tokens": c["cached"]},
        "output_tokens": c["output"],
        "output_tokens_details": {"reasoning_tokens": c["reasoning"]},
        "total_tokens": c["input"] + c["output"],
    }


def chat_usage(c: dict[str, int]) -> dict[str, Any]:
    return {
        "prompt_tokens": c["input"],
        "prompt_tokens_details": {"cached_tokens": c["cached"]},
        "completion_tokens": c["output"],
        "completion_tokens_details": {"reasoning_tokens": c["reasoning"]},
        "total_tokens": c["input"] + c["output"],
    }


def answer_text(script: Script, body: dict[str, Any], chat: bool) -> str:
    if script.text is not None:
        return script.text
    if script.status == "incomplete":
        return ""
    fmt = (body.get("response_format") if chat else (body.get("text") or {}).get("format")) or {}
    if fmt.get("type") == "json_schema":
        schema = fmt.get("schema") or (fmt.get("json_schema") or {}).get("schema") or {}
        return json.dumps(_sample(schema))
    return "Echo: " + prompt_text(body, chat)


def _sample(schema: dict[str, Any]) -> Any:
    t = schema.get("type")
    if isinstance(t, list):
        t = next((x for x in t if x != "null"), "null")
    if t == "object":
        return {k: _sample(v) for k, v in (schema.get("properties") or {}).items()}
    if t == "array":
        return [_sample(schema.get("items") or {"type": "string"})]
    return {"integer": 42, "number": 1.5, "boolean": True, "null": None}.get(t, "text")


# --------------------------------------------------------- function calling

_MARKER = re.compile(r"\bCALL\s+")


def call_lines(prompt: str) -> list[list[tuple[str, str]]]:
    """The prompt's CALL markers: one list of (name, argument text) per line that has any."""
    turns = []
    for line in prompt.splitlines():
        pieces = _MARKER.split(line)[1:]
        calls = []
        for piece in pieces:
            name, _, args = piece.strip().partition(" ")
            calls.append((name, args.strip() or "{}"))
        if calls:
            turns.append(calls)
    return turns


def tool_outputs(items: list[Any]) -> list[str]:
    """The outputs a request carries back: function_call_output items / tool messages."""
    out = []
    for item in items or []:
        if not isinstance(item, dict):
            continue
        if item.get("type") == "function_call_output" or item.get("role") == "tool":
            value = item.get("output") if "output" in item else item.get("content")
            out.append(value if isinstance(value, str) else json.dumps(value))
        elif item.get("type") == "mcp_approval_response":
            out.append("(approved)" if item.get("approve") else "(denied)")
    return out


def _mcp_servers(body: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {t["server_label"]: t for t in body.get("tools") or [] if isinstance(t, dict) and t.get("type") == "mcp"}


def call_items(calls: list[tuple[str, str]], body: dict[str, Any], next_id: Any) -> list[dict[str, Any]]:
    """Responses output items for one turn's calls."""
    items = []
    servers = _mcp_servers(body)
    for name, args in calls:
        label, dot, tool = name.partition(".")
        if dot and label in servers:
            if servers[label].get("require_approval") == "never":
                items.append({"id": next_id("mcp_"), "type": "mcp_call", "server_label": label, "name": tool,
                              "arguments": args, "output": f"{tool} ran", "error": None, "status": "completed"})
            else:
                items.append({"id": next_id("mcpr_"), "type": "mcp_approval_request", "server_label": label,
                              "name": tool, "arguments": args})
        elif name == "code_interpreter":
            code = (json.loads(args) if args.startswith("{") else {}).get("code", "")
            items.append({"id": next_id("ci_"), "type": "code_interpreter_call", "status": "completed", "code": code,
                          "container_id": "cntr_1", "outputs": [{"type": "logs", "logs": "42"}]})
        else:
            items.append({"id": next_id("fc_"), "type": "function_call", "call_id": next_id("call_"), "name": name,
                          "arguments": args, "status": "completed"})
    return items


def approved_mcp_items(body: dict[str, Any], previous: dict[str, Any] | None, next_id: Any) -> list[dict[str, Any]]:
    """The mcp_call items an approval response lets run (its request is in the previous output)."""
    asked = {i["id"]: i for i in (previous or {}).get("output") or [] if i.get("type") == "mcp_approval_request"}
    items = []
    for item in body.get("input") or []:
        if isinstance(item, dict) and item.get("type") == "mcp_approval_response" and item.get("approve"):
            req = asked.get(item.get("approval_request_id"))
            if req:
                items.append({"id": next_id("mcp_"), "type": "mcp_call", "server_label": req["server_label"],
                              "name": req["name"], "arguments": req["arguments"], "output": f"{req['name']} ran",
                              "error": None, "status": "completed", "approval_request_id": req["id"]})
    return items


def chat_tool_calls(calls: list[tuple[str, str]], next_id: Any) -> list[dict[str, Any]]:
    return [{"id": next_id("call_"), "type": "function", "function": {"name": n, "arguments": a}} for n, a in calls]


# ------------------------------------------------------------- Responses


def encrypted(rid: str) -> str:
    """The opaque ``encrypted_content`` the emulator gives a response's reasoning item."""
    return "gAAAA" + rid.encode().hex()


def reasoning_item(rid: str, script: Script, body: dict[str, Any], *, summary: bool = True) -> dict[str, Any]:
    item: dict[str, Any] = {
        "id": rid.replace("resp_", "rs_"),
        "type": "reasoning",
        "summary": [{"type": "summary_text", "text": script.summary}] if script.summary and summary else [],
    }
    if "reasoning.encrypted_content" in (body.get("include") or []):
        item["encrypted_content"] = encrypted(rid)
    return item


def response_object(
    rid: str, script: Script, body: dict[str, Any], text: str, status: str | None = None,
    items: list[dict[str, Any]] | None = None,
) -> dict[str, Any]:
    c = _counts(script, body, text, chat=False)
    output: list[dict[str, Any]] = [reasoning_item(rid, script, body)]
    output.extend(items or [])
    if text:
        output.append(
            {
                "id": rid.replace("resp_", "msg_"),
                "type": "message",
                "role": "assistant",
                "status": "completed",
                "content": [{"type": "output_text", "text": text, "annotations": []}],
            }
        )
    status = status or script.status
    return {
        "id": rid,
        "object": "response",
        "created_at": int(time.time()),
        "status": status,
        "model": served_model(body),
        "output": output,
        "error": (script.error or {"code": "server_error", "message": "The model failed."}) if status == "failed" else None,
        "incomplete_details": {"reason": script.incomplete_reason} if status == "incomplete" else None,
        "usage": responses_usage(c),
        "service_tier": script.service_tier or body.get("service_tier") or "default",
        "previous_response_id": body.get("previous_response_id"),
        "reasoning": body.get("reasoning") or {"effort": "medium", "summary": None},
        "max_output_tokens": body.get("max_output_tokens"),
        "store": body.get("store", True),
        "instructions": body.get("instructions"),
    }


def response_events(
    rid: str, script: Script, body: dict[str, Any], text: str, items: list[dict[str, Any]] | None = None
) -> list[tuple[str, dict[str, Any]]]:
    """The Responses stream of one answer, as (event type, data) pairs, in order."""
    events: list[tuple[str, dict[str, Any]]] = []

    def ev(kind: str, **data: Any) -> None:
        events.append((kind, {"type": kind, "sequence_number": len(events), **data}))

    shell = response_object(rid, script, body, "", status="in_progress")
    shell["usage"] = None
    ev("response.created", response=shell)
    ev("response.in_progress", response=shell)
    rs = rid.replace("resp_", "rs_")
    ev("response.output_item.added", output_index=0, item={"id": rs, "type": "reasoning", "summary": []})
    if script.summary:
        ev("response.reasoning_summary_part.added", item_id=rs, output_index=0, summary_index=0, part={"type": "summary_text", "text": ""})
        for i in range(0, len(script.summary), 8):
            ev("response.reasoning_summary_text.delta", item_id=rs, output_index=0, summary_index=0, delta=script.summary[i : i + 8])
        ev("response.reasoning_summary_text.done", item_id=rs, output_index=0, summary_index=0, text=script.summary)
        ev("response.reasoning_summary_part.done", item_id=rs, output_index=0, summary_index=0, part={"type": "summary_text", "text": script.summary})
    ev("response.output_item.done", output_index=0, item=reasoning_item(rid, script, body))
    for n, item in enumerate(items or [], start=1):
        if item["type"] == "function_call":
            ev("response.output_item.added", output_index=n, item={**item, "arguments": "", "status": "in_progress"})
            for i in range(0, len(item["arguments"]), 5):
                ev("response.function_call_arguments.delta", item_id=item["id"], output_index=n, delta=item["arguments"][i : i + 5])
            ev("response.function_call_arguments.done", item_id=item["id"], output_index=n, arguments=item["arguments"], name=item["name"])
        else:
            ev("response.output_item.added", output_index=n, item=item)
        ev("response.output_item.done", output_index=n, item=item)
    msg = rid.replace("resp_", "msg_")
    m = len(items or []) + 1
    if text:
        ev("response.output_item.added", output_index=m, item={"id": msg, "type": "message", "role": "assistant", "status": "in_progress", "content": []})
        ev("response.content_part.added", item_id=msg, output_index=m, content_index=0, part={"type": "output_text", "text": "", "annotations": []})
        for i in range(0, len(text), script.chunk):
            ev("response.output_text.delta", item_id=msg, output_index=m, content_index=0, delta=text[i : i + script.chunk], logprobs=[])
        ev("response.output_text.done", item_id=msg, output_index=m, content_index=0, text=text, logprobs=[])
        ev("response.content_part.done", item_id=msg, output_index=m, content_index=0, part={"type": "output_text", "text": text, "annotations": []})
    final = response_object(rid, script, body, text, items=items)
    terminal = {"completed": "response.completed", "incomplete": "response.incomplete", "failed": "response.failed"}[script.status]
    ev(terminal, response=final)
    return events


# --------------------------------------------------------------- Chat


def served_model(body: dict[str, Any]) -> str:
    """The model an answer names, as the API does: the snapshot an alias points at
    (o4-mini answers as o4-mini-2025-04-16), any other name as asked."""
    model = body.get("model") or "o4-mini"
    return "o4-mini-2025-04-16" if model == "o4-mini" else str(model)


def chat_object(
    cid: str, script: Script, body: dict[str, Any], text: str, tool_calls: list[dict[str, Any]] | None = None
) -> dict[str, Any]:
    c = _counts(script, body, text, chat=True)
    message: dict[str, Any] = {"role": "assistant", "content": text, "refusal": None, "annotations": []}
    finish = "length" if script.status == "incomplete" else "stop"
    if tool_calls:
        message["content"], message["tool_calls"], finish = None, tool_calls, "tool_calls"
    return {
        "id": cid,
        "object": "chat.completion",
        "created": int(time.time()),
        "model": served_model(body),
        "choices": [{"index": 0, "message": message, "finish_reason": finish}],
        "usage": chat_usage(c),
        "service_tier": script.service_tier or body.get("service_tier") or "default",
    }


def chat_chunks(
    cid: str, script: Script, body: dict[str, Any], text: str, tool_calls: list[dict[str, Any]] | None = None
) -> list[dict[str, Any]]:
    base = {"id": cid, "object": "chat.completion.chunk", "created": int(time.time()), "model": served_model(body), "service_tier": "default"}
    chunks = [{**base, "choices": [{"index": 0, "delta": {"role": "assistant", "content": ""}, "finish_reason": None}], "usage": None}]
    for i in range(0, len(text), script.chunk):
        chunks.append({**base, "choices": [{"index": 0, "delta": {"content": text[i : i + script.chunk]}, "finish_reason": None}], "usage": None})
    for index, call in enumerate(tool_calls or []):
        first = {"index": index, "id": call["id"], "type": "function", "function": {"name": call["function"]["name"], "arguments": ""}}
        chunks.append({**base, "choices": [{"index": 0, "delta": {"tool_calls": [first]}, "finish_reason": None}], "usage": None})
        args = call["function"]["arguments"]
        for i in range(0, len(args), 5):
            part = {"index": index, "function": {"arguments": args[i : i + 5]}}
            chunks.append({**base, "choices": [{"index": 0, "delta": {"tool_calls": [part]}, "finish_reason": None}], "usage": None})
    finish = "tool_calls" if tool_calls else "length" if script.status == "incomplete" else "stop"
    chunks.append({**base, "choices": [{"index": 0, "delta": {}, "finish_reason": finish}], "usage": None})
    if (body.get("stream_options") or {}).get("include_usage"):
        chunks.append({**base, "choices": [], "usage": chat_usage(_counts(script, body, text, chat=True))})
    return chunks
