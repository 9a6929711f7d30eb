"""Downloads: staff upload files; visitors, members and product holders get exactly what they may."""

from __future__ import annotations

import factories as f

from panel.core.audit.services import SYSTEM
from panel.core.catalog.tables import Product
from panel.core.downloads import services
from panel.core.downloads.config import AREA
from panel.core.downloads.tables import DownloadFile
from panel.core.services.tables import Service, ServiceStatus
from panel.core.uploads import path_of

from .helpers import main_of, member_of_account, text_of

PDF = b"%PDF-1.4\n% manual\n"
ZIP = b"PK\x03\x04" + b"\x00" * 40


async def _product(name: str) -> int:
    row = await Product.insert(
        Product(name=name, slug=name.lower().replace(" ", "-"), product_type="core.hosting_plan")
    )
    return int(row[0]["id"])


async def _service(account: int, store: int, product: int, status: str = ServiceStatus.ACTIVE) -> None:
    await Service.insert(
        Service(account=account, store=store, product=product, product_type="core.hosting_plan", cycle="monthly",
                currency="USD", status=status)
    )  # fmt: skip


async def _upload(client, path: str, data: dict, file: tuple[str, bytes] | None, products: list[int] = ()):
    form = {**data, "_csrf_token": f.csrf(client)}
    if products:
        form["products"] = [str(p) for p in products]
    files = (
        {"file": (file[0], file[1], "application/octet-stream")}
        if file
        else {"file": ("", b"", "application/octet-stream")}
    )
    return await client.post(path, data=form, files=files, follow_redirects=False)


def _titles(html: str) -> str:
    return text_of(main_of(html))


async def test_staff_upload_and_each_reader_gets_what_they_may(client, authz, staff_login):
    store = await f.make_store("Main", "main", default=True)
    panel_product = await _product("Reseller panel")
    other_product = await _product("Basic hosting")

    await staff_login(client, authz, "support")
    assert (
        await f.post_form(client, "/admin/downloads/categories", {"name": "Manuals", "sort": "1"})
    ).status_code == 303
    assert (
        await f.post_form(client, "/admin/downloads/categories", {"name": "Software", "sort": "2"})
    ).status_code == 303
    cats = {c.name: c.id for c in await services.all_categories()}

    # errors come back beside their fields, with what was typed kept
    missing = await _upload(client, "/admin/downloads", {"title": "No file", "category": str(cats["Manuals"])}, None)
    assert (
        missing.status_code == 422 and "Choose the file to offer." in missing.text and 'value="No file"' in missing.text
    )
    both = await _upload(
        client, "/admin/downloads", {"title": "Both", "category": str(cats["Software"]), "public": "on"},
        ("tool.zip", ZIP), [panel_product],
    )  # fmt: skip
    assert both.status_code == 422 and "cannot also be public" in both.text
    too_big = await _upload(
        client,
        "/admin/downloads",
        {"title": "Huge", "category": str(cats["Manuals"])},
        ("huge.txt", b"a" * (1024 * 1024 + 1)),
    )
    assert too_big.status_code == 422 and "larger than the 1 MB limit" in too_big.text
    program = await _upload(
        client, "/admin/downloads", {"title": "Exe", "category": str(cats["Manuals"])}, ("setup.exe", b"MZ")
    )
    assert program.status_code == 422 and "not accepted" in program.text
    assert await DownloadFile.count() == 0

    for title, category, public, file, products in (
        ("Getting started", "Manuals", "on", ("start.pdf", PDF), []),
        ("Client handbook", "Manuals", "", ("handbook.txt", b"For clients only.\n"), []),
        ("Panel installer", "Software", "", ("panel.zip", ZIP), [panel_product]),
    ):
        answer = await _upload(
            client,
            "/admin/downloads",
            {"title": title, "category": str(cats[category]), "public": public},
            file,
            products,
        )
        assert answer.status_code == 303, answer.text
    ids = {r["title"]: r["id"] for r in await DownloadFile.select(DownloadFile.id, DownloadFile.title)}
    staff_copy = await client.get(f"/admin/downloads/{ids['Panel installer']}/file")
    assert staff_copy.status_code == 200 and staff_copy.content == ZIP

    # a logged-out visitor: public files only; anything else asks to log in
    client.cookies.clear()
    listing = _titles((await client.get("/downloads")).text)
    assert "Getting started" in listing and "Client handbook" not in listing and "Panel installer" not in listing
    got = await client.get(f"/downloads/{ids['Getting started']}/file")
    assert got.status_code == 200 and got.content == PDF
    assert got.headers["content-disposition"].startswith("attachment;")
    assert got.headers["x-content-type-options"] == "nosniff"
    assert (await client.get(f"/downloads/{ids['Client handbook']}/file", follow_redirects=False)).status_code == 302

    # a member of an account without the product: files for clients, not the restricted one
    _, plain_account = await member_of_account(authz, "plain@example.com", perms=[])
    await _service(plain_account, store, other_product)
    await _service(plain_account, store, panel_product, ServiceStatus.SUSPENDED)  # not active: does not count
    await f.login_as(client, "plain@example.com")
    listing = _titles((await client.get("/downloads")).text)
    assert "Getting started" in listing and "Client handbook" in listing and "Panel installer" not in listing
    assert (await client.get(f"/downloads/{ids['Client handbook']}/file")).content == b"For clients only.\n"
    assert (await client.get(f"/downloads/{ids['Panel installer']}/file")).status_code == 404
    assert (await client.get("/downloads/999999/file")).status_code == 404

    # an account with an active service of the product gets it, and it is counted
    _, holder_account = await member_of_account(authz, "holder@example.com")
    await _service(holder_account, store, panel_product)
    await f.login_as(client, "holder@example.com")
    page = await client.get("/downloads")
    listing = _titles(page.text)
    assert listing.index("Getting started") < listing.index("Panel installer")  # by category order
    assert 'href="/downloads"' in page.text  # the client-area navigation
    got = await client.get(f"/downloads/{ids['Panel installer']}/file")
    assert got.status_code == 200 and got.content == ZIP
    counts = {r["title"]: r["downloads"] for r in await DownloadFile.select(DownloadFile.title, DownloadFile.downloads)}
    assert counts == {"Getting started": 1, "Client handbook": 1, "Panel installer": 1}


async def test_replacing_and_deleting_a_file_removes_the_old_bytes(client, authz, staff_login):
    category = await services.save_category(None, {"name": "Tools"}, by=SYSTEM)
    await staff_login(client, authz, "admin")
    await _upload(
        client, "/admin/downloads", {"title": "Tool", "category": str(category), "public": "on"}, ("v1.zip", ZIP)
    )
    first = await services.get_file((await DownloadFile.select(DownloadFile.id).first())["id"])
    assert path_of(AREA, first.storage_key).read_bytes() == ZIP

    # saving without a new file keeps the bytes; a new file replaces them
    kept = await _upload(client, f"/admin/downloads/{first.id}", {"title": "Tool 1.1", "category": str(category)}, None)
    assert kept.status_code == 303
    assert (await services.get_file(first.id)).storage_key == first.storage_key
    await _upload(
        client, f"/admin/downloads/{first.id}", {"title": "Tool 2", "category": str(category)}, ("v2.pdf", PDF)
    )
    second = await services.get_file(first.id)
    assert second.filename == "v2.pdf" and second.public is False
    assert not path_of(AREA, first.storage_key).exists() and path_of(AREA, second.storage_key).read_bytes() == PDF

    refused = await f.post_form(client, f"/admin/downloads/categories/{category}/delete")
    assert refused.status_code == 409
    assert (await f.post_form(client, f"/admin/downloads/{first.id}/delete")).status_code == 303
    assert not path_of(AREA, second.storage_key).exists() and await DownloadFile.count() == 0


async def test_clients_and_billing_staff_may_not_manage_downloads(client, authz, staff_login):
    await staff_login(client, authz, "billing")
    assert (await client.get("/admin/downloads")).status_code == 403
    await member_of_account(authz, "owner@example.com")
    await f.login_as(client, "owner@example.com")
    assert (await client.get("/admin/downloads")).status_code == 403
    assert (await client.get("/admin/downloads/categories")).status_code == 403
    denied = await _upload(client, "/admin/downloads", {"title": "x", "category": "1"}, ("a.txt", b"x"))
    assert denied.status_code == 403
    assert await DownloadFile.count() == 0


async def test_download_list_costs_the_same_queries_whatever_its_length(client, authz):
    from panel.core import db

    store = await f.make_store("Main", "main", default=True)
    product = await _product("Plan")
    _, account = await member_of_account(authz, "many@example.com")
    await _service(account, store, product)
    await f.login_as(client, "many@example.com")
    category = await services.save_category(None, {"name": "Files"}, by=SYSTEM)

    async def add(n: int) -> None:
        for i in range(n):
            row = await DownloadFile.insert(
                DownloadFile(category=category, title=f"File {i}", storage_key=f"k{i}", filename="a.zip",
                             restricted=bool(i % 2))
            ).returning(DownloadFile.id)  # fmt: skip
            if i % 2:
                from panel.core.downloads.tables import DownloadProduct

                await DownloadProduct.insert(DownloadProduct(file=row[0]["id"], product=product))

    engine_class = type(db.engine())
    original = engine_class.run_querystring
    calls: list[str] = []

    async def counting(self, querystring, in_pool=True):
        if "panel_grant_change" not in str(querystring):
            calls.append(str(querystring)[:60])
        return await original(self, querystring, in_pool=in_pool)

    async def queries() -> int:
        calls.clear()
        engine_class.run_querystring = counting
        try:
            answer = await client.get("/downloads")
            assert answer.status_code == 200
        finally:
            engine_class.run_querystring = original
        return len(calls)

    await add(2)
    few = await queries()
    await add(30)
    many = await queries()
    assert few == many
    assert "File 29" in (await client.get("/downloads")).text
