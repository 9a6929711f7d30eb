"""Contact-sync settings: the section of the contacts page and `GET/PUT /api/v1/accounts/{id}/contact-sync`.

Reading needs `account:contact_sync` `read`, changing it `update` (the owner and
perm:all members; never a partner managing the account, see policies/policy.csv).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from litestar import Request, Response, get, post, put
from litestar.params import FromPath, JSONBody

from panel.core.audit.context import audit_context
from panel.core.authz.guard import requires
from panel.core.contacts.sync import services
from panel.core.web.pages import allowed, redirect
from panel.errors import ValidationFailed

OBJECT = "account:contact_sync"


@dataclass
class SyncBody:
    """The setting as the API takes it; `categories` omitted: keep the current choice."""

    enabled: bool
    categories: list[str] | None = None


@dataclass
class SyncOut:
    """The setting as the API shows it, with the kinds of email one may choose."""

    account_id: int
    enabled: bool
    categories: list[str]
    synced_contacts: int
    available_categories: dict[str, str] = field(default_factory=lambda: dict(services.CATEGORIES))


@dataclass
class SyncSection:
    """What the contacts page shows of the setting (None when the user may not read it)."""

    setting: services.SyncSetting
    may_update: bool
    categories: dict[str, str]
    synced: set[int]
    values: dict[str, Any]


async def section(
    request: Request[Any, Any, Any], account_id: int, values: dict[str, Any] | None = None
) -> SyncSection | None:
    """The contacts page's contact-sync section for the current user, or None when not allowed to read it."""
    dom = f"acct:{account_id}"
    if not allowed(request, OBJECT, "read", dom):
        return None
    setting = await services.get_setting(account_id)
    shown = values or {"enabled": setting.enabled, "categories": setting.categories}
    return SyncSection(
        setting=setting,
        may_update=allowed(request, OBJECT, "update", dom),
        categories=services.CATEGORIES,
        synced=await services.synced_contact_ids(account_id),
        values=shown,
    )


@post("/account/contact-sync", authz=requires(OBJECT, "update"))
async def save_page(request: Request[Any, Any, Any]) -> Response[Any]:
    """Turn the sync on or off and choose the kinds of email its contacts receive."""
    from panel.core.contacts.routes import details_page

    form = await request.form()
    enabled = form.get("enabled") == "on"
    categories = [str(v) for v in form.getall("categories", [])]
    try:
        await services.update_setting(request.state.account_id, enabled, categories, by=audit_context(request))
    except ValidationFailed as exc:
        values = {"enabled": enabled, "categories": categories}
        return await details_page(request, 422, "sync", errors=exc.errors, sync_values=values)
    return redirect(request, "/account/details?done=sync#contact-sync")


def _out(setting: services.SyncSetting) -> SyncOut:
    return SyncOut(setting.account_id, setting.enabled, setting.categories, setting.synced_contacts)


@get("/accounts/{account_id:int}/contact-sync", authz=requires(OBJECT, "read", account_param="account_id"))
async def api_get(account_id: FromPath[int]) -> SyncOut:
    """The account's contact-sync setting."""
    return _out(await services.get_setting(account_id))


@put("/accounts/{account_id:int}/contact-sync", authz=requires(OBJECT, "update", account_param="account_id"))
async def api_put(request: Request[Any, Any, Any], account_id: FromPath[int], data: JSONBody[SyncBody]) -> SyncOut:
    """Turn the sync on or off (on: the current members are added at once) and choose the kinds of email."""
    categories = data.categories
    if categories is None:
        categories = (await services.get_setting(account_id)).categories
    setting, _ = await services.update_setting(account_id, data.enabled, categories, by=audit_context(request))
    return _out(setting)


PAGE_ROUTES = [save_page]
API_ROUTES = [api_get, api_put]
