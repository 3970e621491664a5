"""Local files o4 writes: atomic replacement (config, results), paths checked before
anything is sent, stdin spooled to the data folder, stale temporary files."""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterable
from pathlib import Path
from typing import IO

from o4cli.core.errors import UsageError


def write_atomic(path: Path, content: bytes, mode: int = 0o600) -> None:
    """Replace ``path`` with ``content`` in one step; a crash leaves the old file."""
    write_atomic_lines(path, [content], mode=mode)


def write_atomic_lines(path: Path, lines: Iterable[bytes], *, mode: int | None = None) -> int:
    """Write ``lines`` to ``path`` through a temp file, fsync and a rename; return the count."""
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    n = 0
    try:
        with os.fdopen(fd, "wb") as fh:
            if mode is not None:
                os.fchmod(fh.fileno(), mode)
            for line in lines:
                fh.write(line)
                n += 1
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return n


def existing_file(name: str, label: str) -> Path:
    """A file to read; ``label`` names it in the message (``--train``, ``the input``)."""
    path = Path(name)
    where = f"{label} {name}" if label else name
    if path.is_dir():
        raise UsageError(f"{where}: is a folder; give a file")
    if not path.is_file():
        raise UsageError(f"{where}: no such file")
    return path


def output_file(name: str, flag: str) -> Path:
    """A file o4 may write: not a folder, in a folder that exists."""
    path = Path(name)
    if path.is_dir():
        raise UsageError(f"{flag} {name}: is a folder; give a file name")
    if not path.parent.exists():
        raise UsageError(f"{flag} {name}: the folder {path.parent} does not exist")
    return path


def spool(stream: IO[bytes], folder: Path) -> Path:
    """Copy a stream (stdin) to a temporary file in ``folder``, to read it more than once."""
    folder.mkdir(parents=True, exist_ok=True)
    fd, name = tempfile.mkstemp(prefix="stdin-", suffix=".txt", dir=folder)
    with open(fd, "wb") as fh:
        shutil.copyfileobj(stream, fh)
    return Path(name)


def distinct(named: dict[str, str | None]) -> None:
    """Refuse, before anything is opened for writing, two of these paths being one file
    (an output over the input, or ``--errors`` over ``-o``); ``-`` (stdin) is never a file."""
    seen: dict[object, tuple[str, str]] = {}
    for flag, name in named.items():
        if not name or name == "-":
            continue
        try:
            st = os.stat(name)
            key: object = (st.st_dev, st.st_ino)  # hard and symbolic links too
        except OSError:
            key = os.path.realpath(name)
        if key in seen:
            other_flag, other = seen[key]
            raise UsageError(f"{flag} {name}: the same file as {other_flag} {other}; nothing was written")
        seen[key] = (flag, name)
