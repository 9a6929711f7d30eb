"""Profile images: upload, shown in the top bar and the users list, refused by content and size, private, removed."""

from __future__ import annotations

import struct
import zlib

import factories as f
from profile_support import login_as, other_browser

from panel.core import uploads
from panel.core.audit.tables import AuditEvent
from panel.core.auth.tables import User
from panel.core.profile import images


def _chunk(kind: bytes, body: bytes) -> bytes:
    return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body) & 0xFFFFFFFF)


def png(width: int = 2, height: int = 2, padding: int = 0) -> bytes:
    """A real RGB PNG of grey pixels (optionally with a private chunk of `padding` bytes)."""
    rows = b"".join(b"\x00" + b"\x80\x80\x80" * width for _ in range(height))
    data = b"\x89PNG\r\n\x1a\n" + _chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0))
    if padding:
        data += _chunk(b"prVt", b"\x00" * padding)
    return data + _chunk(b"IDAT", zlib.compress(rows)) + _chunk(b"IEND", b"")


async def _upload(client, name: str, body: bytes, content_type: str = "image/png"):
    return await client.post(
        "/me/image",
        data={"_csrf_token": f.csrf(client)},
        files={"image": (name, body, content_type)},
        follow_redirects=False,
    )


async def _image_of(user_id: int) -> str:
    row = await User.select(User.image).where(User.id == user_id).first()
    return row["image"]


def test_headers_give_width_and_height():
    assert images.dimensions("png", png(3, 5)) == (3, 5)
    jpeg = b"\xff\xd8\xff\xe0" + struct.pack(">H", 16) + b"JFIF\x00" + b"\x00" * 9
    jpeg += b"\xff\xc0" + struct.pack(">HBHHB", 11, 8, 600, 800, 3) + b"\x00" * 6 + b"\xff\xd9"
    assert images.dimensions("jpg", jpeg) == (800, 600)
    lossy = b"RIFF\x00\x00\x00\x00WEBPVP8 \x00\x00\x00\x00" + b"\x00\x00\x00" + b"\x9d\x01\x2a"
    assert images.dimensions("webp", lossy + struct.pack("<HH", 320, 240)) == (320, 240)
    extended = b"RIFF\x00\x00\x00\x00WEBPVP8X\x0a\x00\x00\x00" + b"\x00" * 4
    assert images.dimensions("webp", extended + (4999).to_bytes(3, "little") + (99).to_bytes(3, "little")) == (
        5000,
        100,
    )
    assert images.dimensions("png", b"\x89PNG\r\n\x1a\n" + b"\x00" * 8) is None


async def test_upload_shows_in_top_bar_and_users_list_then_replace_and_remove(client, authz):
    ada = await f.user(authz, "ada@example.com")
    bob = await f.user(authz, "bob@example.com")
    await f.account(authz, "Ada Ltd", ada, members={bob: []})
    await login_as(client, "ada@example.com")

    before = await client.get("/me")
    assert 'data-testid="topbar-image"' not in before.text and 'name="image"' in before.text

    picture = png()
    sent = await _upload(client, "me.png", picture)
    assert sent.status_code == 303 and sent.headers["location"] == "/me?saved=image"
    first = await _image_of(ada)
    assert first.endswith(".png")

    shown = await client.get("/me?saved=image")
    assert "Your profile image was saved." in shown.text
    top_bar = f'<img src="/users/{ada}/image" alt="" width="24" height="24" class="avatar" data-testid="topbar-image">'
    assert top_bar in shown.text
    served = await client.get(f"/users/{ada}/image")
    assert served.status_code == 200 and served.content == picture
    assert served.headers["content-type"] == "image/png"
    assert served.headers["x-content-type-options"] == "nosniff"
    assert served.headers["content-security-policy"] == "sandbox"

    # The account's users list shows each member's picture; a member sees Ada's.
    users = await client.get("/account/users")
    # only members with an image get one in the list (no request per member for a placeholder)
    assert f'<img src="/users/{ada}/image"' in users.text and f'<img src="/users/{bob}/image"' not in users.text
    bob_browser = await other_browser(client, "bob@example.com")
    seen_by_bob = await bob_browser.get(f"/users/{ada}/image")
    assert seen_by_bob.status_code == 200 and seen_by_bob.content == picture
    placeholder = await bob_browser.get(f"/users/{bob}/image")  # no image yet: a neutral placeholder
    assert placeholder.status_code == 200 and placeholder.headers["content-type"].startswith("image/svg+xml")

    # A JPEG-named PNG is taken by its content; replacing deletes the old file.
    old_path = uploads.path_of(images.AREA, first.rpartition(".")[0])
    assert old_path.is_file()
    again = await _upload(client, "holiday.jpg", png(4, 4), "image/jpeg")
    assert again.status_code == 303
    second = await _image_of(ada)
    assert second != first and second.endswith(".png") and not old_path.exists()

    removed = await client.post("/me/image/remove", data={"_csrf_token": f.csrf(client)}, follow_redirects=False)
    assert removed.status_code == 303 and removed.headers["location"] == "/me?saved=image_removed"
    assert await _image_of(ada) == ""
    assert not uploads.path_of(images.AREA, second.rpartition(".")[0]).exists()
    after = await client.get("/me?saved=image_removed")
    assert "Your profile image was removed." in after.text and 'data-testid="topbar-image"' not in after.text

    actions = await AuditEvent.select(AuditEvent.action, AuditEvent.target).order_by(AuditEvent.id)
    mine = [a for a in actions if a["action"].startswith("user.image")]
    assert mine == [
        {"action": "user.image_set", "target": f"user:{ada}"},
        {"action": "user.image_set", "target": f"user:{ada}"},
        {"action": "user.image_remove", "target": f"user:{ada}"},
    ]


async def test_disguised_script_oversized_and_huge_images_are_refused_beside_the_field(client, authz):
    ada = await f.user(authz, "ada@example.com")
    await f.account(authz, "Ada Ltd", ada)
    await login_as(client, "ada@example.com")

    script = await _upload(client, "cute.png", b"#!/bin/sh\nrm -rf ~\n")
    assert script.status_code == 422
    assert 'id="image-error" class="field-error">cute.png: this is not a PNG, JPEG or WebP image.<' in script.text

    big = await _upload(client, "big.png", png(padding=1024 * 1024 + 10))
    assert big.status_code == 422
    assert 'id="image-error" class="field-error">big.png: is larger than the 1 MB limit<' in big.text

    huge = await _upload(client, "wide.png", png(width=4000, height=1))
    assert huge.status_code == 422 and "wide.png: is 4000×1 pixels; at most 2048×2048 is accepted." in huge.text

    assert await _image_of(ada) == ""
    assert await AuditEvent.count().where(AuditEvent.action.like("user.image%")) == 0
    folder = uploads.path_of(images.AREA, "x" * 32).parent
    assert not folder.exists() or not any(folder.iterdir())  # nothing left on disk


async def test_image_of_a_user_with_no_shared_account_is_404(client, authz):
    ada = await f.user(authz, "ada@example.com")
    eve = await f.user(authz, "eve@example.com")
    await f.account(authz, "Ada Ltd", ada)
    await f.account(authz, "Eve Corp", eve)
    await login_as(client, "ada@example.com")
    assert (await _upload(client, "me.png", png())).status_code == 303

    eve_browser = await other_browser(client, "eve@example.com")
    assert (await eve_browser.get(f"/users/{ada}/image")).status_code == 404
    assert (await eve_browser.get("/users/999999/image")).status_code == 404
    client.cookies.clear()
    anonymous = await client.get(f"/users/{ada}/image", follow_redirects=False)
    assert anonymous.status_code != 200 and anonymous.content != png()
