"""The Files API: upload (streamed from disk), find an earlier upload, download (streamed,
atomic). Batch submissions and fine-tuning jobs both use it."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import httpx

from o4cli.core.errors import NetworkError
from o4cli.core.files import temp_file
from o4cli.core.http.api import Api, segment


def upload(api: Api, path: Path, filename: str, purpose: str = "batch") -> dict[str, Any]:
    """``POST /files`` (multipart), streamed from disk; not retried blindly."""
    with path.open("rb") as fh:
        return api.request_json(
            "POST", "files", retry=False, files={"file": (filename, fh, "application/jsonl")}, data={"purpose": purpose}
        )


def find_file(api: Api, filename: str, nbytes: int, purpose: str = "batch") -> dict[str, Any] | None:
    """An earlier upload with this name and size (how a resumed step finds its file)."""
    body = api.request_json("GET", "files", params={"purpose": purpose, "order": "desc", "limit": 10000})
    for f in body.get("data") or []:
        if f.get("filename") == filename and f.get("bytes") == nbytes:
            return f
    return None


def download(api: Api, file_id: str, dest: Path) -> Path:
    """Stream a file's content to ``dest`` atomically (a temp file, then a rename)."""
    fd, tmp = temp_file(dest.parent, dest.name)
    try:
        with (
            os.fdopen(fd, "wb") as fh,
            api.stream("GET", f"files/{segment(file_id, what='file id', prefix='file-')}/content") as resp,
        ):
            try:
                for chunk in resp.iter_bytes(1 << 16):
                    fh.write(chunk)
            except httpx.TransportError as exc:
                raise NetworkError(
                    f"the download of {file_id} was cut: {type(exc).__name__}",
                    hint="run the same command again; nothing partial was kept",
                ) from None
        os.replace(tmp, dest)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return dest
