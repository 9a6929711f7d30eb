"""Fixtures of the two-factor tests: an app whose email reaches the in-process SMTP server."""

from __future__ import annotations

from typing import Any

import pytest

from panel.settings import Settings


@pytest.fixture
def settings(settings: Settings, smtp: Any) -> Settings:
    """Test settings that send email to `smtp` (the deliverer wakes when a message is queued)."""
    settings.values["smtp_url"] = smtp.url
    settings.values["mail_from"] = "Hostpanel <panel@example.net>"
    settings.values["base_url"] = "http://testserver.local"
    settings.values["_environ"] = {**settings.values["_environ"], "PANEL_CORE_MAIL_POLL_SECONDS": "60"}
    return settings
