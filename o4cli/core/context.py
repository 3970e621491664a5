"""AppContext: one invocation's options, settings, client, API and ledger, built lazily."""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cached_property
from typing import TYPE_CHECKING, Any

from o4cli.core import config

if TYPE_CHECKING:
    import httpx

    from o4cli.core.api import Api
    from o4cli.core.ledger import Ledger


@dataclass
class AppContext:
    """Global options plus everything derived from them, each built on first use."""

    profile: str | None = None
    verbose: bool = False
    quiet: bool = False
    plain: bool = False
    json: bool = False
    flags: dict[str, Any] = field(default_factory=dict)
    env: Mapping[str, str] = field(default_factory=lambda: os.environ)
    transport: httpx.BaseTransport | None = None

    @cached_property
    def settings(self) -> config.Settings:
        return config.load_settings(self.env, profile=self.profile, flags=self.flags)

    @cached_property
    def api(self) -> Api:
        from o4cli.core.api import Api
        from o4cli.core.client import build_client

        client = build_client(self.settings, transport=self.transport)
        return Api(client, self.settings, log=self.log, notice=self.notice)

    @cached_property
    def ledger(self) -> Ledger:
        from o4cli.core.ledger import Ledger

        return Ledger.open(self.settings.data_dir)

    def log(self, message: str) -> None:
        """A -v/--verbose line on stderr."""
        if self.verbose:
            sys.stderr.write(f"o4: {message}\n")
            sys.stderr.flush()

    def notice(self, message: str) -> None:
        """A status line on stderr, unless -q/--quiet."""
        if not self.quiet:
            sys.stderr.write(f"o4: {message}\n")
            sys.stderr.flush()
