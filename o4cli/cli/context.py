"""AppContext: one invocation's options, streams and environment, and everything built
from them on first use (settings, API client, ledger, output)."""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Mapping
from contextvars import ContextVar
from dataclasses import dataclass, field
from functools import cached_property
from typing import IO, TYPE_CHECKING, Any

from o4cli.core import config

if TYPE_CHECKING:
    import httpx

    from o4cli.core.http.api import Api
    from o4cli.core.ledger import Ledger
    from o4cli.render import Out


class ReaderGone(Exception):
    """stdout's reader closed the pipe (``| head``); not an OSError, which typer would turn
    into a silent exit 1 before ``main()`` could apply its rule."""


# The invocation's context, for the one place that turns errors into exit codes.
CURRENT: ContextVar[AppContext | None] = ContextVar("o4_context", default=None)


@dataclass
class AppContext:
    """Global options plus everything derived from them, each built on first use.

    Streams and environment are read from here, never from ``sys``/``os`` directly, so a
    test hands in its own (``StringIO`` streams, a dict environment, a mock transport)."""

    profile: str | None = None
    verbose: bool = False
    quiet: bool = False
    plain: bool = False
    json: bool = False
    flags: dict[str, Any] = field(default_factory=dict)
    env: Mapping[str, str] = field(default_factory=lambda: os.environ)
    stdin: IO[str] = field(default_factory=lambda: sys.stdin)
    stdout: IO[str] = field(default_factory=lambda: sys.stdout)
    stderr: IO[str] = field(default_factory=lambda: sys.stderr)
    transport: httpx.BaseTransport | None = None
    async_transport: httpx.AsyncBaseTransport | None = None

    @cached_property
    def settings(self) -> config.Settings:
        return config.load_settings(self.env, profile=self.profile, flags=self.flags)

    @cached_property
    def api(self) -> Api:
        from o4cli.core.http.api import Api

        self.warn_key_in_clear()
        settings, transport = self.settings, self.transport
        if transport is not None:  # a test's mock transport: httpx alone
            from o4cli.core.http.client import build_client

            return Api(build_client(settings, transport=transport), settings, log=self.log, notice=self.notice)
        from o4cli.core.http.lite import lite_client

        lite = lite_client(settings, self.env)

        def client():  # noqa: ANN202 - built on the first request the lite client does not take
            from o4cli.core.http.client import build_client

            return build_client(settings, connections=lite.connections if lite else None)

        return Api(client, settings, lite=lite, log=self.log, notice=self.notice)

    def warn_key_in_clear(self) -> None:
        """One warning per invocation when the key would travel over plain http."""
        if not self.__dict__.get("_warned_clear"):
            self.__dict__["_warned_clear"] = True
            if message := self.settings.key_in_clear():
                self.warn(message)

    @cached_property
    def ledger(self) -> Ledger:
        from o4cli.core.ledger import Ledger

        return Ledger.open(self.settings.data_dir)

    @cached_property
    def out(self) -> Out:
        from o4cli.render import Out

        return Out(self.stdout, self.stderr, self.env, plain=self.plain, quiet=self.quiet)

    def override(self, flags: Mapping[str, Any] | None) -> AppContext:
        """Lay this command's settings overrides (``-m``, ``-e``; None: not given) over the profile's."""
        if flags:
            self.flags.update({k: v for k, v in flags.items() if v is not None})
        return self

    def close(self) -> None:
        """Close what was opened (the HTTP client, the ledger); nothing when nothing was."""
        if "api" in self.__dict__:
            self.api.close()
        if "ledger" in self.__dict__:
            self.ledger.close()

    def stdin_is_terminal(self) -> bool:
        try:
            return self.stdin.isatty()
        except (AttributeError, ValueError):
            return False

    def log(self, message: str) -> None:
        """A -v/--verbose line on stderr."""
        if self.verbose:
            self.out.log(message)

    def notice(self, message: str) -> None:
        """A status line on stderr, unless -q/--quiet."""
        self.out.notice(message)

    def warn(self, message: str) -> None:
        """A warning on stderr, always."""
        self.out.warn(message)


def apply_globals(app: AppContext, values: dict[str, Any]) -> AppContext:
    """Lay the global options given after the command over those given before it."""
    if values.get("profile"):
        app.profile = values["profile"]
    for name in ("verbose", "quiet", "plain", "json"):
        if values.get(name):
            setattr(app, name, True)
    return app


def invoke(fn: Callable[..., Any], *args: Any, **kw: Any) -> Any:
    """Run a command's body: a closed pipe becomes ``ReaderGone`` and Ctrl-C ``Interrupted``
    (typer would turn it into a silent exit 130; every Ctrl-C says so)."""
    try:
        return fn(*args, **kw)
    except BrokenPipeError:
        raise ReaderGone from None
    except KeyboardInterrupt:
        from o4cli.core.errors import Interrupted

        raise Interrupted("interrupted") from None
