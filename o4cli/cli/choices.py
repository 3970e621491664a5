"""The choices of the shared options (efforts, APIs, image detail) and ``-m``/``-e`` as
settings overrides: plain Python, no typer, so the quick lane (``cli.quick``) uses them too."""

from __future__ import annotations

from enum import StrEnum
from typing import Any


class Effort(StrEnum):
    """Every effort some model takes; each model's catalog entry says which it accepts."""

    none = "none"
    minimal = "minimal"
    low = "low"
    medium = "medium"
    high = "high"
    xhigh = "xhigh"


class ApiKind(StrEnum):
    responses = "responses"
    chat = "chat"


class Detail(StrEnum):
    low = "low"
    high = "high"
    auto = "auto"


def model_flags(model: str | None, effort: Effort | None) -> dict[str, Any]:
    """-m/-e as settings overrides (highest in the resolution order)."""
    return {"model": model, "effort": effort.value if effort else None}
