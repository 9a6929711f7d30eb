"""The catalogue as staff manage it: product groups and products.

Where products are sold and their addons are in `selling.py`, configurable options in
`options.py`, prices in `prices.py`; what a store charges is asked of `pricing.py`.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from panel.core import db
from panel.core.audit.services import SYSTEM, AuditContext, record
from panel.core.catalog.tables import (
    Product,
    ProductGroup,
    ProductKind,
)
from panel.core.stores.validation import as_bool
from panel.errors import InUse, NotFound, ValidationFailed
from panel.product_types import ProductType

SLUG_RE = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,78}[a-z0-9])?$")
PAGE_SIZE = 100


@dataclass(frozen=True)
class GroupView:
    """A product group."""

    id: int
    name: str
    slug: str
    description: str
    sort: int
    hidden: bool


@dataclass(frozen=True)
class ProductView:
    """A product (or addon) with its settings."""

    id: int
    group_id: int | None
    group_name: str
    kind: str
    name: str
    slug: str
    description: str
    product_type: str
    config: dict[str, Any]
    is_active: bool
    sort: int


def _json(value: Any, default: Any) -> Any:
    if isinstance(value, str):
        try:
            return json.loads(value or "null") or default
        except ValueError:
            return default
    return value if value is not None else default


def _slug_problem(slug: str) -> str | None:
    if not SLUG_RE.match(slug):
        return "Use 1 to 80 lower-case letters, digits and dashes (not at either end), like shared-hosting."
    return None


def int_field(raw: Any, name: str, errors: dict[str, str], low: int = -100000, high: int = 100000) -> int:
    """A whole number from a form field ("" is 0); a problem goes into `errors[name]`."""
    text = str(raw if raw is not None else "").strip() or "0"
    if not re.fullmatch(r"-?\d{1,7}", text) or not low <= int(text) <= high:
        errors[name] = f"Enter a whole number from {low} to {high}."
        return 0
    return int(text)


# -- groups -----------------------------------------------------------------------------


def _group(r: Mapping[str, Any]) -> GroupView:
    return GroupView(r["id"], r["name"], r["slug"], r["description"] or "", int(r["sort"]), bool(r["hidden"]))


async def list_groups() -> list[GroupView]:
    """Every group in storefront order."""
    rows = await ProductGroup.select().order_by(ProductGroup.sort).order_by(ProductGroup.name)
    return [_group(r) for r in rows]


async def get_group(group_id: int) -> GroupView:
    """One group, or `NotFound`."""
    row = await ProductGroup.select().where(ProductGroup.id == group_id).first()
    if row is None:
        raise NotFound("No such product group.")
    return _group(row)


async def save_group(group_id: int | None, values: Mapping[str, Any], *, by: AuditContext = SYSTEM) -> int:
    """Create (`group_id` None) or change a group: name, slug, description, sort, hidden."""
    if group_id is not None:
        await get_group(group_id)
    errors: dict[str, str] = {}
    name = str(values.get("name") or "").strip()
    if not name:
        errors["name"] = "Give the group a name."
    elif len(name) > 200:
        errors["name"] = "Use at most 200 characters."
    slug = str(values.get("slug") or "").strip().lower()
    if problem := _slug_problem(slug):
        errors["slug"] = problem
    elif await ProductGroup.exists().where((ProductGroup.slug == slug) & (ProductGroup.id != (group_id or 0))):
        errors["slug"] = "Another group has this address."
    sort = int_field(values.get("sort"), "sort", errors)
    if errors:
        raise ValidationFailed(errors)
    columns: dict[Any, Any] = {
        ProductGroup.name: name,
        ProductGroup.slug: slug,
        ProductGroup.description: str(values.get("description") or "").strip(),
        ProductGroup.sort: sort,
        ProductGroup.hidden: as_bool(values.get("hidden")),
    }
    async with db.write_transaction():
        if group_id is None:
            row = await ProductGroup.insert(ProductGroup(columns)).returning(ProductGroup.id)
            group_id = int(row[0]["id"])
            action = "catalog.group_create"
        else:
            await ProductGroup.update(columns).where(ProductGroup.id == group_id)
            action = "catalog.group_update"
        await record(
            action, account_id=None, target=f"product_group:{group_id}", summary=f"Saved the group {name}.", **by
        )
    return group_id


async def delete_group(group_id: int, *, by: AuditContext = SYSTEM) -> None:
    """Delete an empty group (`InUse` while products are in it)."""
    group = await get_group(group_id)
    if await Product.exists().where(Product.group == group_id):
        raise InUse("Move or deactivate this group's products first: it still has some.")
    async with db.write_transaction():
        await ProductGroup.delete().where(ProductGroup.id == group_id)
        await record(
            "catalog.group_delete",
            account_id=None,
            target=f"product_group:{group_id}",
            summary=f"Deleted the group {group.name}.",
            **by,
        )


# -- products ---------------------------------------------------------------------------

PRODUCT_COLUMNS = (
    Product.id,
    Product.group,
    Product.group.name,
    Product.kind,
    Product.name,
    Product.slug,
    Product.description,
    Product.product_type,
    Product.config,
    Product.is_active,
    Product.sort,
)


def product_view(r: Mapping[str, Any]) -> ProductView:
    """A `ProductView` from a row selected with `PRODUCT_COLUMNS`."""
    return ProductView(
        id=r["id"],
        group_id=r["group"],
        group_name=r.get("group.name") or "",
        kind=r["kind"],
        name=r["name"],
        slug=r["slug"],
        description=r["description"] or "",
        product_type=r["product_type"],
        config=dict(_json(r["config"], {})),
        is_active=bool(r["is_active"]),
        sort=int(r["sort"]),
    )


async def list_products(
    group_id: int | None = None, limit: int = PAGE_SIZE, offset: int = 0
) -> tuple[list[ProductView], int]:
    """Products (and addons) by group and sort order, a page at a time, and how many there are."""
    query = Product.select(*PRODUCT_COLUMNS)
    count = Product.count()
    if group_id is not None:
        query = query.where(Product.group == group_id)
        count = count.where(Product.group == group_id)
    rows = (
        await query.order_by(Product.group.sort)
        .order_by(Product.sort)
        .order_by(Product.name)
        .limit(max(1, min(limit, 500)))
        .offset(max(offset, 0))
    )
    return [product_view(r) for r in rows], int(await count)


async def get_product(product_id: int) -> ProductView:
    """One product, or `NotFound`."""
    row = await Product.select(*PRODUCT_COLUMNS).where(Product.id == product_id).first()
    if row is None:
        raise NotFound("No such product.")
    return product_view(row)


def clean_config(product_type: ProductType | None, raw: Mapping[str, Any], errors: dict[str, str]) -> dict[str, Any]:
    """The values of the type's options: parsed and checked as each `Setting` says."""
    if product_type is None:
        return {str(k): v for k, v in raw.items()}
    out: dict[str, Any] = {}
    for setting in product_type.options:
        key = f"config.{setting.name}"
        value = raw.get(setting.name)
        text = "" if value is None else str(value).strip()
        if text == "":
            if setting.required:
                errors[key] = f"Enter {setting.help or setting.name}"
                continue
            out[setting.name] = setting.default
            continue
        try:
            parsed = value if not isinstance(value, str) else setting.parse(text)
            if setting.validate is not None:
                setting.validate(parsed)
        except (ValueError, TypeError) as exc:
            errors[key] = f"{setting.help or setting.name}: {exc}"
            continue
        out[setting.name] = parsed
    return out


async def save_product(
    product_id: int | None,
    values: Mapping[str, Any],
    product_types: Mapping[str, ProductType],
    *,
    by: AuditContext = SYSTEM,
) -> int:
    """Create (`product_id` None) or change a product; the type must be registered (or stay as it was)."""
    existing = await get_product(product_id) if product_id is not None else None
    errors: dict[str, str] = {}
    name = str(values.get("name") or "").strip()
    if not name:
        errors["name"] = "Give the product a name."
    elif len(name) > 200:
        errors["name"] = "Use at most 200 characters."
    slug = str(values.get("slug") or "").strip().lower()
    if problem := _slug_problem(slug):
        errors["slug"] = problem
    elif await Product.exists().where((Product.slug == slug) & (Product.id != (product_id or 0))):
        errors["slug"] = "Another product has this address."
    kind = str(values.get("kind") or ProductKind.PRODUCT)
    if kind not in (ProductKind.PRODUCT, ProductKind.ADDON):
        errors["kind"] = "Choose a product or an addon."
    type_name = str(values.get("product_type") or "").strip()
    if type_name not in product_types and not (existing and existing.product_type == type_name):
        errors["product_type"] = "Choose one of the product types."
    group_id = _optional_id(values.get("group_id"))
    if group_id is not None and not await ProductGroup.exists().where(ProductGroup.id == group_id):
        errors["group_id"] = "Choose one of the groups."
    sort = int_field(values.get("sort"), "sort", errors)
    raw_config = values.get("config") or {}
    config = clean_config(product_types.get(type_name), raw_config if isinstance(raw_config, Mapping) else {}, errors)
    if errors:
        raise ValidationFailed(errors)
    columns: dict[Any, Any] = {
        Product.group: group_id,
        Product.kind: kind,
        Product.name: name,
        Product.slug: slug,
        Product.description: str(values.get("description") or "").strip(),
        Product.product_type: type_name,
        Product.config: json.dumps(config),
        Product.is_active: as_bool(values.get("is_active")),
        Product.sort: sort,
    }
    async with db.write_transaction():
        if product_id is None:
            row = await Product.insert(Product(columns)).returning(Product.id)
            product_id = int(row[0]["id"])
            action = "catalog.product_create"
        else:
            await Product.update(columns).where(Product.id == product_id)
            action = "catalog.product_update"
        await record(
            action,
            account_id=None,
            target=f"product:{product_id}",
            summary=f"Saved the product {name}.",
            details={"name": name, "slug": slug, "product_type": type_name, "is_active": columns[Product.is_active]},
            **by,
        )
    return product_id


def _optional_id(raw: Any) -> int | None:
    if raw in (None, ""):
        return None
    if isinstance(raw, int) and not isinstance(raw, bool):
        return raw
    text = str(raw).strip()
    return int(text) if text.isdigit() else -1
