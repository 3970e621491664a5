"""Advisory OS file locks (``flock``): two o4 processes never do the same work or lose
each other's writes. The kernel releases a lock when its process dies, however it dies."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from o4cli.core.errors import O4Error


@contextmanager
def exclusive(
    path: Path, *, wait: bool = True, busy: str = "", on_wait: Callable[[], None] | None = None
) -> Iterator[None]:
    """Hold an exclusive lock on ``path`` (created if need be) for the block.

    ``wait``: wait for another holder to finish (short read-modify-write sections), calling
    ``on_wait`` first when it has to wait; otherwise refuse at once with ``busy`` as the
    message (long runs)."""
    try:
        import fcntl
    except ImportError:  # not POSIX: no advisory locks; proceed as before
        yield
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            if not wait:
                raise O4Error(busy or f"{path} is in use by another o4") from None
            if on_wait is not None:
                on_wait()
            fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)  # closing releases the lock


def work_lock(data_dir: Path, kind: str, digest: str) -> Path:
    """The lock file of one piece of remote work (a submit of one input): identical runs
    take turns, so the second finds what the first made instead of making it again."""
    return data_dir / "locks" / f"{kind}-{digest[:32]}.lock"
