"""What a user sees of an enabled plugin: its pages, API, templates, static files, nav,
widget and footer, each contributed through one hook of the dummy plugin."""

from __future__ import annotations

from typing import Any

from dummy_plugin.tables import DummyNote
from factories import account, form_token, user
from litestar import Litestar
from litestar.testing import AsyncTestClient

Client = AsyncTestClient[Litestar]


async def owner_of_acme(authz: Any) -> int:
    owner = await user(authz, "owner@example.com")
    return await account(authz, "Acme", owner)


# -- panel_register_routes, panel_register_piccolo_apps ---------------------------------


async def test_page_route_renders_plugin_template_with_its_rows(
    dummy_client: Client, dummy_authz: Any, login_as: Any
) -> None:
    acct = await owner_of_acme(dummy_authz)
    await DummyNote.insert(DummyNote(account_id=acct, body="first note"), DummyNote(account_id=acct + 1, body="other"))
    await login_as(dummy_client, "owner@example.com")

    response = await dummy_client.get("/dummy/hello")

    assert response.status_code == 200
    assert "<h1>Dummy notes</h1>" in response.text
    assert "<li>first note</li>" in response.text
    assert "other" not in response.text  # another account's row
    assert 'data-testid="dummy-color">blue<' in response.text  # the setting's default


async def test_route_stores_rows_in_the_plugins_migrated_table(
    dummy_client: Client, dummy_authz: Any, login_as: Any
) -> None:
    assert await DummyNote.table_exists()
    acct = await owner_of_acme(dummy_authz)
    await login_as(dummy_client, "owner@example.com")
    token = form_token((await dummy_client.get("/dummy/hello")).text)

    response = await dummy_client.post(
        "/dummy/hello", data={"body": "buy milk", "_csrf_token": token}, follow_redirects=False
    )

    assert response.status_code in {302, 303}
    assert response.headers["location"] == "/dummy/hello"
    assert await DummyNote.count().where(DummyNote.account_id == acct) == 1
    assert "<li>buy milk</li>" in (await dummy_client.get("/dummy/hello")).text


async def test_invalid_note_is_refused_beside_its_field(dummy_client: Client, dummy_authz: Any, login_as: Any) -> None:
    await owner_of_acme(dummy_authz)
    await login_as(dummy_client, "owner@example.com")
    token = form_token((await dummy_client.get("/dummy/hello")).text)

    response = await dummy_client.post("/dummy/hello", data={"body": "  ", "_csrf_token": token})

    assert response.status_code == 422
    assert 'id="body-error"' in response.text
    assert await DummyNote.count() == 0


async def test_api_route_lists_the_accounts_rows(dummy_client: Client, dummy_authz: Any, login_as: Any) -> None:
    acct = await owner_of_acme(dummy_authz)
    await DummyNote.insert(DummyNote(account_id=acct, body="from the api"))
    await login_as(dummy_client, "owner@example.com")

    response = await dummy_client.get(f"/api/v1/dummy/accounts/{acct}/notes")

    assert response.status_code == 200
    assert [n["body"] for n in response.json()] == ["from the api"]
    assert "/api/v1/dummy/accounts/{account_id}/notes" in (await dummy_client.get("/api/v1/schema/openapi.json")).text


async def test_api_route_refuses_another_account(dummy_client: Client, dummy_authz: Any, login_as: Any) -> None:
    await owner_of_acme(dummy_authz)
    stranger = await user(dummy_authz, "stranger@example.com")
    other = await account(dummy_authz, "Other", stranger)
    await login_as(dummy_client, "owner@example.com")

    response = await dummy_client.get(f"/api/v1/dummy/accounts/{other}/notes")

    assert response.status_code == 403


# -- panel_register_templates ------------------------------------------------------------


async def test_template_override_replaces_core_login_and_extends_the_original(dummy_client: Client) -> None:
    response = await dummy_client.get("/login")

    assert response.status_code == 200
    assert 'data-testid="dummy-login-marker"' in response.text  # the plugin's version is used
    assert 'name="password"' in response.text  # ...and `core:auth/login.html` still renders the form
    original = dummy_client.app.template_engine.get_template("core:auth/login.html")
    assert "dummy-login-marker" not in original.render(errors={}, email="", next="", csrf_input="", csrf_token=str)


# -- panel_register_static -----------------------------------------------------------------


async def test_static_file_is_served_under_the_plugins_prefix(dummy_client: Client) -> None:
    response = await dummy_client.get("/static/dummy/dummy.css")

    assert response.status_code == 200
    assert ".dummy-footer" in response.text
    assert (await dummy_client.get("/static/dummy/missing.css")).status_code == 404


# -- panel_register_nav_items, the permission and the policy line -------------------------


async def test_nav_item_shows_for_owner(dummy_client: Client, dummy_authz: Any, login_as: Any) -> None:
    await owner_of_acme(dummy_authz)
    await login_as(dummy_client, "owner@example.com")

    response = await dummy_client.get("/")

    assert response.status_code == 200
    assert 'href="/dummy/hello"' in response.text


async def test_member_without_the_permission_sees_no_nav_item_and_gets_403(
    dummy_client: Client, dummy_authz: Any, login_as: Any
) -> None:
    owner = await user(dummy_authz, "owner@example.com")
    member = await user(dummy_authz, "member@example.com")
    await account(dummy_authz, "Acme", owner, members={member: ["invoices"]})
    await login_as(dummy_client, "member@example.com")

    home = await dummy_client.get("/")
    page = await dummy_client.get("/dummy/hello")

    assert home.status_code == 200
    assert 'href="/dummy/hello"' not in home.text
    assert page.status_code == 403


async def test_member_granted_the_plugins_permission_sees_nav_item_and_page(
    dummy_client: Client, dummy_authz: Any, login_as: Any
) -> None:
    owner = await user(dummy_authz, "owner@example.com")
    member = await user(dummy_authz, "member@example.com")
    await account(dummy_authz, "Acme", owner, members={member: ["dummy.things"]})
    await login_as(dummy_client, "member@example.com")

    home = await dummy_client.get("/")
    page = await dummy_client.get("/dummy/hello")

    assert 'href="/dummy/hello"' in home.text
    assert page.status_code == 200


async def test_admin_nav_item_shows_for_platform_admin(dummy_client: Client, dummy_authz: Any, login_as: Any) -> None:
    await user(dummy_authz, "admin@example.com", staff="admin")
    await DummyNote.insert(DummyNote(account_id=1, body="a"), DummyNote(account_id=2, body="b"))
    await login_as(dummy_client, "admin@example.com")

    home = await dummy_client.get("/admin")
    overview = await dummy_client.get("/dummy/admin")

    assert 'href="/dummy/admin"' in home.text
    assert overview.status_code == 200
    assert 'data-testid="dummy-total">2<' in overview.text


async def test_admin_page_is_closed_to_account_owners(dummy_client: Client, dummy_authz: Any, login_as: Any) -> None:
    await owner_of_acme(dummy_authz)
    await login_as(dummy_client, "owner@example.com")

    assert (await dummy_client.get("/dummy/admin")).status_code == 403


# -- panel_register_dashboard_widgets -------------------------------------------------------


async def test_widget_shows_on_home_page_with_what_load_returned(
    dummy_client: Client, dummy_authz: Any, login_as: Any
) -> None:
    acct = await owner_of_acme(dummy_authz)
    await DummyNote.insert(DummyNote(account_id=acct, body="a"), DummyNote(account_id=acct, body="b"))
    await login_as(dummy_client, "owner@example.com")

    response = await dummy_client.get("/")

    assert 'id="widget-dummy"' in response.text
    assert "<h2>Dummy notes</h2>" in response.text
    assert '<a href="/dummy/hello">2 notes</a>' in response.text


async def test_widget_hidden_from_member_without_the_permission(
    dummy_client: Client, dummy_authz: Any, login_as: Any
) -> None:
    owner = await user(dummy_authz, "owner@example.com")
    member = await user(dummy_authz, "member@example.com")
    await account(dummy_authz, "Acme", owner, members={member: []})
    await login_as(dummy_client, "member@example.com")

    response = await dummy_client.get("/")

    assert response.status_code == 200
    assert 'id="widget-account"' in response.text  # core's widget still shows
    assert 'id="widget-dummy"' not in response.text


# -- panel_render_page_slot -----------------------------------------------------------------


async def test_footer_slot_renders_on_client_pages_only(dummy_client: Client, dummy_authz: Any, login_as: Any) -> None:
    await owner_of_acme(dummy_authz)
    await user(dummy_authz, "admin@example.com", staff="admin")
    await login_as(dummy_client, "owner@example.com")

    client_home = await dummy_client.get("/")
    await login_as(dummy_client, "admin@example.com")
    admin_home = await dummy_client.get("/admin")

    assert '<footer class="footer"><p class="dummy-footer" data-testid="dummy-footer">' in client_home.text
    assert "Dummy plugin footer (blue)" in client_home.text
    assert admin_home.status_code == 200
    assert "dummy-footer" not in admin_home.text  # the hook returned None for admin.footer
