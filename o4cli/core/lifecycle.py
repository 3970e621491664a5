"""A model's life at run time: a warning when it is past its shutdown (and still sent: a
server may serve it yet), a notice at most once a day while it is deprecated, and what a
``404 model_not_found`` means for a model o4 knows to be shut down."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from o4cli.core import catalog, jsonload
from o4cli.core.errors import ApiError

if TYPE_CHECKING:
    from o4cli.core.runtime import Runtime

NOTICES = "notices.json"  # in the data folder: {"model": "YYYY-MM-DD" of the last notice}


def _when(model: catalog.Model, key: str, day: date) -> str:
    return f"{day.isoformat()}{' (unconfirmed)' if model.is_unconfirmed(f'lifecycle.{key}') else ''}"


def switch_hint(rt: Runtime, model: catalog.Model) -> str:
    """The exact command that moves this profile to the model's substitute."""
    sub = model.lifecycle.substitute
    if not sub:
        return "choose another model: `o4 models list` shows each one's status"
    profile = rt.settings.profile
    flag = "" if profile == "default" else f" -p {profile}"
    unconfirmed = " (substitute unconfirmed)" if model.is_unconfirmed("lifecycle.substitute") else ""
    return f"switch to {sub}{unconfirmed}: o4 config set{flag} model {sub}  (or -m {sub} for one call)"


def before_send(rt: Runtime, model_id: str, *, dry_run: bool = False) -> None:
    """Say what the catalog knows of the model's life before a call: one warning line a day
    (per model and server) past its shutdown, one notice a day (per model) while it is
    deprecated. A dry run always says it."""
    model = catalog.find(model_id)
    if model is None:
        return
    life = model.lifecycle
    today = catalog.today()
    status = life.status(today)
    if status == "shut down" and life.shutdown is not None:
        # Once a day per model and server: a server that still serves it (dedicated
        # capacity, Azure, a proxy) must not make every call of the day shout.
        host = urlsplit(rt.settings.base_url).netloc
        if not dry_run and not _due(rt.settings.data_dir, f"{model.id} shut down @ {host}", today):
            return
        sub = f"; its substitute is {life.substitute}" if life.substitute else ""
        rt.warn(
            f"{model_id} was shut down on {_when(model, 'shutdown', life.shutdown)}{sub}; "
            f"sending anyway (a server may still serve it; said once a day). {switch_hint(rt, model)}"
        )
    elif status == "deprecated" and not dry_run and _due(rt.settings.data_dir, model.id, today):
        ends = f"; it shuts down on {_when(model, 'shutdown', life.shutdown)}" if life.shutdown else ""
        rt.notice(f"note: {model_id} is deprecated{ends}. {switch_hint(rt, model)}")


def explain_not_found(rt: Runtime, exc: ApiError, model_id: str) -> None:
    """A ``404 model_not_found`` for a model o4 knows to be shut down says so, with the
    command to switch (changes ``exc`` in place; any other error is left as it is)."""
    if exc.status != 404 or exc.code != "model_not_found":
        return
    model = catalog.find(model_id)
    if model is None or model.lifecycle.shutdown is None:
        return
    day = model.lifecycle.shutdown
    if catalog.today() >= day:
        exc.message = f"{model_id} was shut down on {_when(model, 'shutdown', day)}: the API no longer serves it"
    else:
        exc.message = f"{exc.message} (o4's catalog has {model_id} shutting down on {_when(model, 'shutdown', day)})"
    exc.hint = switch_hint(rt, model)


def _due(folder: Path, model_id: str, today: date) -> bool:
    """Whether today's notice for this model is still to be given; records it. Two o4 at
    once give it once (a lock around the read and the atomic write). A folder that cannot
    keep the state just means the notice is given."""
    from o4cli.core.files import write_atomic
    from o4cli.core.locks import exclusive

    path = folder / NOTICES
    try:
        with exclusive(folder / f".{NOTICES}.lock"):
            try:
                state = jsonload.loads(path.read_bytes())
                if not isinstance(state, dict):
                    state = {}
            except (FileNotFoundError, ValueError):
                state = {}
            if state.get(model_id) == today.isoformat():
                return False
            state[model_id] = today.isoformat()
            write_atomic(path, json.dumps(state, sort_keys=True).encode())
    except OSError:
        return True
    return True
