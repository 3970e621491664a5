"""Exit codes and the exceptions that carry them.

    O4Error (exit 1)
    ├── UsageError      (2)  bad flags, files or values; nothing was sent
    ├── ConfigError     (3)  configuration: no key, unknown profile, unsafe file
    ├── ApiError        (1)  the API refused or failed the request (other 4xx)
    │   ├── AuthError       (3)  401 or 403: the key, organization or project
    │   ├── RateLimitError  (4)  429 still hit after retries, or one waiting cannot cure
    │   └── ServerError     (5)  5xx still failing after retries
    ├── NetworkError    (5)  connection failure or timeout after retries
    ├── LedgerError     (1)  the local ledger cannot be opened or written
    ├── BudgetError     (6)  a --max-cost guard refused to send
    ├── WaitTimeout   (124)  ``o4 wait --timeout`` ran out; the call is still running
    └── Interrupted   (130)  Ctrl-C; what had arrived was kept

Only ``o4cli.__main__.main`` turns these into exit codes.
"""

from __future__ import annotations

from enum import IntEnum


class ExitCode(IntEnum):
    """Process exit codes (design.md section 3)."""

    OK = 0
    FAILURE = 1
    USAGE = 2
    CONFIG = 3
    RATE_LIMIT = 4
    NETWORK = 5
    BUDGET = 6
    TOOL_CALLS = 7
    TIMEOUT = 124  # as GNU timeout(1): the wait ran out, the work goes on
    INTERRUPTED = 130


EXIT_MEANINGS: dict[ExitCode, str] = {
    ExitCode.OK: "success",
    ExitCode.FAILURE: "the API refused or failed the request (4xx other than below), or another error",
    ExitCode.USAGE: "bad usage or bad input (flags, files, config values); nothing was sent",
    ExitCode.CONFIG: "authentication or configuration: no key, 401, 403, unknown profile, unsafe key file",
    ExitCode.RATE_LIMIT: "rate limit or quota still hit after retries (429), or a 429 no wait can cure",
    ExitCode.NETWORK: "network, timeout or server error still failing after retries (5xx)",
    ExitCode.BUDGET: "a budget guard (--max-cost) refused to send",
    ExitCode.TOOL_CALLS: "--tool-calls: the model asked for tool calls; they are on stdout, nothing was run",
    ExitCode.TIMEOUT: "o4 wait --timeout ran out; the background call is still running",
    ExitCode.INTERRUPTED: "interrupted (Ctrl-C); what had arrived is kept",
}


class O4Error(Exception):
    """An error meant for the user: one line of message, an optional hint."""

    exit_code: ExitCode = ExitCode.FAILURE

    def __init__(self, message: str, *, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint


class UsageError(O4Error):
    exit_code = ExitCode.USAGE


class ConfigError(O4Error):
    exit_code = ExitCode.CONFIG


class LedgerError(O4Error):
    exit_code = ExitCode.FAILURE


class BudgetError(O4Error):
    exit_code = ExitCode.BUDGET


class NetworkError(O4Error):
    exit_code = ExitCode.NETWORK


class ApiError(O4Error):
    """The API answered with an error status; carries what it said."""

    exit_code = ExitCode.FAILURE

    def __init__(
        self,
        message: str,
        *,
        status: int | None = None,
        type: str | None = None,
        code: str | None = None,
        param: str | None = None,
        request_id: str | None = None,
        hint: str | None = None,
    ) -> None:
        super().__init__(message, hint=hint)
        self.status = status
        self.type = type
        self.code = code
        self.param = param
        self.request_id = request_id

    def describe(self) -> str:
        """One line: status, type, code, param, message and request id."""
        head = " ".join(str(p) for p in (self.status, self.type) if p)
        extra = ", ".join(p for p in (self.code, f"param {self.param}" if self.param else None) if p)
        text = f"{head} ({extra})" if head and extra else head or extra
        text = f"{text}: {self.message}" if text else self.message
        if self.request_id:
            text += f" [request {self.request_id}]"
        return text


class AuthError(ApiError):
    exit_code = ExitCode.CONFIG


class RateLimitError(ApiError):
    exit_code = ExitCode.RATE_LIMIT


class ServerError(ApiError):
    exit_code = ExitCode.NETWORK


class WaitTimeout(O4Error):
    exit_code = ExitCode.TIMEOUT


class Interrupted(O4Error):
    exit_code = ExitCode.INTERRUPTED
