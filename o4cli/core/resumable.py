"""Look before doing it again: the one resumable step of batch submit and fine-tune create.

Creating a remote object (an upload, a batch, a job) is never retried blindly: a lost
answer may hide a success. So each step is marked in the ledger before it is sent, and a
step found marked but without its result is first looked up remotely (by file name and
size, or by the ``o4_input`` metadata tag) before it is sent again.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from o4cli.core.errors import NetworkError, ServerError
from o4cli.core.ledger import Ledger

UNCERTAIN = "the {what} may or may not have {arrived}: run the same command again to resume (nothing is sent twice)"


def step(
    ledger: Ledger,
    job_id: int,
    *,
    marker: str,
    status: str,
    find: Callable[[], dict[str, Any] | None],
    do: Callable[[], dict[str, Any]],
    what: str,
    notice: Callable[[str], None],
    prefix: str = "",
) -> dict[str, Any]:
    """The remote object of one step: found (when the step was started before) or made.

    ``marker`` is the ledger state key set before sending; ``status`` the job status
    meanwhile; ``what`` names the object in messages ("upload", "batch", "job"); ``prefix`` starts
    the notice ("shard 2: ")."""
    job = ledger.job(job_id)
    if job is not None and job.state.get(marker):
        found = find()
        if found:
            notice(f"{prefix}found the earlier {what} {found.get('id')}")
            return found
    ledger.update_job(job_id, status=status, state={marker: True})
    try:
        return do()
    except (NetworkError, ServerError) as exc:
        arrived = "arrived" if what == "upload" else "been created"
        exc.hint = UNCERTAIN.format(what=what, arrived=arrived)
        raise
