"""What an account admin does to another member's user: send a password reset link, change the profile image.

Who may is decided by the rules engine on the route (`user:<id>` `reset_password`
and `update_photo` in the account; partners are denied both by the default policy).
The rules here are the ones the engine cannot express: the user must be a member
of that account (anyone else is 404, as if they did not exist), and one uses one's
own profile pages for oneself.

The reset reuses the password-reset flow of `/password/forgot` (the same single-use
link, email and rate limits), so the admin never sees or sets the password.
"""

from __future__ import annotations

from litestar.datastructures import UploadFile

from panel.core import db
from panel.core.audit.services import AuditContext, record
from panel.core.auth.ratelimit import FailureCounter
from panel.core.authz import Authorizer
from panel.core.members.services import Member, get_member
from panel.core.profile import images, reset
from panel.errors import PanelError


class UseYourProfile(PanelError):
    """The admin acted on their own user: that is done on their profile pages."""

    status_code = 400


async def _other_member(authz: Authorizer, account_id: int, user_id: int, by: AuditContext) -> Member:
    member = await get_member(authz, account_id, user_id)
    if by["actor"] == user_id:
        raise UseYourProfile("That is you: change your own password and image on Your profile.")
    return member


async def send_password_reset(
    authz: Authorizer,
    account_id: int,
    user_id: int,
    *,
    counter: FailureCounter,
    limits: reset.ResetLimits,
    base_url: str,
    by: AuditContext,
) -> Member:
    """Email a member the normal password-reset link; returns the member.

    The member's password stays as it is until they follow the link; older reset
    links of theirs stop working. Counted against the same limits as the public
    form (per admin address, per member email).

    Raises:
        NotFound: the user is not a member of the account.
        UseYourProfile: the admin named themself.
        TooManyAttempts: too many reset emails for this member or from this address.
    """
    member = await _other_member(authz, account_id, user_id, by)
    await reset.request_reset(
        member.email, address=by["ip"] or "unknown", counter=counter, limits=limits, base_url=base_url
    )
    async with db.write_transaction():
        await record(
            "member.password_reset",
            account_id=account_id,
            target=f"user:{user_id}",
            summary=f"Sent {member.email} a link to set a new password.",
            details={},
            **by,
        )
    return member


async def set_photo(
    authz: Authorizer, account_id: int, user_id: int, upload: UploadFile, *, max_bytes: int, by: AuditContext
) -> str:
    """Replace a member's profile image with the same checks as `/me/image`; returns the new `User.image`.

    Raises:
        NotFound: the user is not a member of the account.
        UseYourProfile: the admin named themself.
        UploadRejected: not a PNG, JPEG or WebP image, too large, or too many pixels (keyed `image`).
    """
    await _other_member(authz, account_id, user_id, by)
    return await images.set_image(user_id, upload, max_bytes, by, account_id=account_id)


async def remove_photo(authz: Authorizer, account_id: int, user_id: int, *, by: AuditContext) -> bool:
    """Delete a member's profile image; False when they had none (nothing audited)."""
    await _other_member(authz, account_id, user_id, by)
    return await images.remove_image(user_id, by, account_id=account_id)
