"""Permissions that plugins register are offered, granted and enforced like core's."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import factories as f
from litestar import get
from litestar.testing import AsyncTestClient
from support import build_app, empty_tables

from panel.core.accounts import services as accounts
from panel.core.authz.guard import requires
from panel.plugin import Permission, PluginMeta, hookimpl

from .checks import checkbox


@get("/sitetest/sites", authz=requires("sitetest.site:*", "list"), sync_to_thread=False)
def sites() -> str:
    """A page only holders of `sitetest.sites` may see."""
    return "the sites"


class SiteTest:
    """A plugin with one permission, its policy line and one page."""

    PLUGIN_META = PluginMeta(name="sitetest", version="0.1.0", summary="A permission from a plugin (tests).")

    @staticmethod
    @hookimpl
    def panel_register_permissions(register: Callable[[Permission], None]) -> None:
        register(Permission("sitetest.sites", "Test sites", "Manage the test sites.", order=200))

    @staticmethod
    @hookimpl
    def panel_register_policies(register: Callable[[str], None]) -> None:
        register("p, perm:sitetest.sites, *, sitetest.site:*, .*, allow")

    @staticmethod
    @hookimpl
    def panel_register_routes(register: Callable[[Any], None]) -> None:
        register(sites)


async def test_plugin_permission_is_offered_granted_and_enforced(settings):
    app = build_app(settings, SiteTest)
    await empty_tables()
    async with AsyncTestClient(app=app, base_url="http://testserver.local") as client:
        authz = app.state.authz
        owner = await f.user(authz, "own@example.com")
        clerk = await f.user(authz, "clerk@example.com")
        account = await f.account(authz, "Shop", owner, {clerk: []})
        await f.login(client, "own@example.com")
        form = await client.get(f"/account/users/{clerk}")
        assert "Test sites" in form.text and "checked" not in checkbox(form.text, "sitetest.sites")
        saved = await client.post(
            f"/account/users/{clerk}",
            data={"permissions": ["sitetest.sites"], "_csrf_token": f.csrf(client)},
            follow_redirects=False,
        )
        assert saved.status_code == 303
        assert accounts.permissions_of(authz, clerk, account) == ["sitetest.sites"]
        await f.login(client, "clerk@example.com")
        assert (await client.get("/sitetest/sites")).text == "the sites"
        assert "You may use: Test sites." in (await client.get("/")).text
