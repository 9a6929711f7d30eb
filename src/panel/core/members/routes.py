"""Client-area pages of the current account: members, their permissions, invitations, ownership.

Thin: read the form, call a service, render or redirect. Forms work as plain POST
+ redirect and with htmx (the same handlers; `redirect()` answers htmx with
`HX-Redirect`, and a form with errors comes back as a 422 fragment).
"""

from __future__ import annotations

from typing import Any

from litestar import Request, Response, get, post
from litestar.datastructures import UploadFile
from litestar.params import FromPath, FromQuery
from litestar.response import Template

from panel.core.accounts.services import dom
from panel.core.audit.context import audit_context
from panel.core.authz.guard import requires
from panel.core.members import invitations, member_admin, ownership, services
from panel.core.profile import images
from panel.core.profile.routes import image_max_bytes, reset_limits
from panel.core.web.pages import allowed, page, redirect
from panel.errors import Forbidden, TooManyAttempts, ValidationFailed
from panel.plugin import Permission

ADMIN_NOTE = "You may not make members admins or take that away here."
"""Shown beside the disabled Everything box when the rules engine refuses `set_role_admin`."""

NOTICES = {
    "reset": "We emailed {email} a link to set a new password. Their password stays as it is until they use it.",
    "image": "The profile image of {email} was saved.",
    "image_removed": "The profile image of {email} was removed.",
}


def catalog(request: Request[Any, Any, Any]) -> list[Permission]:
    """Every permission an owner can give, core's and plugins'."""
    return list(request.app.state.permissions)


def may_set_admin(request: Request[Any, Any, Any], obj: str, account_id: int) -> bool:
    """Whether the rules engine lets the current user give or take away `all` (Everything) on `obj`."""
    return allowed(request, obj, "set_role_admin", dom(account_id))


def admin_boxes(request: Request[Any, Any, Any], obj: str, grantable: set[str]) -> dict[str, Any]:
    """`grantable` and `notes` for the permission boxes: Everything is disabled, with a note, when refused."""
    if may_set_admin(request, obj, request.state.account_id):
        return {"grantable": grantable, "notes": {}}
    return {"grantable": grantable - {services.ADMIN}, "notes": {services.ADMIN: ADMIN_NOTE}}


async def form_values(request: Request[Any, Any, Any]) -> tuple[dict[str, str], list[str]]:
    """The posted form's single fields, and every ticked `permissions` box."""
    form = await request.form()
    singles = {k: str(v) for k, v in form.items() if k != "permissions"}
    return singles, [str(v) for v in form.getall("permissions")] if "permissions" in form else []


# -- the members page -------------------------------------------------------------------


async def _members_page(request: Request[Any, Any, Any], status_code: int = 200, **extra: Any) -> Template:
    authz = request.app.state.authz
    account_id = request.state.account_id
    d = dom(account_id)
    me = request.state.user_id
    can_offer = allowed(request, "account:owner", "update", d)
    offer = await ownership.pending_offer(account_id)
    members = await services.list_members(authz, account_id)
    return await page(
        request,
        "members/index.html",
        status_code=status_code,
        members=members,
        labels={p.name: p.label for p in catalog(request)},
        me=me,
        invitations=await invitations.list_pending(account_id) if allowed(request, "invitation:*", "list", d) else [],
        can_invite=allowed(request, "user:*", "invite", d),
        can_manage_invitations=allowed(request, "invitation:*", "update", d),
        can_edit={m.user_id: allowed(request, f"user:{m.user_id}", "update", d) for m in members},
        can_remove={m.user_id: allowed(request, f"user:{m.user_id}", "delete", d) for m in members},
        can_offer=can_offer,
        offer=offer if offer and (can_offer or offer.to_user_id == me) else None,
        offer_errors=extra.pop("offer_errors", {}),
        **extra,
    )


@get("/account/users", authz=requires("user:*", "list"))
async def members_page(request: Request[Any, Any, Any]) -> Template:
    """Members with their permissions, pending invitations, the ownership offer."""
    return await _members_page(request)


# -- editing one member --------------------------------------------------------------------


async def _edit_page(
    request: Request[Any, Any, Any],
    user_id: int,
    chosen: list[str] | None = None,
    errors: dict[str, str] | None = None,
    status_code: int = 200,
    done: str = "",
) -> Template:
    authz = request.app.state.authz
    account_id = request.state.account_id
    member = await services.get_member(authz, account_id, user_id)
    perms = catalog(request)
    obj, d = f"user:{user_id}", dom(account_id)
    boxes = admin_boxes(
        request, obj, services.grantable(authz, request.state.user_id, account_id, perms, request.state.partner_org)
    )
    ticked = set(member.permissions if chosen is None else chosen)
    if services.ADMIN not in boxes["grantable"]:  # a box they cannot change shows what the member holds
        ticked = (ticked - {services.ADMIN}) | ({services.ADMIN} & set(member.permissions))
    return await page(
        request,
        "members/edit.html",
        status_code=status_code,
        member=member,
        permissions=perms,
        chosen=ticked,
        **boxes,
        is_me=user_id == request.state.user_id,
        can_remove=allowed(request, obj, "delete", d),
        can_reset=allowed(request, obj, "reset_password", d),
        can_photo=allowed(request, obj, "update_photo", d),
        can_export=allowed(request, f"userdata:{user_id}", "backup", d),
        notice=NOTICES.get(done, "").format(email=member.email),
        errors=errors or {},
    )


@get("/account/users/{user_id:int}", authz=requires("user:{user_id}", "update"))
async def edit_member(request: Request[Any, Any, Any], user_id: FromPath[int], done: FromQuery[str] = "") -> Template:
    """A member's permissions as checkboxes (the owner's row is fixed), and what an admin may do to their user."""
    return await _edit_page(request, user_id, done=done)


@post("/account/users/{user_id:int}", authz=requires("user:{user_id}", "update"))
async def save_member(request: Request[Any, Any, Any], user_id: FromPath[int]) -> Response[Any]:
    """Replace a member's permissions; giving or taking away Everything also needs `set_role_admin`."""
    _, ticked = await form_values(request)
    account_id = request.state.account_id
    try:
        await services.update_permissions(
            request.app.state.authz,
            account_id,
            user_id,
            ticked,
            catalog=catalog(request),
            by=audit_context(request),
            may_set_admin=may_set_admin(request, f"user:{user_id}", account_id),
        )
    except ValidationFailed as exc:
        return await _edit_page(request, user_id, ticked, exc.errors, 422)
    except Forbidden as exc:
        if exc.field != services.ADMIN_FIELD:
            raise
        return await _edit_page(request, user_id, ticked, {exc.field: exc.message}, 403)
    return redirect(request, "/account/users")


@post("/account/users/{user_id:int}/reset-password", authz=requires("user:{user_id}", "reset_password"))
async def reset_member_password(request: Request[Any, Any, Any], user_id: FromPath[int]) -> Response[Any]:
    """Email a member a link to set a new password (their password stays until they use it)."""
    settings = request.app.state.settings
    try:
        await member_admin.send_password_reset(
            request.app.state.authz,
            request.state.account_id,
            user_id,
            counter=request.app.state.login_failures,
            limits=reset_limits(settings),
            base_url=settings.base_url,
            by=audit_context(request),
        )
    except TooManyAttempts as exc:
        failed = await _edit_page(request, user_id, errors={"reset": exc.message}, status_code=429)
        failed.headers["Retry-After"] = str(exc.retry_after)
        return failed
    return redirect(request, f"/account/users/{user_id}?done=reset")


@post("/account/users/{user_id:int}/image", authz=requires("user:{user_id}", "update_photo"))
async def member_image_submit(request: Request[Any, Any, Any], user_id: FromPath[int]) -> Response[Any]:
    """Replace a member's profile image (same checks as /me/image); a refusal shows beside the file field."""
    form = await request.form()
    upload = form.get(images.FIELD)
    try:
        if not isinstance(upload, UploadFile) or not (upload.filename or "").strip():
            raise ValidationFailed({images.FIELD: "Choose a PNG, JPEG or WebP image."})
        await member_admin.set_photo(
            request.app.state.authz,
            request.state.account_id,
            user_id,
            upload,
            max_bytes=image_max_bytes(request.app.state.settings),
            by=audit_context(request),
        )
    except ValidationFailed as exc:
        return await _edit_page(request, user_id, errors=exc.errors, status_code=422)
    return redirect(request, f"/account/users/{user_id}?done=image")


@post("/account/users/{user_id:int}/image/remove", authz=requires("user:{user_id}", "update_photo"))
async def member_image_remove(request: Request[Any, Any, Any], user_id: FromPath[int]) -> Response[Any]:
    """Remove a member's profile image."""
    await member_admin.remove_photo(
        request.app.state.authz, request.state.account_id, user_id, by=audit_context(request)
    )
    return redirect(request, f"/account/users/{user_id}?done=image_removed")


@post("/account/users/{user_id:int}/remove", authz=requires("user:{user_id}", "delete"))
async def remove_member(request: Request[Any, Any, Any], user_id: FromPath[int]) -> Response[Any]:
    """Take a member out of the account; their sessions in it end."""
    await services.remove_member(request.app.state.authz, request.state.account_id, user_id, by=audit_context(request))
    return redirect(request, "/account/users")


@post("/account/leave", authz=requires("account:summary", "read"))
async def leave_account(request: Request[Any, Any, Any]) -> Response[Any]:
    """The current user leaves the current account (not the owner)."""
    await services.leave(
        request.app.state.authz, request.state.account_id, request.state.user_id, by=audit_context(request)
    )
    return redirect(request, "/accounts/choose")


# -- inviting --------------------------------------------------------------------------------


async def _invite_page(
    request: Request[Any, Any, Any],
    email: str = "",
    chosen: list[str] | None = None,
    errors: dict[str, str] | None = None,
    pending_id: int | None = None,
    status_code: int = 200,
) -> Template:
    perms = catalog(request)
    return await page(
        request,
        "members/invite.html",
        status_code=status_code,
        email=email,
        permissions=perms,
        chosen=set(chosen or []),
        **admin_boxes(
            request,
            "user:*",
            services.grantable(
                request.app.state.authz,
                request.state.user_id,
                request.state.account_id,
                perms,
                request.state.partner_org,
            ),
        ),
        errors=errors or {},
        pending_id=pending_id,
        can_resend=pending_id is not None
        and allowed(request, f"invitation:{pending_id}", "update", dom(request.state.account_id)),
    )


@get("/account/users/invite", authz=requires("user:*", "invite"))
async def invite_form(request: Request[Any, Any, Any]) -> Template:
    """The invitation form: an email and the permissions to give."""
    return await _invite_page(request)


@post("/account/users/invite", authz=requires("user:*", "invite"))
async def invite_submit(request: Request[Any, Any, Any]) -> Response[Any]:
    """Invite; on a field error show the form again, offering a resend when already invited."""
    fields, ticked = await form_values(request)
    email = fields.get("email", "")
    if services.ADMIN in ticked and not may_set_admin(request, "user:*", request.state.account_id):
        return await _invite_page(request, email, ticked, {services.ADMIN_FIELD: services.ADMIN_REFUSED}, None, 403)
    try:
        await invitations.invite(
            request.app.state.authz,
            request.state.account_id,
            email,
            ticked,
            catalog=catalog(request),
            by=audit_context(request),
        )
    except invitations.AlreadyInvited as exc:
        return await _invite_page(request, email, ticked, exc.errors, exc.invitation_id, 422)
    except ValidationFailed as exc:
        return await _invite_page(request, email, ticked, exc.errors, None, 422)
    return redirect(request, "/account/users")


@post("/account/users/invitations/{invitation_id:int}/resend", authz=requires("invitation:{invitation_id}", "update"))
async def resend_invitation(request: Request[Any, Any, Any], invitation_id: FromPath[int]) -> Response[Any]:
    """Send a pending invitation again, with a new link."""
    await invitations.resend(
        request.state.account_id, invitation_id, catalog=catalog(request), by=audit_context(request)
    )
    return redirect(request, "/account/users")


@post("/account/users/invitations/{invitation_id:int}/cancel", authz=requires("invitation:{invitation_id}", "delete"))
async def cancel_invitation(request: Request[Any, Any, Any], invitation_id: FromPath[int]) -> Response[Any]:
    """Withdraw a pending invitation."""
    await invitations.cancel(request.state.account_id, invitation_id, by=audit_context(request))
    return redirect(request, "/account/users")


# -- offering ownership ------------------------------------------------------------------------


@post("/account/users/ownership", authz=requires("account:owner", "update"))
async def offer_ownership(request: Request[Any, Any, Any]) -> Response[Any]:
    """The owner offers the account to another member."""
    fields, _ = await form_values(request)
    try:
        to_user = int(fields.get("user_id", ""))
    except ValueError:
        return await _members_page(request, 422, offer_errors={"user_id": "Choose a member."})
    try:
        await ownership.make_offer(request.state.account_id, to_user, by=audit_context(request))
    except ValidationFailed as exc:
        return await _members_page(request, 422, offer_errors=exc.errors)
    return redirect(request, "/account/users")


@post("/account/users/ownership/cancel", authz=requires("account:owner", "update"))
async def cancel_ownership_offer(request: Request[Any, Any, Any]) -> Response[Any]:
    """The owner withdraws the pending offer."""
    await ownership.cancel_offer(request.state.account_id, by=audit_context(request))
    return redirect(request, "/account/users")


ROUTES = [
    members_page,
    edit_member,
    save_member,
    reset_member_password,
    member_image_submit,
    member_image_remove,
    remove_member,
    leave_account,
    invite_form,
    invite_submit,
    resend_invitation,
    cancel_invitation,
    offer_ownership,
    cancel_ownership_offer,
]
