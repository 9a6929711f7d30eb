"""Fixtures of the self-service tests: an app whose email reaches the in-process SMTP server.

The deliverer's regular look at the outbox is a minute away, so an email that
arrives within a test was sent because queuing it woke the deliverer.
"""

from __future__ import annotations

from typing import Any

import pytest
from profile_support import BASE_URL

from panel.settings import Settings


@pytest.fixture
def settings(settings: Settings, smtp: Any) -> Settings:
    """Test settings that send email to `smtp` and build links on `BASE_URL`."""
    settings.values["smtp_url"] = smtp.url
    settings.values["mail_from"] = "Hostpanel <panel@example.net>"
    settings.values["base_url"] = BASE_URL
    settings.values["_environ"] = {**settings.values["_environ"], "PANEL_CORE_MAIL_POLL_SECONDS": "60"}
    return settings
