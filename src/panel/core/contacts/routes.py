"""Client-area pages for the account's details and contacts, and the contacts API.

Pages work on the session's current account under `/account/...`; the API names the
account in the path (`/api/v1/accounts/{account_id}/contacts`), so tokens work too.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields
from typing import Any

from litestar import Request, Response, Router, delete, get, post, put
from litestar.params import FromPath, FromQuery, JSONBody, URLEncodedBody
from litestar.response import Template

from panel.core.authz.guard import requires
from panel.core.contacts import access, services
from panel.core.contacts.countries import sorted_by_name
from panel.core.contacts.sync import routes as sync_routes
from panel.core.contacts.validation import FIELDS
from panel.core.web.pages import page, redirect
from panel.errors import ValidationFailed

NOTICES = {
    "saved": "Your details were saved.",
    "added": "The contact was added.",
    "updated": "The contact was saved.",
    "deleted": "The contact was deleted.",
    "billing": "The billing contact was changed.",
    "sync": "Contact sync was saved.",
}


@dataclass
class ContactFields:
    """A contact's own fields, unchecked (also the body of the client and checkout APIs)."""

    name: str = ""
    company: str = ""
    email: str = ""
    phone: str = ""
    address1: str = ""
    address2: str = ""
    city: str = ""
    region: str = ""
    postcode: str = ""
    country: str = ""
    vat_id: str = ""


@dataclass
class ContactForm(ContactFields):
    """A contact's fields as a form sends them (also the API's body), and the billing tick."""

    billing: str = ""


@dataclass
class BillingForm:
    """The contact chosen to receive invoices."""

    contact_id: int = 0


def form_values(source: Any) -> dict[str, str]:
    """The contact fields of a form, dataclass or view, as a dict for the field template."""
    data = asdict(source) if not isinstance(source, dict) else source
    return {name: str(data.get(name) or "") for name in FIELDS}


async def details_page(
    request: Request[Any, Any, Any],
    status_code: int = 200,
    form: str = "",
    values: dict[str, str] | None = None,
    errors: dict[str, str] | None = None,
    notice: str = "",
    sync_values: dict[str, Any] | None = None,
) -> Template:
    """The details and contacts page with what the user may change (also for a form sent back with errors)."""
    account_id = request.state.account_id
    contacts = await services.list_contacts(account_id)
    primary = next((c for c in contacts if c.is_primary), None)
    session = request.state.session
    primary_values = form_values(primary) if primary else {"name": session.name, "email": session.email}
    if form == "primary" and values is not None:
        primary_values = values
    return await page(
        request,
        "contacts/details.html",
        status_code=status_code,
        primary=primary,
        primary_values=primary_values,
        extras=[c for c in contacts if not c.is_primary],
        contacts=contacts,
        new_values=values if form == "add" and values is not None else {},
        form=form,
        errors=errors or {},
        can=access.abilities(request, account_id),
        countries=sorted_by_name(),
        notice=NOTICES.get(notice, ""),
        sync=await sync_routes.section(request, account_id, sync_values),
    )


@get("/account/details", authz=requires("account:summary", "read"))
async def details(request: Request[Any, Any, Any], done: FromQuery[str] = "") -> Template:
    """The account's own details, its billing contact and extra contacts.

    Members with the `profile` or the `contacts` permission see it; what each may
    change is offered according to the rules engine.
    """
    access.require_any(request, request.state.account_id, access.VIEW)
    return await details_page(request, notice=done)


@post("/account/details", authz=requires("account:profile", "update"))
async def save_details(request: Request[Any, Any, Any], data: URLEncodedBody[ContactForm]) -> Response[Any]:
    """Save the account's own details (the primary contact)."""
    try:
        await services.save_primary(request.state.account_id, asdict(data))
    except ValidationFailed as exc:
        return await details_page(request, 422, "primary", form_values(data), exc.errors)
    return redirect(request, "/account/details?done=saved")


@post("/account/contacts", authz=requires("contact:*", "create"))
async def add_contact(request: Request[Any, Any, Any], data: URLEncodedBody[ContactForm]) -> Response[Any]:
    """Add an extra contact (optionally the billing contact)."""
    account_id = request.state.account_id
    billing = bool(data.billing)
    if billing:
        access.require_any(request, account_id, (("contact:billing", "update"),))
    try:
        await services.add_contact(account_id, asdict(data), billing=billing)
    except ValidationFailed as exc:
        return await details_page(request, 422, "add", form_values(data), exc.errors)
    return redirect(request, "/account/details?done=added")


@get("/account/contacts/{contact_id:int}", authz=requires("contact:{contact_id}", "read"))
async def edit_contact(request: Request[Any, Any, Any], contact_id: FromPath[int]) -> Template:
    """The form to change one extra contact."""
    contact = await services.get_contact(request.state.account_id, contact_id)
    if contact.is_primary:
        return await details_page(request)
    return await _edit_page(request, contact, form_values(contact), {})


async def _edit_page(
    request: Request[Any, Any, Any],
    contact: services.ContactView,
    values: dict[str, str],
    errors: dict[str, str],
    status_code: int = 200,
) -> Template:
    return await page(
        request,
        "contacts/edit.html",
        status_code=status_code,
        contact=contact,
        values=values,
        errors=errors,
        countries=sorted_by_name(),
        action=f"/account/contacts/{contact.id}",
        back="/account/details",
    )


@post("/account/contacts/{contact_id:int}", authz=requires("contact:{contact_id}", "update"))
async def update_contact(
    request: Request[Any, Any, Any], contact_id: FromPath[int], data: URLEncodedBody[ContactForm]
) -> Response[Any]:
    """Save one extra contact."""
    account_id = request.state.account_id
    try:
        await services.update_contact(account_id, contact_id, asdict(data))
    except ValidationFailed as exc:
        contact = await services.get_contact(account_id, contact_id)
        return await _edit_page(request, contact, form_values(data), exc.errors, 422)
    return redirect(request, "/account/details?done=updated")


@post("/account/contacts/{contact_id:int}/delete", authz=requires("contact:{contact_id}", "delete"))
async def remove_contact(request: Request[Any, Any, Any], contact_id: FromPath[int]) -> Response[Any]:
    """Delete one extra contact."""
    await services.delete_contact(request.state.account_id, contact_id)
    return redirect(request, "/account/details?done=deleted")


@post("/account/billing-contact", authz=requires("contact:billing", "update"))
async def choose_billing(request: Request[Any, Any, Any], data: URLEncodedBody[BillingForm]) -> Response[Any]:
    """Make one contact the billing contact."""
    await services.set_billing(request.state.account_id, data.contact_id)
    return redirect(request, "/account/details?done=billing")


PAGE_ROUTES = [
    details,
    save_details,
    add_contact,
    edit_contact,
    update_contact,
    remove_contact,
    choose_billing,
    *sync_routes.PAGE_ROUTES,
]


# -- API ----------------------------------------------------------------------------------


@dataclass
class ContactBody:
    """A contact in a request: the fields, and whether it is the primary or billing contact.

    `is_primary` may only be set when creating the account's first own details;
    `is_billing` makes the contact the billing contact (it cannot be unset, only
    moved to another contact).
    """

    name: str = ""
    company: str = ""
    email: str = ""
    phone: str = ""
    address1: str = ""
    address2: str = ""
    city: str = ""
    region: str = ""
    postcode: str = ""
    country: str = ""
    vat_id: str = ""
    is_primary: bool | None = None
    is_billing: bool | None = None


def _fields_of(body: ContactBody) -> dict[str, str]:
    return {f.name: getattr(body, f.name) for f in fields(body) if f.name in FIELDS}


_MEMBER = requires("account:summary", "read", account_param="account_id")


@get("/accounts/{account_id:int}/contacts", authz=_MEMBER)
async def api_list(request: Request[Any, Any, Any], account_id: FromPath[int]) -> list[services.ContactView]:
    """The account's contacts, primary first (members with `profile` or `contacts`)."""
    access.require_any(request, account_id, access.VIEW)
    return await services.list_contacts(account_id)


@post("/accounts/{account_id:int}/contacts", authz=requires("contact:*", "create", account_param="account_id"))
async def api_create(
    request: Request[Any, Any, Any], account_id: FromPath[int], data: JSONBody[ContactBody]
) -> services.ContactView:
    """Add a contact. With `is_primary`, the account's own details (needs `profile`; only if none yet)."""
    if data.is_primary:
        access.require_any(request, account_id, (("account:profile", "update"),))
        if await services.primary_contact(account_id) is not None:
            raise services.ContactRefused("The account already has its own details: change them with PUT.")
        contact_id = await services.save_primary(account_id, _fields_of(data))
    else:
        if data.is_billing:
            access.require_any(request, account_id, (("contact:billing", "update"),))
        contact_id = await services.add_contact(account_id, _fields_of(data), billing=bool(data.is_billing))
    return await services.get_contact(account_id, contact_id)


@get("/accounts/{account_id:int}/contacts/{contact_id:int}", authz=_MEMBER)
async def api_get(
    request: Request[Any, Any, Any], account_id: FromPath[int], contact_id: FromPath[int]
) -> services.ContactView:
    """One contact of the account."""
    access.require_any(request, account_id, access.VIEW)
    contact = await services.get_contact(account_id, contact_id)
    access.require_on(request, account_id, contact.id, contact.is_primary, "read")
    return contact


@put("/accounts/{account_id:int}/contacts/{contact_id:int}", authz=_MEMBER)
async def api_update(
    request: Request[Any, Any, Any], account_id: FromPath[int], contact_id: FromPath[int], data: JSONBody[ContactBody]
) -> services.ContactView:
    """Replace a contact's fields; the primary needs `profile`, others `contacts`."""
    access.require_any(request, account_id, access.VIEW)
    contact = await services.get_contact(account_id, contact_id)
    access.require_on(request, account_id, contact.id, contact.is_primary, "update")
    if data.is_billing and not contact.is_billing:
        access.require_any(request, account_id, (("contact:billing", "update"),))
    if data.is_primary is not None and data.is_primary != contact.is_primary:
        raise ValidationFailed({"is_primary": "A contact cannot become or stop being the account's own details."})
    make_billing = bool(data.is_billing) and not contact.is_billing
    await services.replace_contact(account_id, contact_id, _fields_of(data), make_billing=make_billing)
    return await services.get_contact(account_id, contact_id)


@delete(
    "/accounts/{account_id:int}/contacts/{contact_id:int}",
    authz=requires("contact:{contact_id}", "delete", account_param="account_id"),
)
async def api_delete(account_id: FromPath[int], contact_id: FromPath[int]) -> None:
    """Delete an extra contact (the primary cannot be deleted: 409)."""
    await services.delete_contact(account_id, contact_id)


def api_router() -> Router:
    """The contacts API under /api/v1."""
    return Router(
        path="/api/v1",
        route_handlers=[api_list, api_create, api_get, api_update, api_delete, *sync_routes.API_ROUTES],
        tags=["contacts"],
    )
