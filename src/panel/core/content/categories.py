"""Staff-written categories of the knowledgebase and of downloads: the rules both share.

Both have a name, a description and a sort number, are written with an audit event in
one transaction, and cannot be deleted while they hold something. What differs (the
knowledgebase's address and parent) stays in the feature, which checks its own
fields into the same `errors` and hands the lot to `write_category`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from piccolo.columns import ForeignKey
from piccolo.table import Table

from panel.core import db
from panel.core.audit.services import AuditContext, record
from panel.errors import InUse, NotFound

MAX_NAME = 120
MAX_SORT = 100_000


@dataclass(frozen=True)
class CategoryKind:
    """One feature's categories: their table, what they hold, and how the audit log names them.

    `holds` is the `category` column of the things inside (`KbArticle.category`);
    `action` and `target` prefix audit actions and targets (`kb.category` ->
    `kb.category.create`, `knowledgebase:category` -> `knowledgebase:category:7`);
    `label` starts the audit summary and `item` names one thing inside, for the
    refusal to delete.
    """

    table: type[Table]
    holds: ForeignKey[Any]
    action: str
    target: str
    label: str
    item: str


def category_fields(
    values: Mapping[str, Any], errors: dict[str, str], *, max_description: int | None = None
) -> dict[str, Any]:
    """Name, description and sort from form values, typed; a bad field's message goes into `errors`."""
    name = str(values.get("name") or "").strip()
    description = str(values.get("description") or "").strip()
    if not name or len(name) > MAX_NAME:
        errors["name"] = f"Give a name of 1 to {MAX_NAME} characters."
    if max_description is not None and len(description) > max_description:
        errors["description"] = f"Keep the description to {max_description:,} characters."
    try:
        sort = int(str(values.get("sort") or "0").strip() or 0)
        if not -MAX_SORT <= sort <= MAX_SORT:
            raise ValueError
    except ValueError:
        errors["sort"] = "Give a whole number (lower comes first)."
        sort = 0
    return {"name": name, "description": description, "sort": sort}


async def category_name(kind: CategoryKind, category_id: int) -> str:
    """A category's name; NotFound if there is none."""
    table = kind.table
    row = (
        await table.select(table._meta.get_column_by_name("name")).where(table._meta.primary_key == category_id).first()
    )
    if row is None:
        raise NotFound("There is no such category.")
    return str(row["name"])


async def write_category(
    kind: CategoryKind, category_id: int | None, data: Mapping[str, Any], *, by: AuditContext
) -> int:
    """Insert (id None) or update a category with checked `data` (which has its `name`), audited; returns its id."""
    table, key = kind.table, kind.table._meta.primary_key
    async with db.write_transaction():
        if category_id is None:
            row = await table.insert(table(**data)).returning(key)
            category_id = int(row[0][key._meta.name])
            action, verb = "create", "created"
        else:
            await category_name(kind, category_id)
            changes: dict[Any, Any] = dict(data)
            await table.update(changes).where(key == category_id)
            action, verb = "update", "changed"
        await record(
            f"{kind.action}.{action}", account_id=None, target=f"{kind.target}:{category_id}",
            summary=f"{kind.label} “{data['name']}” {verb}", **by,
        )  # fmt: skip
    return category_id


async def delete_category(kind: CategoryKind, category_id: int, *, by: AuditContext) -> None:
    """Delete an empty category, audited; InUse (saying what it holds) if anything is still inside."""
    async with db.write_transaction():
        name = await category_name(kind, category_id)
        held = await kind.holds._meta.table.count().where(kind.holds == category_id)
        if held:
            things = kind.item if held == 1 else f"{kind.item}s"
            raise InUse(f"“{name}” holds {held} {things}: move or delete them first.")
        await kind.table.delete().where(kind.table._meta.primary_key == category_id)
        await record(
            f"{kind.action}.delete", account_id=None, target=f"{kind.target}:{category_id}",
            summary=f"{kind.label} “{name}” deleted", **by,
        )  # fmt: skip
