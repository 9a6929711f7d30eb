"""Fixtures of the members tests: an app that sends its email to the in-process SMTP server."""

from __future__ import annotations

from typing import Any

import pytest

from panel.settings import Settings

from .inbox import BASE


@pytest.fixture
def settings(settings: Settings, smtp: Any) -> Settings:
    """Test settings whose email goes to the test SMTP server, with links to BASE."""
    settings.values["smtp_url"] = smtp.url
    settings.values["base_url"] = BASE
    return settings
