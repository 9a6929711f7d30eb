"""Staff editors' form steps: read the form, save it, then go on or show the form again with the errors.

Every staff editor (announcements, knowledgebase, downloads, the desk's departments and
canned responses) takes the same steps; a route says only what differs: which
fields, which service call, which page shows the errors, where to go after. Pages
keep what was typed (`v`) and show each error beside its field (`e`), with status
422 so htmx and tests can tell a refusal from a page.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable, Mapping
from typing import Any, TypeVar

from litestar import Request, Response
from litestar.response import Template
from markupsafe import Markup

from panel.core.web.pages import allowed, page, redirect
from panel.errors import ValidationFailed
from panel.markdown import render

T = TypeVar("T")

Redisplay = Callable[[dict[str, str]], Awaitable[Template]]
"""`redisplay(errors)`: the form page again, with what was typed and these errors."""


async def form_values(request: Request[Any, Any, Any], names: Iterable[str]) -> dict[str, str]:
    """The named fields of the posted form as text: '' for a field that is missing or not text (a file)."""
    form = await request.form()
    return {name: value if isinstance(value := form.get(name), str) else "" for name in names}


async def form_ids(request: Request[Any, Any, Any], name: str) -> list[int]:
    """The whole numbers among the values of a repeated field (a group of checkboxes); others are dropped."""
    form = await request.form()
    return [int(v) for v in form.getall(name, []) if isinstance(v, str) and v.isdigit()]


async def form_page(
    request: Request[Any, Any, Any],
    template: str,
    values: Mapping[str, Any],
    errors: Mapping[str, str] | None = None,
    *,
    status_code: int | None = None,
    **context: Any,
) -> Template:
    """An admin-area page with a form: `v` is what the fields show, `e` the errors; 422 when there are errors."""
    status = status_code or (422 if errors else 200)
    return await page(request, template, area="admin", status_code=status, v=values, e=errors or {}, **context)


async def submit(
    request: Request[Any, Any, Any],
    save: Callable[[], Awaitable[T]],
    redisplay: Redisplay,
    done: str | Callable[[T], str],
) -> Response[Any]:
    """Run `save`: refused (ValidationFailed), the form again with the errors; else go to `done`.

    `done` is the address to go to, or makes it from what `save` returned (a new id).
    """
    try:
        saved = await save()
    except ValidationFailed as exc:
        return await redisplay(exc.errors)
    return redirect(request, done if isinstance(done, str) else done(saved))


def markdown_preview(values: Mapping[str, Any]) -> Markup:
    """The form's Markdown `body` as the page will show it (sanitised)."""
    return render(str(values.get("body") or ""))


FormPage = Callable[[dict[str, str], dict[str, str] | None, bool], Awaitable[Template]]
"""`form_page(values, errors, preview)`: a Markdown editor's page, with the errors and the preview if asked."""


async def submit_or_preview(
    request: Request[Any, Any, Any],
    fields: Iterable[str],
    fragment: str,
    show: FormPage,
    save: Callable[[dict[str, str]], Awaitable[T]],
    done: str | Callable[[T], str],
) -> Response[Any]:
    """A Markdown editor's post: the `Preview` button (`action=preview`) previews the `body`, any other saves.

    Previewing, htmx gets `fragment` (rendered with `preview`) to swap in; without
    JavaScript the whole form comes back with the preview under it. Saving is
    `submit`: `save(values)`, then `done`, or the form again with the errors.
    """
    values = await form_values(request, (*fields, "action"))
    if values["action"] == "preview":
        if request.headers.get("hx-request") == "true":
            return Template(fragment, context={"preview": markdown_preview(values)})
        return await show(values, None, True)
    return await submit(request, lambda: save(values), lambda errors: show(values, errors, False), done)


def staff_can(request: Request[Any, Any, Any], obj: str) -> dict[str, bool]:
    """Whether the current user may create, update and delete `obj` on the platform (to show the buttons)."""
    return {action: allowed(request, obj, action, "platform") for action in ("create", "update", "delete")}
