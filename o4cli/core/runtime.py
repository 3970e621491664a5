"""What a use case in core needs from the invocation: settings, the API, the ledger, and
three ways to tell the user something. ``cli.context.AppContext`` provides it; tests
pass their own. Core never prints: it calls these."""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    import httpx

    from o4cli.core.config import Settings
    from o4cli.core.http.api import Api
    from o4cli.core.ledger import Ledger


class Runtime(Protocol):
    settings: Settings
    api: Api
    ledger: Ledger
    quiet: bool
    async_transport: httpx.AsyncBaseTransport | None

    def log(self, message: str) -> None:
        """A -v/--verbose line (HTTP requests, retry decisions)."""

    def notice(self, message: str) -> None:
        """A status line, unless -q/--quiet."""

    def warn(self, message: str) -> None:
        """A warning, always shown (e.g. a ledger row that could not be written)."""

    def warn_key_in_clear(self) -> None:
        """Warn (once) when the key would travel over plain http to another machine."""
