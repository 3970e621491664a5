"""Problems found in a user's input (a bad line, a bad grader field), and the one error
that carries them all to the user: ``InputProblems`` (exit 2, nothing was sent)."""

from __future__ import annotations

from dataclasses import dataclass

from o4cli.core.errors import UsageError

MAX_SHOWN = 50  # problems printed on stderr; --json carries them all
BOM = b"\xef\xbb\xbf"  # a UTF-8 byte-order mark, which some editors put at a file's start
JSON_ARRAY = "a JSON array, not JSON Lines (one object a line): convert it with  jq -c '.[]' FILE > FILE.jsonl"


def looks_like_json_array(first: bytes) -> bool:
    """Whether the first non-blank line opens a JSON array (``[`` or ``[{...}, ...]``)."""
    text = first.strip()
    if text == b"[":
        return True
    if not text.startswith(b"["):
        return False
    from o4cli.core import jsonload

    try:
        return isinstance(jsonload.loads(text), list)
    except ValueError:
        return text.startswith(b"[{")


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
