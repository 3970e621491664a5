"""Local files o4 writes: atomic replacement (config, results), paths checked before
anything is sent, stdin spooled to the data folder, stale temporary files."""

from __future__ import annotations

import os
import stat
import time
from collections.abc import Iterable
from pathlib import Path
from typing import IO

from o4cli.core.errors import UsageError


def write_atomic(path: Path, content: bytes, mode: int = 0o600) -> None:
    """Replace ``path`` with ``content`` in one step; a crash leaves the old file."""
    write_atomic_lines(path, [content], mode=mode)


# Every temporary file or folder o4 makes is named ``.o4tmp-PID-...`` so that one left by a
# killed process is known as such and swept by the next o4 that makes one in that folder.
TEMP_PREFIX = ".o4tmp-"
STALE_AFTER = 7 * 86400.0  # the owner may be alive on another machine (a shared folder) or a reused pid


def alive(pid: int) -> bool:
    """Whether process ``pid`` runs on this machine (someone else's counts as running)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (PermissionError, OSError):
        return True  # someone else's process: alive
    return True


def sweep(folder: Path, *, now: float | None = None) -> int:
    """Remove o4's temporary files and folders in ``folder`` whose process is gone (or that
    are older than a week); return how many. Errors are ignored: sweeping is a courtesy."""
    count = 0
    now = time.time() if now is None else now
    try:
        entries = list(os.scandir(folder))
    except OSError:
        return 0
    for entry in entries:
        if not entry.name.startswith(TEMP_PREFIX):
            continue
        pid_text = entry.name[len(TEMP_PREFIX) :].split("-", 1)[0]
        pid = int(pid_text) if pid_text.isdigit() else None
        try:
            age = now - entry.stat(follow_symlinks=False).st_mtime
        except OSError:
            continue
        if pid == os.getpid() or (pid is not None and age < STALE_AFTER and alive(pid)):
            continue
        try:
            if entry.is_dir(follow_symlinks=False):
                import shutil

                shutil.rmtree(entry.path)
            else:
                os.unlink(entry.path)
            count += 1
        except OSError:
            pass
    return count


def temp_file(folder: Path, name: str = "", suffix: str = "") -> tuple[int, Path]:
    """A new temporary file in ``folder`` (an open descriptor and its path), after sweeping
    the ones killed processes left there."""
    folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    sweep(folder)
    import tempfile

    fd, tmp = tempfile.mkstemp(prefix=f"{TEMP_PREFIX}{os.getpid()}-{name}.", suffix=suffix, dir=folder)
    return fd, Path(tmp)


def temp_dir(folder: Path, name: str = "") -> Path:
    """A new temporary folder in ``folder``, after sweeping stale ones."""
    folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    sweep(folder)
    import tempfile

    return Path(tempfile.mkdtemp(prefix=f"{TEMP_PREFIX}{os.getpid()}-{name}.", dir=folder))


def write_atomic_lines(path: Path, lines: Iterable[bytes], *, mode: int | None = None) -> int:
    """Write ``lines`` to ``path`` through a temp file, fsync and a rename; return the count."""
    fd, tmp = temp_file(path.parent, path.name)
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


def _not_regular(mode: int) -> str | None:
    """What a path is when it is not a regular file (None when it is)."""
    if stat.S_ISREG(mode):
        return None
    if stat.S_ISDIR(mode):
        return "is a folder; give a file"
    if stat.S_ISFIFO(mode):
        return "is a pipe (FIFO), not a regular file; to read a stream, pipe it on stdin with -"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "is a device, not a regular file"
    if stat.S_ISSOCK(mode):
        return "is a socket, not a regular file"
    return "is not a regular file"


def _mb(n: int) -> str:
    return f"{n / 2**20:,.1f} MB"


def _unreadable(label: str, exc: OSError, missing: str = "") -> UsageError:
    """The one-line message of a file that cannot be opened or read."""
    if isinstance(exc, FileNotFoundError):
        return UsageError(f"{label}: no such file" + (f" ({missing})" if missing else ""))
    if isinstance(exc, IsADirectoryError):
        return UsageError(f"{label}: is a folder; give a file")
    if isinstance(exc, PermissionError):
        return UsageError(f"{label}: permission denied")
    return UsageError(f"{label}: cannot be read ({exc.strerror or exc})")


def _check(label: str, st: os.stat_result, limit: int | None, too_big: str) -> None:
    """Refuse what is not a regular file, or one larger than ``limit``, by its ``stat``."""
    why = _not_regular(st.st_mode)
    if why:
        raise UsageError(f"{label}: {why}")
    if limit is not None and st.st_size > limit:
        raise UsageError(f"{label}: {_mb(st.st_size)} is {too_big} (at most {_mb(limit)})")


def existing_file(name: str, label: str, *, limit: int | None = None, too_big: str = "too large") -> Path:
    """A regular file to read; ``label`` names it in the message (``--train``, ``the input``).

    Refused before it is opened: a folder, a device (``/dev/zero``), a FIFO, a socket, and
    (with ``limit``) a file larger than ``limit`` bytes."""
    path = Path(name)
    where = f"{label} {name}" if label else name
    try:
        st = path.stat()
    except OSError as exc:
        raise _unreadable(where, exc) from None
    _check(where, st, limit, too_big)
    return path


def read_capped(label: str, path: Path, limit: int, too_big: str = "too large", missing: str = "") -> bytes:
    """A regular file's bytes, at most ``limit``; ``label`` (the flag and the name) starts
    every message. Its type and size are checked before a byte is read, and the read stops
    past ``limit`` (a file that grows while it is read, a /proc file that says it is empty)."""
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))  # a FIFO must not block the open
    except OSError as exc:
        raise _unreadable(label, exc, missing) from None
    try:
        _check(label, os.fstat(fd), limit, too_big)
        with os.fdopen(fd, "rb", closefd=False) as fh:
            data = fh.read(limit + 1)
    except OSError as exc:
        raise _unreadable(label, exc) from None
    finally:
        os.close(fd)
    if len(data) > limit:
        raise UsageError(f"{label}: more than {_mb(limit)} is {too_big}")
    return data


def read_stream_capped(stream: IO[bytes], limit: int, label: str = "stdin", too_big: str = "too large") -> bytes:
    """A stream's bytes (stdin), refused once past ``limit``: never read without end."""
    chunks, total = [], 0
    while True:
        chunk = stream.read(min(1 << 20, limit + 1 - total))
        if not chunk:
            return b"".join(chunks)
        chunks.append(chunk)
        total += len(chunk)
        if total > limit:
            raise UsageError(f"{label}: more than {_mb(limit)} is {too_big}")


def output_file(name: str, flag: str) -> Path:
    """A file o4 may write: not a folder, in a folder that exists."""
    path = Path(name)
    if path.is_dir():
        raise UsageError(f"{flag} {name}: is a folder; give a file name")
    if not path.parent.exists():
        raise UsageError(f"{flag} {name}: the folder {path.parent} does not exist")
    return path


def spool(stream: IO[bytes], folder: Path, limit: int, too_big: str = "too large") -> Path:
    """Copy a stream (stdin) to a temporary file in ``folder``, to read it more than once;
    past ``limit`` bytes it stops and refuses (the copy is removed)."""
    fd, name = temp_file(folder, "stdin", ".txt")
    total = 0
    try:
        with open(fd, "wb") as fh:
            while chunk := stream.read(1 << 20):
                total += len(chunk)
                if total > limit:
                    raise UsageError(f"stdin: more than {_mb(limit)} is {too_big}")
                fh.write(chunk)
    except BaseException:
        name.unlink(missing_ok=True)
        raise
    return name


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
