"""Fixtures of the privacy tests: an app whose email reaches the in-process SMTP server."""

from __future__ import annotations

from typing import Any

import pytest

from panel.settings import Settings


@pytest.fixture
def settings(settings: Settings, smtp: Any) -> Settings:
    """Test settings that send email to `smtp`."""
    settings.values["smtp_url"] = smtp.url
    settings.values["mail_from"] = "Hostpanel <panel@example.net>"
    settings.values["base_url"] = "http://testserver.local"
    return settings
