"""Admin-area pages for stores and reseller discount tiers (platform staff with `admin:stores`)."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

from litestar import Request, Response, get, post
from litestar.params import FromPath, FromQuery, URLEncodedBody
from litestar.response import Template

from panel.core.audit.context import audit_context
from panel.core.authz.guard import requires
from panel.core.stores import services, tiers
from panel.core.stores.forms import CURRENCY_CHOICES, KIND_CHOICES, read_store_form, type_choices
from panel.core.stores.terms import terms, type_labels
from panel.core.web.pages import page, redirect
from panel.errors import ValidationFailed

LIST = requires("admin:stores", "list", scope="platform")
CREATE = requires("admin:stores", "create", scope="platform")
READ = requires("admin:stores", "read", scope="platform")
UPDATE = requires("admin:stores", "update", scope="platform")

NOTICES = {
    "created": "The store was created.",
    "saved": "The store was saved.",
    "applied": "Every existing service of this store now follows its client-area link setting.",
    "tier": "The tier was saved.",
    "tier_deleted": "The tier was deleted.",
}
RESELLER_HELP = "The account that runs the store; its clients are the accounts bound to it."


async def _form_page(
    request: Request[Any, Any, Any],
    store: services.StoreView | None,
    values: dict[str, Any],
    errors: dict[str, str],
    status_code: int = 200,
    notice: str = "",
) -> Template:
    product_types = request.app.state.product_types
    return await page(
        request,
        "stores/form.html",
        area="admin",
        status_code=status_code,
        store=store,
        v=values,
        e=errors,
        action=f"/admin/stores/{store.id}" if store else "/admin/stores/new",
        currencies=CURRENCY_CHOICES,
        kinds=KIND_CHOICES,
        reseller_help=RESELLER_HELP,
        type_choices=type_choices(product_types, store),
        terms=terms(store, type_labels(product_types)) if store else [],
        notice=NOTICES.get(notice, ""),
    )


@get("/admin/stores", authz=LIST)
async def store_list(request: Request[Any, Any, Any], done: FromQuery[str] = "") -> Template:
    """Every store: the default first, its kind, reseller, currency and whether it is open."""
    return await page(
        request,
        "stores/list.html",
        area="admin",
        stores=await services.list_stores(),
        notice=NOTICES.get(done, ""),
    )


@get("/admin/stores/new", authz=CREATE)
async def new_store(request: Request[Any, Any, Any]) -> Template:
    """The form to create a store."""
    return await _form_page(request, None, services.form_values(), {})


@post("/admin/stores/new", authz=CREATE)
async def create_store(request: Request[Any, Any, Any]) -> Response[Any]:
    """Create a store; the form comes back with every problem beside its field."""
    product_types = request.app.state.product_types
    values = await read_store_form(request, product_types)
    try:
        store_id = await services.create_store(values, product_types, by=audit_context(request))
    except ValidationFailed as exc:
        return await _form_page(request, None, values, exc.errors, 422)
    return redirect(request, f"/admin/stores/{store_id}?done=created")


@get("/admin/stores/{store_id:int}", authz=READ)
async def edit_store(request: Request[Any, Any, Any], store_id: FromPath[int], done: FromQuery[str] = "") -> Template:
    """A store's settings, branding and policies, and its terms as clients read them."""
    store = await services.get_store(store_id)
    return await _form_page(request, store, services.form_values(store), {}, notice=done)


@post("/admin/stores/{store_id:int}", authz=UPDATE)
async def save_store(request: Request[Any, Any, Any], store_id: FromPath[int]) -> Response[Any]:
    """Save a store's settings."""
    store = await services.get_store(store_id)
    product_types = request.app.state.product_types
    names = [n for n, _ in type_choices(product_types, store)]
    values = await read_store_form(request, names)
    try:
        await services.update_store(store_id, values, product_types, by=audit_context(request))
    except ValidationFailed as exc:
        return await _form_page(request, store, {**services.form_values(store), **values}, exc.errors, 422)
    return redirect(request, f"/admin/stores/{store_id}?done=saved")


@post("/admin/stores/{store_id:int}/apply-client-area-link", authz=UPDATE)
async def apply_link(request: Request[Any, Any, Any], store_id: FromPath[int]) -> Response[Any]:
    """Make every existing service of the store follow its client-area link setting."""
    await services.apply_client_area_link_to_all(store_id, by=audit_context(request))
    return redirect(request, f"/admin/stores/{store_id}?done=applied")


# -- reseller tiers -------------------------------------------------------------------------


@dataclass
class TierForm:
    """A tier as the form sends it."""

    name: str = ""
    min_services: str = ""
    discount: str = ""


async def _tiers_page(
    request: Request[Any, Any, Any],
    editing: int | str | None = None,
    values: dict[str, Any] | None = None,
    errors: dict[str, str] | None = None,
    status_code: int = 200,
    notice: str = "",
) -> Template:
    return await page(
        request,
        "stores/tiers.html",
        area="admin",
        status_code=status_code,
        tiers=await tiers.list_tiers(),
        editing=editing,
        values=values or {},
        errors=errors or {},
        notice=NOTICES.get(notice, ""),
    )


@get("/admin/reseller-tiers", authz=READ)
async def tier_list(request: Request[Any, Any, Any], done: FromQuery[str] = "") -> Template:
    """The discount tiers, smallest first, and the form to add one."""
    return await _tiers_page(request, notice=done)


@post("/admin/reseller-tiers", authz=UPDATE)
async def add_tier(request: Request[Any, Any, Any], data: URLEncodedBody[TierForm]) -> Response[Any]:
    """Add a tier."""
    try:
        await tiers.save_tier(None, data.name, data.min_services, data.discount, by=audit_context(request))
    except ValidationFailed as exc:
        return await _tiers_page(request, "new", asdict(data), exc.errors, 422)
    return redirect(request, "/admin/reseller-tiers?done=tier")


@post("/admin/reseller-tiers/{tier_id:int}", authz=UPDATE)
async def save_tier(
    request: Request[Any, Any, Any], tier_id: FromPath[int], data: URLEncodedBody[TierForm]
) -> Response[Any]:
    """Change a tier."""
    try:
        await tiers.save_tier(tier_id, data.name, data.min_services, data.discount, by=audit_context(request))
    except ValidationFailed as exc:
        return await _tiers_page(request, tier_id, asdict(data), exc.errors, 422)
    return redirect(request, "/admin/reseller-tiers?done=tier")


@post("/admin/reseller-tiers/{tier_id:int}/delete", authz=UPDATE)
async def delete_tier(request: Request[Any, Any, Any], tier_id: FromPath[int]) -> Response[Any]:
    """Delete a tier."""
    await tiers.delete_tier(tier_id, by=audit_context(request))
    return redirect(request, "/admin/reseller-tiers?done=tier_deleted")


ROUTES = [
    store_list,
    new_store,
    create_store,
    edit_store,
    save_store,
    apply_link,
    tier_list,
    add_tier,
    save_tier,
    delete_tier,
]
