"""Assembling a prompt from words, stdin, text files and images. Checks, never sends."""

from __future__ import annotations

import base64
import struct
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

from o4cli.core.errors import UsageError
from o4cli.core.files import read_capped, read_stream_capped

MAX_IMAGE_PAYLOAD = 50 * 1024 * 1024  # the API's limit for a whole request's images
MAX_TEXT_FILE = 20 * 1024 * 1024
IMAGE_TYPES = {"png": "image/png", "jpeg": "image/jpeg", "webp": "image/webp", "gif": "image/gif"}
DETAILS = ("low", "high", "auto")


@dataclass(frozen=True)
class Image:
    """An image part: a URL (http(s) or data:) plus what o4 knows of it."""

    url: str
    source: str  # the path or URL the user gave
    media_type: str | None = None
    size: tuple[int, int] | None = None  # width, height when known
    nbytes: int = 0


@dataclass(frozen=True)
class Prompt:
    text: str
    system: str | None = None
    images: tuple[Image, ...] = field(default_factory=tuple)
    detail: str = "auto"


def build(
    words: list[str],
    stdin_text: str | None,
    files: list[str],
    images: list[str],
    *,
    system: str | None = None,
    detail: str = "auto",
) -> Prompt:
    """Join the words, then stdin, then each file under its name; check the images."""
    if detail not in DETAILS:
        raise UsageError(f"--detail must be one of {', '.join(DETAILS)} (got {detail!r})")
    parts = []
    if words:
        parts.append(" ".join(words))
    if stdin_text and stdin_text.strip():
        parts.append(stdin_text.rstrip("\n"))
    for name in files:
        parts.append(f"## {name}\n\n{read_text_file(name).rstrip()}")
    text = "\n\n".join(parts)
    imgs = tuple(load_image(i) for i in images)
    total = sum(i.nbytes for i in imgs)
    if total > MAX_IMAGE_PAYLOAD:
        raise UsageError(f"the images add up to {total / 2**20:.1f} MB; the API takes at most 50 MB a request")
    if not text.strip() and not imgs:
        raise UsageError(
            "empty prompt: give words, pipe text on stdin, or use -f FILE", hint='o4 ask "why is the sky blue?"'
        )
    if system is not None and not system.strip():
        raise UsageError("-s/--system is empty")
    return Prompt(text=text, system=system, images=imgs, detail=detail)


def read_text_file(name: str) -> str:
    """A UTF-8 text file's content; binary or unreadable files are refused by name."""
    data = read_capped(f"-f {name}", Path(name), MAX_TEXT_FILE, "too large for a prompt")
    if b"\x00" in data[:8192]:
        raise UsageError(f"-f {name}: binary file, not text", hint="images go with -i/--image")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise UsageError(f"-f {name}: not UTF-8 text (byte {exc.start})") from None


def read_stdin(stream: IO[bytes]) -> tuple[str, str | None]:
    """stdin as prompt text, read with the same cap and binary check as ``-f``; bytes that
    are not UTF-8 (a Latin-1 diff, say) are replaced: (text, the warning to show or None)."""
    data = read_stream_capped(stream, MAX_TEXT_FILE, "stdin", "too large for a prompt")
    nul = data.find(b"\x00", 0, 8192)
    if nul >= 0:
        raise UsageError(
            f"stdin: binary data (a NUL byte at offset {nul:,}), not text", hint="images go with -i/--image"
        )
    try:
        return data.decode("utf-8-sig"), None
    except UnicodeDecodeError as exc:
        warning = f"warning: stdin is not UTF-8 (first bad byte at {exc.start}); such bytes were replaced with \ufffd"
        return data.decode("utf-8-sig", errors="replace"), warning


def load_image(source: str) -> Image:
    """A URL passes through; a file becomes a data URL after type and size checks."""
    if source.startswith(("http://", "https://", "data:image/")):
        return Image(url=source, source=source)
    data = read_capped(
        f"-i {source}",
        Path(source),
        MAX_IMAGE_PAYLOAD,
        "over the API's 50 MB limit",
        missing="give a path or an http(s) URL",
    )
    kind = sniff(data)
    if kind is None:
        raise UsageError(f"-i {source}: not a PNG, JPEG, WEBP or GIF image")
    if kind == "gif" and gif_frames(data) > 1:
        raise UsageError(f"-i {source}: animated GIFs are not accepted; use a still image")
    media = IMAGE_TYPES[kind]
    url = f"data:{media};base64,{base64.b64encode(data).decode('ascii')}"
    return Image(url=url, source=source, media_type=media, size=dimensions(kind, data), nbytes=len(data))


def sniff(data: bytes) -> str | None:
    """The image type from its magic bytes."""
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "png"
    if data.startswith(b"\xff\xd8\xff"):
        return "jpeg"
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "webp"
    if data[:6] in (b"GIF87a", b"GIF89a"):
        return "gif"
    return None


def gif_frames(data: bytes) -> int:
    """How many frames a GIF has (walks its blocks; 2 means 'animated, stop counting')."""
    try:
        pos = 13
        flags = data[10]
        if flags & 0x80:
            pos += 3 * (2 ** ((flags & 7) + 1))
        frames = 0
        while pos < len(data):
            block = data[pos]
            if block == 0x3B:  # trailer
                break
            if block == 0x21:  # extension: label, then sub-blocks
                pos += 2
            elif block == 0x2C:  # image descriptor
                frames += 1
                if frames > 1:
                    return frames
                local = data[pos + 9]
                pos += 10
                if local & 0x80:
                    pos += 3 * (2 ** ((local & 7) + 1))
                pos += 1  # LZW minimum code size
            else:
                break
            while pos < len(data) and data[pos] != 0:
                pos += data[pos] + 1
            pos += 1
        return frames
    except IndexError:
        return 1


def dimensions(kind: str, data: bytes) -> tuple[int, int] | None:
    """Width and height from the header, for the token estimate; None when unsure."""
    try:
        if kind == "png":
            return struct.unpack(">II", data[16:24])
        if kind == "gif":
            return struct.unpack("<HH", data[6:10])
        if kind == "webp":
            chunk = data[12:16]
            if chunk == b"VP8X":
                w = int.from_bytes(data[24:27], "little") + 1
                h = int.from_bytes(data[27:30], "little") + 1
                return w, h
            if chunk == b"VP8L":
                bits = int.from_bytes(data[21:25], "little")
                return (bits & 0x3FFF) + 1, ((bits >> 14) & 0x3FFF) + 1
            if chunk == b"VP8 ":
                w, h = struct.unpack("<HH", data[26:30])
                return w & 0x3FFF, h & 0x3FFF
        if kind == "jpeg":
            pos = 2
            while pos + 9 < len(data):
                if data[pos] != 0xFF:
                    pos += 1
                    continue
                marker = data[pos + 1]
                if marker in (0xD8, 0x01) or 0xD0 <= marker <= 0xD7:
                    pos += 2
                    continue
                length = struct.unpack(">H", data[pos + 2 : pos + 4])[0]
                if 0xC0 <= marker <= 0xCF and marker not in (0xC4, 0xC8, 0xCC):
                    h, w = struct.unpack(">HH", data[pos + 5 : pos + 9])
                    return w, h
                pos += 2 + length
    except struct.error:
        return None
    return None
