"""The emulator's log feeds the contract check: a request the spec rejects is caught."""

import httpx

from tests.contract import load_contract
from tests.emulator import TEST_KEY


def test_a_bad_request_in_the_log_is_reported(emulator):
    httpx.post(
        f"{emulator.url}/batches",
        headers={"Authorization": f"Bearer {TEST_KEY}"},
        json={"input_file_id": "file-1", "endpoint": "/v1/responses", "completion_window": "48h"},
    )
    (req,) = emulator.log
    problems = load_contract().errors(req)
    assert any("completion_window" in p for p in problems)
    emulator.log.clear()  # handled here; the fixture's own check would fail the test


def test_a_good_request_passes(emulator):
    r = httpx.get(f"{emulator.url}/models", headers={"Authorization": f"Bearer {TEST_KEY}"})
    assert r.status_code == 200 and r.headers["x-request-id"].startswith("req_")
    assert load_contract().errors(emulator.log[0]) == []
