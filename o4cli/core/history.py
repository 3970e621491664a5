"""The history: every prompt o4 sent and the answer it got, in the ledger's database.

A turn is one ``ask``/``stream``/``chat`` call: the prompt text as sent (words, stdin and
``-f`` files), the instructions, the names of attached files, images as digests (never their
bytes), the options, the answer and reasoning summary, and the ledger row that holds its
tokens and cost. Turns are grouped in conversations (``-c``, ``--cid``). Keys are never here.
The table and its FTS5 index are made by the ledger's migration ``m004_history``.
"""

from __future__ import annotations

import hashlib
import json
import os
import sqlite3
from dataclasses import dataclass, field
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from o4cli.core.errors import LedgerError

if TYPE_CHECKING:
    from o4cli.core.ask.prompt import Image
    from o4cli.core.ledger import Ledger

ANSWERED = ("ok", "incomplete")  # turns whose answer counts as context for the next one


def new_conversation_id() -> str:
    """A fresh conversation id: ``c_`` and ten hex digits."""
    return "c_" + os.urandom(5).hex()


def image_record(image: Image) -> dict[str, Any]:
    """What the history keeps of an image: a URL as given, a file as its SHA-256 digest."""
    if image.url.startswith("data:"):
        digest = hashlib.sha256(image.url.encode()).hexdigest()
        return {"source": image.source, "sha256": digest, "media_type": image.media_type, "bytes": image.nbytes}
    return {"source": image.source, "url": image.url}


@dataclass
class Turn:
    id: int
    created_at: str
    conversation: str
    request_id: int | None
    profile: str | None
    command: str
    api: str | None
    model: str | None
    effort: str | None
    system: str | None
    prompt: str
    files: list[str] = field(default_factory=list)
    images: list[dict[str, Any]] = field(default_factory=list)
    options: dict[str, Any] = field(default_factory=dict)
    answer: str = ""
    summary: str | None = None
    response_id: str | None = None
    status: str | None = None
    stored: bool = True
    items: list[dict[str, Any]] | None = None
    steps: list[dict[str, Any]] = field(default_factory=list)  # a tool chain's calls
    # from the ledger row
    cost_usd: Decimal | None = None
    input_tokens: int = 0
    output_tokens: int = 0
    reasoning_tokens: int = 0

    @classmethod
    def from_row(cls, row: sqlite3.Row) -> Turn:
        d = dict(row)
        for key, empty in (("files", []), ("images", []), ("options", {}), ("steps", [])):
            d[key] = json.loads(d[key]) if d.get(key) else empty
        d["items"] = json.loads(d["items"]) if d.get("items") else None
        d["stored"] = bool(d["stored"])
        cost = d.pop("cost", None)
        d["cost_usd"] = Decimal(cost) if cost is not None else None
        for k in ("input_tokens", "output_tokens", "reasoning_tokens"):
            d[k] = int(d.get(k) or 0)
        return cls(**d)

    @property
    def answered(self) -> bool:
        return self.status in ANSWERED


_SELECT = (
    "SELECT h.*, r.cost_usd AS cost, r.input_tokens, r.output_tokens, r.reasoning_tokens"
    " FROM history h LEFT JOIN requests r ON r.id = h.request_id"
)


@dataclass(frozen=True)
class Conversation:
    """One conversation's totals, for ``o4 logs list --conversations``."""

    id: str
    turns: int
    first_at: str
    last_at: str
    model: str | None
    title: str
    cost_usd: Decimal | None


class History:
    """Reads and writes the history table of an open ledger."""

    def __init__(self, ledger: Ledger) -> None:
        self.ledger = ledger
        self.db = ledger.db

    def _run(self, sql: str, args: tuple[Any, ...] | list[Any] = ()) -> sqlite3.Cursor:
        try:
            return self.db.execute(sql, args)
        except sqlite3.Error as exc:
            raise LedgerError(f"the history in {self.ledger.path} cannot be used: {exc}") from None

    @property
    def full_text(self) -> bool:
        """Whether the FTS5 index exists (this Python's SQLite had FTS5 when it was made)."""
        row = self._run("SELECT 1 FROM sqlite_master WHERE name = 'history_fts'").fetchone()
        return row is not None

    # ------------------------------------------------------------ writing

    def add(self, **turn: Any) -> int:
        from o4cli.core.ledger import now

        for key in ("files", "images", "options", "items", "steps"):
            value = turn.get(key)
            turn[key] = json.dumps(value, ensure_ascii=False) if value else None
        turn["stored"] = int(turn.get("stored", True))
        columns = ["created_at", *turn]
        cur = self._run(
            f"INSERT INTO history ({', '.join(columns)}) VALUES ({', '.join('?' * len(columns))})",
            (now(), *turn.values()),
        )
        return int(cur.lastrowid or 0)

    def remove(self, key: str) -> int:
        """Delete a turn (its number) or a whole conversation (its id); how many went. The
        text is overwritten, not only unlinked: in the table, the index and the WAL."""
        self._run("PRAGMA secure_delete = ON")  # deleted content is zeroed, not left in free pages
        if key.isdigit():
            count = self._run("DELETE FROM history WHERE id = ?", (int(key),)).rowcount
        else:
            count = self._run("DELETE FROM history WHERE conversation = ?", (key,)).rowcount
        if count:
            self._scrub()
        return count

    def clear(self) -> int:
        """Delete every turn, and reclaim the space (the text must not linger in free pages)."""
        count = self._run("DELETE FROM history").rowcount
        self._scrub()
        self._run("VACUUM")
        return count

    def _scrub(self) -> None:
        """After a delete: rewrite the FTS5 index (its old segments still hold the words) and
        checkpoint the WAL (it still holds the old pages)."""
        if self.full_text:
            self._run("INSERT INTO history_fts(history_fts) VALUES ('optimize')")
        self._run("PRAGMA wal_checkpoint(TRUNCATE)")

    # ------------------------------------------------------------ reading

    def get(self, turn_id: int) -> Turn | None:
        row = self._run(_SELECT + " WHERE h.id = ?", (turn_id,)).fetchone()
        return Turn.from_row(row) if row else None

    def last(self, profile: str | None = None) -> Turn | None:
        sql, args = _SELECT, []
        if profile is not None:
            sql, args = sql + " WHERE h.profile = ?", [profile]
        row = self._run(sql + " ORDER BY h.id DESC LIMIT 1", args).fetchone()
        return Turn.from_row(row) if row else None

    def turns(self, conversation: str) -> list[Turn]:
        """A conversation's turns, oldest first."""
        rows = self._run(_SELECT + " WHERE h.conversation = ? ORDER BY h.id", (conversation,))
        return [Turn.from_row(r) for r in rows]

    def latest_conversation(self, profile: str | None) -> str | None:
        """The conversation of this profile's newest answered ask/stream/chat turn."""
        row = self._run(
            "SELECT conversation FROM history WHERE profile IS ? AND status IN ('ok', 'incomplete')"
            " ORDER BY id DESC LIMIT 1",
            (profile,),
        ).fetchone()
        return row[0] if row else None

    def conversation_of(self, response_id: str) -> str | None:
        row = self._run(
            "SELECT conversation FROM history WHERE response_id = ? ORDER BY id DESC LIMIT 1", (response_id,)
        ).fetchone()
        return row[0] if row else None

    def find(
        self,
        *,
        limit: int | None = None,
        since: str | None = None,
        model: str | None = None,
        conversation: str | None = None,
        profile: str | None = None,
        text: str | None = None,
    ) -> list[Turn]:
        """Turns, newest first, filtered; ``text`` searches prompts, instructions and answers
        (FTS5 words when the index exists, else a substring)."""
        where: list[str] = []
        args: list[Any] = []
        sql, order = _SELECT, " ORDER BY h.id DESC"
        if text is not None:
            if self.full_text:
                # the index drives, newest first (FTS5 walks rowids in either order): the
                # first 20 of many matches are found without collecting and sorting them all
                sql = _SELECT.replace("FROM history h", "FROM history_fts f JOIN history h ON h.id = f.rowid")
                where.append("history_fts MATCH ?")
                args.append(fts_query(text))
                order = " ORDER BY f.rowid DESC"
            else:
                pattern = "%" + text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
                where.append(
                    "(h.prompt LIKE ? ESCAPE '\\' OR h.answer LIKE ? ESCAPE '\\' OR h.system LIKE ? ESCAPE '\\')"
                )
                args += [pattern] * 3
        for column, value in (("h.model", model), ("h.conversation", conversation), ("h.profile", profile)):
            if value is not None:
                where.append(f"{column} = ?")
                args.append(value)
        if since:
            where.append("h.created_at >= ?")
            args.append(since)
        if where:
            sql += " WHERE " + " AND ".join(where)
        sql += order
        if limit:
            sql += " LIMIT ?"
            args.append(limit)
        return [Turn.from_row(r) for r in self._run(sql, args)]

    def conversations(
        self, *, limit: int | None = None, since: str | None = None, profile: str | None = None
    ) -> list[Conversation]:
        """One line per conversation, newest first, with its turns' total cost."""
        where, args = [], []
        if since:
            where.append("h.created_at >= ?")
            args.append(since)
        if profile is not None:
            where.append("h.profile = ?")
            args.append(profile)
        sql = (
            "SELECT h.conversation, COUNT(*) AS turns, MIN(h.created_at) AS first_at, MAX(h.created_at) AS last_at,"
            " MAX(h.id) AS newest, MIN(h.id) AS oldest, GROUP_CONCAT(r.cost_usd, ' ') AS costs"
            " FROM history h LEFT JOIN requests r ON r.id = h.request_id"
            + (" WHERE " + " AND ".join(where) if where else "")
            + " GROUP BY h.conversation ORDER BY newest DESC"
            + (" LIMIT ?" if limit else "")
        )
        rows = self._run(sql, (*args, limit) if limit else args).fetchall()
        out = []
        for r in rows:
            first = self._run("SELECT prompt FROM history WHERE id = ?", (r["oldest"],)).fetchone()
            newest = self._run("SELECT model FROM history WHERE id = ?", (r["newest"],)).fetchone()
            costs = [Decimal(c) for c in (r["costs"] or "").split()]
            out.append(
                Conversation(
                    r["conversation"], r["turns"], r["first_at"], r["last_at"], newest["model"] if newest else None,
                    title_of(first["prompt"] if first else ""), sum(costs, Decimal(0)) if costs else None,
                )
            )  # fmt: skip
        return out


def fts_query(text: str) -> str:
    """The user's words as an FTS5 query: every word must appear (each quoted, so that
    ``-``, ``:`` or ``*`` in them are text, not query syntax)."""
    words = text.split()
    return " ".join('"' + w.replace('"', '""') + '"' for w in words) or '""'


def title_of(prompt: str, width: int = 60) -> str:
    """A prompt's first line, shortened to ``width`` characters."""
    line = next((ln.strip() for ln in prompt.splitlines() if ln.strip()), "")
    return line if len(line) <= width else line[: width - 1] + "…"
