"""The reseller area: a reseller's standing, its stores, and its clients (client area, `/reseller/...`).

The current account must be a reseller (run at least one store); a member needs
the `reseller` permission (the owner has everything). A store or client that is not
the reseller's answers 404.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from litestar import Request, Response, get, post
from litestar.params import FromPath, FromQuery, URLEncodedBody
from litestar.response import Template

from panel.core.audit.context import audit_context
from panel.core.authz.guard import requires
from panel.core.catalog import options as catalog_options
from panel.core.catalog import prices, selling
from panel.core.catalog import services as catalog
from panel.core.catalog.tables import Cycle
from panel.core.stores import resellers, services
from panel.core.stores.forms import read_store_form, type_choices
from panel.core.stores.services import StoreView
from panel.core.stores.tables import StoreKind
from panel.core.stores.terms import terms, type_labels
from panel.core.stores.validation import RESELLER_FIELDS
from panel.core.web.pages import page, redirect
from panel.errors import NotFound, ValidationFailed

OVERVIEW = requires("reseller:overview", "read")
STORE_READ = requires("reseller:store:{store_id}", "read")
STORE_UPDATE = requires("reseller:store:{store_id}", "update")
CLIENTS = requires("reseller:clients", "list")
CLIENT_MOVE = requires("reseller:client:{account_id}", "move")
CLIENT_SUSPEND = requires("reseller:client:{account_id}", "suspend")
CLIENT_UNSUSPEND = requires("reseller:client:{account_id}", "unsuspend")

NOTICES = {
    "saved": "Your store was saved.",
    "products": "The products your store sells were saved.",
    "prices": "The prices were saved.",
    "moved": "The client was moved to another of your stores.",
    "suspended": "The client is suspended: its members were logged out and cannot log in.",
    "unsuspended": "The client is active again.",
}
CYCLE_LABELS = [(c, Cycle.LABELS[c]) for c in prices.CHOICE_CYCLES]


@get("/reseller", authz=OVERVIEW)
async def overview(request: Request[Any, Any, Any]) -> Template:
    """Tier, active services (the reseller's and its clients'), discount and stores."""
    return await page(request, "stores/reseller_overview.html", info=await resellers.overview(request.state.account_id))


async def own_store(account_id: int, store_id: int) -> StoreView:
    """One of the reseller's stores; `NotFound` for anyone else's."""
    store = await services.get_store(store_id)
    if store.reseller_id != account_id:
        raise NotFound("No such store.")
    return store


@dataclass(frozen=True)
class Failed:
    """A form of the store page that was refused: which one, what was typed, and why."""

    form: str = ""
    values: dict[str, Any] | None = None
    errors: dict[str, str] | None = None


async def _store_page(
    request: Request[Any, Any, Any],
    store: StoreView,
    failed: Failed | None = None,
    status_code: int = 200,
    done: str = "",
) -> Template:
    failed = failed or Failed()
    product_types = request.app.state.product_types
    values = services.form_values(store)
    if failed.form == "settings" and failed.values is not None:
        values = {**values, **failed.values}
    enabled: list[catalog.ProductView] = []
    offerable: list[catalog.ProductView] = []
    grids: dict[int, prices.PriceGrid] = {}
    option_grids: list[tuple[int, str, prices.ChoiceGrid]] = []
    if store.kind == StoreKind.RESELLER:
        default = await services.default_store()
        offerable = await selling.products_of_store(default.id) if default else []
        enabled = await selling.products_of_store(store.id)
        column = [(store, store.currency)]
        all_grids = await prices.grids_of_products([p.id for p in enabled], column)
        for product in enabled:
            grid = all_grids[product.id][0]
            if failed.form == f"prices-{product.id}" and failed.values is not None:
                grid = prices.grid_from_form(grid, failed.values)
            grids[product.id] = grid
        options = await catalog_options.options_of([p.id for p in enabled])
        listed = [(p, o) for p in enabled for o in options.get(p.id, [])]
        choice_grids = await prices.choice_grids_of(
            {o.id: [(c.id, c.label) for c in o.choices] for _, o in listed}, column
        )
        for product, option in listed:
            grid_c = choice_grids[option.id][0]
            if failed.form == f"option-{option.id}" and failed.values is not None:
                grid_c = prices.choice_grid_from_form(grid_c, failed.values)
            option_grids.append((product.id, f"{product.name}: {option.label}", grid_c))
    return await page(
        request,
        "stores/reseller_store.html",
        status_code=status_code,
        store=store,
        v=values,
        e=failed.errors if failed.form == "settings" and failed.errors else {},
        failed=failed,
        type_choices=type_choices(product_types, store),
        terms=terms(store, type_labels(product_types)),
        enabled=enabled,
        enabled_ids={p.id for p in enabled},
        offerable=offerable,
        grids=grids,
        option_grids=option_grids,
        cycle_labels=CYCLE_LABELS,
        notice=NOTICES.get(done, ""),
    )


@get("/reseller/stores/{store_id:int}", authz=STORE_READ)
async def store_page(request: Request[Any, Any, Any], store_id: FromPath[int], done: FromQuery[str] = "") -> Template:
    """The reseller's store: branding, contact instructions, policies, products and prices."""
    await resellers.require_reseller(request.state.account_id)
    store = await own_store(request.state.account_id, store_id)
    return await _store_page(request, store, done=done)


@post("/reseller/stores/{store_id:int}", authz=STORE_UPDATE)
async def save_store(request: Request[Any, Any, Any], store_id: FromPath[int]) -> Response[Any]:
    """Save the store's branding, contact instructions and policies."""
    store = await own_store(request.state.account_id, store_id)
    product_types = request.app.state.product_types
    names = [n for n, _ in type_choices(product_types, store)]
    values = await read_store_form(request, names, reseller=True)
    try:
        await services.update_store(store_id, values, product_types, only=RESELLER_FIELDS, by=audit_context(request))
    except ValidationFailed as exc:
        return await _store_page(request, store, Failed("settings", values, exc.errors), 422)
    return redirect(request, f"/reseller/stores/{store_id}?done=saved")


@post("/reseller/stores/{store_id:int}/products", authz=STORE_UPDATE)
async def save_products(request: Request[Any, Any, Any], store_id: FromPath[int]) -> Response[Any]:
    """Choose which of the provider's products the store sells."""
    account_id = request.state.account_id
    store = await own_store(account_id, store_id)
    if store.kind != StoreKind.RESELLER:
        raise NotFound("This store sells the provider's catalogue.")
    form = await request.form()
    chosen = [int(v) for v in form.getall("product_id", []) if str(v).isdigit()]
    default = await services.default_store()
    offerable = [p.id for p in await selling.products_of_store(default.id)] if default else []
    try:
        await selling.set_store_products(store_id, chosen, offerable, account_id=account_id, by=audit_context(request))
    except ValidationFailed as exc:
        return await _store_page(request, store, Failed("products", None, exc.errors), 422)
    return redirect(request, f"/reseller/stores/{store_id}?done=products")


@post("/reseller/stores/{store_id:int}/prices/{product_id:int}", authz=STORE_UPDATE)
async def save_prices(
    request: Request[Any, Any, Any], store_id: FromPath[int], product_id: FromPath[int]
) -> Response[Any]:
    """Set the store's prices of one product it sells (one row per cycle; empty = not offered)."""
    account_id = request.state.account_id
    store = await own_store(account_id, store_id)
    if product_id not in {p.id for p in await selling.products_of_store(store_id)} or store.kind != StoreKind.RESELLER:
        raise NotFound("Your store does not sell that product.")
    form = {k: str(v) for k, v in (await request.form()).items()}
    try:
        await prices.save_product_prices(
            store, store.currency, product_id, form, account_id=account_id, by=audit_context(request)
        )
    except ValidationFailed as exc:
        return await _store_page(request, store, Failed(f"prices-{product_id}", form, exc.errors), 422)
    return redirect(request, f"/reseller/stores/{store_id}?done=prices#product-{product_id}")


@post("/reseller/stores/{store_id:int}/options/{option_id:int}", authz=STORE_UPDATE)
async def save_option_prices(
    request: Request[Any, Any, Any], store_id: FromPath[int], option_id: FromPath[int]
) -> Response[Any]:
    """Set the store's prices of an option's choices (for a product it sells)."""
    account_id = request.state.account_id
    store = await own_store(account_id, store_id)
    enabled = [p.id for p in await selling.products_of_store(store_id)] if store.kind == StoreKind.RESELLER else []
    option = next(
        (o for opts in (await catalog_options.options_of(enabled)).values() for o in opts if o.id == option_id), None
    )
    if option is None:
        raise NotFound("Your store does not sell a product with that option.")
    form = {k: str(v) for k, v in (await request.form()).items()}
    try:
        await prices.save_choice_prices(
            store,
            store.currency,
            [c.id for c in option.choices],
            form,
            account_id=account_id,
            by=audit_context(request),
        )
    except ValidationFailed as exc:
        return await _store_page(request, store, Failed(f"option-{option_id}", form, exc.errors), 422)
    return redirect(request, f"/reseller/stores/{store_id}?done=prices")


# -- clients --------------------------------------------------------------------------------


@get("/reseller/clients", authz=CLIENTS)
async def client_list(
    request: Request[Any, Any, Any], page_no: FromQuery[int] = 1, done: FromQuery[str] = ""
) -> Template:
    """The reseller's clients, 50 a page, with their store, status and active services."""
    account_id = request.state.account_id
    stores = await resellers.require_reseller(account_id)
    number = max(page_no, 1)
    found = await resellers.list_clients(account_id, resellers.PAGE_SIZE, (number - 1) * resellers.PAGE_SIZE)
    pages = max(1, -(-found.total // found.limit))
    return await page(
        request,
        "stores/reseller_clients.html",
        found=found,
        stores=stores,
        page_no=number,
        pages=pages,
        page_url=lambda n: "/reseller/clients?" + urlencode({"page_no": n}),
        notice=NOTICES.get(done, ""),
        errors={},
        failed_client=None,
    )


@dataclass
class MoveForm:
    """The store to move a client to."""

    store_id: str = ""


@post("/reseller/clients/{account_id:int}/move", authz=CLIENT_MOVE)
async def move_client(
    request: Request[Any, Any, Any], account_id: FromPath[int], data: URLEncodedBody[MoveForm]
) -> Response[Any]:
    """Bind a client to another of the reseller's stores."""
    reseller_id = request.state.account_id
    store_id = int(data.store_id) if data.store_id.isdigit() else 0
    try:
        await resellers.move_client(reseller_id, account_id, store_id, by=audit_context(request))
    except ValidationFailed as exc:
        stores = await resellers.require_reseller(reseller_id)
        found = await resellers.list_clients(reseller_id)
        return await page(
            request,
            "stores/reseller_clients.html",
            status_code=422,
            found=found,
            stores=stores,
            page_no=1,
            pages=max(1, -(-found.total // found.limit)),
            page_url=lambda n: "/reseller/clients?" + urlencode({"page_no": n}),
            notice="",
            errors=exc.errors,
            failed_client=account_id,
        )
    return redirect(request, "/reseller/clients?done=moved")


@post("/reseller/clients/{account_id:int}/suspend", authz=CLIENT_SUSPEND)
async def suspend_client(request: Request[Any, Any, Any], account_id: FromPath[int]) -> Response[Any]:
    """Suspend one of the reseller's clients (its members are logged out)."""
    await resellers.suspend_client(
        request.app.state.authz, request.state.account_id, account_id, by=audit_context(request)
    )
    return redirect(request, "/reseller/clients?done=suspended")


@post("/reseller/clients/{account_id:int}/unsuspend", authz=CLIENT_UNSUSPEND)
async def unsuspend_client(request: Request[Any, Any, Any], account_id: FromPath[int]) -> Response[Any]:
    """Reactivate one of the reseller's clients."""
    await resellers.unsuspend_client(
        request.app.state.authz, request.state.account_id, account_id, by=audit_context(request)
    )
    return redirect(request, "/reseller/clients?done=unsuspended")


ROUTES = [
    overview,
    store_page,
    save_store,
    save_products,
    save_prices,
    save_option_prices,
    client_list,
    move_client,
    suspend_client,
    unsuspend_client,
]
