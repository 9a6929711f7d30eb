"""Email templates: a plugin's template folder overrides core's by name."""

from __future__ import annotations

import factories as f
from support import build_app

from panel.core.mail import services

from .helpers import MailTestPlugin, running, write_templates

OVERRIDES = {
    "mail/test.subject.txt": "[Acme Hosting] {{ requested_by }} tests the mail\n",
    "mail/layout.html": (
        '<html><body><div class="brand">Acme Hosting</div>{% block content %}{% endblock %}</body></html>'
    ),
}


async def test_a_plugin_template_folder_changes_the_email(settings, smtp, tmp_path):
    folder = write_templates(tmp_path / "branding", OVERRIDES)

    async with running(build_app(settings, MailTestPlugin(folder))):
        await services.send_test("ops@example.com", "Grace")
        [message] = await smtp.wait_for(1)

    assert message["Subject"] == "[Acme Hosting] Grace tests the mail"
    html = message.get_body(("html",)).get_content()
    assert '<div class="brand">Acme Hosting</div>' in html  # core's test.html, on the plugin's layout
    assert "sent from the admin area by <strong>Grace</strong>" in html
    assert "sent from the admin area by Grace" in message.get_body(("plain",)).get_content()  # core's text


async def test_without_the_plugin_core_templates_are_used(client, authz, smtp):
    await f.user(authz, "boss@example.com", staff="admin")

    await services.send_test("ops@example.com", "Grace")

    [message] = await smtp.wait_for(1)
    assert message["Subject"] == "Test email from hostpanel"
    assert "Sent by hostpanel" in message.get_body(("html",)).get_content()
