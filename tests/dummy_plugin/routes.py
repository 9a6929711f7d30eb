"""The dummy plugin's pages (under /dummy/) and API (under /api/v1/dummy/)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from litestar import Request, Router, get, post
from litestar.params import FromPath, URLEncodedBody
from litestar.response import Redirect, Template

from dummy_plugin import services
from panel.core.authz.guard import requires
from panel.core.web.pages import page
from panel.errors import ValidationFailed


@dataclass
class NoteForm:
    """The form on /dummy/hello."""

    body: str = ""


def _color(request: Request[Any, Any, Any]) -> str:
    return str(request.app.state.settings.for_plugin("dummy")["color"])


@get("/hello", authz=requires("dummy.thing:*", "read"))
async def hello(request: Request[Any, Any, Any]) -> Template:
    """The account's notes and a form to add one."""
    notes = await services.list_notes(request.state.account_id)
    return await page(request, "dummy/hello.html", notes=notes, color=_color(request), errors={})


@post("/hello", authz=requires("dummy.thing:*", "create"))
async def add(
    request: Request[Any, Any, Any],
    data: URLEncodedBody[NoteForm],
) -> Template | Redirect:
    """Store a note, then show the list again (or the form with its error)."""
    account_id = request.state.account_id
    try:
        await services.add_note(account_id, data.body)
    except ValidationFailed as exc:
        notes = await services.list_notes(account_id)
        return await page(
            request, "dummy/hello.html", status_code=422, notes=notes, color=_color(request), errors=exc.errors
        )
    return Redirect("/dummy/hello")


@get("/admin", authz=requires("dummy.admin", "read", scope="platform"))
async def admin(request: Request[Any, Any, Any]) -> Template:
    """Staff page: notes across the platform."""
    return await page(request, "dummy/admin.html", area="admin", total=await services.count_notes())


@dataclass
class NoteOut:
    """A note in the API."""

    id: int
    body: str


@get("/accounts/{account_id:int}/notes", authz=requires("dummy.thing:*", "list", account_param="account_id"))
async def api_notes(account_id: FromPath[int]) -> list[NoteOut]:
    """The account's notes, newest first."""
    return [NoteOut(n.id, n.body) for n in await services.list_notes(account_id)]


def page_router() -> Router:
    """Pages under /dummy/."""
    return Router(path="/dummy", route_handlers=[hello, add, admin], include_in_schema=False)


def api_router() -> Router:
    """API routes under /api/v1/dummy/."""
    return Router(path="/api/v1/dummy", route_handlers=[api_notes], tags=["dummy"])
