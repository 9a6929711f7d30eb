"""Staff set an account's owner directly (platform scope, `account:owner` `update`).

The clients feature's account page can link here or call
`panel.core.members.ownership.transfer` itself.
"""

from __future__ import annotations

from typing import Any

from litestar import Request, Response, get, post
from litestar.params import FromPath
from litestar.response import Template

from panel.core.accounts import services as accounts
from panel.core.audit.context import audit_context
from panel.core.auth import services as auth
from panel.core.authz.guard import requires
from panel.core.members import ownership, services
from panel.core.members.routes import catalog, form_values
from panel.core.web.pages import page, redirect
from panel.errors import ValidationFailed

OWNER = requires("account:owner", "update", scope="platform")


async def _owner_page(
    request: Request[Any, Any, Any],
    account_id: int,
    errors: dict[str, str] | None = None,
    email: str = "",
    kept: list[str] | None = None,
    status_code: int = 200,
) -> Template:
    account = await accounts.get_account(account_id)
    perms = catalog(request)
    return await page(
        request,
        "members/admin_owner.html",
        area="admin",
        status_code=status_code,
        account=account,
        members=await services.list_members(request.app.state.authz, account_id),
        permissions=perms,
        kept=set(ownership.default_kept(perms) if kept is None else kept),
        email=email,
        errors=errors or {},
        done=request.query_params.get("done") == "1",
    )


@get("/admin/accounts/{account_id:int}/owner", authz=OWNER)
async def owner_form(request: Request[Any, Any, Any], account_id: FromPath[int]) -> Template:
    """The account's owner and members, and a form to make another user the owner."""
    return await _owner_page(request, account_id)


@post("/admin/accounts/{account_id:int}/owner", authz=OWNER)
async def set_owner(request: Request[Any, Any, Any], account_id: FromPath[int]) -> Response[Any]:
    """Make the user with the given email the owner; the old owner keeps the ticked permissions."""
    fields, _ = await form_values(request)
    form = await request.form()
    kept = [str(v) for v in form.getall("keep")] if "keep" in form else []
    email = fields.get("email", "")
    user_id = await auth.user_id_by_email(email) if email.strip() else None
    try:
        if user_id is None:
            raise ValidationFailed({"email": "Enter the email of an existing user."})
        await ownership.transfer(
            request.app.state.authz,
            account_id,
            user_id,
            keep=kept,
            catalog=catalog(request),
            by=audit_context(request),
        )
    except ValidationFailed as exc:
        errors = {("email" if k == "user_id" else k): v for k, v in exc.errors.items()}
        return await _owner_page(request, account_id, errors, email, kept, 422)
    return redirect(request, f"/admin/accounts/{account_id}/owner?done=1")


ROUTES = [owner_form, set_owner]
