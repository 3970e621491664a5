"""Completions and the man page: generated from the app, never stale, and they work."""

import importlib.util
import os
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def gen_docs():
    spec = importlib.util.spec_from_file_location("gen_docs", ROOT / "scripts" / "gen_docs.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def test_committed_files_are_current():
    files = gen_docs().generate()
    if os.environ.get("O4_REGEN"):
        for rel, text in files.items():
            (ROOT / rel).write_text(text)
    stale = [rel for rel, text in files.items() if not (ROOT / rel).exists() or (ROOT / rel).read_text() != text]
    assert not stale, f"stale generated files {stale}: run `python scripts/gen_docs.py` (or O4_REGEN=1 pytest)"


def complete(o4, words: list[str], cword: int) -> list[str]:
    """What o4 answers the generated bash function (COMP_WORDS, COMP_CWORD, _O4_COMPLETE),
    asked in-process; bash itself runs the script in tests/e2e/test_completions.py."""
    asked = {"_O4_COMPLETE": "complete_bash", "COMP_WORDS": " ".join(words), "COMP_CWORD": str(cword)}
    r = o4(extra_env=asked)
    assert r.code == 0 and r.stderr == "", r.stderr
    return [line for line in r.stdout.splitlines() if line]


def test_completions_answer_commands_choices_and_profiles(o4):
    assert complete(o4, ["o4", "ba"], 1) == ["batch"]
    assert complete(o4, ["o4", "ask", "--effort", ""], 3) == ["none", "minimal", "low", "medium", "high", "xhigh"]
    assert complete(o4, ["o4", "batch", "submit", "--endpoint", ""], 4) == ["responses", "chat"]
    assert "results" in complete(o4, ["o4", "batch", ""], 2)
    assert complete(o4, ["o4", "finetune", "validate", "--method", ""], 4) == ["reinforcement", "supervised", "dpo"]
    assert complete(o4, ["o4", "ask", "--api", ""], 3) == ["responses", "chat"]
    assert "--max-cost" in complete(o4, ["o4", "ask", "--max-"], 2)
    o4("config", "set", "-p", "work", "tier", "2")
    o4("config", "set", "-p", "home", "tier", "1")
    assert sorted(complete(o4, ["o4", "models", "show", "-p", ""], 4)) == ["home", "work"]
    assert complete(o4, ["o4", "batch", "submit", ""], 3) == []  # a FILE: bash falls back to names


@pytest.mark.skipif(shutil.which("groff") is None, reason="groff is not installed")
def test_man_page_renders_without_warnings():
    man = ROOT / "man" / "o4.1"
    r = subprocess.run(["groff", "-man", "-ww", "-z", str(man)], capture_output=True, text=True)
    assert r.returncode == 0 and r.stderr == ""
    text = subprocess.run(["groff", "-man", "-Tutf8", "-P-cbu", str(man)], capture_output=True, text=True).stdout
    for word in ("o4 batch submit", "EXIT STATUS", "OPENAI_API_KEY", "--max-cost", "130"):
        assert word.replace("-", "") in text.replace("‐", "").replace("-", "").replace("\b", "")
