"""The update digest's preferences: a client-area page (/wordpress/digest) and the API.

Seeing the choice needs `wordpress.sites` (read on `wordpress.site:*`), changing it
`wordpress.manage` (the action `digest`). A contact id of another account answers 404.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from litestar import Request, Response, Router, get, post, put
from litestar.params import FromPath, FromQuery, JSONBody
from litestar.response import Template
from panel.core.authz.guard import requires
from panel.core.contacts.access import VIEW as CONTACTS_VIEW
from panel.core.web.pages import allowed, page, redirect
from panel.errors import ValidationFailed

from panel_wordpress import digest
from panel_wordpress.digest_tables import DigestSchedule

OBJ = "wordpress.site:*"
SEE = requires(OBJ, "read")
CHANGE = requires(OBJ, "digest")
API_SEE = requires(OBJ, "read", account_param="account_id")
API_CHANGE = requires(OBJ, "digest", account_param="account_id")

NOTICES = {"saved": "Your update email settings are saved."}


def _text(form: Any, name: str) -> str:
    value = form.get(name, "")
    return value if isinstance(value, str) else ""


def _abilities(request: Request[Any, Any, Any], account_id: int) -> dict[str, bool]:
    dom = f"acct:{account_id}"
    return {
        "change": allowed(request, OBJ, "digest", dom),
        "contacts": any(allowed(request, obj, action, dom) for obj, action in CONTACTS_VIEW),
    }


async def _page(
    request: Request[Any, Any, Any],
    notice: str = "",
    errors: dict[str, str] | None = None,
    typed: digest.DigestPrefs | None = None,
) -> Template:
    account_id = request.state.account_id
    view = await digest.view(account_id)
    return await page(
        request,
        "wordpress/digest/prefs.html",
        status_code=422 if errors else 200,
        view=view,
        prefs=typed or view.prefs,
        errors=errors or {},
        notice=NOTICES.get(notice, ""),
        schedules=digest.SCHEDULE_LABELS,
        audiences=digest.AUDIENCE_LABELS,
        can=_abilities(request, account_id),
    )


@get("/digest", authz=SEE)
async def digest_page(request: Request[Any, Any, Any], notice: FromQuery[str] = "") -> Template:
    """How often the account gets the email of pending updates, to whom, and the last ones sent."""
    return await _page(request, notice)


@post("/digest", authz=CHANGE)
async def digest_submit(request: Request[Any, Any, Any]) -> Any:
    """Save the digest choice; on an error the form again with what was chosen."""
    form = await request.form()
    contact_ids = [int(c) for c in form.getall("contact", []) if str(c).isdigit()]
    clients = _text(form, "clients_schedule")
    typed = digest.DigestPrefs(
        _text(form, "schedule"), _text(form, "to_owner") == "1", tuple(contact_ids), clients or DigestSchedule.DEFAULT
    )
    try:
        await digest.save(
            request.state.account_id,
            request.state.user_id,
            typed.schedule,
            typed.to_owner,
            contact_ids,
            clients or None,
        )
    except ValidationFailed as exc:
        return await _page(request, errors=exc.errors, typed=typed)
    return redirect(request, "/wordpress/digest?notice=saved")


@dataclass
class DigestIn:
    """The digest choice: `schedule` daily|weekly|off, recipients, and for resellers `clients_schedule`."""

    schedule: str
    to_owner: bool = True
    contact_ids: list[int] = field(default_factory=list)
    clients_schedule: str | None = None


@dataclass
class DigestOut:
    """The account's digest choice, the contacts it can choose from, and the last digests sent."""

    schedule: str
    to_owner: bool
    contact_ids: list[int]
    clients_schedule: str | None
    is_reseller: bool
    owner_email: str
    contacts: list[digest.ContactChoice]
    pending_sites: int
    pending_updates: int
    recent: list[digest.SentDigest]


def _out(view: digest.DigestView) -> DigestOut:
    p = view.prefs
    return DigestOut(
        schedule=p.schedule,
        to_owner=p.to_owner,
        contact_ids=list(p.contact_ids),
        clients_schedule=p.clients_schedule if view.is_reseller else None,
        is_reseller=view.is_reseller,
        owner_email=view.owner_email,
        contacts=view.contacts,
        pending_sites=view.pending_sites,
        pending_updates=view.pending_updates,
        recent=view.recent,
    )


@get("/accounts/{account_id:int}/digest", authz=API_SEE)
async def api_digest(account_id: FromPath[int]) -> DigestOut:
    """The account's digest choice."""
    return _out(await digest.view(account_id))


@put("/accounts/{account_id:int}/digest", authz=API_CHANGE)
async def api_digest_save(
    request: Request[Any, Any, Any], account_id: FromPath[int], data: JSONBody[DigestIn]
) -> Response[DigestOut]:
    """Change the digest choice; 422 with `errors` by field, 404 for a contact of another account."""
    await digest.save(
        account_id, request.state.user_id, data.schedule, data.to_owner, data.contact_ids, data.clients_schedule
    )
    return Response(_out(await digest.view(account_id)))


def page_router() -> Router:
    """The digest page under /wordpress/."""
    return Router(path="/wordpress", route_handlers=[digest_page, digest_submit], include_in_schema=False)


def api_router() -> Router:
    """The digest API under /api/v1/wordpress/."""
    return Router(path="/api/v1/wordpress", route_handlers=[api_digest, api_digest_save], tags=["wordpress"])
