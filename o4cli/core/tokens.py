"""Token estimates before sending: o200k_base when its vocabulary is on disk, else a
clearly labelled heuristic. The API's ``usage`` is the truth afterwards."""

from __future__ import annotations

import hashlib
import math
import os
import tempfile
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

O200K_URL = "https://openaipublic.blob.core.windows.net/encodings/o200k_base.tiktoken"
CHARS_PER_TOKEN = 4.0
MESSAGE_OVERHEAD = 3  # per message, plus 3 to prime the reply (cookbook recipe)
IMAGE_MULTIPLIER = 1.72  # o4-mini's patch multiplier (vision guide)
MAX_PATCHES = 1536


@dataclass(frozen=True)
class Estimate:
    tokens: int
    method: str  # "o200k_base" or "heuristic"

    @property
    def label(self) -> str:
        if self.method == "o200k_base":
            return f"{self.tokens:,} (o200k_base)"
        return f"~{self.tokens:,} (estimate: 4 characters a token; install tiktoken for o200k_base)"


@lru_cache(maxsize=1)
def _encoding() -> Any:
    """tiktoken's o200k_base, only when installed *and* already cached: never download."""
    try:
        import tiktoken
    except ImportError:
        return None
    cache = os.environ.get("TIKTOKEN_CACHE_DIR") or os.path.join(tempfile.gettempdir(), "data-gym-cache")
    if not os.path.exists(os.path.join(cache, hashlib.sha1(O200K_URL.encode()).hexdigest())):
        return None
    try:
        return tiktoken.get_encoding("o200k_base")
    except Exception:  # noqa: BLE001 - any failure means: fall back to the heuristic
        return None


def count_text(text: str) -> Estimate:
    enc = _encoding()
    if enc is not None:
        return Estimate(len(enc.encode(text, disallowed_special=())), "o200k_base")
    return Estimate(math.ceil(len(text) / CHARS_PER_TOKEN), "heuristic")


def image_tokens(size: tuple[int, int] | None) -> int:
    """o4-mini's patch formula; an unknown size counts as the 1,536-patch maximum."""
    if not size:
        return math.ceil(MAX_PATCHES * IMAGE_MULTIPLIER)
    w, h = size
    patches = math.ceil(w / 32) * math.ceil(h / 32)
    if patches > MAX_PATCHES:
        r = math.sqrt(32 * 32 * MAX_PATCHES / (w * h))
        r *= min(math.floor(w * r / 32) / (w * r / 32), math.floor(h * r / 32) / (h * r / 32))
        # after the shrink one side fits whole patches; the other is cut to whole ones
        patches = min(math.floor(w * r / 32 + 1e-6) * math.floor(h * r / 32 + 1e-6), MAX_PATCHES)
    return math.ceil(patches * IMAGE_MULTIPLIER)


def estimate_prompt(text: str, system: str | None, image_sizes: list[tuple[int, int] | None]) -> Estimate:
    """Input tokens of one prompt: text, instructions, images and message overhead."""
    body = count_text(text)
    n = body.tokens + MESSAGE_OVERHEAD * 2
    if system:
        n += count_text(system).tokens + MESSAGE_OVERHEAD
    n += sum(image_tokens(s) for s in image_sizes)
    return Estimate(n, body.method)
