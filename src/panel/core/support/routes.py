"""Client-area pages of the support desk: the ticket list, opening a ticket, one ticket and its files.

Every page works on the session's current account; another account's ticket (or a
file of it) answers 404. Forms that carry files are multipart; what was typed comes
back with the errors beside their fields.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from litestar import Request, Response, Router, get, post
from litestar.datastructures import UploadFile
from litestar.params import FromPath, FromQuery
from litestar.response import Template

from panel.core import uploads
from panel.core.support import guards, queries, services
from panel.core.support.config import UPLOAD_AREA, config_of
from panel.core.support.tables import TicketPriority
from panel.core.web.pages import page, redirect
from panel.errors import PanelError, ValidationFailed
from panel.settings import Settings

NOTICES = {
    "opened": "Your ticket is open: we have emailed you a copy and will answer soon.",
    "replied": "Your reply was added.",
    "priority": "The priority was changed.",
    "closed": "The ticket is closed. Reply to it (or reopen it) if you need more help.",
    "reopened": "The ticket is open again.",
}
SHOW_LABELS = {"open": "Open", "closed": "Closed", "all": "All"}


def _files(form: Any) -> list[UploadFile]:
    items = form.getall("attachments", []) if hasattr(form, "getall") else []
    return services.real_files([i for i in items if isinstance(i, UploadFile)])


def _text(form: Any, name: str) -> str:
    value = form.get(name, "")
    return value if isinstance(value, str) else ""


def _limits(request: Request[Any, Any, Any]) -> dict[str, Any]:
    cfg = config_of(request.app.state.settings)
    return {"max_mb": cfg.max_attachment_mb, "max_files": cfg.max_attachments, "types": sorted(uploads.DEFAULT_TYPES)}


# -- the list -----------------------------------------------------------------------------


@get("/tickets", authz=guards.LIST)
async def ticket_list(
    request: Request[Any, Any, Any], show: FromQuery[str] = "open", page_no: FromQuery[int] = 1
) -> Template:
    """The account's tickets (open, closed or all), latest activity first, paged."""
    show = show if show in queries.SHOW else "open"
    found = await queries.account_tickets(
        request.state.account_id, show, queries.PAGE_SIZE, (max(page_no, 1) - 1) * queries.PAGE_SIZE
    )

    def page_url(number: int) -> str:
        return "/tickets?" + urlencode({"show": show, "page_no": number})

    return await page(
        request,
        "support/list.html",
        found=found,
        show=show,
        shows=SHOW_LABELS,
        page_url=page_url,
        can=guards.client_abilities(request, request.state.account_id),
    )


# -- opening a ticket -----------------------------------------------------------------------


async def _new_page(
    request: Request[Any, Any, Any], errors: dict[str, str] | None = None, values: dict[str, str] | None = None
) -> Template:
    account_id = request.state.account_id
    can = guards.client_abilities(request, account_id)
    return await page(
        request,
        "support/new.html",
        status_code=422 if errors else 200,
        departments=await queries.active_departments(),
        services=await queries.account_services(account_id) if can["services"] else [],
        priorities=TicketPriority.LABELS,
        errors=errors or {},
        values=values or {"priority": TicketPriority.MEDIUM},
        limits=_limits(request),
    )


@get("/tickets/new", authz=guards.CREATE)
async def new_form(request: Request[Any, Any, Any], department: FromQuery[int | None] = None) -> Template:
    """The form to open a ticket (a department may be chosen already: `?department=`)."""
    values = {"priority": TicketPriority.MEDIUM, "department": str(department or "")}
    return await _new_page(request, values=values)


@post("/tickets/new", authz=guards.CREATE)
async def new_submit(request: Request[Any, Any, Any]) -> Any:
    """Open the ticket and go to it; on an error, the form again with what was typed."""
    form = await request.form()
    values = {k: _text(form, k) for k in ("department", "subject", "priority", "body", "service")}
    errors: dict[str, str] = {}
    department = int(values["department"]) if values["department"].isdigit() else 0
    service_id: int | None = None
    if values["service"]:
        if values["service"].isdigit() and guards.client_abilities(request, request.state.account_id)["services"]:
            service_id = int(values["service"])
        else:
            errors["service"] = "Choose one of your services, or none."
    try:
        if errors:
            raise ValidationFailed(errors)
        ticket_id = await services.open_ticket(
            request.state.account_id,
            request.state.user_id,
            department,
            values["subject"],
            values["body"],
            values["priority"],
            _files(form),
            service_id,
        )
    except ValidationFailed as exc:
        return await _new_page(request, {**errors, **exc.errors}, values)
    return redirect(request, f"/tickets/{ticket_id}?notice=opened")


# -- one ticket -----------------------------------------------------------------------------


async def _ticket_page(
    request: Request[Any, Any, Any],
    ticket_id: int,
    notice: str = "",
    errors: dict[str, str] | None = None,
    values: dict[str, str] | None = None,
    status_code: int = 200,
) -> Template:
    account_id = request.state.account_id
    ticket = await queries.ticket_of_account(account_id, ticket_id)
    return await page(
        request,
        "support/ticket.html",
        status_code=422 if errors else status_code,
        ticket=ticket,
        messages=await queries.thread(ticket_id, include_internal=False),
        notice=NOTICES.get(notice, ""),
        errors=errors or {},
        values=values or {},
        priorities=TicketPriority.LABELS,
        can=guards.client_abilities(request, account_id),
        limits=_limits(request),
    )


@get("/tickets/{ticket_id:int}", authz=guards.READ)
async def ticket_view(
    request: Request[Any, Any, Any], ticket_id: FromPath[int], notice: FromQuery[str] = ""
) -> Template:
    """The ticket's thread (never staff notes), its files, and the reply form."""
    return await _ticket_page(request, ticket_id, notice)


@post("/tickets/{ticket_id:int}/reply", authz=guards.REPLY)
async def reply_submit(request: Request[Any, Any, Any], ticket_id: FromPath[int]) -> Any:
    """Add the client's reply (reopens a closed ticket)."""
    await queries.ticket_of_account(request.state.account_id, ticket_id)
    form = await request.form()
    values = {"body": _text(form, "body")}
    try:
        message_id = await services.reply(
            ticket_id, author_id=request.state.user_id, body=values["body"], is_staff=False, attachments=_files(form)
        )
    except ValidationFailed as exc:
        return await _ticket_page(request, ticket_id, errors=exc.errors, values=values)
    return redirect(request, f"/tickets/{ticket_id}?notice=replied#message-{message_id}")


@post("/tickets/{ticket_id:int}/priority", authz=guards.UPDATE)
async def priority_submit(request: Request[Any, Any, Any], ticket_id: FromPath[int]) -> Any:
    """Change the ticket's priority."""
    await queries.ticket_of_account(request.state.account_id, ticket_id)
    form = await request.form()
    try:
        await services.set_priority(ticket_id, _text(form, "priority"), by_user_id=request.state.user_id)
    except ValidationFailed as exc:
        return await _ticket_page(request, ticket_id, errors=exc.errors)
    except PanelError as exc:
        return await _ticket_page(request, ticket_id, errors={"priority": exc.message})
    return redirect(request, f"/tickets/{ticket_id}?notice=priority")


@post("/tickets/{ticket_id:int}/close", authz=guards.CLOSE)
async def close_submit(request: Request[Any, Any, Any], ticket_id: FromPath[int]) -> Response[Any]:
    """Close the ticket."""
    await queries.ticket_of_account(request.state.account_id, ticket_id)
    await services.close(ticket_id, request.state.user_id)
    return redirect(request, f"/tickets/{ticket_id}?notice=closed")


@post("/tickets/{ticket_id:int}/reopen", authz=guards.UPDATE)
async def reopen_submit(request: Request[Any, Any, Any], ticket_id: FromPath[int]) -> Response[Any]:
    """Reopen a closed ticket."""
    await queries.ticket_of_account(request.state.account_id, ticket_id)
    await services.reopen(ticket_id, request.state.user_id)
    return redirect(request, f"/tickets/{ticket_id}?notice=reopened")


@get("/tickets/{ticket_id:int}/attachments/{attachment_id:int}", authz=guards.READ)
async def attachment_download(
    request: Request[Any, Any, Any], ticket_id: FromPath[int], attachment_id: FromPath[int]
) -> Response[Any]:
    """A file of a visible message of the account's ticket, as a download (404 for anything else)."""
    await queries.ticket_of_account(request.state.account_id, ticket_id)
    stored = await queries.attachment_of_ticket(ticket_id, attachment_id, include_internal=False)
    return uploads.file_response(UPLOAD_AREA, stored)


ROUTES = [ticket_list, ticket_view, priority_submit, close_submit, reopen_submit, attachment_download]
UPLOAD_ROUTES = [new_form, new_submit, reply_submit]  # a path's GET and POST must share a router


def routers(settings: Settings) -> list[Router]:
    """The client pages; the forms with files accept bodies as large as the attachment limits allow."""
    cfg = config_of(settings)
    body_limit = max(1, cfg.max_attachments) * cfg.max_attachment_bytes + 1024 * 1024
    return [
        Router(path="/", route_handlers=ROUTES, include_in_schema=False),
        Router(path="/", route_handlers=UPLOAD_ROUTES, include_in_schema=False, request_max_body_size=body_limit),
    ]
