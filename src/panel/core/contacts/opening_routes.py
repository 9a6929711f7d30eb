"""Pages and API for opening another account (from the account switcher)."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

from litestar import Request, Response, Router, get, post
from litestar.params import JSONBody, URLEncodedBody
from litestar.response import Template

from panel.core.accounts import services as accounts
from panel.core.audit.context import audit_context
from panel.core.auth.routes import set_session_cookie
from panel.core.authz.guard import LOGGED_IN
from panel.core.contacts import opening
from panel.core.contacts.countries import sorted_by_name
from panel.core.contacts.routes import ContactForm, form_values
from panel.core.referrals import services as referrals
from panel.core.web.pages import page, redirect
from panel.errors import ValidationFailed


@dataclass
class NewAccountForm(ContactForm):
    """The new account's name and its own details."""

    account_name: str = ""


async def _form(
    request: Request[Any, Any, Any], values: dict[str, str], errors: dict[str, str], status_code: int = 200
) -> Template:
    return await page(
        request,
        "contacts/new_account.html",
        area="public",
        status_code=status_code,
        values=values,
        errors=errors,
        countries=sorted_by_name(),
    )


@get("/accounts/new", authz=LOGGED_IN)
async def new_account_page(request: Request[Any, Any, Any]) -> Template:
    """The form to open another account, e.g. for a client of yours."""
    session = request.state.session
    return await _form(request, {"name": session.name, "email": session.email}, {})


@post("/accounts/new", authz=LOGGED_IN)
async def create_account(request: Request[Any, Any, Any], data: URLEncodedBody[NewAccountForm]) -> Response[Any]:
    """Open the account, make it current, and go to its home page."""
    from panel.core.accounts.routes import switch_account

    store_id = await opening.store_for_new_account(request.state.account_id)
    try:
        account_id = await opening.open_account(
            request.app.state.authz,
            request.state.user_id,
            data.account_name,
            store_id,
            asdict(data),
            by=audit_context(request),
        )
    except ValidationFailed as exc:
        values = {**form_values(data), "account_name": data.account_name}
        return await _form(request, values, exc.errors, 422)
    await request.app.state.authz.sync()
    await referrals.attach_from_request(request, account_id)  # a referral link followed before, if any
    token = await switch_account(request, account_id)
    response = redirect(request, "/")
    set_session_cookie(response, request.app.state.settings, token)
    return response


@dataclass
class NewAccountBody:
    """A new account: its name and its own details (the contact fields)."""

    account_name: str
    contact: dict[str, Any]


@dataclass
class NewAccountOut:
    """The account just opened."""

    id: int
    name: str


@post("/accounts", authz=LOGGED_IN, status_code=201)
async def api_create_account(request: Request[Any, Any, Any], data: JSONBody[NewAccountBody]) -> NewAccountOut:
    """Open another account owned by the caller; 422 with every problem by field."""
    store_id = await opening.store_for_new_account(request.state.account_id)
    account_id = await opening.open_account(
        request.app.state.authz,
        request.state.user_id,
        data.account_name,
        store_id,
        data.contact,
        by=audit_context(request),
    )
    return NewAccountOut(account_id, (await accounts.get_account(account_id)).name)


PAGE_ROUTES = [new_account_page, create_account]


def api_router() -> Router:
    """Opening accounts through the API, under /api/v1."""
    return Router(path="/api/v1", route_handlers=[api_create_account], tags=["accounts"])
