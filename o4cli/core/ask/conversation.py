"""Conversations that survive: what ``-c``/``--cid`` continue, and how.

The Responses API chains turns server-side with ``previous_response_id``, but does not carry
``instructions`` over it, forgets responses sent with ``store=false`` (and all of them after 30
days), and Chat Completions keeps no state at all. So o4 keeps the conversation itself (in the
history) and, for each new turn, either chains (Responses, the last turn stored) and sends the
instructions again, or replays the earlier turns as input: user and assistant messages, and
on Responses the reasoning items that came back as encrypted content (``store=false`` turns,
which o4 sends with ``include: ["reasoning.encrypted_content"]``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from o4cli.core import history as history_mod
from o4cli.core.errors import ApiError, UsageError
from o4cli.core.runtime import Runtime
from o4cli.core.tokens import count_text

RESPONSES = "responses"


@dataclass
class Continuation:
    """Where a call sits in a conversation, and what it inherits."""

    conversation: str
    turns: list[history_mod.Turn] = field(default_factory=list)  # earlier answered turns, oldest first
    previous_response_id: str | None = None  # chain server-side (else replay the turns, if any)
    system: str | None = None
    model: str | None = None
    effort: str | None = None
    new: bool = True  # no earlier turn: the first of its conversation

    @property
    def earlier_tokens(self) -> int:
        """An estimate of the earlier turns' size (they are input again, chained or replayed)."""
        if not self.turns:
            return 0
        text = "\n".join(f"{t.prompt}\n{t.answer}" for t in self.turns)
        return count_text(text).tokens + 4 * len(self.turns)

    @property
    def images_dropped(self) -> bool:
        return any(t.images for t in self.turns)


def start(
    rt: Runtime, *, cont: bool, cid: str | None, logging: bool, history: history_mod.History | None
) -> Continuation:
    """The continuation a call asks for: a new conversation, the profile's latest (``-c``),
    or the one named (``--cid``: a conversation id, or a response id o4 recorded)."""
    if cont and cid:
        raise UsageError("give --continue or --cid, not both")
    profile = rt.settings.profile
    if not cont and not cid:
        return Continuation(history_mod.new_conversation_id())
    conversation = None
    if history is not None:
        if cont:
            conversation = history.latest_conversation(profile)
        else:
            conversation = cid if history.turns(cid) else history.conversation_of(cid)  # type: ignore[arg-type]
    if conversation is None:
        # No turn in o4's history: a response id chains server-side (today's -c on a
        # history turned off); any other name starts a conversation by that name.
        rid = cid if cid and cid.startswith("resp_") else None
        if cont:
            rid = rt.ledger.last_response_id(profile)
            if rid is None:
                raise UsageError(
                    f"no earlier conversation to continue for profile '{profile}'", hint="ask once without -c first"
                )
        if rid:
            if rt.settings.api != RESPONSES:
                raise UsageError(
                    f"{rid} is a Responses API response and o4's history has no copy of it to send again",
                    hint="continue it with --api responses",
                )
            rt.notice(
                f"note: o4's history has no copy of {rid}; continuing it server-side"
                " (its instructions, model and effort are not known)"
            )
            return Continuation(history_mod.new_conversation_id(), previous_response_id=rid, new=False)
        if not logging:
            raise UsageError(f"--cid {cid}: no such conversation, and the history is off to start one")
        rt.notice(f"new conversation '{cid}'")
        return Continuation(cid)  # type: ignore[arg-type]
    assert history is not None
    turns = [t for t in history.turns(conversation) if t.answered]
    if cid and cid != conversation:  # a response id: continue from that very turn
        upto = next((i for i, t in enumerate(turns) if t.response_id == cid), len(turns) - 1)
        turns = turns[: upto + 1]
    last = turns[-1] if turns else None
    c = Continuation(conversation, turns, new=not turns)
    if last is None:
        return c
    c.system = next((t.system for t in reversed(turns) if t.system), None)
    c.model, c.effort = last.model, last.effort
    if rt.settings.api == RESPONSES and last.api == RESPONSES and last.stored and last.response_id:
        c.previous_response_id = last.response_id
    return c


def replay_items(c: Continuation, api: str) -> tuple[dict[str, Any], ...]:
    """The earlier turns as input items (Responses) or messages (Chat Completions)."""
    items: list[dict[str, Any]] = []
    for t in c.turns:
        items.append({"role": "user", "content": t.prompt})
        kept = t.items if api == RESPONSES and t.api == RESPONSES else None
        if kept:
            items.extend(kept)
        elif t.answer:
            items.append({"role": "assistant", "content": t.answer})
    return tuple(items)


def kept_items(output: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The output items worth keeping to replay a ``store=false`` turn: reasoning items that
    carry encrypted content, and the message that follows them, as input items."""
    kept: list[dict[str, Any]] = []
    for item in output:
        if item.get("type") == "reasoning" and item.get("encrypted_content"):
            kept.append(
                {
                    "type": "reasoning",
                    "id": item["id"],
                    "summary": [{"type": "summary_text", "text": s.get("text", "")} for s in item.get("summary") or []],
                    "encrypted_content": item["encrypted_content"],
                }
            )
        elif item.get("type") == "message" and kept:
            text = "".join(p.get("text") or "" for p in item.get("content") or [] if p.get("type") == "output_text")
            kept.append(
                {
                    "type": "message",
                    "id": item["id"],
                    "role": "assistant",
                    "status": "completed",
                    "content": [{"type": "output_text", "text": text, "annotations": [], "logprobs": []}],
                }
            )
    return kept


def forgotten(exc: ApiError) -> bool:
    """Whether the API said the previous response is gone (``store=false``, expired, deleted)."""
    if exc.code == "previous_response_not_found":
        return True
    return exc.status in (400, 404) and exc.param == "previous_response_id" and "not found" in exc.message.lower()


def advance(c: Continuation, r: Any, *, prompt: str, system: str | None) -> None:
    """Add a finished call to a conversation kept in memory (``o4 chat``): an answered turn
    becomes context for the next, and on Responses a stored one is chained from."""
    if r.status not in history_mod.ANSWERED:
        return  # a cancelled or failed turn is not context
    opts = r.request
    stored = opts.api == RESPONSES and opts.extra.get("store") is not False
    c.turns.append(
        history_mod.Turn(
            id=r.turn_id or 0, created_at="", conversation=c.conversation, request_id=r.ledger_id,
            profile=None, command="chat", api=opts.api, model=opts.model, effort=opts.effort, system=system,
            prompt=prompt, answer=r.answer.text, response_id=r.answer.response_id, status=r.status, stored=stored,
            items=kept_items(r.answer.items) if opts.api == RESPONSES and not stored else None,
        )
    )  # fmt: skip
    c.previous_response_id = r.answer.response_id if stored and r.answer.response_id else None
    c.new = False
