"""Request bodies for ``ask``/``stream`` (Responses or Chat Completions), and the
checks made before anything is sent: model rules, budget and context window."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from o4cli.core import catalog, jsonload
from o4cli.core import tokens as tokens_mod
from o4cli.core.ask.prompt import Prompt
from o4cli.core.cost import format_usd, worst_case
from o4cli.core.errors import BudgetError, UsageError
from o4cli.core.tokens import Estimate, estimate_prompt

RESPONSES = "responses"
CHAT = "chat"
ENDPOINTS = {RESPONSES: "/v1/responses", CHAT: "/v1/chat/completions"}
MIN_OUTPUT = 16  # the Responses API's floor for max_output_tokens
RESERVE_HINT = 25_000  # OpenAI's advice for reasoning + answer


@dataclass(frozen=True)
class Options:
    """What the user asked for, beyond the prompt."""

    model: str
    api: str = RESPONSES
    effort: str | None = None
    max_output: int | None = None
    schema: tuple[str, dict[str, Any]] | None = None  # (name, strict schema)
    flex: bool = False
    previous_response_id: str | None = None
    stream: bool = False
    summary: bool = False  # ask for a reasoning summary (Responses only)
    background: bool = False  # run on the server, fetched later (Responses only; needs store)
    extra: dict[str, Any] = field(default_factory=dict)  # -o KEY=VALUE
    # a conversation's earlier turns, sent again as input (core/ask/conversation.py)
    replay: tuple[dict[str, Any], ...] = ()
    encrypted_reasoning: bool = False  # ask for reasoning items as encrypted content (store=false)


def parse_option(item: str) -> tuple[str, Any]:
    """``KEY=VALUE`` with the value parsed as JSON where it parses (``--param store=false``)."""
    key, sep, raw = item.partition("=")
    key = key.strip()
    if not sep or not key:
        raise UsageError(
            f"--param {item!r}: expected KEY=VALUE",
            hint='for example --param store=false or --param metadata=\'{"run":"1"}\'',
        )
    try:
        value = jsonload.loads(raw)
    except jsonload.TooDeep as exc:
        raise UsageError(f"--param {key}: {exc.msg}") from None
    except json.JSONDecodeError:
        value = raw
    return key, value


METADATA_PAIRS = 16  # the API's limit on metadata pairs


def parse_metadata(items: list[str], *, reserved: int) -> dict[str, str]:
    """``--metadata KEY=VALUE`` pairs, checked against the API's limits; ``reserved`` pairs
    (keys starting ``o4_``) are o4's own, to find its batches and jobs again."""
    meta: dict[str, str] = {}
    for item in items:
        key, sep, value = item.partition("=")
        if not sep or not key:
            raise UsageError(f"--metadata {item!r}: expected KEY=VALUE")
        if len(key) > 64 or len(value) > 512:
            raise UsageError(f"--metadata {key}: keys take at most 64 characters, values 512")
        if key.startswith("o4_"):
            raise UsageError(f"--metadata {key}: keys starting with o4_ are o4's own")
        meta[key] = value
    if len(meta) > METADATA_PAIRS - reserved:
        raise UsageError(
            f"--metadata: at most {METADATA_PAIRS - reserved} pairs "
            f"(the API takes {METADATA_PAIRS}; o4 uses {reserved})"
        )
    return meta


def _set_dotted(body: dict[str, Any], key: str, value: Any) -> None:
    node = body
    parts = key.split(".")
    for part in parts[:-1]:
        nxt = node.get(part)
        if not isinstance(nxt, dict):
            nxt = {}
            node[part] = nxt
        node = nxt
    node[parts[-1]] = value


# Body fields o4 sets itself, and the flag that sets each: --param cannot override them
# (``--param stream=true`` on ask would be sent, billed and misread).
OWNED = {
    "model": "-m/--model",
    "input": "the prompt (words, stdin, -f, -i)",
    "messages": "the prompt (words, stdin, -f, -i)",
    "instructions": "-s/--system",
    "stream": "`o4 stream`",
    "stream_options": "`o4 stream`",
    "previous_response_id": "-c/--continue or --cid",
    "max_output_tokens": "--max-output",
    "max_completion_tokens": "--max-output",
    "service_tier": "--flex",
    "reasoning_effort": "-e/--effort",
    "reasoning.effort": "-e/--effort",
    "response_format": "--schema",
    "text.format": "--schema",
    "background": "--background (or `o4 stream --resumable`)",
}


def check_owned(extra: dict[str, Any]) -> None:
    """Refuse a --param for a field o4 sets itself, naming the flag to use instead."""
    for key in extra:
        parts = key.split(".")
        for owned in (parts[0], ".".join(parts[:2])):
            if owned in OWNED:
                raise UsageError(f"--param {key}: o4 sets {owned!r} itself; use {OWNED[owned]} instead")


def check_model_rules(opts: Options, *, images: int = 0) -> catalog.Model | None:
    """Refuse, before sending, what the model's catalog entry says it rejects: parameters,
    efforts, verbosity, output above its maximum, images it cannot see, an API it lacks.
    A model o4 does not know is sent as it is (its own server decides)."""
    check_owned(opts.extra)
    if opts.background and opts.extra.get("store") is False:
        # The background guide: "Background sampling requires store=true".
        raise UsageError("--param store=false: a background call needs store=true (the API keeps it to be fetched)")
    model = catalog.find(opts.model)
    if model is None:
        return None
    for key in opts.extra:
        top = key.split(".")[0]
        if top in model.rejected_params:
            raise UsageError(
                f"--param {key}: {model.id} does not accept '{top}': {model.rejected_params[top]}",
            )
    verbosity = opts.extra.get("text.verbosity", opts.extra.get("verbosity"))
    if verbosity is None and isinstance(opts.extra.get("text"), dict):
        verbosity = opts.extra["text"].get("verbosity")
    if verbosity is not None and verbosity not in model.verbosity:
        takes = f"takes {', '.join(model.verbosity)}" if model.verbosity else "does not take a verbosity"
        raise UsageError(f"verbosity {verbosity!r}: {model.id} {takes}", hint=_unconfirmed(model, "verbosity"))
    if opts.effort and model.efforts and opts.effort not in model.efforts:
        raise UsageError(
            f"--effort {opts.effort}: {model.id} takes {', '.join(model.efforts)}", hint=_unconfirmed(model, "efforts")
        )
    if opts.max_output is not None and model.max_output and opts.max_output > model.max_output:
        raise UsageError(
            f"--max-output {opts.max_output:,} is above {model.id}'s maximum of {model.max_output:,}",
            hint=_unconfirmed(model, "max_output"),
        )
    if images and not model.accepts_images:
        raise UsageError(
            f"-i/--image: {model.id} takes {' and '.join(model.input_modalities)} input, not images",
            hint=_unconfirmed(model, "input_modalities") or "choose a model that sees images (-m o4-mini)",
        )
    endpoint = ENDPOINTS[opts.api]
    if model.endpoints and endpoint not in model.endpoints:
        raise UsageError(
            f"--api {opts.api}: {model.id} is not served on {endpoint} (it is on {', '.join(model.endpoints)})",
            hint=_unconfirmed(model, "endpoints"),
        )
    return model


def _unconfirmed(model: catalog.Model, path: str) -> str | None:
    """A hint when the refusal rests on a fact o4 could not confirm: how to correct it."""
    if model.is_unconfirmed(path):
        return f"o4's {path} for {model.id} is unconfirmed: correct it in models.toml (README 'Models')"
    return None


def build_body(prompt: Prompt, opts: Options) -> dict[str, Any]:
    """The exact JSON body for the chosen API."""
    if opts.max_output is not None and opts.max_output < MIN_OUTPUT:
        raise UsageError(f"--max-output must be at least {MIN_OUTPUT}")
    if opts.api == CHAT:
        body = _chat_body(prompt, opts)
    else:
        body = _responses_body(prompt, opts)
    for key, value in opts.extra.items():
        _set_dotted(body, key, value)
    if opts.encrypted_reasoning and opts.api == RESPONSES:
        include = body.get("include") if isinstance(body.get("include"), list) else []
        if "reasoning.encrypted_content" not in include:
            body["include"] = [*include, "reasoning.encrypted_content"]
    return body


def _responses_body(prompt: Prompt, opts: Options) -> dict[str, Any]:
    body: dict[str, Any] = {"model": opts.model}
    if prompt.images:
        content: list[dict[str, Any]] = []
        if prompt.text:
            content.append({"type": "input_text", "text": prompt.text})
        content.extend({"type": "input_image", "image_url": i.url, "detail": prompt.detail} for i in prompt.images)
        body["input"] = [{"role": "user", "content": content}]
    else:
        body["input"] = prompt.text
    if opts.replay:
        current = body["input"]
        turn = current if isinstance(current, list) else [{"role": "user", "content": current}]
        body["input"] = [*opts.replay, *turn]
    if prompt.system:
        body["instructions"] = prompt.system
    reasoning: dict[str, Any] = {}
    if opts.effort:
        reasoning["effort"] = opts.effort
    if opts.summary:
        reasoning["summary"] = "auto"
    if reasoning:
        body["reasoning"] = reasoning
    if opts.max_output is not None:
        body["max_output_tokens"] = opts.max_output
    if opts.previous_response_id:
        body["previous_response_id"] = opts.previous_response_id
    if opts.schema:
        name, schema = opts.schema
        body["text"] = {"format": {"type": "json_schema", "name": name, "strict": True, "schema": schema}}
    if opts.flex:
        body["service_tier"] = "flex"
    if opts.stream:
        body["stream"] = True
    if opts.background:
        body["background"] = True
        body["store"] = True
    return body


def _chat_body(prompt: Prompt, opts: Options) -> dict[str, Any]:
    if opts.previous_response_id:
        raise UsageError(
            "--continue/--cid need the Responses API: Chat Completions keeps no conversation state",
            hint="drop --api chat (or set the profile's api to responses)",
        )
    messages: list[dict[str, Any]] = []
    if prompt.system:
        messages.append({"role": "developer", "content": prompt.system})
    messages.extend(m for m in opts.replay if "role" in m and "type" not in m)
    if prompt.images:
        parts: list[dict[str, Any]] = []
        if prompt.text:
            parts.append({"type": "text", "text": prompt.text})
        parts.extend({"type": "image_url", "image_url": {"url": i.url, "detail": prompt.detail}} for i in prompt.images)
        messages.append({"role": "user", "content": parts})
    else:
        messages.append({"role": "user", "content": prompt.text})
    body: dict[str, Any] = {"model": opts.model, "messages": messages}
    if opts.effort:
        body["reasoning_effort"] = opts.effort
    if opts.max_output is not None:
        body["max_completion_tokens"] = opts.max_output
    if opts.schema:
        name, schema = opts.schema
        body["response_format"] = {
            "type": "json_schema",
            "json_schema": {"name": name, "strict": True, "schema": schema},
        }
    if opts.flex:
        body["service_tier"] = "flex"
    if opts.stream:
        body["stream"] = True
        body["stream_options"] = {"include_usage": True}
    return body


class Plan:
    """What o4 knows before sending: the input count (made only when something needs it:
    the vocabulary takes a moment to load), the output budget and the worst case."""

    def __init__(
        self,
        count: Callable[[], Estimate],
        max_output: int | None,
        price: catalog.Price | None,
        pricing: str,
        earlier: int = 0,
    ) -> None:
        self._count = count
        self.earlier = earlier  # a conversation's earlier turns, input again (an estimate)
        self._input: Estimate | None = None
        self.max_output = max_output
        self.price = price
        self.pricing = pricing

    @property
    def input(self) -> Estimate:
        if self._input is None:
            self._input = self._count()
        return self._input

    @property
    def worst_cost(self) -> Decimal | None:
        if self.price is None or self.max_output is None:
            return None
        return worst_case(self.input.tokens + self.earlier, self.max_output, self.price)


def count_prompt(prompt: Prompt, model: catalog.Model | None) -> Estimate:
    """The prompt's input tokens with the model's tokenizer and image formula."""
    return estimate_prompt(
        prompt.text,
        prompt.system,
        [i.size for i in prompt.images],
        tokenizer=model.tokenizer if model else None,
        image_formula=model.image_tokens if model else None,
        detail=prompt.detail,
    )


def plan(
    prompt: Prompt,
    opts: Options,
    model: catalog.Model | None,
    *,
    max_cost: Decimal | None,
    fallback: bool = False,
    earlier: int = 0,
) -> Plan:
    """Refuse a prompt that cannot fit or a worst case over budget; ``--max-cost`` for a
    model o4 cannot price is refused too (exit 2: nothing would bound the cost).

    With ``fallback`` (``--flex-fallback``) the call may end at the standard price, so
    the budget is checked at that price. The exact count is made only when the byte bound
    does not settle the question."""
    pricing = "flex" if opts.flex and not fallback else "standard"
    price = catalog.price_for(opts.model, pricing)
    if max_cost is not None and price is None:
        raise UsageError(
            f"--max-cost: o4 has no {pricing} price for '{opts.model}', so it cannot promise a ceiling; "
            "nothing was sent",
            hint=f'give its prices in models.toml ([models."{catalog.canonical(opts.model)}".prices]; '
            "README 'Models'), or drop --max-cost",
        )
    budget = opts.max_output if opts.max_output is not None else (model.max_output if model else None)
    p = Plan(lambda: count_prompt(prompt, model), budget, price, pricing, earlier)
    image_max = tokens_mod.image_tokens(None, model.image_tokens if model else None)
    upper = tokens_mod.prompt_bound(prompt.text, prompt.system, len(prompt.images), image_max)
    context = model.context_window if model else None
    if context is not None and earlier and upper + earlier + (opts.max_output or 0) > context:
        est = p.input
        if est.tokens + earlier + (opts.max_output or 0) > context:
            raise UsageError(
                f"the conversation no longer fits {model.id}'s {context:,}-token context: its earlier turns are "
                f"~{earlier:,} tokens, this prompt {est.label}"
                + (f", --max-output {opts.max_output:,}" if opts.max_output else ""),
                hint="start a new conversation (leave out -c/--cid), or carry over a summary of this one",
            )
    if context is not None and upper + (opts.max_output or 0) > context:
        est = p.input
        needed = est.tokens + (opts.max_output or 0)
        if est.tokens >= context or needed > context:
            raise UsageError(
                f"the prompt does not fit {model.id}'s {context:,}-token context: input {est.label}"
                + (f" plus --max-output {opts.max_output:,}" if opts.max_output else ""),
                hint="shorten the input" + (" or lower --max-output" if opts.max_output else ""),
            )
    if max_cost is not None and price is not None:
        if budget is None:
            raise UsageError(
                f"--max-cost: o4 does not know {opts.model}'s maximum output, so it cannot bound the cost",
                hint="give --max-output N (or max_output in models.toml)",
            )
        if worst_case(upper + earlier, budget, price) > max_cost:  # the bound cannot settle it: count
            worst = p.worst_cost
            assert worst is not None
            if worst > max_cost:
                raise BudgetError(
                    f"--max-cost {format_usd(max_cost)}: the worst case is {format_usd(worst)} "
                    f"(input {p.input.label}{f' + ~{earlier:,} from earlier turns' if earlier else ''}"
                    f" + {budget:,} output tokens at the {pricing} price); nothing was sent",
                    hint="lower --max-output, shorten the input, or raise --max-cost",
                )
    return p
