"""Changes to one site made while the user waits: a plugin's state, the theme, a user's role, password or account.

Each is one or two quick requests to the site, so no job; the panel's copy of the site
(items, users) is changed to match the answer, and each change is audited. Callers
have asked the rules engine; the site is looked up in the account (another account's
site is "not found"). A site that fails answers `ValidationFailed` naming the field.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from panel.core import db
from panel.core.audit.services import AuditContext, record
from panel.core.paging import Page
from panel.errors import NotFound, ValidationFailed
from panel.settings import Settings

from panel_wordpress import services, site_ops, vault
from panel_wordpress.client import SiteClient, SiteError
from panel_wordpress.config import config_of
from panel_wordpress.runs import ROLES
from panel_wordpress.tables import ItemKind, WordpressItem, WordpressSite, WordpressUser

PLUGIN_ACTIONS = ("activate", "deactivate", "delete")
USERS_PAGE = 50


def _client(settings: Settings, row: dict[str, Any]) -> SiteClient:
    try:
        password = vault.unseal(settings, row["app_password"])
    except vault.CredentialsUnreadable as exc:
        raise ValidationFailed({"site": exc.message}) from None
    return SiteClient(row["api_root"], row["wp_user"], password, config_of(settings).timeout)


async def _item(site_id: int, item_id: int, kind: str) -> dict[str, Any]:
    item = (
        await WordpressItem.select()
        .where((WordpressItem.id == item_id) & (WordpressItem.site == site_id) & (WordpressItem.kind == kind))
        .first()
    )
    if item is None:
        raise NotFound(f"There is no such {kind} on this site.")
    return dict(item)


async def plugin_action(
    settings: Settings, account_id: int, site_id: int, item_id: int, action: str, by: AuditContext
) -> str:
    """Activate, deactivate or delete a plugin on the site; the notice key for the page."""
    if action not in PLUGIN_ACTIONS:
        raise ValidationFailed({"action": "Choose activate, deactivate or delete."})
    row = await services.site_row(account_id, site_id)
    item = await _item(site_id, item_id, ItemKind.PLUGIN)
    try:
        async with _client(settings, row) as site:
            if action == "delete":
                await site_ops.delete_plugin(site, item["slug"])
            else:
                await site_ops.set_plugin_status(site, item["slug"], action == "activate")
    except SiteError as exc:
        raise ValidationFailed({"plugin": exc.message}) from None
    async with db.write_transaction():
        if action == "delete":
            await WordpressItem.delete().where(WordpressItem.id == item_id)
            await services.recount(site_id)
        else:
            await WordpressItem.update({WordpressItem.active: action == "activate"}).where(WordpressItem.id == item_id)
        await record(
            f"wordpress.plugin.{action}",
            account_id=account_id,
            target=f"wordpress.site:{site_id}",
            summary=f"Plugin {item['name'] or item['slug']} {action}d on {row['url']}",
            details={"plugin": item["slug"]},
            **by,
        )
    return f"plugin_{action}d"


async def switch_theme(settings: Settings, account_id: int, site_id: int, item_id: int, by: AuditContext) -> str:
    """Make a theme the active one (the connector switches back if the site then fails); the notice key."""
    row = await services.site_row(account_id, site_id)
    item = await _item(site_id, item_id, ItemKind.THEME)
    try:
        async with _client(settings, row) as site:
            outcome = await site_ops.switch_theme(site, item["slug"])
    except SiteError as exc:
        raise ValidationFailed({"theme": exc.message}) from None
    if outcome.status != "switched":
        raise ValidationFailed({"theme": outcome.message or "The site did not switch the theme."})
    async with db.write_transaction():
        await WordpressItem.update({WordpressItem.active: False}).where(
            (WordpressItem.site == site_id) & (WordpressItem.kind == ItemKind.THEME)
        )
        await WordpressItem.update({WordpressItem.active: True}).where(WordpressItem.id == item_id)
        await record(
            "wordpress.theme.switch",
            account_id=account_id,
            target=f"wordpress.site:{site_id}",
            summary=f"Theme {item['name'] or item['slug']} activated on {row['url']}",
            details={"theme": item["slug"]},
            **by,
        )
    return "theme_switched"


async def _site_user(site_id: int, wp_id: int) -> dict[str, Any]:
    user = await WordpressUser.select().where((WordpressUser.site == site_id) & (WordpressUser.wp_id == wp_id)).first()
    if user is None:
        raise NotFound("There is no such user on this site.")
    return dict(user)


async def set_role(settings: Settings, account_id: int, site_id: int, wp_id: int, role: str, by: AuditContext) -> str:
    """Give a site's user one role; the notice key."""
    if role not in ROLES:
        raise ValidationFailed({"role": "Choose a role."})
    row = await services.site_row(account_id, site_id)
    user = await _site_user(site_id, wp_id)
    try:
        async with _client(settings, row) as site:
            await site_ops.set_role(site, wp_id, role)
    except SiteError as exc:
        raise ValidationFailed({"role": exc.message}) from None
    async with db.write_transaction():
        await WordpressUser.update({WordpressUser.roles: role}).where(WordpressUser.id == user["id"])
        await record(
            "wordpress.user.role",
            account_id=account_id,
            target=f"wordpress.site:{site_id}",
            summary=f"User {user['username']} on {row['url']} is now {role}",
            details={"roles": {"before": user["roles"], "after": role}},
            **by,
        )
    return "role_changed"


async def reset_password(settings: Settings, account_id: int, site_id: int, wp_id: int, by: AuditContext) -> str:
    """Have WordPress send the user its own password reset email; the notice key."""
    row = await services.site_row(account_id, site_id)
    user = await _site_user(site_id, wp_id)
    try:
        async with _client(settings, row) as site:
            outcome = await site_ops.reset_password(site, wp_id)
    except SiteError as exc:
        raise ValidationFailed({"user": exc.message}) from None
    if outcome.status != "sent":
        raise ValidationFailed({"user": outcome.message or "WordPress did not send the email."})
    await record(
        "wordpress.user.reset_password",
        account_id=account_id,
        target=f"wordpress.site:{site_id}",
        summary=f"Password reset email sent to {user['username']} on {row['url']}",
        **by,
    )
    return "reset_sent"


async def delete_user(
    settings: Settings, account_id: int, site_id: int, wp_id: int, reassign_to: int, by: AuditContext
) -> str:
    """Delete a site's user, giving their content to another user of the same site; the notice key."""
    row = await services.site_row(account_id, site_id)
    user = await _site_user(site_id, wp_id)
    if reassign_to == wp_id:
        raise ValidationFailed({"reassign": "Choose another user to receive the content."})
    heir = await _site_user(site_id, reassign_to)
    try:
        async with _client(settings, row) as site:
            await site_ops.delete_user(site, wp_id, reassign_to)
    except SiteError as exc:
        raise ValidationFailed({"reassign": exc.message}) from None
    async with db.write_transaction():
        await WordpressUser.delete().where(WordpressUser.id == user["id"])
        await record(
            "wordpress.user.delete",
            account_id=account_id,
            target=f"wordpress.site:{site_id}",
            summary=f"User {user['username']} deleted on {row['url']}; content given to {heir['username']}",
            details={"user": wp_id, "reassign": reassign_to},
            **by,
        )
    return "user_deleted"


# -- users across sites ----------------------------------------------------------------------


@dataclass(frozen=True)
class AccountUser:
    """A user of one of the account's sites."""

    site_id: int
    site_url: str
    site_name: str
    wp_id: int
    username: str
    email: str
    name: str
    roles: list[str]


async def account_users(
    account_id: int, search: str = "", limit: int = USERS_PAGE, offset: int = 0
) -> Page[AccountUser]:
    """Users of every site of the account (as the last refresh saw them), by user name; one page and a count."""
    limit = max(1, min(limit, 200))
    where = WordpressUser.site.account == account_id
    term = search.strip()
    if term:
        pattern = "%" + term.replace("\\", "").replace("%", "").replace("_", "") + "%"
        if db.is_sqlite():  # SQLite's LIKE ignores ASCII case already (and has no ILIKE)
            where = where & (WordpressUser.username.like(pattern) | WordpressUser.email.like(pattern))
        else:
            where = where & (WordpressUser.username.ilike(pattern) | WordpressUser.email.ilike(pattern))
    rows = await (
        WordpressUser.select(
            *WordpressUser.all_columns(),
            WordpressUser.site.url.as_alias("site_url"),
            WordpressUser.site.name.as_alias("site_name"),
        )
        .where(where)
        .order_by(WordpressUser.username)
        .order_by(WordpressUser.site)
        .limit(limit)
        .offset(max(offset, 0))
    )
    total = await WordpressUser.count().where(where)
    return Page(
        [
            AccountUser(
                r["site"],
                r["site_url"],
                r["site_name"],
                r["wp_id"],
                r["username"],
                r["email"],
                r["name"],
                [x for x in r["roles"].split(",") if x],
            )
            for r in rows
        ],
        int(total),
        limit,
        max(offset, 0),
    )


async def account_site_choices(account_id: int) -> list[dict[str, Any]]:
    """The account's sites for a "choose sites" list: id, address, name, whether the connector can manage (max 500)."""
    rows = await (
        WordpressSite.select(WordpressSite.id, WordpressSite.url, WordpressSite.name, WordpressSite.connector_version)
        .where(WordpressSite.account == account_id)
        .order_by(WordpressSite.url)
        .limit(500)
    )
    return [{**r, "ready": site_ops.connector_ready(r["connector_version"])} for r in rows]
