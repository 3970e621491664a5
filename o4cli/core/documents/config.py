"""The documents of ``o4 config``."""

from __future__ import annotations

from typing import Any


def show(settings: Any) -> dict[str, Any]:
    """``config show``: every resolved setting (key redacted) and where each comes from."""
    return {**settings.public(), "sources": settings.sources}


def value(key: str, value: Any, profile: str | None) -> dict[str, Any]:
    """``config get|set|unset --json``: the key, its value (null after unset), the profile."""
    return {"key": key, "value": value, "profile": profile or None}


def paths(config: Any, data: Any) -> dict[str, str]:
    """``config path --json``."""
    return {"config": str(config), "data": str(data)}


def created(path: Any) -> dict[str, str]:
    """``config init --json``."""
    return {"path": str(path)}
