"""Starting a real ``o4``: in a pseudo-terminal (pexpect) or with pipes (subprocess)."""

from __future__ import annotations

import re
import subprocess
import sys

import pexpect

from tests.emulator import TEST_KEY

ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")


def o4_env(env: dict[str, str], emulator=None) -> dict[str, str]:
    """``env``, with the emulator's key and URL when one is given."""
    if emulator is None:
        return dict(env)
    return {**env, "OPENAI_API_KEY": TEST_KEY, "OPENAI_BASE_URL": emulator.url}


def spawn(env: dict[str, str], *args: str, emulator=None, dimensions=(40, 100), timeout: float = 20) -> pexpect.spawn:
    """``python -m o4cli ARGS`` in a pseudo-terminal of ``dimensions`` (rows, columns)."""
    return pexpect.spawn(
        sys.executable, ["-m", "o4cli", *args], env=o4_env(env, emulator),
        encoding="utf-8", dimensions=dimensions, timeout=timeout,
    )  # fmt: skip


def popen(env: dict[str, str], *args: str, emulator=None, text: bool = True) -> subprocess.Popen:
    """``python -m o4cli ARGS`` with stdout and stderr piped and no stdin."""
    return subprocess.Popen(
        [sys.executable, "-m", "o4cli", *args], env=o4_env(env, emulator),
        stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=text,
    )  # fmt: skip


def plain(text: str) -> str:
    """Terminal output without its escape sequences."""
    return ANSI.sub("", text)
