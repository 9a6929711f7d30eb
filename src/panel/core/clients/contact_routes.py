"""Admin-area pages for a client's contacts: own details, other contacts, billing contact."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from litestar import Request, Response, get, post
from litestar.params import FromPath, URLEncodedBody
from litestar.response import Template

from panel.core.clients import services
from panel.core.clients.guards import UPDATE
from panel.core.clients.routes import client_page_with
from panel.core.contacts import services as contacts
from panel.core.contacts.countries import sorted_by_name
from panel.core.contacts.routes import BillingForm, ContactForm, form_values
from panel.core.web.pages import page, redirect
from panel.errors import ValidationFailed


@post("/admin/clients/{account_id:int}/details", authz=UPDATE)
async def save_details(
    request: Request[Any, Any, Any], account_id: FromPath[int], data: URLEncodedBody[ContactForm]
) -> Response[Any]:
    """Save the client's own details (the primary contact)."""
    await services.require_client(account_id)
    try:
        await contacts.save_primary(account_id, asdict(data))
    except ValidationFailed as exc:
        return await client_page_with(request, account_id, 422, "details", form_values(data), exc.errors)
    return redirect(request, f"/admin/clients/{account_id}?done=details")


@post("/admin/clients/{account_id:int}/contacts", authz=UPDATE)
async def add_contact(
    request: Request[Any, Any, Any], account_id: FromPath[int], data: URLEncodedBody[ContactForm]
) -> Response[Any]:
    """Add a contact to the client (optionally its billing contact)."""
    await services.require_client(account_id)
    try:
        await contacts.add_contact(account_id, asdict(data), billing=bool(data.billing))
    except ValidationFailed as exc:
        return await client_page_with(request, account_id, 422, "contact", form_values(data), exc.errors)
    return redirect(request, f"/admin/clients/{account_id}?done=contact")


async def _contact_page(
    request: Request[Any, Any, Any],
    account_id: int,
    contact: contacts.ContactView,
    values: dict[str, str],
    errors: dict[str, str],
    status_code: int = 200,
) -> Template:
    return await page(
        request,
        "contacts/edit.html",
        area="admin",
        status_code=status_code,
        contact=contact,
        values=values,
        errors=errors,
        countries=sorted_by_name(),
        action=f"/admin/clients/{account_id}/contacts/{contact.id}",
        back=f"/admin/clients/{account_id}",
    )


@get("/admin/clients/{account_id:int}/contacts/{contact_id:int}", authz=UPDATE)
async def edit_contact(
    request: Request[Any, Any, Any], account_id: FromPath[int], contact_id: FromPath[int]
) -> Template:
    """The form to change one of the client's extra contacts."""
    contact = await contacts.get_contact(account_id, contact_id)
    return await _contact_page(request, account_id, contact, form_values(contact), {})


@post("/admin/clients/{account_id:int}/contacts/{contact_id:int}", authz=UPDATE)
async def update_contact(
    request: Request[Any, Any, Any],
    account_id: FromPath[int],
    contact_id: FromPath[int],
    data: URLEncodedBody[ContactForm],
) -> Response[Any]:
    """Save one of the client's extra contacts."""
    try:
        await contacts.update_contact(account_id, contact_id, asdict(data))
    except ValidationFailed as exc:
        contact = await contacts.get_contact(account_id, contact_id)
        return await _contact_page(request, account_id, contact, form_values(data), exc.errors, 422)
    return redirect(request, f"/admin/clients/{account_id}?done=contact")


@post("/admin/clients/{account_id:int}/contacts/{contact_id:int}/delete", authz=UPDATE)
async def delete_contact(
    request: Request[Any, Any, Any], account_id: FromPath[int], contact_id: FromPath[int]
) -> Response[Any]:
    """Delete one of the client's extra contacts."""
    await contacts.delete_contact(account_id, contact_id)
    return redirect(request, f"/admin/clients/{account_id}?done=contact_deleted")


@post("/admin/clients/{account_id:int}/billing-contact", authz=UPDATE)
async def choose_billing(
    request: Request[Any, Any, Any], account_id: FromPath[int], data: URLEncodedBody[BillingForm]
) -> Response[Any]:
    """Choose the client's billing contact."""
    await contacts.set_billing(account_id, data.contact_id)
    return redirect(request, f"/admin/clients/{account_id}?done=billing")


ROUTES = [save_details, add_contact, edit_contact, update_contact, delete_contact, choose_billing]
