"""Downloads: which files a reader may get, and how staff publish them.

A reader is a logged-out visitor or a logged-in user working in an account. What they
may get (`Reader.member` is the rules engine's answer for `download:*` in the account):

* a `public` file that is not restricted: everyone, logged out too;
* a file neither public nor restricted: members of any account;
* a restricted file: members of an account with an **active** service of one of the
  file's products. Anyone else gets 404, as for a file that does not exist.

The bytes live in the upload store (`panel.core.uploads`, area `downloads`); a row
holds its key. A replaced or deleted file's bytes are removed once the change committed.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from litestar.datastructures import UploadFile

from panel.core import db, uploads
from panel.core.audit.services import AuditContext, record
from panel.core.catalog.tables import Product, ProductKind
from panel.core.content import categories as shared_categories
from panel.core.content.categories import CategoryKind, category_fields, write_category
from panel.core.downloads.config import AREA
from panel.core.downloads.tables import DownloadCategory, DownloadFile, DownloadProduct
from panel.core.paging import Page
from panel.core.services.tables import ServiceStatus
from panel.core.stores.validation import as_bool
from panel.errors import NotFound, ValidationFailed

log = logging.getLogger("panel.downloads")

PAGE_SIZE = 50
ADMIN_PAGE_SIZE = 50
MAX_CATEGORIES = 500
MAX_PRODUCTS = 1000
MAX_DESCRIPTION = 20_000


@dataclass(frozen=True)
class Reader:
    """Who asks for downloads: the current account (None when logged out) and whether they are a member there."""

    account_id: int | None
    member: bool


VISITOR = Reader(None, False)
CATEGORIES = CategoryKind(
    DownloadCategory, DownloadFile.category, "download.category", "download:category", "Downloads category", "file"
)


def utc_now() -> datetime:
    """The current time in UTC."""
    return datetime.now(UTC)


def _aware(value: Any) -> datetime:
    when = value if isinstance(value, datetime) else datetime.fromisoformat(str(value))
    return when if when.tzinfo else when.replace(tzinfo=UTC)


def size_text(size: int) -> str:
    """A size for people: 512 B, 12.5 KB, 3.2 MB."""
    if size < 1024:
        return f"{size} B"
    if size < 1024 * 1024:
        return f"{size / 1024:.1f} KB"
    return f"{size / (1024 * 1024):.1f} MB"


@dataclass(frozen=True)
class CategoryView:
    """A downloads category; `files` counts its files (all of them, for staff)."""

    id: int
    name: str
    description: str
    sort: int
    files: int = 0


@dataclass(frozen=True)
class FileView:
    """A file as the lists and the editor show it."""

    id: int
    title: str
    description: str
    filename: str
    content_type: str
    size: int
    sha256: str
    public: bool
    restricted: bool
    downloads: int
    category_id: int
    category_name: str
    category_description: str
    storage_key: str
    updated_at: datetime
    product_ids: list[int] = field(default_factory=list)

    @property
    def size_text(self) -> str:
        """The size for people."""
        return size_text(self.size)

    @property
    def audience(self) -> str:
        """Who may get it, in words."""
        if self.restricted:
            return "clients with one of its products"
        return "everyone" if self.public else "clients"

    def stored(self) -> uploads.StoredFile:
        """The upload store's record of the bytes."""
        return uploads.StoredFile(self.storage_key, self.filename, self.content_type, self.size, self.sha256)


_FILE_SQL = (
    "SELECT f.id, f.title, f.description, f.filename, f.content_type, f.size, f.sha256, f.public, f.restricted,"
    " f.downloads, f.storage_key, f.updated_at, f.category, c.name AS category_name,"
    " c.description AS category_description"
    " FROM panel_download_file f JOIN panel_download_category c ON c.id = f.category"
)


def _file(r: Mapping[str, Any], product_ids: Sequence[int] = ()) -> FileView:
    return FileView(
        id=r["id"],
        title=r["title"],
        description=r["description"],
        filename=r["filename"],
        content_type=r["content_type"],
        size=int(r["size"]),
        sha256=r["sha256"],
        public=bool(r["public"]),
        restricted=bool(r["restricted"]),
        downloads=int(r["downloads"]),
        category_id=r["category"],
        category_name=r["category_name"],
        category_description=r["category_description"],
        storage_key=r["storage_key"],
        updated_at=_aware(r["updated_at"]),
        product_ids=list(product_ids),
    )


def _visible(reader: Reader) -> tuple[str, list[Any]]:
    """The WHERE clause (and its arguments) of the files `reader` may get."""
    if not reader.member or reader.account_id is None:
        return "f.restricted = {} AND f.public = {}", [False, True]
    clause = (
        "(f.restricted = {} OR EXISTS (SELECT 1 FROM panel_download_product dp"
        " JOIN panel_service s ON s.product = dp.product"
        " WHERE dp.file = f.id AND s.account = {} AND s.status = {}))"
    )
    return clause, [False, reader.account_id, ServiceStatus.ACTIVE]


# -- readers -----------------------------------------------------------------------------


async def visible_files(reader: Reader, limit: int, offset: int) -> Page[FileView]:
    """The files `reader` may get, by category then title (two queries)."""
    where, args = _visible(reader)
    sql = f"{_FILE_SQL} WHERE {where} ORDER BY c.sort, c.name, c.id, f.title, f.id LIMIT {{}} OFFSET {{}}"
    rows = await DownloadFile.raw(sql, *args, limit, offset)
    total = await DownloadFile.raw(f"SELECT count(*) AS n FROM panel_download_file f WHERE {where}", *args)  # noqa: S608 (fixed fragments)
    return Page([_file(r) for r in rows], int(total[0]["n"]), limit, offset)


async def visible_file(reader: Reader, file_id: int) -> FileView:
    """One file `reader` may get (one query); NotFound for any other, whether it exists or not."""
    where, args = _visible(reader)
    rows = await DownloadFile.raw(f"{_FILE_SQL} WHERE f.id = {{}} AND {where}", file_id, *args)
    if not rows:
        raise NotFound("There is no such file.")
    return _file(rows[0])


async def count_download(file_id: int) -> None:
    """Add one to the file's download counter."""
    await DownloadFile.update({DownloadFile.downloads: DownloadFile.downloads + 1}).where(DownloadFile.id == file_id)


# -- categories (staff) ------------------------------------------------------------------


async def all_categories() -> list[CategoryView]:
    """Every category with its file count, in display order (one query)."""
    sql = (
        "SELECT c.id, c.name, c.description, c.sort,"
        " (SELECT count(*) FROM panel_download_file f WHERE f.category = c.id) AS files"
        " FROM panel_download_category c ORDER BY c.sort, c.name, c.id LIMIT {}"
    )
    rows = await DownloadCategory.raw(sql, MAX_CATEGORIES)
    return [CategoryView(r["id"], r["name"], r["description"], r["sort"], int(r["files"])) for r in rows]


async def get_category(category_id: int) -> CategoryView:
    """One category; NotFound if there is none."""
    row = (
        await DownloadCategory.select(
            DownloadCategory.id, DownloadCategory.name, DownloadCategory.description, DownloadCategory.sort
        )
        .where(DownloadCategory.id == category_id)
        .first()
    )
    if row is None:
        raise NotFound("There is no such category.")
    return CategoryView(row["id"], row["name"], row["description"], row["sort"])


async def save_category(category_id: int | None, values: Mapping[str, Any], *, by: AuditContext) -> int:
    """Create (id None) or change a category from form values; returns its id."""
    errors: dict[str, str] = {}
    data = category_fields(values, errors, max_description=2000)
    if errors:
        raise ValidationFailed(errors)
    return await write_category(CATEGORIES, category_id, data, by=by)


async def delete_category(category_id: int, *, by: AuditContext) -> None:
    """Delete an empty category; InUse if it holds files."""
    await shared_categories.delete_category(CATEGORIES, category_id, by=by)


# -- files (staff) -----------------------------------------------------------------------


async def product_choices() -> list[tuple[int, str]]:
    """Products a file can be restricted to, by name (one query)."""
    rows = (
        await Product.select(Product.id, Product.name)
        .where(Product.kind == ProductKind.PRODUCT)
        .order_by(Product.name)
        .limit(MAX_PRODUCTS)
    )
    return [(int(r["id"]), str(r["name"])) for r in rows]


async def admin_files(limit: int, offset: int, category_id: int | None = None) -> Page[FileView]:
    """Every file, by category then title, optionally of one category (two queries)."""
    where, args = ("WHERE f.category = {}", [category_id]) if category_id else ("", [])
    sql = f"{_FILE_SQL} {where} ORDER BY c.sort, c.name, c.id, f.title, f.id LIMIT {{}} OFFSET {{}}"
    rows = await DownloadFile.raw(sql, *args, limit, offset)
    counting = DownloadFile.count()
    total = await (counting.where(DownloadFile.category == category_id) if category_id else counting)
    return Page([_file(r) for r in rows], total, limit, offset)


async def get_file(file_id: int) -> FileView:
    """Any file with the products it is restricted to (two queries)."""
    rows = await DownloadFile.raw(f"{_FILE_SQL} WHERE f.id = {{}}", file_id)
    if not rows:
        raise NotFound("There is no such file.")
    products = await DownloadProduct.select(DownloadProduct.product).where(DownloadProduct.file == file_id)
    return _file(rows[0], sorted(int(p["product"]) for p in products))


def _has_file(upload: Any) -> bool:
    return isinstance(upload, UploadFile) and bool(upload.filename)


async def _clean_file(
    values: Mapping[str, Any], product_ids: Sequence[int], creating: bool, upload: Any
) -> dict[str, Any]:
    errors: dict[str, str] = {}
    title = str(values.get("title") or "").strip()
    description = str(values.get("description") or "").replace("\r\n", "\n").strip()
    raw_category = str(values.get("category") or "")
    category_id = int(raw_category) if raw_category.isdigit() else None
    wanted = sorted(set(product_ids))
    public = as_bool(values.get("public"))
    if not title or len(title) > 200:
        errors["title"] = "Give a title of 1 to 200 characters."
    if len(description) > MAX_DESCRIPTION:
        errors["description"] = f"Keep the description to {MAX_DESCRIPTION:,} characters."
    if category_id is None or await DownloadCategory.count().where(DownloadCategory.id == category_id) == 0:
        errors["category"] = "Choose a category."
    if wanted:
        known = await Product.count().where(Product.id.is_in(wanted))
        if known != len(wanted):
            errors["products"] = "Choose products from the list."
        elif public:
            errors["public"] = "A file for holders of some products cannot also be public: untick one."
    if creating and not _has_file(upload):
        errors["file"] = "Choose the file to offer."
    if errors:
        if _has_file(upload) and "file" not in errors:
            errors["file"] = "Choose the file again (it was not kept because of the other errors)."
        raise ValidationFailed(errors)
    return {
        "title": title,
        "description": description,
        "category": category_id,
        "public": public,
        "restricted": bool(wanted),
        "products": wanted,
    }


async def save_file(
    file_id: int | None,
    values: Mapping[str, Any],
    product_ids: Sequence[int],
    upload: Any,
    *,
    max_bytes: int,
    user_id: int | None,
    by: AuditContext,
) -> int:
    """Create (id None, `upload` required) or change a file from form values; returns its id.

    A new `upload` replaces the stored bytes; without one an edit keeps them. Raises
    ValidationFailed (the file's problem under `file`) and leaves nothing behind.
    """
    current = await get_file(file_id) if file_id is not None else None
    data = await _clean_file(values, product_ids, current is None, upload)
    stored: uploads.StoredFile | None = None
    if _has_file(upload):
        try:
            stored = await uploads.store(upload, area=AREA, max_bytes=max_bytes)
        except uploads.UploadRejected as exc:
            raise ValidationFailed({"file": exc.message}) from None
    products = data.pop("products")
    columns: dict[Any, Any] = {**data, DownloadFile.updated_at: utc_now()}
    if stored is not None:
        columns.update(
            {
                DownloadFile.storage_key: stored.key,
                DownloadFile.filename: stored.filename,
                DownloadFile.content_type: stored.content_type,
                DownloadFile.size: stored.size,
                DownloadFile.sha256: stored.sha256,
            }
        )
    try:
        async with db.write_transaction():
            if current is None:
                row = await DownloadFile.insert(
                    DownloadFile(**data, author=user_id, **_file_columns(stored))
                ).returning(DownloadFile.id)
                file_id = int(row[0]["id"])
                action, verb = "download.file.create", "added"
            else:
                assert file_id is not None
                await DownloadFile.update(columns).where(DownloadFile.id == file_id)
                await DownloadProduct.delete().where(DownloadProduct.file == file_id)
                action, verb = "download.file.update", "changed"
            if products:
                await DownloadProduct.insert(*[DownloadProduct(file=file_id, product=p) for p in products])
            await record(
                action, account_id=None, target=f"download:{file_id}",
                summary=f"Download “{data['title']}” {verb}",
                details={"public": data["public"], "products": products, "new_file": stored is not None}, **by,
            )  # fmt: skip
    except BaseException:
        if stored is not None:
            uploads.remove(AREA, stored.key)
        raise
    if current is not None and stored is not None:
        uploads.remove(AREA, current.storage_key)
    return file_id


def _file_columns(stored: uploads.StoredFile | None) -> dict[str, Any]:
    assert stored is not None  # a new file always comes with its upload (checked by _clean_file)
    return {
        "storage_key": stored.key,
        "filename": stored.filename,
        "content_type": stored.content_type,
        "size": stored.size,
        "sha256": stored.sha256,
    }


async def delete_file(file_id: int, *, by: AuditContext) -> None:
    """Delete a file and its bytes."""
    async with db.write_transaction():
        found = await get_file(file_id)
        await DownloadFile.delete().where(DownloadFile.id == file_id)
        await record(
            "download.file.delete", account_id=None, target=f"download:{file_id}",
            summary=f"Download “{found.title}” deleted", **by,
        )  # fmt: skip
    uploads.remove(AREA, found.storage_key)
