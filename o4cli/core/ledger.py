"""The ledger: every request and job o4 makes, with tokens and cost, in SQLite.

One database in the data folder, WAL mode, schema migrations applied once each
(recorded in ``_migrations`` and mirrored in ``PRAGMA user_version``). Keys are
never stored. Jobs (batches, fine-tunes) carry a ``state`` dict so an interrupted
submit can resume where it stopped.

A request's cost is kept twice: ``cost_usd``, the exact ``Decimal`` as text (what every
version of o4 reads and writes), and ``cost_pico_usd``, the same amount as a whole number
of 10^-12 dollars, which SQLite can add up exactly (``usage``). Catalog prices have at most
four decimals per million tokens, so every cost o4 computes fits; a cost that does not (or
a row an older o4 wrote after the migration) has no ``cost_pico_usd`` and is added up from
its text instead: slower, never inexact.
"""

from __future__ import annotations

import json
import sqlite3
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import TYPE_CHECKING, Any

from o4cli.core.cost import Usage
from o4cli.core.errors import LedgerError, UsageError

if TYPE_CHECKING:
    from o4cli.core.runtime import Runtime

FILENAME = "ledger.db"
OPEN_ATTEMPTS = 8

MIGRATIONS: list[tuple[str, Callable[[sqlite3.Connection], None]]] = []


def migration(fn: Callable[[sqlite3.Connection], None]) -> Callable[[sqlite3.Connection], None]:
    """Register a migration; they run in definition order, each once."""
    MIGRATIONS.append((fn.__name__, fn))
    return fn


def _script(db: sqlite3.Connection, sql: str) -> None:
    # executescript() would COMMIT the migration's transaction first: run one by one.
    for statement in sql.split(";"):
        if statement.strip():
            db.execute(statement)


@migration
def m001_initial(db: sqlite3.Connection) -> None:
    _script(
        db,
        """
        CREATE TABLE requests (
            id INTEGER PRIMARY KEY,
            created_at TEXT NOT NULL,
            command TEXT NOT NULL,
            profile TEXT,
            model TEXT,
            endpoint TEXT,
            pricing TEXT NOT NULL DEFAULT 'standard',
            input_tokens INTEGER NOT NULL DEFAULT 0,
            cached_tokens INTEGER NOT NULL DEFAULT 0,
            output_tokens INTEGER NOT NULL DEFAULT 0,
            reasoning_tokens INTEGER NOT NULL DEFAULT 0,
            cost_usd TEXT,
            status TEXT NOT NULL DEFAULT 'ok',
            response_id TEXT,
            job_id INTEGER REFERENCES jobs(id),
            duration_s REAL,
            estimated INTEGER NOT NULL DEFAULT 0,
            extra TEXT
        );
        CREATE INDEX requests_created ON requests(created_at);
        CREATE TABLE jobs (
            id INTEGER PRIMARY KEY,
            kind TEXT NOT NULL,
            created_at TEXT NOT NULL,
            updated_at TEXT NOT NULL,
            profile TEXT,
            model TEXT,
            endpoint TEXT,
            remote_id TEXT,
            status TEXT NOT NULL,
            input_hash TEXT,
            label TEXT,
            shard INTEGER,
            estimated_cost_usd TEXT,
            cost_usd TEXT,
            state TEXT NOT NULL DEFAULT '{}'
        );
        CREATE INDEX jobs_kind ON jobs(kind, created_at);
        CREATE INDEX jobs_remote ON jobs(remote_id);
        CREATE INDEX jobs_hash ON jobs(kind, input_hash);
        """,
    )


@migration
def m002_unpriced(db: sqlite3.Connection) -> None:
    # A call o4 could not price (a model its catalog has no price for): tokens were billed,
    # but cost_usd is NULL. Marked so that `o4 usage` never shows it as $0.
    db.execute("ALTER TABLE requests ADD COLUMN unpriced INTEGER NOT NULL DEFAULT 0")


@migration
def m003_budget_holds(db: sqlite3.Connection) -> None:
    # The worst case of each call in flight, held against the budgets until its own row
    # is written (core/budget.py); a hold of a process that died is dropped. The index
    # covers a budget's sum: a period's spend is read from it alone.
    _script(
        db,
        """
        CREATE TABLE budget_holds (
            id INTEGER PRIMARY KEY,
            created_at TEXT NOT NULL,
            profile TEXT,
            command TEXT NOT NULL,
            amount_usd TEXT NOT NULL,
            pid INTEGER NOT NULL,
            host TEXT NOT NULL
        );
        CREATE INDEX requests_profile_spend ON requests(profile, created_at, cost_usd)
        """,
    )


@migration
def m004_history(db: sqlite3.Connection) -> None:
    """The history of prompts and answers (``o4 logs``; ``core/history.py`` reads and
    writes it), each turn pointing at its ledger row; full-text indexed with FTS5 when
    this Python's SQLite has it (``o4 logs search`` falls back to LIKE otherwise)."""
    _script(
        db,
        """
        CREATE TABLE history (
            id INTEGER PRIMARY KEY,
            created_at TEXT NOT NULL,
            conversation TEXT NOT NULL,
            request_id INTEGER REFERENCES requests(id) ON DELETE SET NULL,
            profile TEXT,
            command TEXT NOT NULL,
            api TEXT,
            model TEXT,
            effort TEXT,
            system TEXT,
            prompt TEXT NOT NULL,
            files TEXT,
            images TEXT,
            options TEXT,
            answer TEXT NOT NULL DEFAULT '',
            summary TEXT,
            response_id TEXT,
            status TEXT,
            stored INTEGER NOT NULL DEFAULT 1,
            items TEXT,
            steps TEXT
        );
        CREATE INDEX history_conversation ON history(conversation, id);
        CREATE INDEX history_profile ON history(profile, id);
        CREATE INDEX history_response ON history(response_id)
        """,
    )
    try:
        db.execute(
            "CREATE VIRTUAL TABLE history_fts USING fts5(prompt, system, answer, content='history', content_rowid='id')"
        )
    except sqlite3.OperationalError as exc:
        if "fts5" not in str(exc):
            raise
        return  # no FTS5 in this SQLite: search uses LIKE
    # (one statement each: a trigger's body holds semicolons, which _script would split)
    db.execute(
        "CREATE TRIGGER history_ai AFTER INSERT ON history BEGIN"
        " INSERT INTO history_fts(rowid, prompt, system, answer) VALUES (new.id, new.prompt, new.system, new.answer);"
        " END"
    )
    db.execute(
        "CREATE TRIGGER history_ad AFTER DELETE ON history BEGIN"
        " INSERT INTO history_fts(history_fts, rowid, prompt, system, answer)"
        " VALUES ('delete', old.id, old.prompt, old.system, old.answer);"
        " END"
    )


PICO_DIGITS = 12  # cost_pico_usd is the cost in 10^-12 USD
_INT64 = 2**63
NOT_PICO = "requests_cost_not_pico"  # the index of the rows without cost_pico_usd


def pico_usd(cost: Decimal | str | None) -> int | None:
    """A cost as an exact whole number of pico-dollars; None when unknown, unreadable,
    finer than a pico-dollar or beyond SQLite's 64-bit integers (then only its text counts)."""
    if cost is None:
        return None
    whole, _, frac = str(cost).partition(".")
    if whole.isdecimal() and len(frac) <= PICO_DIGITS and (frac.isdecimal() or not frac):  # "0.0040524": fast
        units = int(whole + frac.ljust(PICO_DIGITS, "0"))
    else:  # "1.375E-7", "-0.5", anything else Decimal reads
        try:
            amount = cost if isinstance(cost, Decimal) else Decimal(cost)
        except (InvalidOperation, TypeError, ValueError):
            return None
        if not amount.is_finite():
            return None
        sign, digits, exp = amount.as_tuple()
        shift = int(exp) + PICO_DIGITS
        units = int("".join(map(str, digits))) * 10 ** max(shift, 0)
        if shift < 0:
            units, rest = divmod(units, 10**-shift)
            if rest:
                return None
        units = -units if sign else units
    return units if -_INT64 <= units < _INT64 else None


@migration
def m005_cost_pico_usd(db: sqlite3.Connection) -> None:
    """Every cost also as whole pico-dollars, so that ``o4 usage`` adds them up in SQL; the
    few rows without (no cost, or one that is not whole pico-dollars) indexed apart."""
    db.execute("ALTER TABLE requests ADD COLUMN cost_pico_usd INTEGER")
    db.create_function("o4_pico_usd", 1, pico_usd, deterministic=True)
    try:
        db.execute("UPDATE requests SET cost_pico_usd = o4_pico_usd(cost_usd) WHERE cost_usd IS NOT NULL")
    finally:
        db.create_function("o4_pico_usd", 1, None)
    db.execute(f"CREATE INDEX {NOT_PICO} ON requests(created_at) WHERE cost_pico_usd IS NULL")


def now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def _money(value: Decimal | None) -> str | None:
    return None if value is None else str(value)


@dataclass
class Job:
    id: int
    kind: str
    created_at: str
    updated_at: str
    profile: str | None
    model: str | None
    endpoint: str | None
    remote_id: str | None
    status: str
    input_hash: str | None
    label: str | None
    shard: int | None
    estimated_cost_usd: Decimal | None
    cost_usd: Decimal | None
    state: dict[str, Any]

    @classmethod
    def from_row(cls, row: sqlite3.Row) -> Job:
        d = dict(row)
        for k in ("estimated_cost_usd", "cost_usd"):
            d[k] = Decimal(d[k]) if d[k] is not None else None
        d["state"] = json.loads(d["state"] or "{}")
        return cls(**d)


class Ledger:
    """A connection to the ledger database."""

    def __init__(self, db: sqlite3.Connection, path: Path) -> None:
        self.db = db
        self.path = path

    @classmethod
    def open(cls, folder: Path) -> Ledger:
        """Open (creating and migrating) the ledger in ``folder``."""
        path = folder / FILENAME
        try:
            folder.mkdir(parents=True, exist_ok=True, mode=0o700)
            for attempt in range(OPEN_ATTEMPTS):
                db = sqlite3.connect(path, timeout=10, isolation_level=None)
                try:
                    db.row_factory = sqlite3.Row
                    db.execute("PRAGMA journal_mode=WAL")
                    db.execute("PRAGMA synchronous=NORMAL")  # WAL + NORMAL: durable enough, no fsync per row
                    db.execute("PRAGMA foreign_keys=ON")
                    migrate(db)
                    break
                except sqlite3.OperationalError as exc:
                    db.close()
                    # Several processes creating a fresh ledger at once: some SQLite steps
                    # (switching to WAL) report "locked" without waiting. Try again.
                    if "locked" not in str(exc) or attempt == OPEN_ATTEMPTS - 1:
                        raise
                    time.sleep(0.05 * (attempt + 1))
        except (sqlite3.Error, OSError) as exc:
            raise LedgerError(
                f"the ledger {path} cannot be opened: {exc}",
                hint=f"if it is damaged, move it aside (mv {path} {path}.bad); "
                f"or point O4_DATA_DIR at a writable folder",
            ) from None
        return cls(db, path)

    def close(self) -> None:
        self.db.close()

    def _write(self, sql: str, args: tuple[Any, ...]) -> int:
        try:
            cur = self.db.execute(sql, args)
        except sqlite3.Error as exc:
            raise LedgerError(f"cannot write to the ledger {self.path}: {exc}") from None
        return int(cur.lastrowid or 0)

    def record_request(
        self,
        *,
        command: str,
        profile: str | None,
        model: str | None,
        endpoint: str | None,
        usage: Usage,
        cost_usd: Decimal | None,
        pricing: str = "standard",
        status: str = "ok",
        response_id: str | None = None,
        job_id: int | None = None,
        duration_s: float | None = None,
        estimated: bool = False,
        extra: dict[str, Any] | None = None,
        unpriced: bool = False,
    ) -> int:
        """Append one request; returns its row id. ``unpriced``: the call was answered
        (and billed) but o4 has no price for its model."""
        text = _money(cost_usd)
        return self._write(
            "INSERT INTO requests (created_at, command, profile, model, endpoint, pricing,"
            " input_tokens, cached_tokens, output_tokens, reasoning_tokens, cost_usd, cost_pico_usd, status,"
            " response_id, job_id, duration_s, estimated, extra, unpriced)"
            " VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
            (
                now(),
                command,
                profile,
                model,
                endpoint,
                pricing,
                usage.input_tokens,
                usage.cached_tokens,
                usage.output_tokens,
                usage.reasoning_tokens,
                text,
                pico_usd(text),
                status,
                response_id,
                job_id,
                duration_s,
                int(estimated),
                json.dumps(extra) if extra else None,
                int(unpriced),
            ),
        )

    def record_requests(self, rows: list[dict[str, Any]]) -> None:
        """Many ``record_request`` rows in one transaction (``batch run``)."""
        if not rows:
            return
        try:
            self.db.execute("BEGIN")
            for row in rows:
                self.record_request(**row)
            self.db.execute("COMMIT")
        except BaseException:
            if self.db.in_transaction:
                self.db.execute("ROLLBACK")
            raise

    def response_ids(self, command: str) -> set[str]:
        """The response ids of every recorded request of a command (one query)."""
        rows = self.db.execute(
            "SELECT response_id FROM requests WHERE command = ? AND response_id IS NOT NULL", (command,)
        )
        return {r[0] for r in rows}

    def has_request(self, command: str, response_id: str) -> bool:
        row = self.db.execute(
            "SELECT 1 FROM requests WHERE command = ? AND response_id = ? LIMIT 1", (command, response_id)
        ).fetchone()
        return row is not None

    def requests(self, since: str | None = None) -> Iterator[sqlite3.Row]:
        """Requests, oldest first, optionally since an ISO timestamp."""
        sql = "SELECT * FROM requests"
        args: tuple[Any, ...] = ()
        if since:
            sql += " WHERE created_at >= ?"
            args = (since,)
        yield from self.db.execute(sql + " ORDER BY id", args)

    def usage(self, by: str, *, since: str | None = None, profile: str | None = None) -> list[dict[str, Any]]:
        """Requests, tokens and exact cost per group (``USAGE_GROUPS``), summed by SQLite:
        one dict a group (``key``, ``requests``, the four token sums, ``cost_usd`` as a
        ``Decimal``, ``unpriced``: calls billed that could not be priced, and
        ``unpriced_models``: their models), in no particular order. Optionally only
        requests since an ISO timestamp, and of one profile."""
        key = USAGE_GROUPS[by]
        where, args = ["1"], []
        if since:
            where.append("created_at >= ?")
            args.append(since)
        if profile:
            where.append("profile = ?")
            args.append(profile)
        cond = " AND ".join(where)
        # A sum of pico-dollars could pass 2^63 ($9.2M): summed as micro-dollars and the
        # rest below a micro-dollar, neither sum can.
        sums = (
            f"SELECT {key} AS key, count(*), sum(input_tokens), sum(cached_tokens), sum(output_tokens),"
            " sum(reasoning_tokens), sum(cost_pico_usd / 1000000), sum(cost_pico_usd % 1000000)"
            f" FROM requests WHERE {cond} GROUP BY key"
        )
        # The rows without pico-dollars, from their own index: failed calls, calls that
        # could not be priced, and costs kept only as text (an older o4's, or finer ones).
        apart = f"FROM requests INDEXED BY {NOT_PICO} WHERE {cond} AND cost_pico_usd IS NULL"
        self.db.execute("BEGIN")  # one snapshot for every query, whoever writes meanwhile
        try:
            groups: dict[str, dict[str, Any]] = {}
            for k, n, inp, cached, out, reasoning, micro, rest in self.db.execute(sums, args):
                units = (micro or 0) * 1_000_000 + (rest or 0)
                groups[k] = {
                    "key": k, "requests": n, "input_tokens": inp or 0, "cached_tokens": cached or 0,
                    "output_tokens": out or 0, "reasoning_tokens": reasoning or 0,
                    "cost_usd": Decimal(units).scaleb(-PICO_DIGITS), "unpriced": 0, "unpriced_models": set(),
                }  # fmt: skip
            text_costs = 0
            for k, model, unpriced, texts in self.db.execute(
                f"SELECT {key}, model, sum({UNPRICED}), count(cost_usd) {apart} GROUP BY 1, 2", args
            ):
                if unpriced:
                    groups[k]["unpriced"] += unpriced
                    groups[k]["unpriced_models"].add(str(model or "-"))
                text_costs += texts
            if text_costs:
                texts_sql = f"SELECT {key}, id, cost_usd {apart} AND cost_usd IS NOT NULL"
                for k, row_id, text in self.db.execute(texts_sql, args):
                    try:
                        groups[k]["cost_usd"] += Decimal(text)
                    except (InvalidOperation, TypeError):
                        raise LedgerError(
                            f"the ledger {self.path}: request {row_id} has an unreadable cost {text!r}"
                        ) from None
        except sqlite3.Error as exc:
            raise LedgerError(f"cannot read the ledger {self.path}: {exc}") from None
        finally:
            if self.db.in_transaction:
                self.db.execute("ROLLBACK")  # it only read
        return list(groups.values())

    def last_response_id(self, profile: str | None) -> str | None:
        """The newest Responses API answer of this profile, for ``--continue``."""
        row = self.db.execute(
            "SELECT response_id FROM requests WHERE endpoint = '/v1/responses' AND response_id IS NOT NULL"
            " AND status IN ('ok', 'incomplete') AND profile IS ? AND command IN ('ask', 'stream')"
            " ORDER BY id DESC LIMIT 1",
            (profile,),
        ).fetchone()
        return row[0] if row else None

    def add_job(
        self,
        *,
        kind: str,
        status: str,
        profile: str | None = None,
        model: str | None = None,
        endpoint: str | None = None,
        remote_id: str | None = None,
        input_hash: str | None = None,
        label: str | None = None,
        shard: int | None = None,
        estimated_cost_usd: Decimal | None = None,
        state: dict[str, Any] | None = None,
    ) -> int:
        """Record a job before it exists remotely; returns its local id."""
        stamp = now()
        return self._write(
            "INSERT INTO jobs (kind, created_at, updated_at, profile, model, endpoint, remote_id,"
            " status, input_hash, label, shard, estimated_cost_usd, state)"
            " VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)",
            (
                kind,
                stamp,
                stamp,
                profile,
                model,
                endpoint,
                remote_id,
                status,
                input_hash,
                label,
                shard,
                _money(estimated_cost_usd),
                json.dumps(state or {}),
            ),
        )

    _JOB_COLUMNS = frozenset({"remote_id", "status", "label", "cost_usd", "model", "endpoint"})

    def update_job(self, job_id: int, *, state: dict[str, Any] | None = None, **columns: Any) -> None:
        """Change a job's columns and merge ``state`` into its state dict."""
        unknown = set(columns) - self._JOB_COLUMNS
        if unknown:
            raise ValueError(f"unknown job columns: {sorted(unknown)}")
        sets = ["updated_at = ?"]
        args: list[Any] = [now()]
        for key, value in columns.items():
            sets.append(f"{key} = ?")
            args.append(_money(value) if isinstance(value, Decimal) else value)
        if state:
            current = self.job(job_id)
            merged = {**(current.state if current else {}), **state}
            sets.append("state = ?")
            args.append(json.dumps(merged))
        self._write(f"UPDATE jobs SET {', '.join(sets)} WHERE id = ?", (*args, job_id))

    def finish_job(
        self, job_id: int, *, status: str, pending: tuple[str, ...], cost_usd: Decimal | None, request: dict[str, Any]
    ) -> bool:
        """Give a job its final status and cost and append its request row, in one
        transaction, only while the job is still ``pending``: of two processes that see the
        end at once, one records it (True) and the other finds it done (False)."""
        try:
            self.db.execute("BEGIN IMMEDIATE")
            placeholders = ",".join("?" * len(pending))
            cur = self.db.execute(
                f"UPDATE jobs SET status = ?, cost_usd = ?, updated_at = ? WHERE id = ? AND status IN ({placeholders})",
                (status, _money(cost_usd), now(), job_id, *pending),
            )
            won = cur.rowcount == 1
            if won:
                self.record_request(**request, job_id=job_id)
            self.db.execute("COMMIT")
        except sqlite3.Error as exc:
            if self.db.in_transaction:
                self.db.execute("ROLLBACK")
            raise LedgerError(f"cannot write to the ledger {self.path}: {exc}") from None
        except BaseException:
            if self.db.in_transaction:
                self.db.execute("ROLLBACK")
            raise
        return won

    def job(self, job_id: int) -> Job | None:
        row = self.db.execute("SELECT * FROM jobs WHERE id = ?", (job_id,)).fetchone()
        return Job.from_row(row) if row else None

    def job_by_remote(self, remote_id: str) -> Job | None:
        row = self.db.execute(
            "SELECT * FROM jobs WHERE remote_id = ? ORDER BY id DESC LIMIT 1", (remote_id,)
        ).fetchone()
        return Job.from_row(row) if row else None

    def newest_remote_id(self, kind: str, profile: str | None) -> str | None:
        """The remote id of this profile's newest job of a kind that has one."""
        row = self.db.execute(
            "SELECT remote_id FROM jobs WHERE kind = ? AND remote_id IS NOT NULL AND profile IS ?"
            " ORDER BY id DESC LIMIT 1",
            (kind, profile),
        ).fetchone()
        return row[0] if row else None

    def jobs(self, kind: str, *, input_hash: str | None = None, limit: int | None = None) -> list[Job]:
        """Jobs of a kind, newest first."""
        sql = "SELECT * FROM jobs WHERE kind = ?"
        args: list[Any] = [kind]
        if input_hash is not None:
            sql += " AND input_hash = ?"
            args.append(input_hash)
        sql += " ORDER BY id DESC"
        if limit:
            sql += " LIMIT ?"
            args.append(limit)
        return [Job.from_row(r) for r in self.db.execute(sql, args)]


# What ``Ledger.usage`` groups by: the SQL of each key (no value or an empty one is "-").
# (By model, the report then adds a model's snapshots and aliases up under its id.)
USAGE_GROUPS = {
    "day": "substr(created_at, 1, 10)",
    **{col: f"coalesce(nullif({col}, ''), '-')" for col in ("model", "command", "profile", "pricing")},
}
# A call billed (tokens) that o4 could not price: no cost, and the ``unpriced`` mark or, in
# rows written before the mark existed, tokens.
UNPRICED = "(cost_usd IS NULL AND (unpriced <> 0 OR input_tokens + output_tokens <> 0))"


# ------------------------------------------------------ shared by the use cases


def record(rt: Runtime, what: str, write: Callable[[Ledger], Any]) -> Any:
    """Write to the ledger; when it cannot be written, warn (naming ``what`` was not
    recorded) and go on: a paid call must not fail because its bookkeeping did."""
    try:
        return write(rt.ledger)
    except LedgerError as exc:
        rt.warn(f"{what} not recorded in the ledger: {exc.message}")
        return None


def resolve_id(rt: Runtime, kind: str, given: str | None, *, noun: str, hint: str) -> str:
    """The job id a command acts on: the one given, else the newest job of this kind that
    the selected profile recorded (``-p``, ``$O4_PROFILE``, then ``default_profile``)."""
    if given:
        return given
    newest = rt.ledger.newest_remote_id(kind, rt.settings.profile)
    if newest is None:
        raise UsageError(f"no {noun} of profile '{rt.settings.profile}' in the ledger yet: give its id", hint=hint)
    return newest


def migrate(db: sqlite3.Connection) -> list[str]:
    """Apply the migrations not yet applied; return their names."""
    db.execute("CREATE TABLE IF NOT EXISTS _migrations (name TEXT PRIMARY KEY, applied_at TEXT NOT NULL)")
    done = {row[0] for row in db.execute("SELECT name FROM _migrations")}
    applied = []
    for version, (name, fn) in enumerate(MIGRATIONS, start=1):
        if name in done:
            continue
        db.execute("BEGIN IMMEDIATE")
        try:
            # another process may have applied it while this one waited for the lock
            if db.execute("SELECT 1 FROM _migrations WHERE name = ?", (name,)).fetchone():
                db.execute("COMMIT")
                continue
            fn(db)
            db.execute("INSERT INTO _migrations VALUES (?, ?)", (name, now()))
            db.execute(f"PRAGMA user_version = {version}")
            db.execute("COMMIT")
        except BaseException:
            db.execute("ROLLBACK")
            raise
        applied.append(name)
    return applied


def schema_version(db: sqlite3.Connection) -> int:
    return int(db.execute("PRAGMA user_version").fetchone()[0])
