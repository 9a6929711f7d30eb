"""Admin-area pages for the catalogue (platform staff with `admin:catalog`).

`/admin/catalog` lists groups and products; a product's page holds its settings,
the stores that sell it, its price grids (one per store and currency), the addons
that apply and its configurable options with their choice prices.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any
from urllib.parse import urlencode

from litestar import Request, Response, get, post
from litestar.params import FromPath, FromQuery
from litestar.response import Template

from panel.core.audit.context import audit_context
from panel.core.authz.guard import requires
from panel.core.catalog import options as catalog_options
from panel.core.catalog import prices, selling
from panel.core.catalog import services as catalog
from panel.core.catalog.tables import Cycle, ProductKind
from panel.core.stores import services as stores
from panel.core.stores.validation import as_bool
from panel.core.web.pages import page, redirect
from panel.errors import NotFound, ValidationFailed

READ = requires("admin:catalog", "read", scope="platform")
UPDATE = requires("admin:catalog", "update", scope="platform")

NOTICES = {
    "group": "The group was saved.",
    "group_deleted": "The group was deleted.",
    "created": "The product was created. Now choose where it is sold and its prices.",
    "saved": "The product was saved.",
    "stores": "The stores that sell the product were saved.",
    "prices": "The prices were saved.",
    "addons": "The addons were saved.",
    "option": "The option was saved.",
    "option_deleted": "The option was deleted.",
    "choice": "The choice was added.",
    "choice_deleted": "The choice was deleted.",
}
KIND_CHOICES = [(ProductKind.PRODUCT, "Product"), (ProductKind.ADDON, "Addon (sold with a product)")]
CYCLE_LABELS = [(c, Cycle.LABELS[c]) for c in prices.CHOICE_CYCLES]


async def _form(request: Request[Any, Any, Any]) -> dict[str, Any]:
    form = await request.form()
    values: dict[str, Any] = {k: str(v) for k, v in form.items() if not k.startswith("config.")}
    values["config"] = {k.removeprefix("config."): str(v) for k, v in form.items() if k.startswith("config.")}
    return values


def _type_choices(request: Request[Any, Any, Any], current: str = "") -> list[tuple[str, str]]:
    types = {n: (pt.label or n) for n, pt in request.app.state.product_types.items()}
    if current and current not in types:
        types[current] = f"{current} (not installed)"
    return sorted(types.items(), key=lambda item: item[1].lower())


# -- the catalogue --------------------------------------------------------------------------


async def _index(
    request: Request[Any, Any, Any],
    group_values: dict[str, Any] | None = None,
    group_errors: dict[str, str] | None = None,
    status_code: int = 200,
    notice: str = "",
    group: str = "",
    page_no: int = 1,
) -> Template:
    group_id = int(group) if group.isdigit() else None
    number = max(page_no, 1)
    products, total = await catalog.list_products(group_id, catalog.PAGE_SIZE, (number - 1) * catalog.PAGE_SIZE)
    pages = max(1, -(-total // catalog.PAGE_SIZE))
    return await page(
        request,
        "catalog/index.html",
        area="admin",
        status_code=status_code,
        groups=await catalog.list_groups(),
        products=products,
        total=total,
        group_value=group,
        page_no=number,
        pages=pages,
        page_url=lambda n: (
            "/admin/catalog?" + urlencode({k: v for k, v in {"group": group, "page_no": n}.items() if v})
        ),
        type_labels=dict(_type_choices(request)),
        gv=group_values or {},
        ge=group_errors or {},
        notice=NOTICES.get(notice, ""),
    )


@get("/admin/catalog", authz=READ)
async def catalog_index(
    request: Request[Any, Any, Any], group: FromQuery[str] = "", page_no: FromQuery[int] = 1, done: FromQuery[str] = ""
) -> Template:
    """Product groups (storefront order) and products, 100 a page, filtered by group."""
    return await _index(request, notice=done, group=group, page_no=page_no)


@post("/admin/catalog/groups", authz=UPDATE)
async def add_group(request: Request[Any, Any, Any]) -> Response[Any]:
    """Add a product group."""
    values = await _form(request)
    try:
        await catalog.save_group(None, values, by=audit_context(request))
    except ValidationFailed as exc:
        return await _index(request, values, exc.errors, 422)
    return redirect(request, "/admin/catalog?done=group")


@get("/admin/catalog/groups/{group_id:int}", authz=READ)
async def edit_group(request: Request[Any, Any, Any], group_id: FromPath[int]) -> Template:
    """The form to change a group."""
    group = await catalog.get_group(group_id)
    return await page(request, "catalog/group.html", area="admin", group=group, v=asdict(group), e={})


@post("/admin/catalog/groups/{group_id:int}", authz=UPDATE)
async def save_group(request: Request[Any, Any, Any], group_id: FromPath[int]) -> Response[Any]:
    """Save a group."""
    group = await catalog.get_group(group_id)
    values = await _form(request)
    values["hidden"] = as_bool(values.get("hidden"))
    try:
        await catalog.save_group(group_id, values, by=audit_context(request))
    except ValidationFailed as exc:
        return await page(
            request, "catalog/group.html", area="admin", status_code=422, group=group, v=values, e=exc.errors
        )
    return redirect(request, "/admin/catalog?done=group")


@post("/admin/catalog/groups/{group_id:int}/delete", authz=UPDATE)
async def delete_group(request: Request[Any, Any, Any], group_id: FromPath[int]) -> Response[Any]:
    """Delete an empty group (409 while it has products)."""
    await catalog.delete_group(group_id, by=audit_context(request))
    return redirect(request, "/admin/catalog?done=group_deleted")


# -- creating a product ---------------------------------------------------------------------


async def _new_page(
    request: Request[Any, Any, Any], values: dict[str, Any], errors: dict[str, str], status_code: int = 200
) -> Template:
    type_name = str(values.get("product_type") or "")
    product_type = request.app.state.product_types.get(type_name)
    return await page(
        request,
        "catalog/product_new.html",
        area="admin",
        status_code=status_code,
        v=values,
        e=errors,
        group_choices=[(g.id, g.name) for g in await catalog.list_groups()],
        kinds=KIND_CHOICES,
        types=_type_choices(request),
        type_options=list(product_type.options) if product_type else [],
    )


@get("/admin/catalog/products/new", authz=UPDATE)
async def new_product(request: Request[Any, Any, Any], product_type: FromQuery[str] = "") -> Template:
    """The form to create a product; its type's options appear once a type is chosen."""
    values = {"product_type": product_type, "kind": ProductKind.PRODUCT, "is_active": True, "sort": "0", "config": {}}
    return await _new_page(request, values, {})


@post("/admin/catalog/products/new", authz=UPDATE)
async def create_product(request: Request[Any, Any, Any]) -> Response[Any]:
    """Create a product."""
    values = await _form(request)
    values["is_active"] = as_bool(values.get("is_active"))
    try:
        product_id = await catalog.save_product(
            None, values, request.app.state.product_types, by=audit_context(request)
        )
    except ValidationFailed as exc:
        return await _new_page(request, values, exc.errors, 422)
    return redirect(request, f"/admin/catalog/products/{product_id}?done=created")


# -- one product ----------------------------------------------------------------------------


@dataclass
class Failed:
    """The form of the product page that was refused, what was typed and why."""

    form: str = ""
    values: dict[str, Any] = field(default_factory=dict)
    errors: dict[str, str] = field(default_factory=dict)


async def _product_page(
    request: Request[Any, Any, Any],
    product_id: int,
    failed: Failed | None = None,
    status_code: int = 200,
    notice: str = "",
) -> Template:
    failed = failed or Failed()
    product = await catalog.get_product(product_id)
    all_stores = await stores.list_stores()
    columns = prices.priced_columns(all_stores)
    grids = (await prices.grids_of_products([product_id], columns))[product_id]
    if failed.form.startswith("prices-"):
        grids = [prices.grid_from_form(g, failed.values) if f"prices-{g.key}" == failed.form else g for g in grids]
    options = (await catalog_options.options_of([product_id])).get(product_id, [])
    choice_grids = await prices.choice_grids_of({o.id: [(c.id, c.label) for c in o.choices] for o in options}, columns)
    if failed.form.startswith("option-prices-"):
        for option_id, option_grids in choice_grids.items():
            choice_grids[option_id] = [
                prices.choice_grid_from_form(g, failed.values) if f"option-prices-{g.key}" == failed.form else g
                for g in option_grids
            ]
    settings_values = failed.values if failed.form == "settings" else asdict(product)
    product_type = request.app.state.product_types.get(product.product_type)
    return await page(
        request,
        "catalog/product.html",
        area="admin",
        status_code=status_code,
        product=product,
        v=settings_values,
        e=failed.errors if failed.form == "settings" else {},
        failed=failed,
        group_choices=[(g.id, g.name) for g in await catalog.list_groups()],
        kinds=KIND_CHOICES,
        types=_type_choices(request, product.product_type),
        type_options=list(product_type.options) if product_type else [],
        stores=all_stores,
        enabled=await selling.enabled_stores(product_id),
        grids=grids,
        addons=await selling.all_addons(),
        addon_ids={a.id for a in await selling.addons_of(product_id)},
        options=options,
        option_kinds=list(catalog_options.OPTION_KINDS.items()),
        choice_grids=choice_grids,
        cycle_labels=CYCLE_LABELS,
        notice=NOTICES.get(notice, ""),
    )


def _back(product_id: int, done: str, anchor: str = "") -> str:
    return f"/admin/catalog/products/{product_id}?done={done}" + (f"#{anchor}" if anchor else "")


@get("/admin/catalog/products/{product_id:int}", authz=READ)
async def product_page(
    request: Request[Any, Any, Any], product_id: FromPath[int], done: FromQuery[str] = ""
) -> Template:
    """A product: settings, stores, prices per store/currency/cycle, addons, options."""
    return await _product_page(request, product_id, notice=done)


@post("/admin/catalog/products/{product_id:int}", authz=UPDATE)
async def save_product(request: Request[Any, Any, Any], product_id: FromPath[int]) -> Response[Any]:
    """Save a product's settings."""
    values = await _form(request)
    values["is_active"] = as_bool(values.get("is_active"))
    try:
        await catalog.save_product(product_id, values, request.app.state.product_types, by=audit_context(request))
    except ValidationFailed as exc:
        return await _product_page(request, product_id, Failed("settings", values, exc.errors), 422)
    return redirect(request, _back(product_id, "saved"))


@post("/admin/catalog/products/{product_id:int}/stores", authz=UPDATE)
async def save_stores(request: Request[Any, Any, Any], product_id: FromPath[int]) -> Response[Any]:
    """Choose the stores that sell the product."""
    form = await request.form()
    chosen = [int(v) for v in form.getall("store_id", []) if str(v).isdigit()]
    try:
        await selling.set_enabled(product_id, chosen, by=audit_context(request))
    except ValidationFailed as exc:
        return await _product_page(request, product_id, Failed("stores", {}, exc.errors), 422)
    return redirect(request, _back(product_id, "stores", "stores"))


def _grid_target(form: dict[str, Any]) -> tuple[int, str]:
    store_id = str(form.get("store_id", ""))
    return (int(store_id) if store_id.isdigit() else 0), str(form.get("currency", ""))


@post("/admin/catalog/products/{product_id:int}/prices", authz=UPDATE)
async def save_prices(request: Request[Any, Any, Any], product_id: FromPath[int]) -> Response[Any]:
    """Set the product's prices in one store and currency (one row per cycle; empty = not offered)."""
    await catalog.get_product(product_id)
    form = {k: str(v) for k, v in (await request.form()).items()}
    store_id, currency = _grid_target(form)
    store = await stores.get_store(store_id)
    try:
        await prices.save_product_prices(store, currency, product_id, form, by=audit_context(request))
    except ValidationFailed as exc:
        return await _product_page(request, product_id, Failed(f"prices-{store_id}-{currency}", form, exc.errors), 422)
    return redirect(request, _back(product_id, "prices", "prices"))


@post("/admin/catalog/products/{product_id:int}/addons", authz=UPDATE)
async def save_addons(request: Request[Any, Any, Any], product_id: FromPath[int]) -> Response[Any]:
    """Choose the addons that may be bought with the product."""
    form = await request.form()
    chosen = [int(v) for v in form.getall("addon_id", []) if str(v).isdigit()]
    try:
        await selling.set_addons(product_id, chosen, by=audit_context(request))
    except ValidationFailed as exc:
        return await _product_page(request, product_id, Failed("addons", {}, exc.errors), 422)
    return redirect(request, _back(product_id, "addons", "addons"))


@post("/admin/catalog/products/{product_id:int}/options", authz=UPDATE)
async def add_option(request: Request[Any, Any, Any], product_id: FromPath[int]) -> Response[Any]:
    """Add a configurable option."""
    values = await _form(request)
    try:
        await catalog_options.save_option(product_id, None, values, by=audit_context(request))
    except ValidationFailed as exc:
        return await _product_page(request, product_id, Failed("option-new", values, exc.errors), 422)
    return redirect(request, _back(product_id, "option", "options"))


@post("/admin/catalog/products/{product_id:int}/options/{option_id:int}", authz=UPDATE)
async def save_option(
    request: Request[Any, Any, Any], product_id: FromPath[int], option_id: FromPath[int]
) -> Response[Any]:
    """Change a configurable option."""
    values = await _form(request)
    try:
        await catalog_options.save_option(product_id, option_id, values, by=audit_context(request))
    except ValidationFailed as exc:
        return await _product_page(request, product_id, Failed(f"option-{option_id}", values, exc.errors), 422)
    return redirect(request, _back(product_id, "option", f"option-{option_id}"))


@post("/admin/catalog/products/{product_id:int}/options/{option_id:int}/delete", authz=UPDATE)
async def delete_option(
    request: Request[Any, Any, Any], product_id: FromPath[int], option_id: FromPath[int]
) -> Response[Any]:
    """Remove a configurable option and its choices."""
    await catalog_options.delete_option(product_id, option_id, by=audit_context(request))
    return redirect(request, _back(product_id, "option_deleted", "options"))


@post("/admin/catalog/products/{product_id:int}/options/{option_id:int}/choices", authz=UPDATE)
async def add_choice(
    request: Request[Any, Any, Any], product_id: FromPath[int], option_id: FromPath[int]
) -> Response[Any]:
    """Add a choice to an option."""
    values = await _form(request)
    try:
        await catalog_options.add_choice(product_id, option_id, values, by=audit_context(request))
    except ValidationFailed as exc:
        return await _product_page(request, product_id, Failed(f"choice-{option_id}", values, exc.errors), 422)
    return redirect(request, _back(product_id, "choice", f"option-{option_id}"))


@post("/admin/catalog/products/{product_id:int}/choices/{choice_id:int}/delete", authz=UPDATE)
async def delete_choice(
    request: Request[Any, Any, Any], product_id: FromPath[int], choice_id: FromPath[int]
) -> Response[Any]:
    """Remove a choice of an option."""
    await catalog_options.delete_choice(product_id, choice_id, by=audit_context(request))
    return redirect(request, _back(product_id, "choice_deleted", "options"))


@post("/admin/catalog/products/{product_id:int}/options/{option_id:int}/prices", authz=UPDATE)
async def save_option_prices(
    request: Request[Any, Any, Any], product_id: FromPath[int], option_id: FromPath[int]
) -> Response[Any]:
    """Set the prices of an option's choices in one store and currency."""
    option = next(
        (o for o in (await catalog_options.options_of([product_id])).get(product_id, []) if o.id == option_id), None
    )
    if option is None:
        raise NotFound("No such option.")
    form = {k: str(v) for k, v in (await request.form()).items()}
    store_id, currency = _grid_target(form)
    store = await stores.get_store(store_id)
    try:
        await prices.save_choice_prices(
            store, currency, [c.id for c in option.choices], form, by=audit_context(request)
        )
    except ValidationFailed as exc:
        failed = Failed(f"option-prices-{option_id}-{store_id}-{currency}", form, exc.errors)
        return await _product_page(request, product_id, failed, 422)
    return redirect(request, _back(product_id, "prices", f"option-{option_id}"))


ROUTES = [
    catalog_index,
    add_group,
    edit_group,
    save_group,
    delete_group,
    new_product,
    create_product,
    product_page,
    save_product,
    save_stores,
    save_prices,
    save_addons,
    add_option,
    save_option,
    delete_option,
    add_choice,
    delete_choice,
    save_option_prices,
]
