import sqlite3
from decimal import Decimal

import pytest

from o4cli.core.cost import Usage
from o4cli.core.errors import LedgerError
from o4cli.core.ledger import MIGRATIONS, Ledger, migrate, schema_version


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
