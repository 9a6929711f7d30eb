"""Email pages: the account's history (client area), the outbox (admin area), and the API."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any

from litestar import Request, Response, Router, get, post
from litestar.params import FromPath, FromQuery, QueryParameter, URLEncodedBody
from litestar.response import Template

from panel.core.authz.guard import requires
from panel.core.mail import services
from panel.core.mail.mailer import Mailer
from panel.core.mail.tables import EmailStatus
from panel.core.web.pages import allowed, page, redirect
from panel.errors import ValidationFailed

ADMIN_OBJ = "admin:emails"
PageNo = Annotated[int, QueryParameter(name="page", description="Page number, from 1.")]

# -- client area -------------------------------------------------------------------------


@get("/emails", authz=requires("email:*", "list"))
async def history(request: Request[Any, Any, Any], page_no: PageNo = 1) -> Template:
    """The account's email history, newest first."""
    result = await services.account_emails(request.state.account_id, page_no)
    return await page(request, "emails/history.html", result=result)


@get("/emails/{email_id:int}", authz=requires("email:{email_id}", "read"))
async def message(request: Request[Any, Any, Any], email_id: FromPath[int]) -> Template:
    """One email of the account: the text, and the HTML in a sandboxed frame."""
    email = await services.account_email(request.state.account_id, email_id)
    return await page(request, "emails/message.html", email=email)


# -- admin area --------------------------------------------------------------------------


@dataclass
class TestForm:
    """The admin's test email."""

    to: str = ""


def _mailer(request: Request[Any, Any, Any]) -> Mailer | None:
    mailer: Mailer | None = request.app.state.get("mailer")
    return mailer


async def _outbox_page(
    request: Request[Any, Any, Any],
    status: str = "",
    page_no: int = 1,
    errors: dict[str, str] | None = None,
    test_to: str = "",
    queued_test: int | None = None,
    status_code: int = 200,
) -> Template:
    mailer = _mailer(request)
    smtp = mailer.config.smtp if mailer else None
    return await page(
        request,
        "emails/admin.html",
        area="admin",
        status_code=status_code,
        result=await services.outbox(status, page_no),
        counts=await services.status_counts(),
        statuses=EmailStatus.ALL,
        status=status,
        smtp=smtp.display if smtp else "",
        delivering=bool(mailer and mailer.delivering),
        can_retry=allowed(request, ADMIN_OBJ, "retry", "platform"),
        can_test=allowed(request, ADMIN_OBJ, "send_test", "platform"),
        errors=errors or {},
        test_to=test_to,
        queued_test=queued_test,
    )


@get("/admin/emails", authz=requires(ADMIN_OBJ, "read", scope="platform"))
async def admin_outbox(
    request: Request[Any, Any, Any],
    status: FromQuery[str] = "",
    page_no: PageNo = 1,
    queued: FromQuery[int | None] = None,
) -> Template:
    """Every email on the platform, filtered by status, with errors and attempts."""
    services.check_status(status)
    return await _outbox_page(request, status, page_no, queued_test=queued)


@post("/admin/emails/{email_id:int}/retry", authz=requires(ADMIN_OBJ, "retry", scope="platform"))
async def admin_retry(request: Request[Any, Any, Any], email_id: FromPath[int]) -> Response[Any]:
    """Queue a failed email again: the row for htmx, back to the failed list otherwise."""
    row = await services.retry(email_id)
    if request.headers.get("hx-request") == "true":
        return Template("emails/admin_row.html", context={"r": row, "can_retry": True})
    return redirect(request, "/admin/emails?status=failed")


@post("/admin/emails/test", authz=requires(ADMIN_OBJ, "send_test", scope="platform"))
async def admin_send_test(request: Request[Any, Any, Any], data: URLEncodedBody[TestForm]) -> Response[Any]:
    """Queue a test email to the address given (checks the SMTP settings end to end)."""
    try:
        email_id = await services.send_test(
            data.to, request.state.session.email if request.state.get("session") else ""
        )
    except ValidationFailed as exc:
        return await _outbox_page(request, errors=exc.errors, test_to=data.to, status_code=422)
    return redirect(request, f"/admin/emails?queued={email_id}")


# -- API ---------------------------------------------------------------------------------


@dataclass
class EmailList:
    """One page of an account's emails."""

    items: list[services.EmailSummary]
    page: int
    pages: int
    total: int


@get("/accounts/{account_id:int}/emails", authz=requires("email:*", "list", account_param="account_id"))
async def api_history(
    account_id: FromPath[int], page_no: PageNo = 1, per_page: FromQuery[int] = services.PER_PAGE
) -> EmailList:
    """The account's emails, newest first (`page`, and `per_page` up to 100)."""
    result = await services.account_emails(account_id, page_no, min(max(per_page, 1), 100))
    return EmailList(result.items, result.page, result.pages, result.total)


@get(
    "/accounts/{account_id:int}/emails/{email_id:int}",
    authz=requires("email:{email_id}", "read", account_param="account_id"),
)
async def api_message(account_id: FromPath[int], email_id: FromPath[int]) -> services.EmailDetail:
    """One email of the account, with its text and HTML."""
    return await services.account_email(account_id, email_id)


PAGE_ROUTES = [history, message, admin_outbox, admin_retry, admin_send_test]


def api_router() -> Router:
    """The mail API under /api/v1."""
    return Router(path="/api/v1", route_handlers=[api_history, api_message], tags=["email"])
