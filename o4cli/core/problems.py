"""Problems found in a user's input (a bad line, a bad grader field), and the one error
that carries them all to the user: ``InputProblems`` (exit 2, nothing was sent)."""

from __future__ import annotations

from dataclasses import dataclass

from o4cli.core.errors import UsageError

MAX_SHOWN = 50  # problems printed on stderr; --json carries them all


@dataclass
class Problem:
    """One problem: the line it is on (0: the whole file) and why."""

    line: int
    reason: str
    file: str | None = None

    def where(self) -> str:
        """``FILE:LINE: `` or ``FILE: `` (or ``o4: `` for a problem of no file)."""
        if self.file and self.line:
            return f"{self.file}:{self.line}: "
        return f"{self.file}: " if self.file else "o4: "

    def __str__(self) -> str:
        return f"{self.where()}{self.reason}"


class InputProblems(UsageError):
    """Every problem of an input, to be listed (``FILE:LINE: reason``) before the error line."""

    def __init__(self, problems: list[Problem], what: str, *, noun: str = "problem", hint: str | None = None) -> None:
        n = len(problems)
        super().__init__(
            f"{n:,} {noun}{'s' if n != 1 else ''} found; {what}",
            hint=hint or "fix the lines above and run the command again",
        )
        self.problems = problems
