"""Fixtures of the privacy tests: an app whose email reaches the in-process SMTP server."""

from __future__ import annotations

from typing import Any

import pytest
from support import mailing_to

from panel.settings import Settings


@pytest.fixture
def settings(settings: Settings, smtp: Any) -> Settings:
    """Test settings that send email to `smtp`."""
    return mailing_to(settings, smtp, wake_only=False)
