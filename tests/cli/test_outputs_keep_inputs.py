"""Outputs never destroy inputs: an output path that is the input, or another output of
the same command, is refused before anything is opened for writing."""

import os

import pytest

from tests.cli.test_batch import FAST, prompts


@pytest.fixture
def emu(emulator):
    emulator.batch_timing = dict(FAST)
    return emulator


def test_batch_run_output_over_its_input(o4, emu, tmp_path):
    p = prompts(tmp_path, 3)
    before = p.read_bytes()
    r = o4("batch", "run", str(p), "-o", str(p))
    assert r.code == 2 and "the same file as the input" in r.stderr
    assert p.read_bytes() == before and emu.log == []


def test_errors_over_output_and_through_a_link(o4, emu, tmp_path):
    p = prompts(tmp_path, 3)
    out = tmp_path / "out.jsonl"
    r = o4("batch", "run", str(p), "-o", str(out), "--errors", str(out))
    assert r.code == 2 and "--errors" in r.stderr and emu.log == [] and not out.exists()
    link = tmp_path / "link.txt"
    os.symlink(p, link)
    r = o4("batch", "run", str(p), "-o", str(link))
    assert r.code == 2 and p.read_text().startswith("question 1") and emu.log == []


def test_results_errors_over_output(o4, emu, tmp_path):
    p = prompts(tmp_path, 2)
    (bid,) = o4("batch", "submit", str(p)).stdout.split()
    o4("batch", "status", bid, "--watch", "--interval", "0.05", "-q")
    out = tmp_path / "o.jsonl"
    out.write_text("keep me\n")
    r = o4("batch", "results", bid, "-o", str(out), "--errors", str(out))
    assert r.code == 2 and out.read_text() == "keep me\n"


def test_submit_wait_output_over_its_input(o4, emu, tmp_path):
    p = prompts(tmp_path, 2)
    r = o4("batch", "submit", str(p), "--wait", "-o", str(p))
    assert r.code == 2 and emu.log == [] and p.read_text().startswith("question 1")
