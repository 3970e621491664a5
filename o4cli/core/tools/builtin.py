"""OpenAI's built-in tools and remote MCP servers, as Responses API tool entries.

``--code-interpreter`` (an ``auto`` container), ``--file-search VECTOR_STORE_ID``
(repeatable, one tool over all the stores), ``--mcp LABEL=URL`` with ``--mcp-allow TOOL``.
An MCP server's token comes from the environment only: ``O4_MCP_<LABEL>_TOKEN`` (the
label upper-cased, other characters as ``_``) becomes ``Authorization: Bearer <token>``.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from o4cli.core.errors import UsageError

LABEL = re.compile(r"^[A-Za-z0-9_-]{1,64}$")
REDACTED = "Bearer ***"


@dataclass(frozen=True)
class Builtins:
    code_interpreter: bool = False
    vector_stores: tuple[str, ...] = ()
    mcp: tuple[str, ...] = ()  # LABEL=URL
    mcp_allow: tuple[str, ...] = ()

    def __bool__(self) -> bool:
        return bool(self.code_interpreter or self.vector_stores or self.mcp)


def token_variable(label: str) -> str:
    return "O4_MCP_" + re.sub(r"[^A-Za-z0-9]", "_", label).upper() + "_TOKEN"


def tools(b: Builtins, env: Mapping[str, str]) -> list[dict[str, Any]]:
    """The request's built-in tool entries (checked; tokens read from ``env``)."""
    out: list[dict[str, Any]] = []
    if b.code_interpreter:
        out.append({"type": "code_interpreter", "container": {"type": "auto"}})
    if b.vector_stores:
        for vs in b.vector_stores:
            if not vs.strip() or any(c.isspace() for c in vs):
                raise UsageError(f"--file-search {vs!r}: give a vector store id (vs_...)")
        out.append({"type": "file_search", "vector_store_ids": list(b.vector_stores)})
    if b.mcp_allow and not b.mcp:
        raise UsageError("--mcp-allow goes with --mcp LABEL=URL")
    labels: set[str] = set()
    for item in b.mcp:
        label, sep, url = item.partition("=")
        label = label.strip()
        if not sep or not LABEL.match(label):
            raise UsageError(f"--mcp {item!r}: expected LABEL=URL (label: letters, digits, _ or -)")
        parts = urlsplit(url.strip())
        if parts.scheme not in ("https", "http") or not parts.netloc:
            raise UsageError(f"--mcp {label}: {url!r} is not an http(s) URL")
        if parts.username or parts.password:
            raise UsageError(
                f"--mcp {label}: no credentials in the URL; they would be sent and shown",
                hint=f"put the token in {token_variable(label)}",
            )
        if label in labels:
            raise UsageError(f"--mcp {label}: the label is given twice")
        labels.add(label)
        entry: dict[str, Any] = {"type": "mcp", "server_label": label, "server_url": url.strip()}
        if b.mcp_allow:
            entry["allowed_tools"] = list(b.mcp_allow)
        token = env.get(token_variable(label))
        if token:
            entry["headers"] = {"Authorization": f"Bearer {token}"}
        out.append(entry)
    return out


def redact(body: dict[str, Any]) -> dict[str, Any]:
    """``body`` with every MCP header value hidden (for --dry-run and anything shown)."""
    tools_ = body.get("tools")
    if not isinstance(tools_, list) or not any(isinstance(t, dict) and t.get("headers") for t in tools_):
        return body
    hidden = [
        {**t, "headers": {k: "***" for k in t["headers"]}} if isinstance(t, dict) and t.get("headers") else t
        for t in tools_
    ]
    return {**body, "tools": hidden}


def secret_variables(b: Builtins) -> tuple[str, ...]:
    return tuple(token_variable(item.partition("=")[0].strip()) for item in b.mcp)
