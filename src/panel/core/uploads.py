"""The shared upload store: files people send (ticket attachments) and files staff publish (downloads).

A stored file lives at `<data_dir>/uploads/<area>/<key>`, where `key` is random: the
name the sender chose is never used on disk, only kept (cleaned) for display. Before a
file is accepted it must

- be no larger than the caller's limit, counted while it streams in, so an oversized
  upload is refused without being held whole;
- have an extension on the allow-list, and bytes that agree with it (a PNG starts with
  the PNG signature, a `.txt` is UTF-8 text without NUL bytes, ...). HTML, SVG,
  scripts and programs are never on the list, and a program renamed `.png` fails the
  content check.

The content type stored and served is the one the extension maps to, never the one
the browser sent. `file_response` serves a file as a download with headers that stop a
browser from sniffing or running it.
"""

from __future__ import annotations

import codecs
import contextlib
import hashlib
import os
import re
import secrets
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

from litestar import Response
from litestar.datastructures import UploadFile
from litestar.response import File

from panel.errors import ValidationFailed

CHUNK = 64 * 1024
_AREA = re.compile(r"^[a-z0-9_-]{1,40}$")
_KEY = re.compile(r"^[A-Za-z0-9_-]{20,64}$")


def _png(head: bytes) -> bool:
    return head.startswith(b"\x89PNG\r\n\x1a\n")


def _jpeg(head: bytes) -> bool:
    return head.startswith(b"\xff\xd8\xff")


def _gif(head: bytes) -> bool:
    return head[:6] in (b"GIF87a", b"GIF89a")


def _webp(head: bytes) -> bool:
    return head[:4] == b"RIFF" and head[8:12] == b"WEBP"


def _pdf(head: bytes) -> bool:
    return head.startswith(b"%PDF-")


def _zip(head: bytes) -> bool:
    return head[:4] in (b"PK\x03\x04", b"PK\x05\x06")


@dataclass(frozen=True)
class FileType:
    """An accepted kind of file: the content type served and how its first bytes look.

    `sniff` is None for text, which is checked over the whole file instead (UTF-8 that
    decodes, no NUL byte).
    """

    content_type: str
    sniff: Callable[[bytes], bool] | None
    inline: bool = False  # browsers may show it in the page (images, PDF)


TYPES: dict[str, FileType] = {
    "png": FileType("image/png", _png, inline=True),
    "jpg": FileType("image/jpeg", _jpeg, inline=True),
    "jpeg": FileType("image/jpeg", _jpeg, inline=True),
    "gif": FileType("image/gif", _gif, inline=True),
    "webp": FileType("image/webp", _webp, inline=True),
    "pdf": FileType("application/pdf", _pdf, inline=True),
    "zip": FileType("application/zip", _zip),
    "txt": FileType("text/plain; charset=utf-8", None),
    "log": FileType("text/plain; charset=utf-8", None),
    "csv": FileType("text/csv; charset=utf-8", None),
}
"""Every extension the store knows; callers narrow it with `allowed`."""

DEFAULT_TYPES: frozenset[str] = frozenset(TYPES)
"""Images (png, jpg, jpeg, gif, webp), pdf, txt, log, csv and zip."""

_INLINE_TYPES = frozenset(t.content_type for t in TYPES.values() if t.inline)


@dataclass(frozen=True)
class StoredFile:
    """A file in the store: `key` names it on disk, `filename` is the cleaned display name."""

    key: str
    filename: str
    content_type: str
    size: int
    sha256: str


class UploadRejected(ValidationFailed):
    """An upload that was refused; the message names the file and says why.

    The error is keyed under `field` (default `attachments`) so a form can show it beside
    its file input.
    """

    def __init__(self, message: str, *, field: str = "attachments") -> None:
        super().__init__({field: message})
        self.field = field


def _uploads_root() -> Path:
    from panel.core import runtime

    return runtime.current().settings.data_path / "uploads"


def path_of(area: str, key: str) -> Path:
    """Where the file `key` of `area` lives; a `ValueError` for a malformed area or key."""
    if not _AREA.match(area) or not _KEY.match(key):
        raise ValueError("not a valid upload area or key")
    return _uploads_root() / area / key


def clean_filename(raw: str) -> str:
    """A display name from what the sender called the file: no folders, no control characters, at most 150 chars."""
    name = unicodedata.normalize("NFC", raw or "").replace("\\", "/").rsplit("/", 1)[-1]
    name = "".join(ch for ch in name if unicodedata.category(ch)[0] != "C")
    name = re.sub(r"\s+", " ", name).strip().lstrip(".").strip()
    if len(name) > 150:
        stem, dot, ext = name.rpartition(".")
        name = (stem[: 150 - len(ext) - 1] + dot + ext) if dot and len(ext) <= 10 else name[:150]
    return name or "file"


def extension_of(filename: str) -> str:
    """The lower-case extension of a name, without its dot ('' when it has none)."""
    stem, dot, ext = filename.rpartition(".")
    return ext.lower() if dot and stem else ""


def _limit_text(max_bytes: int) -> str:
    mb = max_bytes / (1024 * 1024)
    if mb >= 1:
        return f"{mb:g} MB"
    return f"{max(1, max_bytes // 1024)} KB"


def type_refusal(filename: str, allowed: frozenset[str] = DEFAULT_TYPES) -> str | None:
    """Why a file of this name would be refused by its type alone, or None (its bytes are checked by `store`)."""
    name = clean_filename(filename)
    if extension_of(name) in allowed and extension_of(name) in TYPES:
        return None
    return f"{name}: this type of file is not accepted"


async def store(
    upload: UploadFile, *, area: str, max_bytes: int, allowed: frozenset[str] = DEFAULT_TYPES
) -> StoredFile:
    """Check one upload and keep it in `area`; returns what was stored.

    Raises `UploadRejected` (nothing left on disk) when the type is not accepted, the
    bytes disagree with the extension, the file is empty, or it is larger than
    `max_bytes` (counted while reading: the rest is not read).
    """
    filename = clean_filename(upload.filename)
    ext = extension_of(filename)
    kind = TYPES.get(ext) if ext in allowed else None
    if kind is None:
        raise UploadRejected(type_refusal(filename, allowed) or filename)
    folder = _uploads_root() / area
    key = secrets.token_urlsafe(24)
    target = path_of(area, key)
    folder.mkdir(parents=True, exist_ok=True)
    partial = folder / f".partial-{key}"
    digest = hashlib.sha256()
    decoder = codecs.getincrementaldecoder("utf-8")() if kind.sniff is None else None
    head = b""
    size = 0
    try:
        await upload.seek(0)
        with partial.open("wb") as out:
            while True:
                chunk = await upload.read(CHUNK)
                if not chunk:
                    break
                size += len(chunk)
                if size > max_bytes:
                    raise UploadRejected(f"{filename}: is larger than the {_limit_text(max_bytes)} limit")
                if len(head) < 16:
                    head = (head + chunk)[:16]
                if decoder is not None:
                    if b"\x00" in chunk:
                        raise UploadRejected(f"{filename}: the contents do not match a .{ext} file")
                    try:
                        decoder.decode(chunk)
                    except UnicodeDecodeError:
                        raise UploadRejected(f"{filename}: the contents do not match a .{ext} file") from None
                digest.update(chunk)
                out.write(chunk)
        if size == 0:
            raise UploadRejected(f"{filename}: the file is empty")
        if decoder is not None:
            try:
                decoder.decode(b"", final=True)
            except UnicodeDecodeError:
                raise UploadRejected(f"{filename}: the contents do not match a .{ext} file") from None
        elif kind.sniff is not None and not kind.sniff(head):
            raise UploadRejected(f"{filename}: the contents do not match a .{ext} file")
        os.replace(partial, target)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            partial.unlink()
        raise
    return StoredFile(key=key, filename=filename, content_type=kind.content_type, size=size, sha256=digest.hexdigest())


def remove(area: str, key: str) -> None:
    """Delete a stored file; a file already gone is not an error."""
    with contextlib.suppress(FileNotFoundError, ValueError):
        path_of(area, key).unlink()


def file_response(area: str, stored: StoredFile, *, inline: bool = False) -> Response[bytes]:
    """Serve a stored file as a download (or shown in the page, for images and PDF when `inline`).

    The content type is the one recorded at upload; `nosniff` and a sandboxing CSP stop
    a browser from treating it as anything else or running script in it. The caller
    checks access first; a file missing from disk answers 404.
    """
    from panel.errors import NotFound

    path = path_of(area, stored.key)
    if not path.is_file():
        raise NotFound("That file is no longer available.")
    disposition = "inline" if inline and stored.content_type in _INLINE_TYPES else "attachment"
    fallback = stored.filename.encode("ascii", "replace").decode().replace('"', "").replace("?", "_")
    headers = {
        "content-disposition": f"{disposition}; filename=\"{fallback}\"; filename*=UTF-8''{quote(stored.filename)}",
        "x-content-type-options": "nosniff",
        "content-security-policy": "sandbox",
        "cache-control": "private, no-store",
    }
    return File(
        path=path,
        filename=stored.filename,
        media_type=stored.content_type,
        content_disposition_type=disposition,  # type: ignore[arg-type]
        headers=headers,
    )
