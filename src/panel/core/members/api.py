"""JSON API of members, invitations and ownership: the same services and guard as the pages.

Routes about an account name it in the path (`account_param`), so API tokens work
without a current account.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from litestar import Request, Router, delete, get, post, put
from litestar.datastructures import UploadFile
from litestar.params import FromPath, JSONBody

from panel.core.audit.context import audit_context
from panel.core.auth import services as auth
from panel.core.authz.guard import LOGGED_IN, PUBLIC, check, requires
from panel.core.members import invitations, joining, member_admin, ownership, services
from panel.core.members.routes import catalog, may_set_admin
from panel.core.profile import images
from panel.core.profile.routes import image_max_bytes, reset_limits
from panel.errors import Forbidden, NotFound, ValidationFailed


@dataclass
class PermissionsBody:
    """A member's permissions, replacing the ones they have."""

    permissions: list[str]


@dataclass
class InviteBody:
    """Whom to invite, with which permissions."""

    email: str
    permissions: list[str] = field(default_factory=list)


@dataclass
class LinkBody:
    """The secret from an invitation link (`/invitations/<token>`)."""

    token: str


@dataclass
class OfferBody:
    """The member to offer the account to."""

    user_id: int


@dataclass
class AcceptOfferBody:
    """What the old owner keeps; omitted: every core permission except `all`."""

    keep: list[str] | None = None


@dataclass
class SetOwnerBody:
    """The new owner, by id or email, and what the old owner keeps."""

    user_id: int | None = None
    email: str = ""
    keep: list[str] | None = None


@dataclass
class OwnershipOut:
    """The account's owner and the pending offer the caller may see."""

    owner_id: int
    offer: ownership.Offer | None


# -- members ------------------------------------------------------------------------------


@get("/accounts/{account_id:int}/members", authz=requires("user:*", "list", account_param="account_id"))
async def api_members(request: Request[Any, Any, Any], account_id: FromPath[int]) -> list[services.Member]:
    """Members with their permissions; the owner first, with `is_owner` and no `permissions`."""
    return await services.list_members(request.app.state.authz, account_id)


@get(
    "/accounts/{account_id:int}/members/{user_id:int}",
    authz=requires("user:{user_id}", "read", account_param="account_id"),
)
async def api_member(
    request: Request[Any, Any, Any], account_id: FromPath[int], user_id: FromPath[int]
) -> services.Member:
    """One member."""
    return await services.get_member(request.app.state.authz, account_id, user_id)


@put(
    "/accounts/{account_id:int}/members/{user_id:int}",
    authz=requires("user:{user_id}", "update", account_param="account_id"),
)
async def api_update_member(
    request: Request[Any, Any, Any], account_id: FromPath[int], user_id: FromPath[int], data: JSONBody[PermissionsBody]
) -> services.Member:
    """Replace a member's permissions; giving or taking away `all` also needs `set_role_admin` (403 with a reason)."""
    try:
        return await services.update_permissions(
            request.app.state.authz,
            account_id,
            user_id,
            data.permissions,
            catalog=catalog(request),
            by=audit_context(request),
            may_set_admin=may_set_admin(request, f"user:{user_id}", account_id),
        )
    except Forbidden as exc:
        if exc.field == services.ADMIN_FIELD:  # refused by the rules: answer with the deciding line
            check(request, f"user:{user_id}", "set_role_admin", f"acct:{account_id}", exc.message, exc.field)
        raise


@post(
    "/accounts/{account_id:int}/members/{user_id:int}/reset-password",
    authz=requires("user:{user_id}", "reset_password", account_param="account_id"),
    status_code=202,
)
async def api_reset_password(
    request: Request[Any, Any, Any], account_id: FromPath[int], user_id: FromPath[int]
) -> dict[str, Any]:
    """Email a member the password-reset link; their password stays until they use it (429 when rate limited)."""
    settings = request.app.state.settings
    member = await member_admin.send_password_reset(
        request.app.state.authz,
        account_id,
        user_id,
        counter=request.app.state.login_failures,
        limits=reset_limits(settings),
        base_url=settings.base_url,
        by=audit_context(request),
    )
    return {"user_id": user_id, "email": member.email, "sent": True}


@post(
    "/accounts/{account_id:int}/members/{user_id:int}/image",
    authz=requires("user:{user_id}", "update_photo", account_param="account_id"),
    status_code=200,
)
async def api_set_image(
    request: Request[Any, Any, Any], account_id: FromPath[int], user_id: FromPath[int]
) -> dict[str, Any]:
    """Replace a member's profile image (multipart field `image`); 422 with `errors.image` when refused."""
    form = await request.form()
    upload = form.get(images.FIELD)
    if not isinstance(upload, UploadFile) or not (upload.filename or "").strip():
        raise ValidationFailed({images.FIELD: "Send a PNG, JPEG or WebP image in the field `image`."})
    value = await member_admin.set_photo(
        request.app.state.authz,
        account_id,
        user_id,
        upload,
        max_bytes=image_max_bytes(request.app.state.settings),
        by=audit_context(request),
    )
    return {"user_id": user_id, "image": f"/users/{user_id}/image", "type": value.rpartition(".")[2]}


@delete(
    "/accounts/{account_id:int}/members/{user_id:int}/image",
    authz=requires("user:{user_id}", "update_photo", account_param="account_id"),
)
async def api_remove_image(request: Request[Any, Any, Any], account_id: FromPath[int], user_id: FromPath[int]) -> None:
    """Remove a member's profile image (nothing to do is not an error)."""
    await member_admin.remove_photo(request.app.state.authz, account_id, user_id, by=audit_context(request))


@delete(
    "/accounts/{account_id:int}/members/{user_id:int}",
    authz=requires("user:{user_id}", "delete", account_param="account_id"),
)
async def api_remove_member(request: Request[Any, Any, Any], account_id: FromPath[int], user_id: FromPath[int]) -> None:
    """Remove a member; their sessions in the account end."""
    await services.remove_member(request.app.state.authz, account_id, user_id, by=audit_context(request))


@delete("/accounts/{account_id:int}/members/me", authz=requires("account:summary", "read", account_param="account_id"))
async def api_leave(request: Request[Any, Any, Any], account_id: FromPath[int]) -> None:
    """Leave the account (not the owner)."""
    await services.leave(request.app.state.authz, account_id, request.state.user_id, by=audit_context(request))


# -- invitations -------------------------------------------------------------------------------


@get(
    "/accounts/{account_id:int}/invitations",
    authz=requires("invitation:*", "list", account_param="account_id"),
)
async def api_invitations(account_id: FromPath[int]) -> list[invitations.PendingInvitation]:
    """Pending invitations, newest first."""
    return await invitations.list_pending(account_id)


@post("/accounts/{account_id:int}/invitations", authz=requires("user:*", "invite", account_param="account_id"))
async def api_invite(
    request: Request[Any, Any, Any], account_id: FromPath[int], data: JSONBody[InviteBody]
) -> invitations.PendingInvitation:
    """Invite an email address; 422 with `errors.email` if it is a member or already invited.

    Inviting with `all` (as an admin) also needs `set_role_admin` on `user:*` (403 with a reason).
    """
    if services.ADMIN in data.permissions:
        check(request, "user:*", "set_role_admin", f"acct:{account_id}", services.ADMIN_REFUSED, services.ADMIN_FIELD)
    invitation_id = await invitations.invite(
        request.app.state.authz,
        account_id,
        data.email,
        data.permissions,
        catalog=catalog(request),
        by=audit_context(request),
    )
    return next(i for i in await invitations.list_pending(account_id) if i.id == invitation_id)


@post(
    "/accounts/{account_id:int}/invitations/{invitation_id:int}/resend",
    authz=requires("invitation:{invitation_id}", "update", account_param="account_id"),
    status_code=204,
)
async def api_resend(request: Request[Any, Any, Any], account_id: FromPath[int], invitation_id: FromPath[int]) -> None:
    """Send a pending invitation again with a new link (the old one stops working)."""
    await invitations.resend(account_id, invitation_id, catalog=catalog(request), by=audit_context(request))


@delete(
    "/accounts/{account_id:int}/invitations/{invitation_id:int}",
    authz=requires("invitation:{invitation_id}", "delete", account_param="account_id"),
)
async def api_cancel(request: Request[Any, Any, Any], account_id: FromPath[int], invitation_id: FromPath[int]) -> None:
    """Cancel a pending invitation."""
    await invitations.cancel(account_id, invitation_id, by=audit_context(request))


@post("/invitations/accept", authz=LOGGED_IN, status_code=200)
async def api_accept(request: Request[Any, Any, Any], data: JSONBody[LinkBody]) -> dict[str, Any]:
    """Accept an invitation as the logged-in user (whose email must be the invited one)."""
    account_id = await joining.accept(
        request.app.state.authz, data.token, request.state.user_id, catalog=catalog(request), by=audit_context(request)
    )
    return {"account_id": account_id}


@post("/invitations/decline", authz=PUBLIC, status_code=204)
async def api_decline(request: Request[Any, Any, Any], data: JSONBody[LinkBody]) -> None:
    """Decline an invitation (the link is the credential)."""
    await joining.decline(data.token, by=audit_context(request))


# -- ownership ---------------------------------------------------------------------------------


@get(
    "/accounts/{account_id:int}/ownership",
    authz=requires("account:ownership_offer", "read", account_param="account_id"),
)
async def api_ownership(request: Request[Any, Any, Any], account_id: FromPath[int]) -> OwnershipOut:
    """The owner, and the pending offer if the caller made it or is its recipient."""
    owner = await services.owner_of(account_id)
    offer = await ownership.pending_offer(account_id)
    if offer is not None and request.state.user_id not in (owner, offer.to_user_id):
        offer = None
    return OwnershipOut(owner, offer)


@post(
    "/accounts/{account_id:int}/ownership/offer",
    authz=requires("account:owner", "update", account_param="account_id"),
)
async def api_offer(
    request: Request[Any, Any, Any], account_id: FromPath[int], data: JSONBody[OfferBody]
) -> ownership.Offer:
    """Offer the account to another member (cancels a previous offer)."""
    await ownership.make_offer(account_id, data.user_id, by=audit_context(request))
    offer = await ownership.pending_offer(account_id)
    if offer is None:
        raise NotFound("The offer is gone.")
    return offer


@delete(
    "/accounts/{account_id:int}/ownership/offer",
    authz=requires("account:owner", "update", account_param="account_id"),
)
async def api_cancel_offer(request: Request[Any, Any, Any], account_id: FromPath[int]) -> None:
    """Withdraw the pending offer."""
    await ownership.cancel_offer(account_id, by=audit_context(request))


@post(
    "/accounts/{account_id:int}/ownership/accept",
    authz=requires("account:ownership_offer", "accept", account_param="account_id"),
    status_code=200,
)
async def api_accept_offer(
    request: Request[Any, Any, Any], account_id: FromPath[int], data: JSONBody[AcceptOfferBody]
) -> dict[str, Any]:
    """Take the ownership offered to you."""
    await ownership.accept_offer(
        request.app.state.authz,
        request.state.user_id,
        account_id,
        keep=data.keep,
        catalog=catalog(request),
        by=audit_context(request),
    )
    return {"account_id": account_id, "owner_id": request.state.user_id}


@post(
    "/accounts/{account_id:int}/ownership/decline",
    authz=requires("account:ownership_offer", "decline", account_param="account_id"),
    status_code=204,
)
async def api_decline_offer(request: Request[Any, Any, Any], account_id: FromPath[int]) -> None:
    """Say no to the ownership offered to you."""
    await ownership.decline_offer(request.state.user_id, account_id, by=audit_context(request))


@post(
    "/admin/accounts/{account_id:int}/owner",
    authz=requires("account:owner", "update", scope="platform"),
    status_code=200,
)
async def api_set_owner(
    request: Request[Any, Any, Any], account_id: FromPath[int], data: JSONBody[SetOwnerBody]
) -> dict[str, Any]:
    """Staff make a user the owner directly (by `user_id` or `email`)."""
    user_id = data.user_id
    if user_id is None and data.email.strip():
        user_id = await auth.user_id_by_email(data.email)
    if user_id is None:
        raise ValidationFailed({"user_id": "Give the user_id or the email of an existing user."})
    await ownership.transfer(
        request.app.state.authz,
        account_id,
        user_id,
        keep=data.keep,
        catalog=catalog(request),
        by=audit_context(request),
    )
    return {"account_id": account_id, "owner_id": user_id}


def api_router() -> Router:
    """The members feature's API routes under /api/v1."""
    return Router(
        path="/api/v1",
        route_handlers=[
            api_members,
            api_member,
            api_update_member,
            api_reset_password,
            api_set_image,
            api_remove_image,
            api_remove_member,
            api_leave,
            api_invitations,
            api_invite,
            api_resend,
            api_cancel,
            api_accept,
            api_decline,
            api_ownership,
            api_offer,
            api_cancel_offer,
            api_accept_offer,
            api_decline_offer,
            api_set_owner,
        ],
        tags=["members"],
    )
