"""Ctrl-C held while a background call is being created: the server has the call as soon
as the request is out, so o4 waits for its id and writes it to the ledger before it
stops. A second Ctrl-C stops at once (the id is then lost)."""

from __future__ import annotations

import signal
import threading
from collections.abc import Callable
from types import FrameType, TracebackType


class HeldInterrupt:
    """``with HeldInterrupt(notice) as hold: ...; hold.release()``: a Ctrl-C inside the
    block is kept until ``release()``, which raises it then (``KeyboardInterrupt``)."""

    def __init__(self, notice: Callable[[str], None]) -> None:
        self.notice = notice
        self.pending = False
        self._previous: object = None
        self._active = False

    def __enter__(self) -> HeldInterrupt:
        # Only the main thread may handle signals; an ignored SIGINT stays ignored.
        if threading.current_thread() is threading.main_thread():
            current = signal.getsignal(signal.SIGINT)
            if current not in (signal.SIG_IGN, None):
                self._previous = signal.signal(signal.SIGINT, self._handle)
                self._active = True
        return self

    def _handle(self, signum: int, frame: FrameType | None) -> None:
        if self.pending:
            raise KeyboardInterrupt
        self.pending = True
        self.notice("Ctrl-C: waiting for the call's id to keep it in the ledger (Ctrl-C again stops now and loses it)")

    def _restore(self) -> None:
        if self._active:
            signal.signal(signal.SIGINT, self._previous)  # type: ignore[arg-type]
            self._active = False

    def release(self) -> None:
        """Give Ctrl-C back; raise the one that came while it was held."""
        self._restore()
        if self.pending:
            self.pending = False
            raise KeyboardInterrupt

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None) -> None:
        self._restore()
