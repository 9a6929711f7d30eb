"""Ticket attachments through the shared upload store: what is refused, and that a refusal leaves nothing behind."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import factories as f
import pytest
from litestar.datastructures import UploadFile

from panel.core import uploads
from panel.core.support import notify, services
from panel.core.support.demo import seed
from panel.core.support.tables import SupportAttachment, SupportMessage, SupportTicket
from panel.errors import ValidationFailed

PNG = b"\x89PNG\r\n\x1a\n" + bytes(200)
PDF = b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<<>>\nendobj\n"
EXE = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff" + bytes(200)


def _files(folder: Path) -> set[str]:
    return {p.name for p in folder.iterdir()} if folder.exists() else set()


async def _setup(authz: Any) -> dict[str, int]:
    owner = await f.user(authz, "owner@example.com")
    await f.user(authz, "support@example.com", staff="support")
    account = await f.account(authz, "Acme", owner)
    departments = await seed(staff_emails=("support@example.com",))
    return {"owner": owner, "account": account, "tech": departments["Technical support"]}


REFUSED = [
    ("page.html", b"<html><script>alert(1)</script></html>", "text/html", "this type of file is not accepted"),
    ("logo.svg", b'<svg xmlns="http://www.w3.org/2000/svg"><script>x</script></svg>', "image/svg+xml", "not accepted"),
    ("run.js", b"alert(document.cookie)", "text/javascript", "not accepted"),
    ("setup.exe", EXE, "application/octet-stream", "not accepted"),
    ("holiday.png", EXE, "image/png", "the contents do not match a .png file"),
    ("report.pdf", PNG, "application/pdf", "the contents do not match a .pdf file"),
    ("notes.txt", b"hello\x00world", "text/plain", "the contents do not match a .txt file"),
    ("big.zip", b"PK\x03\x04" + bytes(1024 * 1024 + 1), "application/zip", "larger than the 1 MB limit"),
]


async def test_refused_files_show_the_reason_beside_the_field_and_store_nothing(
    client: Any, authz: Any, upload_dir: Path
) -> None:
    ids = await _setup(authz)
    await f.login_as(client, "owner@example.com")
    before = _files(upload_dir)
    for name, content, mime, reason in REFUSED:
        answer = await client.post(
            "/tickets/new",
            data={
                "department": str(ids["tech"]),
                "subject": "Look at this",
                "priority": "high",
                "body": "See the file.",
                "_csrf_token": f.csrf(client),
            },
            files=[("attachments", (name, content, mime))],
            follow_redirects=False,
        )
        assert answer.status_code == 422, (name, answer.status_code)
        assert 'data-testid="error-attachments"' in answer.text, name
        error = answer.text.split('data-testid="error-attachments">', 1)[1].split("<", 1)[0]
        assert error.startswith(f"{name}:") and reason in error, (name, error)
        assert 'value="Look at this"' in answer.text and "See the file.</textarea>" in answer.text
    assert await SupportTicket.count() == 0 and await SupportAttachment.count() == 0
    assert _files(upload_dir) == before


async def test_a_refused_reply_file_keeps_the_good_ones_out_too(client: Any, authz: Any, upload_dir: Path) -> None:
    ids = await _setup(authz)
    ticket_id = await services.open_ticket(ids["account"], ids["owner"], ids["tech"], "Hi", "Hello", "low")
    await f.login_as(client, "owner@example.com")
    before = _files(upload_dir)
    answer = await client.post(
        f"/tickets/{ticket_id}/reply",
        data={"body": "Two files", "_csrf_token": f.csrf(client)},
        files=[
            ("attachments", ("ok.pdf", PDF, "application/pdf")),
            ("attachments", ("bad.png", EXE, "image/png")),
        ],
        follow_redirects=False,
    )
    assert answer.status_code == 422 and "bad.png: the contents do not match a .png file" in answer.text
    assert "Two files</textarea>" in answer.text
    assert await SupportMessage.count() == 1 and await SupportAttachment.count() == 0
    assert _files(upload_dir) == before

    too_many = await client.post(
        f"/tickets/{ticket_id}/reply",
        data={"body": "Four files", "_csrf_token": f.csrf(client)},
        files=[("attachments", (f"p{i}.pdf", PDF, "application/pdf")) for i in range(4)],
        follow_redirects=False,
    )
    assert too_many.status_code == 422 and "Attach at most 3 files" in too_many.text
    assert _files(upload_dir) == before


async def test_files_stored_for_a_message_that_fails_are_removed(
    client: Any, authz: Any, upload_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    ids = await _setup(authz)
    before = _files(upload_dir)

    async def mail_fails(*args: Any, **kwargs: Any) -> None:
        raise RuntimeError("the outbox is broken")

    monkeypatch.setattr(notify, "ticket_opened", mail_fails)
    with pytest.raises(RuntimeError):
        await services.open_ticket(
            ids["account"], ids["owner"], ids["tech"], "Files", "Body", "low", [UploadFile("image/png", "a.png", PNG)]
        )
    assert await SupportTicket.count() == 0 and await SupportMessage.count() == 0
    assert await SupportAttachment.count() == 0
    assert _files(upload_dir) == before


async def test_the_store_keeps_files_under_a_random_key_with_a_clean_display_name(client: Any) -> None:
    stored = await uploads.store(
        UploadFile("text/html", "../../etc/\x07évil name.csv", "a,b\n1,é\n".encode()),
        area="support",
        max_bytes=1024,
    )
    assert stored.filename == "évil name.csv" and stored.content_type == "text/csv; charset=utf-8"
    path = uploads.path_of("support", stored.key)
    assert path.read_bytes() == "a,b\n1,é\n".encode() and "evil" not in path.name and "csv" not in path.name
    assert len(stored.sha256) == 64 and stored.size == len("a,b\n1,é\n".encode())
    with pytest.raises(ValidationFailed):
        await uploads.store(UploadFile("text/plain", "latin.txt", b"caf\xe9"), area="support", max_bytes=1024)
    for name in ("a.html", "b.svg", "c.js", "d.exe", "noextension"):
        with pytest.raises(uploads.UploadRejected, match="this type of file is not accepted"):
            await uploads.store(UploadFile("text/plain", name, b"hello"), area="support", max_bytes=1024)
    with pytest.raises(uploads.UploadRejected, match="not accepted"):  # narrowed allow-list
        await uploads.store(
            UploadFile("image/png", "p.png", PNG), area="support", max_bytes=1024, allowed=frozenset({"pdf"})
        )
    with pytest.raises(ValueError):
        uploads.path_of("../x", stored.key)
    uploads.remove("support", stored.key)
    assert not path.exists()
