"""Profile images: one small picture per user, kept in the shared upload store.

An image is accepted by its bytes, never by its name: the first bytes must be a PNG,
JPEG or WebP signature, and its width and height (read from the header here, no image
library) must be at most `MAX_SIDE` pixels. The size limit (`image_max_bytes`, 1 MB by
default) is counted while the upload streams in (`uploads.store`). The file lives at
`uploads/profile-images/<random key>`; `User.image` holds `<key>.<ext>`.

An image is shown only to the user, to staff, and to users who share an account with
its owner; anyone else gets 404, as if it did not exist.
"""

from __future__ import annotations

import struct

from litestar.datastructures import UploadFile

from panel.core import db, uploads
from panel.core.accounts.tables import Membership
from panel.core.audit import services as audit
from panel.core.audit.services import AuditContext
from panel.core.auth.tables import User
from panel.errors import NotFound

AREA = "profile-images"
FIELD = "image"
MAX_SIDE = 2048
DEFAULT_MAX_BYTES = 1024 * 1024
KINDS = ("png", "jpg", "webp")
ALLOWED = frozenset(KINDS)
_NOT_AN_IMAGE = "{name}: this is not a PNG, JPEG or WebP image."
_M = Membership._meta.tablename
_SHARED_SQL = (
    f'SELECT 1 FROM {_M} a JOIN {_M} b ON b.account = a.account WHERE a."user" = {{}} AND b."user" = {{}} LIMIT 1'  # noqa: S608
)


def kind_of(head: bytes) -> str | None:
    """'png', 'jpg' or 'webp' from a file's first 16 bytes, or None for anything else."""
    for kind in KINDS:
        sniff = uploads.TYPES[kind].sniff
        if sniff is not None and sniff(head):
            return kind
    return None


def _png_size(data: bytes) -> tuple[int, int] | None:
    if len(data) < 24 or data[12:16] != b"IHDR":
        return None
    width, height = struct.unpack(">II", data[16:24])
    return int(width), int(height)


_JPEG_STANDALONE = {0x01, *range(0xD0, 0xDA)}
_JPEG_SOF = {*range(0xC0, 0xD0)} - {0xC4, 0xC8, 0xCC}


def _jpeg_size(data: bytes) -> tuple[int, int] | None:
    pos = 2
    while pos + 4 <= len(data):
        if data[pos] != 0xFF:
            return None
        marker = data[pos + 1]
        if marker == 0xFF:  # fill byte
            pos += 1
            continue
        if marker in _JPEG_STANDALONE:
            pos += 2
            continue
        (length,) = struct.unpack(">H", data[pos + 2 : pos + 4])
        if length < 2:
            return None
        if marker in _JPEG_SOF:
            if pos + 9 > len(data):
                return None
            height, width = struct.unpack(">HH", data[pos + 5 : pos + 9])
            return int(width), int(height)
        pos += 2 + length
    return None


def _webp_size(data: bytes) -> tuple[int, int] | None:
    chunk = data[12:16]
    if chunk == b"VP8 " and len(data) >= 30 and data[23:26] == b"\x9d\x01\x2a":
        width, height = struct.unpack("<HH", data[26:30])
        return width & 0x3FFF, height & 0x3FFF
    if chunk == b"VP8L" and len(data) >= 25 and data[20] == 0x2F:
        b0, b1, b2, b3 = data[21:25]
        return 1 + (b0 | (b1 & 0x3F) << 8), 1 + ((b1 >> 6) | b2 << 2 | (b3 & 0x0F) << 10)
    if chunk == b"VP8X" and len(data) >= 30:
        return 1 + int.from_bytes(data[24:27], "little"), 1 + int.from_bytes(data[27:30], "little")
    return None


def dimensions(kind: str, data: bytes) -> tuple[int, int] | None:
    """Width and height in pixels from the header of a `kind` image, or None when the header is broken."""
    reader = {"png": _png_size, "jpg": _jpeg_size, "webp": _webp_size}[kind]
    size = reader(data)
    if size is None or size[0] < 1 or size[1] < 1:
        return None
    return size


def split(value: str) -> tuple[str, str] | None:
    """(key, ext) of a `User.image` value, or None when there is no image."""
    key, dot, ext = value.rpartition(".")
    return (key, ext) if dot and key and ext in ALLOWED else None


def _summary(by: AuditContext, user_id: int, email: str, own: str, other: str) -> str:
    """`own` when the user changed their own image, else `other` (an account admin did), with the email."""
    return (own if by["actor"] == user_id else other).format(email=email)


async def set_image(
    user_id: int, upload: UploadFile, max_bytes: int, by: AuditContext, *, account_id: int | None = None
) -> str:
    """Check an uploaded picture and make it the user's profile image; returns the new `User.image`.

    Raises `UploadRejected` keyed under `image` (nothing kept) when the bytes are not a
    PNG, JPEG or WebP image, it is larger than `max_bytes`, or a side is over `MAX_SIDE`
    pixels. The earlier image, if any, is deleted. `account_id` is the account whose
    admin made the change (it then shows in that account's log).
    """
    name = uploads.clean_filename(upload.filename)
    await upload.seek(0)
    head = await upload.read(16)
    kind = kind_of(head)
    if kind is None:
        raise uploads.UploadRejected(_NOT_AN_IMAGE.format(name=name), field=FIELD)
    # The store checks the bytes against the extension: give it the one the bytes have.
    stem = name.rpartition(".")[0] or name
    upload.filename = f"{stem}.{kind}"
    try:
        stored = await uploads.store(upload, area=AREA, max_bytes=max_bytes, allowed=ALLOWED)
    except uploads.UploadRejected as exc:
        raise uploads.UploadRejected(
            next(iter(exc.errors.values())).replace(upload.filename, name, 1), field=FIELD
        ) from None
    size = dimensions(kind, uploads.path_of(AREA, stored.key).read_bytes())
    if size is None or max(size) > MAX_SIDE:
        uploads.remove(AREA, stored.key)
        problem = (
            _NOT_AN_IMAGE.format(name=name)
            if size is None
            else f"{name}: is {size[0]}×{size[1]} pixels; at most {MAX_SIDE}×{MAX_SIDE} is accepted."
        )
        raise uploads.UploadRejected(problem, field=FIELD)
    value = f"{stored.key}.{kind}"
    async with db.write_transaction():
        row = await User.select(User.email, User.image).where(User.id == user_id).first()
        if row is None:
            uploads.remove(AREA, stored.key)
            raise NotFound("No such user.")
        await User.update({User.image: value}).where(User.id == user_id)
        await audit.record(
            "user.image_set",
            account_id=account_id,
            target=f"user:{user_id}",
            summary=_summary(
                by, user_id, row["email"], "{email} set a profile image.", "Set the profile image of {email}."
            ),
            details={"type": kind, "bytes": stored.size, "width": size[0], "height": size[1]},
            **by,
        )
    if old := split(row["image"]):
        uploads.remove(AREA, old[0])
    return value


async def remove_image(user_id: int, by: AuditContext, *, account_id: int | None = None) -> bool:
    """Delete the user's profile image; returns False when there was none (nothing audited).

    `account_id` is the account whose admin removed it (it then shows in that account's log).
    """
    async with db.write_transaction():
        row = await User.select(User.email, User.image).where(User.id == user_id).first()
        if row is None or not row["image"]:
            return False
        await User.update({User.image: ""}).where(User.id == user_id)
        await audit.record(
            "user.image_remove",
            account_id=account_id,
            target=f"user:{user_id}",
            summary=_summary(
                by,
                user_id,
                row["email"],
                "{email} removed their profile image.",
                "Removed the profile image of {email}.",
            ),
            details={},
            **by,
        )
    if old := split(row["image"]):
        uploads.remove(AREA, old[0])
    return True


async def shares_account(viewer_id: int, owner_id: int) -> bool:
    """Whether the two users are members of at least one common account (one indexed query)."""
    if viewer_id == owner_id:
        return True
    return bool(await db.fetch(_SHARED_SQL, viewer_id, owner_id))


async def visible_image(viewer_id: int, owner_id: int, is_staff: bool) -> tuple[str, str] | None:
    """(key, ext) of `owner_id`'s image for this viewer; None when they have none.

    Raises `NotFound` when the viewer may not see the owner's image at all (no shared
    account, not staff) or the owner does not exist.
    """
    row = await User.select(User.image).where(User.id == owner_id).first()
    if row is None or not (is_staff or await shares_account(viewer_id, owner_id)):
        raise NotFound("No such image.")
    return split(row["image"])


def stored_file(key: str, ext: str) -> uploads.StoredFile:
    """The upload-store record `uploads.file_response` serves for an image."""
    return uploads.StoredFile(
        key=key, filename=f"profile.{ext}", content_type=uploads.TYPES[ext].content_type, size=0, sha256=""
    )
