"""Staff: a user's two-factor state and the reset (lost app and recovery codes).

Who may reset is the rules engine's decision on `user:{id}` `reset_twofactor` in the
platform domain: `staff:admin` holds it (it allows everything); this plugin denies it
to `staff:support` and to staff acting as a user (see `plugin.POLICY_LINES`).
"""

from __future__ import annotations

from typing import Any

from litestar import Request, Response, get, post
from litestar.params import FromPath
from litestar.response import Template

from panel.core import db
from panel.core.audit.context import audit_context
from panel.core.audit.services import record
from panel.core.auth import sessions
from panel.core.authz.guard import requires
from panel.core.mail import services as mail
from panel.core.twofactor import services
from panel.core.web.pages import allowed, page, redirect
from panel.errors import NotFound

RESET_ACTION = "reset_twofactor"


async def _user(user_id: int) -> services.UserState:
    found = await services.user_state(user_id)
    if found is None:
        raise NotFound("No such user.")
    return found


async def _page(
    request: Request[Any, Any, Any], user: services.UserState, notice: str = "", status_code: int = 200
) -> Template:
    return await page(
        request,
        "twofactor/admin_user.html",
        area="admin",
        status_code=status_code,
        target=user,
        may_reset=allowed(request, f"user:{user.id}", RESET_ACTION, "platform"),
        notice=notice,
    )


@get("/admin/users/{user_id:int}/two-factor", authz=requires("user:{user_id}", "read", scope="platform"))
async def admin_user_page(request: Request[Any, Any, Any], user_id: FromPath[int]) -> Template:
    """Whether the user has two-factor on; staff who may reset it get the button."""
    return await _page(request, await _user(user_id))


@post(
    "/admin/users/{user_id:int}/two-factor/reset",
    authz=requires("user:{user_id}", RESET_ACTION, scope="platform"),
)
async def admin_user_reset(request: Request[Any, Any, Any], user_id: FromPath[int]) -> Response[Any]:
    """Turn the user's two-factor off, log them out everywhere, email them, audit it with the staff member."""
    user = await _user(user_id)
    async with db.write_transaction():  # all or nothing: the reset, the logout, the audit event, the email
        if not await services.reset(user_id):
            return await _page(request, user, "This user has no two-factor authentication to reset.", 422)
        ended = await sessions.end_all_for_user(user_id)
        await record(
            "twofactor.reset",
            account_id=None,
            target=f"user:{user_id}",
            summary=f"Staff turned off the two-factor authentication of {user.email}.",
            details={"sessions_ended": ended},
            **audit_context(request),
        )
        await mail.send("twofactor_reset", user.email, {"name": user.name, "email": user.email})
    return redirect(request, f"/admin/users/{user_id}/two-factor")


ROUTES = [admin_user_page, admin_user_reset]
