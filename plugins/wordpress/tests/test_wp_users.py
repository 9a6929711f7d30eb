"""Users of real WordPress sites: created on two sites at once, a role changed, a reset email, deleted with reassign.

Runs against the sites of `wp_manage` (see `wpmanage.py`); WordPress's emails go to
each site's `wp-content/mail.log` (the test mu-plugin), where the tests read them.
"""

from __future__ import annotations

import platform
from typing import Any

import factories as f
import pytest
from conftest import wp_json
from panel.core.audit.tables import AuditEvent
from wpmanage import ManageEnv, mails, owner_with_sites

from panel_wordpress.tables import WordpressUser


async def test_create_a_user_on_two_sites_change_role_reset_and_delete_with_reassign(
    client: Any, wp_manage: ManageEnv
) -> None:
    account_id, ids = await owner_with_sites(client, wp_manage)
    one, two = ids["one"], ids["two"]

    wrong = await f.post_form(client, "/wordpress/users", {"username": "", "email": "nope", "role": "king"})
    assert wrong.status_code == 422
    for name in ("username", "email", "role", "sites"):
        assert f'data-testid="error-{name}"' in wrong.text
    assert 'value="nope"' in wrong.text  # what was typed stays

    created = await f.post_form(
        client,
        "/wordpress/users",
        {"username": "newbie", "email": "newbie@example.test", "role": "author", "site": [str(one), str(two)]},
    )
    assert created.status_code == 303, created.text
    assert await f.run_jobs(client.app) == 1
    run = await client.get(created.headers["location"])
    assert "2 done, 0 rolled back, 0 failed" in run.text
    for site in (wp_manage.one, wp_manage.two):
        found = wp_json(site, "/wp/v2/users", params={"search": "newbie", "context": "edit"})
        assert [(u["username"], u["roles"]) for u in found] == [("newbie", ["author"])]
        sent = [m for m in mails(site) if m["to"] == ["newbie@example.test"]]
        assert len(sent) == 1 and "Login Details" in str(sent[0]["subject"])  # WordPress's set-password link

    # the account's users, across both sites (read again after the run)
    listing = await client.get("/wordpress/users", params={"q": "newbie"})
    assert listing.status_code == 200 and 'data-testid="user-total">2 users' in listing.text
    api = await client.get(f"/api/v1/wordpress/accounts/{account_id}/users", params={"q": "newbie"})
    assert sorted(u["site_id"] for u in api.json()["items"]) == sorted([one, two])
    newbie = {r["site"]: r["wp_id"] for r in await WordpressUser.select().where(WordpressUser.username == "newbie")}

    # role on site one, then WordPress's own reset email
    role = await f.post_form(client, f"/wordpress/sites/{one}/users/{newbie[one]}/role", {"role": "editor"})
    assert role.status_code == 303
    assert wp_json(wp_manage.one, f"/wp/v2/users/{newbie[one]}", params={"context": "edit"})["roles"] == ["editor"]
    reset = await f.post_form(client, f"/wordpress/sites/{one}/users/{newbie[one]}/reset")
    assert reset.status_code == 303 and reset.headers["location"].endswith("notice=reset_sent")
    subjects = [str(m["subject"]) for m in mails(wp_manage.one) if m["to"] == ["newbie@example.test"]]
    assert any("Password Reset" in s for s in subjects)

    # delete on site two, giving the user's post to the administrator
    post = wp_json(
        wp_manage.two, "/wp/v2/posts", "POST", json={"title": "By newbie", "status": "publish", "author": newbie[two]}
    )
    admin = wp_json(wp_manage.two, "/wp/v2/users/me")["id"]
    gone = await f.post_form(client, f"/wordpress/sites/{two}/users/{newbie[two]}/delete", {"reassign": str(admin)})
    assert gone.status_code == 303, gone.text
    assert wp_json(wp_manage.two, "/wp/v2/users", params={"search": "newbie"}) == []
    assert wp_json(wp_manage.two, f"/wp/v2/posts/{post['id']}")["author"] == admin
    assert await WordpressUser.count().where(WordpressUser.username == "newbie") == 1
    actions = [r["action"] for r in await AuditEvent.select(AuditEvent.action).order_by(AuditEvent.id)]
    assert {"wordpress.run.create_user", "wordpress.user.role", "wordpress.user.reset_password"} <= set(actions)
    assert "wordpress.user.delete" in actions


pytestmark = pytest.mark.skipif(platform.system() != "Linux", reason="the test sites need Linux")
