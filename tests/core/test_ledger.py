import sqlite3
from decimal import Decimal

import pytest

from o4cli.core.cost import Usage
from o4cli.core.errors import LedgerError
from o4cli.core.ledger import MIGRATIONS, Ledger, migrate, schema_version
from o4cli.core.usage_report import summarise


def test_open_creates_migrates_and_uses_wal(tmp_path):
    led = Ledger.open(tmp_path / "data")
    assert led.path == tmp_path / "data" / "ledger.db"
    assert schema_version(led.db) == len(MIGRATIONS)
    assert led.db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    led.close()
    # reopening applies nothing twice
    led = Ledger.open(tmp_path / "data")
    assert migrate(led.db) == []


def test_requests_round_trip_with_exact_cost(tmp_path):
    led = Ledger.open(tmp_path)
    led.record_request(
        command="ask", profile="default", model="o4-mini", endpoint="/v1/responses",
        usage=Usage(1204, 1024, 812, 640), cost_usd=Decimal("0.0040524"), response_id="resp_1", duration_s=6.1,
    )
    led.record_request(
        command="batch", profile="work", model="o4-mini", endpoint="/v1/responses",
        usage=Usage(10, 0, 5), cost_usd=Decimal("0.0000165"), pricing="batch",
    )
    rows = list(led.requests())
    assert [r["command"] for r in rows] == ["ask", "batch"]
    assert Decimal(rows[0]["cost_usd"]) == Decimal("0.0040524")
    assert (rows[0]["input_tokens"], rows[0]["cached_tokens"], rows[0]["output_tokens"], rows[0]["reasoning_tokens"]) == (1204, 1024, 812, 640)
    assert rows[1]["pricing"] == "batch"
    assert list(led.requests(since="2999-01-01")) == []


def test_jobs_record_state_for_resuming(tmp_path):
    led = Ledger.open(tmp_path)
    jid = led.add_job(kind="batch", status="uploading", model="o4-mini", input_hash="abc", estimated_cost_usd=Decimal("1.5"))
    led.update_job(jid, state={"file_id": "file-1"})
    led.update_job(jid, status="submitted", remote_id="batch_1", state={"batch_id": "batch_1"})
    job = led.job(jid)
    assert job.status == "submitted" and job.remote_id == "batch_1"
    assert job.state == {"file_id": "file-1", "batch_id": "batch_1"}
    assert job.estimated_cost_usd == Decimal("1.5")
    assert led.jobs("batch", input_hash="abc")[0].id == jid
    assert led.job_by_remote("batch_1").id == jid
    with pytest.raises(ValueError):
        led.update_job(jid, api_key="sk-x")


def test_no_column_can_hold_a_key(tmp_path):
    led = Ledger.open(tmp_path)
    cols = {row[1] for t in ("requests", "jobs") for row in led.db.execute(f"PRAGMA table_info({t})")}
    assert not any("key" in c for c in cols)


def test_corrupt_ledger_gives_a_clear_error(tmp_path):
    (tmp_path / "ledger.db").write_bytes(b"this is not a database" * 100)
    with pytest.raises(LedgerError) as e:
        Ledger.open(tmp_path)
    assert str(tmp_path / "ledger.db") in e.value.message
    assert "move it aside" in e.value.hint


def test_unusable_folder_gives_a_clear_error(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("x")
    with pytest.raises(LedgerError) as e:
        Ledger.open(blocker / "data")
    assert "cannot be opened" in e.value.message and "O4_DATA_DIR" in e.value.hint


def test_a_failed_migration_leaves_no_half_schema(tmp_path, monkeypatch):
    def broken(db):
        db.execute("CREATE TABLE half (x)")
        raise sqlite3.OperationalError("boom")

    monkeypatch.setattr("o4cli.core.ledger.MIGRATIONS", [*MIGRATIONS, ("m999_broken", broken)])
    with pytest.raises(LedgerError):
        Ledger.open(tmp_path)
    db = sqlite3.connect(tmp_path / "ledger.db")
    tables = {r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type='table'")}
    assert "half" not in tables and "requests" in tables
    assert db.execute("PRAGMA user_version").fetchone()[0] == len(MIGRATIONS)


# ------------------------------------------------------------ usage: sums in SQL, exact

OLD_INSERT = (  # how the first o4 wrote a request (no unpriced mark, no cost_pico_usd)
    "INSERT INTO requests (created_at, command, profile, model, pricing, input_tokens, cached_tokens,"
    " output_tokens, reasoning_tokens, cost_usd) VALUES (?,?,?,?,?,?,?,?,?,?)"
)


def old_ledger(folder, rows):
    """A ledger file as the first o4 created it: the first schema, with ``rows``."""
    folder.mkdir(parents=True, exist_ok=True)
    db = sqlite3.connect(folder / "ledger.db", isolation_level=None)
    db.execute("CREATE TABLE _migrations (name TEXT PRIMARY KEY, applied_at TEXT NOT NULL)")
    name, m001 = MIGRATIONS[0]
    db.execute("BEGIN")
    m001(db)
    db.execute("INSERT INTO _migrations VALUES (?, '2025-12-01T00:00:00+00:00')", (name,))
    db.execute("PRAGMA user_version = 1")
    db.executemany(OLD_INSERT, rows)
    db.execute("COMMIT")
    db.close()


OLD_ROWS = [
    ("2025-12-01T10:00:00+00:00", "ask", "default", "o4-mini", "standard", 1204, 1024, 812, 640, "0.0040524"),
    ("2025-12-01T11:00:00+00:00", "batch", "work", "o4-mini", "batch", 1, 0, 0, 0, "1.375E-7"),
    ("2025-12-02T09:00:00+00:00", "ask", "default", "gpt-x", "standard", 10, 0, 5, 0, None),  # unpriced
    ("2025-12-02T09:30:00+00:00", "ask", "work", None, "flex", 7, 0, 3, 0, "1E-15"),  # finer than a pico-dollar
    ("2025-12-02T09:40:00+00:00", "ask", "work", "o4-mini", "standard", 0, 0, 0, 0, None),  # failed: no tokens
]


def by_key(groups, by="day"):
    """The report's groups of ``Ledger.usage`` rows (one a group and model)."""
    return summarise(groups, by).groups


def test_an_old_ledger_is_migrated_keeping_every_row_and_its_exact_cost(tmp_path):
    old_ledger(tmp_path, OLD_ROWS)
    led = Ledger.open(tmp_path)
    assert schema_version(led.db) == len(MIGRATIONS)
    rows = list(led.requests())
    assert [(r["created_at"], r["cost_usd"]) for r in rows] == [(r[0], r[-1]) for r in OLD_ROWS]
    assert [r["cost_pico_usd"] for r in rows] == [4_052_400_000, 137_500, None, None, None]
    raw = {g["key"]: g for g in led.usage("day")}
    assert raw["2025-12-02"]["unpriced_models"] == {"gpt-x"} and raw["2025-12-01"]["unpriced_models"] == set()
    days = by_key(led.usage("day"))
    assert days["2025-12-01"].cost_usd == Decimal("0.0040525375") and days["2025-12-01"].input_tokens == 1205
    assert days["2025-12-02"].cost_usd == Decimal("1E-15") and days["2025-12-02"].requests == 3
    assert days["2025-12-02"].unpriced == 1 and days["2025-12-02"].unpriced_models == {"gpt-x"}  # not the failed call
    assert by_key(led.usage("model"), "model")["-"].requests == 1


def test_usage_sums_match_decimal_arithmetic_whatever_wrote_the_rows(tmp_path):
    led = Ledger.open(tmp_path)
    costs = ["0.0040524", "0.00000013750", "4000000", "4000000", "4000000.000000000001", None, "0.1"]
    for i, c in enumerate(costs):
        led.record_request(
            command="ask", profile="work" if i % 2 else "default", model="o4-mini", endpoint="/v1/responses",
            usage=Usage(i, 0, i), cost_usd=None if c is None else Decimal(c),
        )
    led.record_request(command="ask", profile="work", model="o4-mini-2025-04-16", endpoint="/v1/responses",
                       usage=Usage(), cost_usd=None, unpriced=True)  # fmt: skip
    # a row written by an older o4 into the migrated ledger: cost text only
    led.db.execute(OLD_INSERT, ("2025-12-03T00:00:00+00:00", "ask", "default", "o4-mini", "standard", 1, 0, 1, 0, "2.5"))
    everything = by_key(led.usage("pricing"), "pricing")["standard"]
    # 12,000,000 dollars in pico-dollars is past 2^63: one SQL sum would overflow
    assert everything.cost_usd == sum(Decimal(c) for c in [*costs, "2.5"] if c is not None)
    assert everything.requests == 9 and everything.input_tokens == 22
    assert everything.unpriced == 2 and everything.unpriced_models == {"o4-mini", "o4-mini-2025-04-16"}
    work = by_key(led.usage("profile", profile="work"), "profile")
    assert set(work) == {"work"} and work["work"].cost_usd == Decimal("4000000.0000001375")
    models = by_key(led.usage("model"), "model")
    assert set(models) == {"o4-mini"} and models["o4-mini"].requests == 9  # the snapshot adds up under its id
    assert models["o4-mini"].unpriced_models == {"o4-mini", "o4-mini-2025-04-16"}  # as recorded
    assert led.usage("day", since="2999-01-01") == []


def test_an_unreadable_cost_is_a_clear_error(tmp_path):
    led = Ledger.open(tmp_path)
    led.db.execute(OLD_INSERT, ("2025-12-03T00:00:00+00:00", "ask", "default", "o4-mini", "standard", 1, 0, 1, 0, "n/a"))
    with pytest.raises(LedgerError) as e:
        led.usage("day")
    assert "request 1 has an unreadable cost 'n/a'" in e.value.message
