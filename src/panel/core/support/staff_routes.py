"""The staff desk's ticket pages (admin area, `/admin/support/...`): the list, my queue, one ticket and its actions.

Platform scoped: staff whose role holds `ticket:*` (staff:support, staff:admin) get in;
clients and other staff get 403. Forms work without JavaScript; the canned-response
"Insert" button re-renders the reply form with the text added (htmx swaps just the
form when it is there). Writes go through `services` (replies, notes) and
`staff_services` (changes, merge, split), which audit them.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from litestar import Request, Response, Router, get, post
from litestar.datastructures import UploadFile
from litestar.params import FromPath, FromQuery
from litestar.response import Template

from panel.core import uploads
from panel.core.audit.context import audit_context
from panel.core.authz.guard import requires
from panel.core.support import queries, services, staff_queries, staff_services, staff_settings
from panel.core.support.config import UPLOAD_AREA, config_of
from panel.core.support.tables import TicketPriority, TicketStatus
from panel.core.web.pages import allowed, page, redirect
from panel.errors import PanelError, ValidationFailed
from panel.settings import Settings

LIST = requires("ticket:*", "list", scope="platform")
READ = requires("ticket:{ticket_id}", "read", scope="platform")
REPLY = requires("ticket:{ticket_id}", "reply", scope="platform")
UPDATE = requires("ticket:{ticket_id}", "update", scope="platform")
CLOSE = requires("ticket:{ticket_id}", "close", scope="platform")

NOTICES = {
    "replied": "Your reply was sent to the client.",
    "noted": "The internal note was added (the client does not see it).",
    "updated": "The ticket was changed.",
    "closed": "The ticket is closed.",
    "reopened": "The ticket is open again.",
    "merged": "The ticket was merged into this one.",
    "split": "The messages were moved to this new ticket.",
}
FILTER_KEYS = ("status", "department", "priority", "assigned", "account", "q", "sort")


def _text(form: Any, name: str) -> str:
    value = form.get(name, "")
    return value if isinstance(value, str) else ""


def _files(form: Any) -> list[UploadFile]:
    items = form.getall("attachments", []) if hasattr(form, "getall") else []
    return services.real_files([i for i in items if isinstance(i, UploadFile)])


def _limits(request: Request[Any, Any, Any]) -> dict[str, Any]:
    cfg = config_of(request.app.state.settings)
    return {"max_mb": cfg.max_attachment_mb, "max_files": cfg.max_attachments, "types": sorted(uploads.DEFAULT_TYPES)}


# -- the list and the queue -----------------------------------------------------------------


@get("/admin/support", authz=LIST)
async def desk_list(
    request: Request[Any, Any, Any],
    status: FromQuery[str] = "active",
    department: FromQuery[str] = "",
    priority: FromQuery[str] = "",
    assigned: FromQuery[str] = "",
    account: FromQuery[str] = "",
    q: FromQuery[str] = "",
    sort: FromQuery[str] = "urgency",
    page_no: FromQuery[int] = 1,
) -> Template:
    """Every account's tickets with filters (status, department, priority, assignee, account, text), paged."""
    raw = {
        "status": status,
        "department": department,
        "priority": priority,
        "assigned": assigned,
        "account": account,
        "q": q,
        "sort": sort,
    }
    filters = staff_queries.DeskFilters.parse(raw)
    size = staff_queries.PAGE_SIZE
    found = await staff_queries.desk_tickets(filters, request.state.user_id, size, (max(page_no, 1) - 1) * size)
    return await page(
        request,
        "support/admin/list.html",
        area="admin",
        found=found,
        f=filters,
        statuses=staff_queries.STATUS_FILTERS,
        priorities=TicketPriority.LABELS,
        assigned_choices=staff_queries.ASSIGNED_FILTERS,
        sorts=staff_queries.SORTS,
        departments=await staff_settings.departments(),
        page_url=lambda n: "/admin/support?" + urlencode(filters.query_args(page_no=n)),
    )


@get("/admin/support/queue", authz=LIST)
async def desk_queue(request: Request[Any, Any, Any], page_no: FromQuery[int] = 1) -> Template:
    """My queue: tickets of my departments (and mine) waiting for staff, oldest first, with the first-reply clock."""
    hours = staff_queries.sla_hours(request.app.state.settings)
    size = staff_queries.PAGE_SIZE
    found = await staff_queries.my_queue(request.state.user_id, hours, size, (max(page_no, 1) - 1) * size)
    return await page(
        request,
        "support/admin/queue.html",
        area="admin",
        found=found,
        sla_hours=hours,
        has_departments=bool(await staff_queries.my_departments(request.state.user_id)),
        page_url=lambda n: f"/admin/support/queue?page_no={n}",
    )


# -- one ticket -----------------------------------------------------------------------------


async def _ticket_page(
    request: Request[Any, Any, Any],
    ticket_id: int,
    notice: str = "",
    errors: dict[str, str] | None = None,
    values: dict[str, Any] | None = None,
    status_code: int = 200,
) -> Template:
    ticket = await queries.get_ticket(ticket_id)
    authz = request.app.state.authz
    staff = await staff_queries.desk_staff(authz)
    rows = await staff_settings.departments()
    obj = f"ticket:{ticket_id}"
    return await page(
        request,
        "support/admin/ticket.html",
        area="admin",
        status_code=422 if errors else status_code,
        ticket=ticket,
        account_name=await _account_name(ticket.account_id),
        merged_into_number=await staff_queries.ticket_number(ticket.merged_into),
        messages=await queries.thread(ticket_id, include_internal=True),
        departments=rows,
        staff=staff,
        assignee=next((s for s in staff if s.id == ticket.assigned_to), None),
        canned=await staff_settings.canned_responses(ticket.department_id),
        merge_candidates=await staff_queries.account_tickets_for_merge(ticket.account_id, ticket_id),
        statuses=TicketStatus.LABELS,
        priorities=TicketPriority.LABELS,
        notice=NOTICES.get(notice, ""),
        errors=errors or {},
        values=values or {},
        limits=_limits(request),
        me=request.state.user_id,
        can={
            "reply": allowed(request, obj, "reply", "platform"),
            "update": allowed(request, obj, "update", "platform"),
            "close": allowed(request, obj, "close", "platform"),
        },
    )


async def _account_name(account_id: int) -> str:
    from panel.core.accounts.tables import Account

    row = await Account.select(Account.name).where(Account.id == account_id).first()
    return str(row["name"]) if row else ""


@get("/admin/support/tickets/{ticket_id:int}", authz=READ)
async def ticket_view(
    request: Request[Any, Any, Any], ticket_id: FromPath[int], notice: FromQuery[str] = ""
) -> Template:
    """The whole thread (internal notes marked), the reply form, and the ticket's settings, merge and split."""
    return await _ticket_page(request, ticket_id, notice)


@post("/admin/support/tickets/{ticket_id:int}/reply", authz=REPLY)
async def reply_submit(request: Request[Any, Any, Any], ticket_id: FromPath[int]) -> Any:
    """Send a reply, add an internal note (`action=note`), or put a canned response in the form (`action=insert`)."""
    ticket = await queries.get_ticket(ticket_id)
    form = await request.form()
    action = _text(form, "action") or "reply"
    values: dict[str, Any] = {"body": _text(form, "body"), "canned": _text(form, "canned")}
    if action == "insert":
        canned_id = values["canned"]
        if not canned_id.isdigit():
            return await _ticket_page(request, ticket_id, errors={"canned": "Choose a canned response."}, values=values)
        canned = await staff_settings.canned_response(int(canned_id))
        if canned.department_id not in (None, ticket.department_id):
            return await _ticket_page(request, ticket_id, errors={"canned": "Choose a canned response."}, values=values)
        values["body"] = staff_settings.with_canned(values["body"], canned.body)
        return await _ticket_page(request, ticket_id, values=values)
    internal = action == "note"
    try:
        message_id = await services.reply(
            ticket_id,
            author_id=request.state.user_id,
            body=values["body"],
            is_staff=True,
            internal=internal,
            attachments=_files(form),
        )
    except ValidationFailed as exc:
        return await _ticket_page(request, ticket_id, errors=exc.errors, values=values)
    notice = "noted" if internal else "replied"
    return redirect(request, f"/admin/support/tickets/{ticket_id}?notice={notice}#message-{message_id}")


def _int(raw: str) -> int | None:
    return int(raw) if raw.strip().isdigit() else None


@post("/admin/support/tickets/{ticket_id:int}/update", authz=UPDATE)
async def update_submit(request: Request[Any, Any, Any], ticket_id: FromPath[int]) -> Any:
    """Change status, priority, department and assignee (only what differs is changed and audited)."""
    await queries.get_ticket(ticket_id)
    form = await request.form()
    assignee = _text(form, "assignee")
    changes = staff_services.TicketChanges(
        status=_text(form, "status") or None,
        priority=_text(form, "priority") or None,
        department_id=_int(_text(form, "department")),
        assignee=request.state.user_id if assignee == "me" else _int(assignee),
        unassign=assignee == "none",
    )
    try:
        await staff_services.update_ticket(ticket_id, changes, request.app.state.authz, by=audit_context(request))
    except ValidationFailed as exc:
        return await _ticket_page(request, ticket_id, errors=exc.errors)
    except PanelError as exc:
        return await _ticket_page(request, ticket_id, errors={"settings": exc.message})
    return redirect(request, f"/admin/support/tickets/{ticket_id}?notice=updated")


@post("/admin/support/tickets/{ticket_id:int}/close", authz=CLOSE)
async def close_submit(request: Request[Any, Any, Any], ticket_id: FromPath[int]) -> Response[Any]:
    """Close the ticket."""
    await staff_services.close_or_reopen(ticket_id, True, by=audit_context(request))
    return redirect(request, f"/admin/support/tickets/{ticket_id}?notice=closed")


@post("/admin/support/tickets/{ticket_id:int}/reopen", authz=UPDATE)
async def reopen_submit(request: Request[Any, Any, Any], ticket_id: FromPath[int]) -> Response[Any]:
    """Reopen a closed ticket."""
    await staff_services.close_or_reopen(ticket_id, False, by=audit_context(request))
    return redirect(request, f"/admin/support/tickets/{ticket_id}?notice=reopened")


@post("/admin/support/tickets/{ticket_id:int}/merge", authz=UPDATE)
async def merge_submit(request: Request[Any, Any, Any], ticket_id: FromPath[int]) -> Any:
    """Merge another ticket of the same account (chosen by id) into this one."""
    form = await request.form()
    source = _int(_text(form, "source"))
    try:
        if source is None:
            raise ValidationFailed({"source": "Choose the ticket to merge into this one."})
        await staff_services.merge(ticket_id, source, by=audit_context(request))
    except ValidationFailed as exc:
        return await _ticket_page(request, ticket_id, errors=exc.errors)
    return redirect(request, f"/admin/support/tickets/{ticket_id}?notice=merged")


@post("/admin/support/tickets/{ticket_id:int}/split", authz=UPDATE)
async def split_submit(request: Request[Any, Any, Any], ticket_id: FromPath[int]) -> Any:
    """Move the ticked messages to a new ticket with its own subject, and open that."""
    form = await request.form()
    picked = form.getall("message", []) if hasattr(form, "getall") else []
    ids = [int(v) for v in picked if isinstance(v, str) and v.isdigit()]
    subject = _text(form, "split_subject")
    try:
        new_id = await staff_services.split(ticket_id, ids, subject, by=audit_context(request))
    except ValidationFailed as exc:
        errors = {f"split_{k}" if k == "subject" else k: v for k, v in exc.errors.items()}
        return await _ticket_page(request, ticket_id, errors=errors, values={"split_subject": subject, "picked": ids})
    return redirect(request, f"/admin/support/tickets/{new_id}?notice=split")


@get("/admin/support/tickets/{ticket_id:int}/attachments/{attachment_id:int}", authz=READ)
async def attachment_download(
    request: Request[Any, Any, Any], ticket_id: FromPath[int], attachment_id: FromPath[int]
) -> Response[Any]:
    """A file of any message of the ticket, internal notes' included, as a download."""
    stored = await queries.attachment_of_ticket(ticket_id, attachment_id, include_internal=True)
    return uploads.file_response(UPLOAD_AREA, stored)


ROUTES = [
    desk_list,
    desk_queue,
    ticket_view,
    update_submit,
    close_submit,
    reopen_submit,
    merge_submit,
    split_submit,
    attachment_download,
]


def routers(settings: Settings) -> list[Router]:
    """The desk's ticket pages; the reply form (with files) takes bodies as large as the attachment limits allow."""
    cfg = config_of(settings)
    body_limit = max(1, cfg.max_attachments) * cfg.max_attachment_bytes + 1024 * 1024
    return [
        Router(path="/", route_handlers=ROUTES, include_in_schema=False),
        Router(path="/", route_handlers=[reply_submit], include_in_schema=False, request_max_body_size=body_limit),
    ]
