"""Small helpers shared by the command tests."""

import base64
import re
import sqlite3
import time
from pathlib import Path

import pytest

from tests.runner import PROCESS_MODE

SUMMARY = re.compile(
    r"^o4-mini · in ~?[\d,]+ \([\d,]+ cached\) · out ~?[\d,]+ \([\d,]+ reasoning\) · ~?\$\d+\.\d{6}( \w+)?( \(estimated\))? · [\d.]+ s · \d+ tok/s$",
    re.M,
)

# a 2x1 PNG and a 1x1 two-frame GIF, small enough to keep inline
PNG = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAIAAAABCAYAAAD0In+KAAAAEUlEQVR4nGP4z8DwHwyBNAMAM+AE/Hm9R1wAAAAASUVORK5CYII="
)
GIF_ANIMATED = (
    b"GIF89a\x01\x00\x01\x00\x80\x00\x00\x00\x00\x00\xff\xff\xff"
    b"!\xff\x0bNETSCAPE2.0\x03\x01\x00\x00\x00"
    b"!\xf9\x04\x00\x0a\x00\x00\x00,\x00\x00\x00\x00\x01\x00\x01\x00\x00\x02\x02D\x01\x00"
    b"!\xf9\x04\x00\x0a\x00\x00\x00,\x00\x00\x00\x00\x01\x00\x01\x00\x00\x02\x02L\x01\x00;"
)
GIF_STILL = b"GIF89a\x01\x00\x01\x00\x80\x00\x00\x00\x00\x00\xff\xff\xff,\x00\x00\x00\x00\x01\x00\x01\x00\x00\x02\x02D\x01\x00;"


def ledger_rows(env) -> list[dict]:
    path = Path(env["O4_DATA_DIR"]) / "ledger.db"
    if not path.exists():
        return []
    db = sqlite3.connect(path)
    db.row_factory = sqlite3.Row
    rows = [dict(r) for r in db.execute("SELECT * FROM requests ORDER BY id")]
    db.close()
    return rows


def wait_for_request(emulator, timeout: float = 10.0) -> None:
    """Block until the emulator has received a request (then Ctrl-C means 'mid-call')."""
    deadline = time.monotonic() + timeout
    while not emulator.log and time.monotonic() < deadline:
        time.sleep(0.02)


#: For tests that Ctrl-C the ``o4`` of this process (``tests.runner.ctrl_c_when``): with
#: ``O4_TESTS_PROCESS=1`` o4 is another process, which the e2e twins in tests/e2e/ cover.
in_process_only = pytest.mark.skipif(
    PROCESS_MODE, reason="Ctrl-C of an in-process o4; O4_TESTS_PROCESS=1 runs real processes"
)
